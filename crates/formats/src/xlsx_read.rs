//! Reading the first worksheet of an XLSX workbook into a [`Sheet`], within a budget whatever the
//! file declares.
//!
//! A reader of our own rather than calamine's: calamine reserves what the file says before it has
//! seen it (a shared-strings `count` of 10^14 aborted the process; two cells `A1` and
//! `XFD1048576` made it allocate the whole rectangle between them), copies a shared string for
//! every cell that refers to it, and inflates a part whatever its size. Here nothing is reserved
//! from a declared number; every part is read as a stream with a cap on its inflated size and on
//! any run of bytes without markup (so no single XML event can grow a buffer past it); shared
//! strings are held once (`Arc<str>`) and every cell's reference counts its bytes against a
//! budget; only the cells that hold something are kept, row by row, never the rectangle; a DTD
//! is refused (no workbook has one), and no entity other than XML's own is expanded.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Cursor, Read, Seek},
};

use quick_xml::{events::Event, Reader};
use zip::ZipArchive;

use crate::{
    budget::Budget,
    rows::{Sheet, SheetError, Text},
};

/// What a workbook may cost. The defaults keep the memory a read takes, beyond the file itself,
/// within some tens of MB whatever the file holds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Entries of the zip archive.
    pub entries: usize,
    /// Inflated bytes of the worksheet (read as a stream: this bounds time, not memory).
    pub sheet_bytes: u64,
    /// Inflated bytes of the shared-strings part.
    pub strings_part_bytes: u64,
    /// Inflated bytes of each small part (workbook, relationships, styles).
    pub small_part_bytes: u64,
    /// Bytes in a row without `<` or `>`: the most one XML event can hold.
    pub run_bytes: usize,
    /// Shared strings, and their bytes.
    pub strings: usize,
    pub string_bytes: usize,
    /// Cells holding something, and the cells of the rows as read (a row is as wide as its
    /// last cell).
    pub cells: usize,
    pub grid_cells: usize,
    /// The text of every cell added up, a shared string counted at every cell that refers to it.
    pub text_bytes: usize,
    /// The last column a cell holding something may be in (1 is A).
    pub columns: usize,
    /// Data rows holding something ([`crate::rows::MAX_ROWS`]).
    pub rows: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            entries: 10_000,
            sheet_bytes: 256 << 20,
            strings_part_bytes: 64 << 20,
            small_part_bytes: 4 << 20,
            run_bytes: 1 << 20,
            strings: 1_000_000,
            string_bytes: 24 << 20,
            cells: 2_000_000,
            grid_cells: 3_000_000,
            text_bytes: 32 << 20,
            columns: 1_024,
            rows: crate::rows::MAX_ROWS,
        }
    }
}

fn broken(why: impl std::fmt::Display) -> SheetError {
    SheetError::Xlsx(why.to_string())
}

fn too_big(code: &'static str, limit: impl TryInto<u64>, english: impl Into<String>) -> SheetError {
    SheetError::TooBig(Budget::new(code, limit, english))
}

/// Reads the first worksheet with the default [`Limits`].
pub fn read(bytes: &[u8]) -> Result<Sheet, SheetError> {
    read_with(bytes, &Limits::default())
}

/// Reads the first worksheet within `limits`.
pub fn read_with(bytes: &[u8], limits: &Limits) -> Result<Sheet, SheetError> {
    check_directory(bytes, limits)?;
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(broken)?;
    if zip.len() > limits.entries {
        return Err(too_big(
            "too_many_parts",
            limits.entries,
            format!("more than {} parts in the archive", limits.entries),
        ));
    }
    let rels = match part(&mut zip, "xl/_rels/workbook.xml.rels", limits.small_part_bytes, limits)? {
        Some(r) => relationships(r, limits)?,
        None => Vec::new(),
    };
    let first = match part(&mut zip, "xl/workbook.xml", limits.small_part_bytes, limits)? {
        Some(r) => first_sheet(r, limits)?,
        None => return Err(broken("it has no workbook")),
    };
    let target = |pred: &dyn Fn(&(String, String, String)) -> bool| {
        rels.iter().find(|r| pred(r)).map(|(_, _, target)| resolve(target))
    };
    let sheet_path =
        first.and_then(|id| target(&|(rid, _, _)| *rid == id)).unwrap_or_else(|| "xl/worksheets/sheet1.xml".to_owned());
    let strings_path =
        target(&|(_, kind, _)| kind.ends_with("/sharedStrings")).unwrap_or_else(|| "xl/sharedStrings.xml".to_owned());
    let styles_path = target(&|(_, kind, _)| kind.ends_with("/styles")).unwrap_or_else(|| "xl/styles.xml".to_owned());

    let strings = match part(&mut zip, &strings_path, limits.strings_part_bytes, limits)? {
        Some(r) => shared_strings(r, limits)?,
        None => Vec::new(),
    };
    let dates = match part(&mut zip, &styles_path, limits.small_part_bytes, limits)? {
        Some(r) => date_styles(r, limits)?,
        None => Vec::new(),
    };
    let Some(r) = part(&mut zip, &sheet_path, limits.sheet_bytes, limits)? else {
        return Err(broken("it has no worksheet"));
    };
    worksheet(r, &strings, &dates, limits)
}

/// Refuses a central directory that declares more entries than the budget (or ZIP64, which no
/// workbook under 4 GB needs) before the zip crate sizes anything by it.
fn check_directory(bytes: &[u8], limits: &Limits) -> Result<(), SheetError> {
    let tail_from = bytes.len().saturating_sub(22 + 65_535);
    let tail = &bytes[tail_from..];
    let Some(at) = tail.windows(4).rposition(|w| w == b"PK\x05\x06") else {
        return Err(broken("it is not a complete ZIP archive"));
    };
    // The ZIP64 locator stands right before the end record.
    if at >= 20 && &tail[at - 20..at - 16] == b"PK\x06\x07" {
        return Err(broken("ZIP64 archives are not read"));
    }
    let eocd = &tail[at..];
    if eocd.len() < 22 {
        return Err(broken("it is not a complete ZIP archive"));
    }
    let entries = usize::from(u16::from_le_bytes([eocd[10], eocd[11]]));
    if entries > limits.entries {
        return Err(too_big(
            "too_many_parts",
            limits.entries,
            format!("more than {} parts in the archive", limits.entries),
        ));
    }
    Ok(())
}

/// A part of the archive as a stream of at most `cap` inflated bytes (more is an error naming
/// the part), with no run of more than `limits.run_bytes` without markup; `None` when absent.
#[allow(clippy::type_complexity)]
fn part<'a, R: Read + Seek>(
    zip: &'a mut ZipArchive<R>,
    name: &str,
    cap: u64,
    limits: &Limits,
) -> Result<Option<Reader<BufReader<Capped<zip::read::ZipFile<'a, R>>>>>, SheetError> {
    let Some(index) = zip.index_for_name(name) else {
        return Ok(None);
    };
    let file = zip.by_index(index).map_err(broken)?;
    let capped = Capped { inner: file, left: cap, cap, run: 0, run_cap: limits.run_bytes, name: name.to_owned() };
    let mut reader = Reader::from_reader(BufReader::with_capacity(64 << 10, capped));
    reader.config_mut().trim_text(false);
    Ok(Some(reader))
}

/// A reader that fails past `cap` bytes in all or past `run_cap` bytes without `<` or `>`.
struct Capped<R> {
    inner: R,
    left: u64,
    cap: u64,
    run: usize,
    run_cap: usize,
    name: String,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n as u64 > self.left {
            return Err(std::io::Error::other(Budget::new(
                "part_too_big",
                self.cap,
                format!("the part {} inflates to more than {} MB", self.name, self.cap >> 20),
            )));
        }
        self.left -= n as u64;
        for b in &buf[..n] {
            if matches!(b, b'<' | b'>') {
                self.run = 0;
            } else {
                self.run += 1;
            }
        }
        if self.run > self.run_cap {
            return Err(std::io::Error::other(Budget::new(
                "run_too_long",
                self.run_cap,
                format!("the part {} has a text or tag of more than {} KB", self.name, self.run_cap >> 10),
            )));
        }
        Ok(n)
    }
}

/// An XML reading error as a refusal: the budget's own errors say what was too big.
fn xml_err(e: quick_xml::Error) -> SheetError {
    match &e {
        quick_xml::Error::Io(io) if Budget::of_io(io).is_some() => {
            SheetError::TooBig(Budget::of_io(io).cloned().expect("checked"))
        }
        _ => broken(format!("not well-formed XML: {e}")),
    }
}

/// The next event, a DTD refused.
fn next<'b, B: BufRead>(reader: &mut Reader<B>, buf: &'b mut Vec<u8>) -> Result<Event<'b>, SheetError> {
    buf.clear();
    match reader.read_event_into(buf).map_err(xml_err)? {
        Event::DocType(_) => Err(broken("a part has a DTD, which no workbook has")),
        e => Ok(e),
    }
}

fn attr(e: &quick_xml::events::BytesStart, name: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
}

/// The workbook's relationships: (id, type, target).
fn relationships<B: BufRead>(mut r: Reader<B>, _: &Limits) -> Result<Vec<(String, String, String)>, SheetError> {
    let (mut buf, mut out) = (Vec::new(), Vec::new());
    loop {
        match next(&mut r, &mut buf)? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"Relationship" => {
                if out.len() >= 10_000 {
                    return Err(too_big("too_many_parts", 10_000, "more than 10000 relationships"));
                }
                out.push((
                    attr(&e, b"Id").unwrap_or_default(),
                    attr(&e, b"Type").unwrap_or_default(),
                    attr(&e, b"Target").unwrap_or_default(),
                ));
            }
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// A relationship's target as a path in the archive (relative to `xl/`, or absolute).
fn resolve(target: &str) -> String {
    match target.strip_prefix('/') {
        Some(abs) => abs.to_owned(),
        None => format!("xl/{target}"),
    }
}

/// The relationship id of the workbook's first sheet.
fn first_sheet<B: BufRead>(mut r: Reader<B>, _: &Limits) -> Result<Option<String>, SheetError> {
    let mut buf = Vec::new();
    loop {
        match next(&mut r, &mut buf)? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"sheet" => return Ok(attr(&e, b"id")),
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

/// Text of XML's own entities and character references; any other entity is left out (never
/// expanded: there is no DTD to define one).
fn entity(name: &str) -> Option<char> {
    match name {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        n => n
            .strip_prefix("#x")
            .or_else(|| n.strip_prefix("#X"))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()))
            .and_then(char::from_u32),
    }
}

/// OOXML's `_xHHHH_` escapes (a character XML cannot carry) read back.
fn unescape_ooxml(s: &str) -> String {
    if !s.contains("_x") {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("_x") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let code = after.get(..5).filter(|c| c.ends_with('_')).and_then(|c| u32::from_str_radix(&c[..4], 16).ok());
        match code.and_then(char::from_u32) {
            Some(c) => {
                out.push(c);
                rest = &after[5..];
            }
            None => {
                out.push_str("_x");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Appends text to `out`, failing when `out` would pass `cap` bytes.
fn push_capped(out: &mut String, s: &str, cap: usize, what: &Budget) -> Result<(), SheetError> {
    if out.len() + s.len() > cap {
        return Err(SheetError::TooBig(what.clone()));
    }
    out.push_str(s);
    Ok(())
}

/// The shared strings, each once, within the count and byte budget (the part's own `count` is
/// not trusted for anything).
fn shared_strings<B: BufRead>(mut r: Reader<B>, limits: &Limits) -> Result<Vec<Text>, SheetError> {
    let (mut buf, mut out, mut total) = (Vec::new(), Vec::new(), 0_usize);
    let mut current = String::new();
    // Inside <si>; inside a <t> that is not phonetic (<rPh>).
    let (mut in_si, mut in_t, mut phonetic) = (false, false, false);
    let what = Budget::new(
        "too_much_text",
        limits.string_bytes,
        format!("the shared strings hold more than {} MB of text", limits.string_bytes >> 20),
    );
    loop {
        match next(&mut r, &mut buf)? {
            Event::Start(e) => match e.local_name().as_ref() {
                b"si" => {
                    in_si = true;
                    current.clear();
                }
                b"t" if in_si && !phonetic => in_t = true,
                b"rPh" => phonetic = true,
                _ => {}
            },
            Event::Empty(e) if e.local_name().as_ref() == b"si" => {
                if out.len() >= limits.strings {
                    return Err(too_big(
                        "too_many_strings",
                        limits.strings,
                        format!("more than {} shared strings", limits.strings),
                    ));
                }
                out.push(Text::from(""));
            }
            Event::Text(t) if in_t => {
                let t = t.decode().map_err(broken)?;
                push_capped(&mut current, &t, limits.string_bytes - total, &what)?;
            }
            Event::CData(t) if in_t => {
                push_capped(&mut current, &String::from_utf8_lossy(&t), limits.string_bytes - total, &what)?;
            }
            Event::GeneralRef(g) if in_t => {
                let name = g.decode().map_err(broken)?;
                if let Some(c) = entity(&name) {
                    push_capped(&mut current, c.encode_utf8(&mut [0; 4]), limits.string_bytes - total, &what)?;
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_t = false,
                b"rPh" => phonetic = false,
                b"si" if in_si => {
                    in_si = false;
                    if out.len() >= limits.strings {
                        return Err(too_big(
                            "too_many_strings",
                            limits.strings,
                            format!("more than {} shared strings", limits.strings),
                        ));
                    }
                    total += current.len();
                    out.push(Text::from(unescape_ooxml(&current)));
                }
                _ => {}
            },
            Event::Eof => return Ok(out),
            _ => {}
        }
    }
}

/// For each cell style (`cellXfs` index), whether its number format shows a date.
fn date_styles<B: BufRead>(mut r: Reader<B>, _: &Limits) -> Result<Vec<bool>, SheetError> {
    let (mut buf, mut custom, mut xfs) = (Vec::new(), HashMap::new(), Vec::new());
    let mut in_xfs = false;
    loop {
        match next(&mut r, &mut buf)? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                b"numFmt" => {
                    if let Some(id) = attr(&e, b"numFmtId").and_then(|i| i.parse::<u32>().ok()) {
                        if custom.len() < 10_000 {
                            custom.insert(id, is_date_format(&attr(&e, b"formatCode").unwrap_or_default()));
                        }
                    }
                }
                b"cellXfs" => in_xfs = true,
                b"xf" if in_xfs => {
                    if xfs.len() >= 100_000 {
                        return Err(too_big("too_many_parts", 100_000, "more than 100000 cell styles"));
                    }
                    let id = attr(&e, b"numFmtId").and_then(|i| i.parse::<u32>().ok()).unwrap_or(0);
                    xfs.push(custom.get(&id).copied().unwrap_or(matches!(id, 14..=17 | 22 | 27..=36 | 50..=58)));
                }
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == b"cellXfs" => in_xfs = false,
            Event::Eof => return Ok(xfs),
            _ => {}
        }
    }
}

/// Whether a number format shows a date: it has a `d` or `y` outside quotes and brackets.
fn is_date_format(code: &str) -> bool {
    let (mut quoted, mut bracket, mut escaped) = (false, false, false);
    for c in code.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '[' if !quoted => bracket = true,
            ']' if !quoted => bracket = false,
            'd' | 'D' | 'y' | 'Y' if !quoted && !bracket => return true,
            _ => {}
        }
    }
    false
}

/// A cell reference as (row from 1, column from 1); `None` when it is not one.
fn cell_ref(r: &str) -> Option<(usize, usize)> {
    let letters = r.bytes().take_while(u8::is_ascii_alphabetic).count();
    if letters == 0 || letters > 3 {
        return None;
    }
    let col = r[..letters].bytes().fold(0_usize, |n, b| n * 26 + usize::from(b.to_ascii_uppercase() - b'A' + 1));
    let row: usize = r[letters..].parse().ok()?;
    ((1..=1_048_576).contains(&row) && col <= 16_384).then_some((row, col))
}

/// The cell being read.
#[derive(Default)]
struct OpenCell {
    col: usize,
    kind: String,
    style: usize,
    value: String,
    in_value: bool,
    phonetic: bool,
}

/// The rows of the worksheet, kept only where they hold something.
fn worksheet<B: BufRead>(
    mut r: Reader<B>,
    strings: &[Text],
    dates: &[bool],
    limits: &Limits,
) -> Result<Sheet, SheetError> {
    let mut buf = Vec::new();
    let mut sheet = Sheet::default();
    let (mut cells, mut grid, mut text) = (0_usize, 0_usize, 0_usize);
    let (mut row_no, mut last_col) = (0_usize, 0_usize);
    let mut row: Vec<(usize, Text)> = Vec::new();
    let mut cell: Option<OpenCell> = None;
    let empty = Text::from("");
    let text_what = Budget::new(
        "too_much_text",
        limits.text_bytes,
        format!("the cells hold more than {} MB of text", limits.text_bytes >> 20),
    );
    loop {
        let event = next(&mut r, &mut buf)?;
        let is_empty_element = matches!(event, Event::Empty(_));
        match event {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"row" => {
                row_no = attr(&e, b"r").and_then(|n| n.parse().ok()).unwrap_or(row_no + 1);
                if row_no == 0 || row_no > 1_048_576 {
                    return Err(broken(format!("row number {row_no} is outside a sheet")));
                }
                last_col = 0;
                row.clear();
            }
            Event::End(e) if e.local_name().as_ref() == b"row" => {
                let Some(width) = row.iter().map(|(c, _)| *c).max() else { continue };
                grid += width;
                if grid > limits.grid_cells {
                    return Err(too_big(
                        "too_many_cells",
                        limits.grid_cells,
                        format!("more than {} cells in the rows", limits.grid_cells),
                    ));
                }
                let mut out = vec![empty.clone(); width];
                for (c, v) in row.drain(..) {
                    out[c - 1] = v;
                }
                if out.iter().all(|c| c.trim().is_empty()) {
                    grid -= width;
                    continue;
                }
                if sheet.headers.is_empty() {
                    sheet.headers = out.iter().map(|c| c.to_string()).collect();
                    sheet.header_line = row_no;
                } else if sheet.rows.len() >= limits.rows {
                    return Err(too_big(
                        "too_many_rows",
                        limits.rows,
                        format!("more than {} rows (import it in parts)", limits.rows),
                    ));
                } else {
                    sheet.rows.push((row_no, out));
                }
            }
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"c" => {
                let col = match attr(&e, b"r") {
                    Some(at) => cell_ref(&at).ok_or_else(|| broken(format!("{at} is not a cell reference")))?.1,
                    None => last_col + 1,
                };
                last_col = col;
                cell = Some(OpenCell {
                    col,
                    kind: attr(&e, b"t").unwrap_or_default(),
                    style: attr(&e, b"s").and_then(|s| s.parse().ok()).unwrap_or(0),
                    ..OpenCell::default()
                });
                if is_empty_element {
                    // `<c …/>`: styled, holding nothing.
                    cell = None;
                }
            }
            Event::Start(e) if matches!(e.local_name().as_ref(), b"v" | b"t") => {
                if let Some(c) = cell.as_mut() {
                    c.in_value = !c.phonetic;
                }
            }
            Event::Start(e) if e.local_name().as_ref() == b"rPh" => {
                // Phonetic runs of an inline string are not its text.
                if let Some(c) = cell.as_mut() {
                    c.phonetic = true;
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"rPh" => {
                if let Some(c) = cell.as_mut() {
                    c.phonetic = false;
                }
            }
            Event::Text(t) => {
                if let Some(c) = cell.as_mut().filter(|c| c.in_value) {
                    let t = t.decode().map_err(broken)?;
                    push_capped(&mut c.value, &t, limits.text_bytes.saturating_sub(text), &text_what)?;
                }
            }
            Event::CData(t) => {
                if let Some(c) = cell.as_mut().filter(|c| c.in_value) {
                    let t = String::from_utf8_lossy(&t);
                    push_capped(&mut c.value, &t, limits.text_bytes.saturating_sub(text), &text_what)?;
                }
            }
            Event::GeneralRef(g) => {
                if let Some(c) = cell.as_mut().filter(|c| c.in_value) {
                    if let Some(ch) = entity(&g.decode().map_err(broken)?) {
                        let mut b = [0; 4];
                        push_capped(
                            &mut c.value,
                            ch.encode_utf8(&mut b),
                            limits.text_bytes.saturating_sub(text),
                            &text_what,
                        )?;
                    }
                }
            }
            Event::End(e) if matches!(e.local_name().as_ref(), b"v" | b"t") => {
                if let Some(c) = cell.as_mut() {
                    c.in_value = false;
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"c" => {
                let Some(c) = cell.take() else { continue };
                let Some(value) = cell_value(&c, strings, dates)? else { continue };
                if value.is_empty() {
                    continue;
                }
                if c.col > limits.columns {
                    return Err(too_big(
                        "too_many_columns",
                        limits.columns,
                        format!("a cell holds something past column {}", limits.columns),
                    ));
                }
                cells += 1;
                text += value.len();
                if cells > limits.cells {
                    return Err(too_big(
                        "too_many_cells",
                        limits.cells,
                        format!("more than {} cells hold something", limits.cells),
                    ));
                }
                if text > limits.text_bytes {
                    return Err(SheetError::TooBig(text_what));
                }
                match row.iter_mut().find(|(col, _)| *col == c.col) {
                    Some(slot) => slot.1 = value,
                    None => row.push((c.col, value)),
                }
            }
            Event::End(e) if e.local_name().as_ref() == b"sheetData" => break,
            Event::Eof => break,
            _ => {}
        }
    }
    if sheet.headers.is_empty() {
        return Err(SheetError::Empty);
    }
    Ok(sheet)
}

/// A cell's value as the text a person sees: a shared string (shared, not copied), whole
/// numbers without `.0`, dates as `YYYY-MM-DD`, booleans as `true`/`false`.
fn cell_value(c: &OpenCell, strings: &[Text], dates: &[bool]) -> Result<Option<Text>, SheetError> {
    let v = c.value.as_str();
    Ok(Some(match c.kind.as_str() {
        "s" => {
            if v.trim().is_empty() {
                return Ok(None);
            }
            let i: usize = v.trim().parse().map_err(|_| broken(format!("{v:?} is not a shared-string index")))?;
            strings.get(i).cloned().ok_or_else(|| broken(format!("shared string {i} does not exist")))?
        }
        "inlineStr" | "str" => Text::from(unescape_ooxml(v)),
        "b" => Text::from(if v.trim() == "1" { "true" } else { "false" }),
        "e" => Text::from(format!("#{v}")),
        "d" => Text::from(v.get(..10).unwrap_or(v)),
        _ => {
            let Ok(f) = v.trim().parse::<f64>() else {
                return Ok(if v.trim().is_empty() { None } else { Some(Text::from(v)) });
            };
            if dates.get(c.style).copied().unwrap_or(false) {
                let day = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
                    .and_then(|d| d.checked_add_signed(chrono::Duration::days(f.floor() as i64)));
                match day {
                    Some(d) => Text::from(d.to_string()),
                    None => Text::from(f.to_string()),
                }
            } else if f.fract() == 0.0 && f.abs() < 1e15 {
                Text::from(format!("{}", f as i64))
            } else {
                Text::from(f.to_string())
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use std::{io::Write, sync::Arc};

    use zip::{write::SimpleFileOptions, CompressionMethod, ZipWriter};

    use super::*;

    const WORKBOOK: &str =
        "<workbook xmlns:r=\"r\"><sheets><sheet name=\"A\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";
    const RELS: &str =
        "<Relationships><Relationship Id=\"rId1\" Type=\"x/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
        <Relationship Id=\"rId2\" Type=\"x/sharedStrings\" Target=\"sharedStrings.xml\"/></Relationships>";

    /// A workbook of the given shared strings and sheet rows (the XML inside `<sheetData>`).
    fn book(strings: &str, rows: &str) -> Vec<u8> {
        let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for (name, body) in [
            ("xl/workbook.xml", WORKBOOK.to_owned()),
            ("xl/_rels/workbook.xml.rels", RELS.to_owned()),
            ("xl/sharedStrings.xml", strings.to_owned()),
            ("xl/worksheets/sheet1.xml", format!("<worksheet><sheetData>{rows}</sheetData></worksheet>")),
        ] {
            zip.start_file(name, options).unwrap();
            zip.write_all(body.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn too_big_naming(r: Result<Sheet, SheetError>, what: &str) {
        match r {
            Err(SheetError::TooBig(m)) => assert!(m.english.contains(what), "{m}"),
            other => panic!("not refused as too big ({what}): {other:?}"),
        }
    }

    #[test]
    fn a_workbook_written_by_rust_xlsxwriter_reads_back() {
        let mut wb = rust_xlsxwriter::Workbook::new();
        let ws = wb.add_worksheet();
        let date = rust_xlsxwriter::Format::new().set_num_format("dd/mm/yyyy");
        ws.write(1, 1, "judul").unwrap();
        ws.write(1, 2, "tahun").unwrap();
        ws.write(1, 3, "berlaku hingga").unwrap();
        ws.write(2, 1, "Laskar Pelangi & <Belitung>").unwrap();
        ws.write(2, 2, 2005).unwrap();
        ws.write_datetime_with_format(2, 3, rust_xlsxwriter::ExcelDateTime::from_ymd(2027, 6, 30).unwrap(), &date)
            .unwrap();
        ws.write(4, 1, "Laskar Pelangi & <Belitung>").unwrap();
        ws.write(4, 2, 1.5).unwrap();
        let sheet = read(&wb.save_to_buffer().unwrap()).unwrap();
        assert_eq!(sheet.headers, ["", "judul", "tahun", "berlaku hingga"]);
        let rows: Vec<(usize, Vec<String>)> =
            sheet.rows.iter().map(|(n, r)| (*n, r.iter().map(|c| c.to_string()).collect())).collect();
        assert_eq!(
            rows[0],
            (3, vec!["".into(), "Laskar Pelangi & <Belitung>".into(), "2005".into(), "2027-06-30".into()])
        );
        assert_eq!(rows[1], (5, vec!["".into(), "Laskar Pelangi & <Belitung>".into(), "1.5".into()]));
        assert!(Arc::ptr_eq(&sheet.rows[0].1[1], &sheet.rows[1].1[1]), "a shared string is held once");
    }

    #[test]
    fn the_streamed_export_reads_back() {
        use pustaka_domain::cell::Cell;
        let mut w = crate::xlsx::SheetWriter::new(Vec::new(), &["title", "year"]).unwrap();
        w.row(&[Cell::Text("Bumi Manusia _x000D_".into()), Cell::Int(1980)]).unwrap();
        let sheet = read(&w.finish().unwrap()).unwrap();
        assert_eq!(sheet.headers, ["title", "year"]);
        assert_eq!(&*sheet.rows[0].1[0], "Bumi Manusia \r");
        assert_eq!(&*sheet.rows[0].1[1], "1980");
    }

    #[test]
    fn a_declared_count_is_never_reserved() {
        // calamine reserved this count: the process aborted allocating 2.4 PB.
        let strings = "<sst count=\"100000000000000\" uniqueCount=\"100000000000000\"><si><t>judul</t></si></sst>";
        let sheet = read(&book(strings, "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>")).unwrap();
        assert_eq!(sheet.headers, ["judul"]);
    }

    #[test]
    fn far_apart_cells_are_not_a_rectangle() {
        // calamine allocated every cell between A1 and the last one (XFD300: +150 MB).
        let rows = "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>judul</t></is></c></row>\
                    <row r=\"300\"><c r=\"B300\" t=\"inlineStr\"><is><t>x</t></is></c></row>";
        let sheet = read(&book("<sst/>", rows)).unwrap();
        assert_eq!(sheet.rows.len(), 1);
        assert_eq!(sheet.rows[0].0, 300);
        let far = "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>judul</t></is></c></row>\
                   <row r=\"1048576\"><c r=\"XFD1048576\" t=\"inlineStr\"><is><t>x</t></is></c></row>";
        too_big_naming(read(&book("<sst/>", far)), "past column 1024");
        // A styled but empty cell far away costs nothing.
        let styled = "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>judul</t></is></c><c r=\"XFD1\" s=\"1\"/></row>\
                      <row r=\"1048576\"><c r=\"XFD1048576\" s=\"1\"></c></row>";
        assert_eq!(read(&book("<sst/>", styled)).unwrap().headers, ["judul"]);
    }

    #[test]
    fn one_shared_string_referenced_many_times_is_counted_each_time() {
        // 1 MB deflated to about 1 KB, referenced by 200 cells: calamine copied it 200 times.
        let strings = format!("<sst><si><t>judul</t></si><si><t>{}</t></si></sst>", "a".repeat((1 << 20) - 16));
        let mut rows = String::from("<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>");
        for r in 2..=201 {
            rows.push_str(&format!("<row r=\"{r}\"><c r=\"A{r}\" t=\"s\"><v>1</v></c></row>"));
        }
        let file = book(&strings, &rows);
        assert!(file.len() < 8 << 10, "{}", file.len());
        too_big_naming(read(&file), "MB of text");
        // Within a budget, the rows share the one string.
        let limits = Limits { text_bytes: 256 << 20, ..Limits::default() };
        let sheet = read_with(&file, &limits).unwrap();
        assert_eq!(sheet.rows.len(), 200);
        assert!(Arc::ptr_eq(&sheet.rows[0].1[0], &sheet.rows[199].1[0]));
    }

    #[test]
    fn parts_are_capped_when_inflated() {
        let mut rows = String::new();
        for r in 1..=2_000 {
            rows.push_str(&format!("<row r=\"{r}\"><c r=\"A{r}\"><v>{r}</v></c></row>"));
        }
        let file = book("<sst/>", &rows);
        assert!(read(&file).is_ok());
        let limits = Limits { sheet_bytes: 16 << 10, ..Limits::default() };
        too_big_naming(read_with(&file, &limits), "xl/worksheets/sheet1.xml inflates to more than");
        let limits = Limits { cells: 1_000, ..Limits::default() };
        too_big_naming(read_with(&file, &limits), "more than 1000 cells");
        // Rows are capped as a CSV's are (the header row is not counted).
        let limits = Limits { rows: 1_999, ..Limits::default() };
        assert_eq!(read_with(&file, &limits).unwrap().rows.len(), 1_999);
        let limits = Limits { rows: 1_998, ..Limits::default() };
        too_big_naming(read_with(&file, &limits), "more than 1998 rows");
        // One text of 2 MB without markup in it is more than any cell holds.
        let long =
            format!("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>{}</t></is></c></row>", "b".repeat(2 << 20));
        too_big_naming(read(&book("<sst/>", &long)), "more than 1024 KB");
        let strings = format!("<sst>{}</sst>", "<si><t>x</t></si>".repeat(2_000));
        let limits = Limits { strings: 1_000, ..Limits::default() };
        too_big_naming(read_with(&book(&strings, &rows), &limits), "more than 1000 shared strings");
    }

    #[test]
    fn entities_are_never_expanded() {
        let strings = "<!DOCTYPE sst [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">]>\
                       <sst><si><t>&b;</t></si></sst>";
        match read(&book(strings, "<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c></row>")) {
            Err(SheetError::Xlsx(m)) => assert!(m.contains("DTD"), "{m}"),
            other => panic!("a DTD read: {other:?}"),
        }
        let rows = "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a&amp;b&#x41;&#66;&nope;</t></is></c></row>";
        assert_eq!(read(&book("<sst/>", rows)).unwrap().headers, ["a&bAB"]);
    }

    #[test]
    fn a_central_directory_declaring_too_many_entries_is_refused() {
        let mut file = book("<sst/>", "");
        let at = file.windows(4).rposition(|w| w == b"PK\x05\x06").unwrap();
        file[at + 10..at + 12].copy_from_slice(&60_000_u16.to_le_bytes());
        too_big_naming(read(&file), "parts in the archive");
    }
}
