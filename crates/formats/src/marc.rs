//! MARC 21 bibliographic records, the exchange format of Koha, SLiMS and union catalogues: ISO 2709
//! (`.mrc`) and MARCXML, both ways, and the mapping between a record and a Pustaka book.
//!
//! A small codec of our own rather than a crate: the one maintained Rust MARC crate reads ISO 2709
//! but its MARCXML side needs another XML stack next to the one we already compile (quick-xml);
//! ISO 2709 is a 24-byte leader, a directory and delimited fields, which fits in a page and is
//! tested here by round trips and against hand-made records.
//!
//! Outside bytes within a budget: the directory is checked before a field is read (ASCII, inside
//! the data, no two entries over the same bytes), fields and copies per record are capped, records
//! are read one at a time and their rows share the record's columns ([`read_sheet`]).
//!
//! Mapping (what Koha and SLiMS write): 001 source id, 020 $a ISBN, 024 $a other identifiers,
//! 041 $a language, 082 $a classification, 090 $a call number, 100/700 $a authors, 245 $a title,
//! 250 $a edition, 260 $a place $b publisher $c year, 300 $a collation, 490 $a series, 500 $a
//! notes (one per line), 650 $a subjects, 942 $c the book's collection type, 952 $p barcode
//! $c location $g price $y collection type (one per copy; the copy's own type, else the book's).
//! Collection types travel as Pustaka's codes (`fiksi`, `referensi`, `paket`, ...) where Koha keeps
//! its item types (942 $c, 952 $y).

use quick_xml::{events::Event, Reader};

use crate::sheet::Text;

/// A copy as MARC carries it in 952: barcode ($p), location ($c), price ($g), collection type ($y).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFields {
    pub barcode: String,
    pub location: Option<String>,
    pub price: Option<i64>,
    pub collection_type: Option<String>,
}

/// A data field being read: tag, indicators, subfields.
type OpenField = (String, [char; 2], Vec<(char, String)>);

/// One MARC field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// 001–009: a tag and a value.
    Control(String, String),
    /// 010–999: a tag, two indicators and subfields (code, value).
    Data(String, [char; 2], Vec<(char, String)>),
}

/// One record: a leader and fields in order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Record {
    pub leader: String,
    pub fields: Vec<Field>,
}

/// Why a record could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {index}: {reason}")]
pub struct MarcError {
    /// Which record of the file, from 1.
    pub index: usize,
    pub reason: String,
    /// The budget the file went past, when that is why the whole file is refused.
    pub budget: Option<crate::budget::Budget>,
}

impl MarcError {
    fn new(index: usize, reason: String) -> Self {
        Self { index, reason, budget: None }
    }

    /// The whole file refused for going past `budget`.
    fn too_big(index: usize, budget: crate::budget::Budget) -> Self {
        Self { index, reason: format!("this file is too big to import: {budget}"), budget: Some(budget) }
    }
}

const FT: u8 = 0x1E;
const SF: u8 = 0x1F;
const RT: u8 = 0x1D;

impl Record {
    /// A record with the leader of a new UTF-8 book record.
    pub fn book() -> Self {
        Self { leader: "00000nam a2200000 i 4500".into(), fields: Vec::new() }
    }

    /// Appends a data field with blank indicators unless given.
    pub fn data(&mut self, tag: &str, ind: [char; 2], subfields: Vec<(char, String)>) {
        if !subfields.is_empty() {
            self.fields.push(Field::Data(tag.into(), ind, subfields));
        }
    }

    /// The values of subfield `code` of every field `tag`.
    pub fn values(&self, tag: &str, code: char) -> Vec<String> {
        self.fields
            .iter()
            .filter_map(|f| match f {
                Field::Data(t, _, subs) if t == tag => Some(subs),
                _ => None,
            })
            .flat_map(|subs| subs.iter().filter(|(c, _)| *c == code).map(|(_, v)| v.clone()))
            .collect()
    }

    /// The first value of subfield `code` of field `tag`.
    pub fn value(&self, tag: &str, code: char) -> Option<String> {
        self.values(tag, code).into_iter().next()
    }

    /// The value of control field `tag`.
    pub fn control(&self, tag: &str) -> Option<String> {
        self.fields.iter().find_map(|f| match f {
            Field::Control(t, v) if t == tag => Some(v.clone()),
            _ => None,
        })
    }

    /// The record in ISO 2709, UTF-8 (leader position 9 `a`).
    pub fn to_iso2709(&self) -> Vec<u8> {
        let mut directory = Vec::new();
        let mut data = Vec::new();
        for f in &self.fields {
            let start = data.len();
            let tag = match f {
                Field::Control(tag, v) => {
                    data.extend(clean(v).as_bytes());
                    tag
                }
                Field::Data(tag, ind, subs) => {
                    data.extend(ind.iter().map(|c| if c.is_ascii() { *c as u8 } else { b' ' }));
                    for (code, v) in subs {
                        data.push(SF);
                        data.push(if code.is_ascii() { *code as u8 } else { b'a' });
                        data.extend(clean(v).as_bytes());
                    }
                    tag
                }
            };
            data.push(FT);
            directory.extend(format!("{:0>3.3}{:04}{:05}", tag, data.len() - start, start).as_bytes());
        }
        directory.push(FT);
        data.push(RT);
        let base = 24 + directory.len();
        let total = base + data.len();
        let mut leader: Vec<u8> = format!("{:<24.24}", self.leader).into_bytes();
        leader[..5].copy_from_slice(format!("{:05}", total.min(99_999)).as_bytes());
        leader[9] = b'a';
        leader[12..17].copy_from_slice(format!("{:05}", base.min(99_999)).as_bytes());
        leader[20..24].copy_from_slice(b"4500");
        let mut out = leader;
        out.extend(directory);
        out.extend(data);
        out
    }

    /// Reads one ISO 2709 record (without its record terminator or with it). The directory is
    /// checked before any field is read: entries of ASCII digits, each inside the data, none
    /// overlapping another, at most [`MAX_FIELDS`] of them and [`MAX_COPIES`] copies (952).
    pub fn from_iso2709(bytes: &[u8]) -> Result<Self, String> {
        if bytes.len() < 25 {
            return Err("shorter than a leader".into());
        }
        let leader = String::from_utf8_lossy(&bytes[..24]).into_owned();
        let base: usize = std::str::from_utf8(&bytes[12..17])
            .ok()
            .and_then(|b| b.trim().parse().ok())
            .ok_or("the leader has no base address")?;
        if base < 25 || base > bytes.len() {
            return Err(format!("base address {base} is outside the record"));
        }
        let dir = &bytes[24..base - 1];
        if dir.len() % 12 != 0 {
            return Err("the directory is not a list of 12-byte entries".into());
        }
        if dir.len() / 12 > MAX_FIELDS {
            return Err(format!("more than {MAX_FIELDS} fields in one record"));
        }
        let data = &bytes[base..];
        let mut entries = Vec::with_capacity(dir.len() / 12);
        for e in dir.chunks(12) {
            if !e.is_ascii() {
                return Err("the directory is not ASCII".into());
            }
            let tag = String::from_utf8_lossy(&e[..3]).into_owned();
            let number = |b: &[u8]| -> Option<usize> {
                b.iter().all(u8::is_ascii_digit).then(|| std::str::from_utf8(b).ok()?.parse().ok()).flatten()
            };
            let len = number(&e[3..7]).ok_or(format!("field {tag}: bad length"))?;
            let start = number(&e[7..12]).ok_or(format!("field {tag}: bad start"))?;
            if start.checked_add(len).is_none_or(|end| end > data.len()) {
                return Err(format!("field {tag} is outside the record"));
            }
            entries.push((tag, start, len));
        }
        if entries.iter().filter(|(t, _, _)| t == "952").count() > MAX_COPIES {
            return Err(format!("more than {MAX_COPIES} copies (952) in one record"));
        }
        let mut spans: Vec<(usize, usize)> =
            entries.iter().filter(|(_, _, len)| *len > 0).map(|(_, start, len)| (*start, start + len)).collect();
        spans.sort_unstable();
        if spans.windows(2).any(|w| w[1].0 < w[0].1) {
            return Err("two directory entries point at the same bytes".into());
        }
        let mut fields = Vec::with_capacity(entries.len());
        for (tag, start, len) in entries {
            let raw = &data[start..start + len];
            let raw = raw.strip_suffix(&[FT]).unwrap_or(raw);
            if tag.as_str() < "010" {
                fields.push(Field::Control(tag, text(raw)));
            } else {
                let ind = [raw.first().map_or(' ', |b| char::from(*b)), raw.get(1).map_or(' ', |b| char::from(*b))];
                let subs = raw
                    .get(2..)
                    .unwrap_or_default()
                    .split(|b| *b == SF)
                    .filter(|s| !s.is_empty())
                    .map(|s| (char::from(s[0]), text(&s[1..])))
                    .collect();
                fields.push(Field::Data(tag, ind, subs));
            }
        }
        Ok(Self { leader, fields })
    }
}

/// The most fields one record may have (ISO 2709 or MARCXML).
pub const MAX_FIELDS: usize = 2_000;
/// The most copies (952 fields) one record may have.
pub const MAX_COPIES: usize = 1_000;
/// The most subfields one field may have.
pub const MAX_SUBFIELDS: usize = 1_000;
/// The most text one MARCXML field value may hold.
pub const MAX_VALUE_BYTES: usize = 1 << 20;
/// The text that reading a MARC file may produce in all, each record's own columns counted once
/// and each copy's columns once.
pub const MAX_TEXT_BYTES: usize = 64 << 20;
/// The most rows (copies, or books without one) a MARC file may produce.
pub const MAX_ROWS: usize = 200_000;

/// Text of a field: UTF-8, or Windows-1252 when it is not (old MARC-8 files are read that way:
/// their ASCII is right, their diacritics may not be).
fn text(raw: &[u8]) -> String {
    crate::sheet::decode(raw)
}

/// A value without the bytes that delimit ISO 2709 (and without line breaks).
fn clean(v: &str) -> String {
    v.chars().map(|c| if matches!(c, '\u{1d}' | '\u{1e}' | '\u{1f}' | '\n' | '\r') { ' ' } else { c }).collect()
}

/// Reads every record of an ISO 2709 file, one at a time; a broken record is reported and
/// skipped.
pub fn read_iso2709(bytes: &[u8]) -> impl Iterator<Item = Result<Record, MarcError>> + '_ {
    bytes
        .split(|b| *b == RT)
        .map(|r| r.strip_prefix(b"\n").unwrap_or(r).strip_prefix(b"\r\n").unwrap_or(r))
        .filter(|r| !r.iter().all(u8::is_ascii_whitespace))
        .enumerate()
        .map(|(i, r)| Record::from_iso2709(r).map_err(|reason| MarcError::new(i + 1, reason)))
}

/// Escapes text for XML.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in clean(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if (c as u32) < 0x20 && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The opening of a MARCXML collection.
pub const XML_HEAD: &str =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<collection xmlns=\"http://www.loc.gov/MARC21/slim\">\n";
/// Its end.
pub const XML_TAIL: &str = "</collection>\n";

impl Record {
    /// The record as a MARCXML `<record>` element.
    pub fn to_xml(&self) -> String {
        let mut out = format!("<record>\n  <leader>{}</leader>\n", esc(&self.leader));
        for f in &self.fields {
            match f {
                Field::Control(tag, v) => {
                    out.push_str(&format!("  <controlfield tag=\"{}\">{}</controlfield>\n", esc(tag), esc(v)));
                }
                Field::Data(tag, ind, subs) => {
                    out.push_str(&format!(
                        "  <datafield tag=\"{}\" ind1=\"{}\" ind2=\"{}\">\n",
                        esc(tag),
                        esc(&ind[0].to_string()),
                        esc(&ind[1].to_string())
                    ));
                    for (code, v) in subs {
                        out.push_str(&format!(
                            "    <subfield code=\"{}\">{}</subfield>\n",
                            esc(&code.to_string()),
                            esc(v)
                        ));
                    }
                    out.push_str("  </datafield>\n");
                }
            }
        }
        out.push_str("</record>\n");
        out
    }
}

/// Reads the records of a MARCXML document (a `<collection>` or one `<record>`, with or without
/// the `marc:` prefix).
pub fn read_xml(text: &str) -> Result<Vec<Record>, MarcError> {
    let mut records = Vec::new();
    read_xml_each(text, |r| {
        records.push(r);
        Ok(())
    })?;
    Ok(records)
}

/// Reads the records of a MARCXML document one at a time, each handed to `each` as soon as it
/// ends. A DTD is refused (no entity but XML's own is ever expanded); a record is refused past
/// [`MAX_FIELDS`] fields or [`MAX_COPIES`] copies, a field past [`MAX_SUBFIELDS`], a value past
/// [`MAX_VALUE_BYTES`].
pub fn read_xml_each(text: &str, mut each: impl FnMut(Record) -> Result<(), MarcError>) -> Result<(), MarcError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut records = 0_usize;
    let mut current: Option<Record> = None;
    let mut value = String::new();
    // (tag, ind1, ind2) of the data field being read; the code of the subfield.
    let mut data: Option<OpenField> = None;
    let attr = |e: &quick_xml::events::BytesStart, name: &[u8]| -> Option<String> {
        e.attributes()
            .flatten()
            .find(|a| a.key.local_name().as_ref() == name)
            .and_then(|a| a.decode_and_unescape_value(reader_decoder()).ok().map(|v| v.into_owned()))
    };
    let mut control: Option<String> = None;
    let mut code: Option<char> = None;
    loop {
        let fail = |reason: String| MarcError::new(records + 1, reason);
        if value.len() > MAX_VALUE_BYTES {
            return Err(fail(format!("a value holds more than {} KB", MAX_VALUE_BYTES >> 10)));
        }
        match reader.read_event().map_err(|e| fail(format!("not well-formed XML: {e}")))? {
            Event::DocType(_) => return Err(fail("the document has a DTD, which MARCXML does not use".into())),
            Event::Start(e) => match e.local_name().as_ref() {
                b"record" => current = Some(Record::default()),
                b"leader" | b"controlfield" | b"subfield" => {
                    value.clear();
                    if e.local_name().as_ref() == b"controlfield" {
                        control = attr(&e, b"tag");
                    }
                    if e.local_name().as_ref() == b"subfield" {
                        code = attr(&e, b"code").and_then(|c| c.chars().next());
                    }
                }
                b"datafield" => {
                    let ind = |n: &[u8]| attr(&e, n).and_then(|v| v.chars().next()).unwrap_or(' ');
                    data = Some((attr(&e, b"tag").unwrap_or_default(), [ind(b"ind1"), ind(b"ind2")], Vec::new()));
                }
                _ => {}
            },
            Event::Text(t) => {
                value.push_str(&t.decode().map_err(|e| fail(e.to_string()))?);
            }
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| fail(e.to_string()))?;
                let resolved = match name.as_ref() {
                    "amp" => "&".to_owned(),
                    "lt" => "<".to_owned(),
                    "gt" => ">".to_owned(),
                    "quot" => "\"".to_owned(),
                    "apos" => "'".to_owned(),
                    n => n
                        .strip_prefix("#x")
                        .and_then(|h| u32::from_str_radix(h, 16).ok())
                        .or_else(|| n.strip_prefix('#').and_then(|d| d.parse().ok()))
                        .and_then(char::from_u32)
                        .map(String::from)
                        .unwrap_or_default(),
                };
                value.push_str(&resolved);
            }
            Event::CData(t) => value.push_str(&String::from_utf8_lossy(&t)),
            Event::End(e) => match e.local_name().as_ref() {
                b"record" => {
                    if let Some(r) = current.take() {
                        records += 1;
                        each(r)?;
                    }
                }
                b"leader" => {
                    if let Some(r) = current.as_mut() {
                        r.leader = value.clone();
                    }
                }
                b"controlfield" => {
                    if let (Some(r), Some(tag)) = (current.as_mut(), control.take()) {
                        if r.fields.len() >= MAX_FIELDS {
                            return Err(fail(format!("more than {MAX_FIELDS} fields in one record")));
                        }
                        r.fields.push(Field::Control(tag, value.clone()));
                    }
                }
                b"subfield" => {
                    if let (Some(d), Some(c)) = (data.as_mut(), code.take()) {
                        if d.2.len() >= MAX_SUBFIELDS {
                            return Err(fail(format!("more than {MAX_SUBFIELDS} subfields in one field")));
                        }
                        d.2.push((c, value.clone()));
                    }
                }
                b"datafield" => {
                    if let (Some(r), Some((tag, ind, subs))) = (current.as_mut(), data.take()) {
                        if r.fields.len() >= MAX_FIELDS {
                            return Err(fail(format!("more than {MAX_FIELDS} fields in one record")));
                        }
                        if tag == "952"
                            && r.fields.iter().filter(|f| matches!(f, Field::Data(t, _, _) if t == "952")).count()
                                >= MAX_COPIES
                        {
                            return Err(fail(format!("more than {MAX_COPIES} copies (952) in one record")));
                        }
                        r.fields.push(Field::Data(tag, ind, subs));
                    }
                }
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(())
}

fn reader_decoder() -> quick_xml::encoding::Decoder {
    Reader::from_str("").decoder()
}

/// A MARC record as the columns of a spreadsheet row, so that `pustaka import marc` goes
/// through the same checks (and the same identity rules) as `pustaka import books`: one row per
/// copy (or one row without a barcode). The record's own columns are shared by its copies' rows,
/// never copied.
pub fn to_rows(r: &Record) -> Vec<Vec<Text>> {
    let join = |v: Vec<String>| v.join("; ");
    let title = {
        let mut t = r.value("245", 'a').unwrap_or_default();
        if let Some(b) = r.value("245", 'b') {
            t = format!("{} {}", t.trim_end_matches([' ', '/', ':', ';']), b.trim_end_matches([' ', '/']));
        }
        t.trim_end_matches([' ', '/', ':', ';', '.']).to_owned()
    };
    let mut authors = r.values("100", 'a');
    authors.extend(r.values("110", 'a'));
    authors.extend(r.values("700", 'a'));
    let authors: Vec<String> = authors.into_iter().map(|a| a.trim_end_matches([',', '.', ' ']).to_owned()).collect();
    let isbns: Vec<String> =
        r.values("020", 'a').into_iter().map(|i| i.split_whitespace().next().unwrap_or("").to_owned()).collect();
    let mut identifiers = r.values("022", 'a');
    identifiers.extend(r.values("024", 'a'));
    let trim = |v: Option<String>| v.map(|v| v.trim_end_matches([' ', ',', ':', ';', '/']).to_owned());
    let publisher = trim(r.value("260", 'b').or_else(|| r.value("264", 'b')));
    let place = trim(r.value("260", 'a').or_else(|| r.value("264", 'a')));
    let year = r.value("260", 'c').or_else(|| r.value("264", 'c'));
    let base = vec![
        r.control("001").unwrap_or_default(),
        title,
        join(authors),
        join(isbns),
        join(identifiers),
        r.value("041", 'a').unwrap_or_default(),
        r.value("082", 'a').unwrap_or_default(),
        r.value("090", 'a').or_else(|| r.value("084", 'a')).unwrap_or_default(),
        r.value("250", 'a').unwrap_or_default(),
        publisher.unwrap_or_default(),
        place.unwrap_or_default(),
        year.unwrap_or_default(),
        r.value("300", 'a').unwrap_or_default(),
        r.value("490", 'a').unwrap_or_default(),
        r.values("500", 'a').join("\n"),
        join(r.values("650", 'a')),
    ];
    let base: Vec<Text> = base.into_iter().map(Text::from).collect();
    let copies: Vec<Vec<String>> = r
        .fields
        .iter()
        .filter_map(|f| match f {
            Field::Data(t, _, subs) if t == "952" => {
                let get = |c: char| subs.iter().find(|(k, _)| *k == c).map(|(_, v)| v.clone()).unwrap_or_default();
                let ty = match get('y') {
                    y if y.trim().is_empty() => r.value("942", 'c').unwrap_or_default(),
                    y => y,
                };
                Some(vec![get('p'), get('c'), get('g'), ty])
            }
            _ => None,
        })
        .collect();
    if copies.is_empty() {
        let empty = Text::from("");
        let ty = Text::from(r.value("942", 'c').unwrap_or_default());
        vec![[base, vec![empty.clone(), empty.clone(), empty, ty]].concat()]
    } else {
        copies.into_iter().map(|c| base.iter().cloned().chain(c.into_iter().map(Text::from)).collect()).collect()
    }
}

/// The header row matching [`to_rows`].
pub const ROW_HEADERS: &[&str] = &[
    "source id",
    "title",
    "authors",
    "isbn",
    "identifiers",
    "language",
    "classification",
    "call number",
    "edition",
    "publisher",
    "place",
    "year",
    "collation",
    "series",
    "notes",
    "subjects",
    "barcode",
    "location",
    "price",
    "collection type",
];

/// Reads a MARC file, ISO 2709 or MARCXML (told apart by a leading `<`), as a sheet of rows
/// (see [`to_rows`]); a record that cannot be read is an error on its own row. Records are read
/// and turned into rows one at a time; past [`MAX_ROWS`] rows or [`MAX_TEXT_BYTES`] of text the
/// whole file is refused.
pub fn read_sheet(bytes: &[u8]) -> Result<(crate::sheet::Sheet, Vec<MarcError>), MarcError> {
    read_sheet_within(bytes, MAX_TEXT_BYTES, MAX_ROWS)
}

fn read_sheet_within(
    bytes: &[u8],
    max_text: usize,
    max_rows: usize,
) -> Result<(crate::sheet::Sheet, Vec<MarcError>), MarcError> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    let bytes = bytes[start..].strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes[start..]);
    let mut sheet =
        crate::sheet::Sheet { headers: ROW_HEADERS.iter().map(|h| (*h).to_owned()).collect(), ..Default::default() };
    let mut errors = Vec::new();
    let mut text_bytes = 0_usize;
    let mut add = |i: usize, r: Result<Record, MarcError>| -> Result<(), MarcError> {
        match r {
            // The "line" of a record's rows is its number in the file.
            Ok(r) => {
                let rows = to_rows(&r);
                // The record's own columns are shared by its rows: counted once; each copy's own.
                let own = ROW_HEADERS.len() - 4;
                text_bytes += rows.first().map_or(0, |row| row.iter().take(own).map(|c| c.len()).sum());
                text_bytes += rows.iter().flat_map(|row| row.iter().skip(own)).map(|c| c.len()).sum::<usize>();
                if text_bytes > max_text {
                    return Err(MarcError::too_big(
                        i,
                        crate::budget::Budget::new(
                            "too_much_text",
                            max_text,
                            format!("more than {} KB of text", max_text >> 10),
                        ),
                    ));
                }
                if sheet.rows.len() + rows.len() > max_rows {
                    return Err(MarcError::too_big(
                        i,
                        crate::budget::Budget::new(
                            "too_many_rows",
                            max_rows,
                            format!("more than {max_rows} rows (copies)"),
                        ),
                    ));
                }
                sheet.rows.extend(rows.into_iter().map(|row| (i, row)));
            }
            Err(e) => {
                if errors.len() >= max_rows {
                    return Err(MarcError::too_big(
                        i,
                        crate::budget::Budget::new(
                            "too_many_records",
                            max_rows,
                            format!("more than {max_rows} records cannot be read"),
                        ),
                    ));
                }
                errors.push(e);
            }
        }
        Ok(())
    };
    if bytes.starts_with(b"<") {
        let text = std::str::from_utf8(bytes).map_err(|e| MarcError::new(0, format!("not UTF-8: {e}")))?;
        let mut i = 0;
        read_xml_each(text, |r| {
            i += 1;
            add(i, Ok(r))
        })?;
    } else {
        for (i, r) in read_iso2709(bytes).enumerate() {
            add(i + 1, r)?;
        }
    }
    Ok((sheet, errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        let mut r = Record::book();
        r.fields.push(Field::Control("001".into(), "slims:1".into()));
        r.data("020", [' ', ' '], vec![('a', "9789799731234".into())]);
        r.data("100", ['1', ' '], vec![('a', "Pramoedya Ananta Toer".into())]);
        r.data("245", ['1', '0'], vec![('a', "Bumi Manusia & <Anak> \"Semua\" Bangsa — Café".into())]);
        r.data("952", [' ', ' '], vec![('p', "B001".into()), ('c', "Rak A1".into()), ('g', "85000".into())]);
        r
    }

    #[test]
    fn iso2709_round_trip_and_lengths() {
        let r = sample();
        let bytes = r.to_iso2709();
        assert_eq!(&bytes[..5], format!("{:05}", bytes.len()).as_bytes(), "the leader counts bytes, not characters");
        assert_eq!(*bytes.last().unwrap(), RT);
        let back: Vec<_> = read_iso2709(&[bytes.clone(), bytes].concat()).collect();
        assert_eq!(back.len(), 2);
        let back = back[0].clone().unwrap();
        assert_eq!(back.fields, r.fields);
        assert_eq!(back.value("245", 'a').unwrap(), "Bumi Manusia & <Anak> \"Semua\" Bangsa — Café");
    }

    #[test]
    fn a_broken_record_is_reported_and_the_next_one_read() {
        let good = sample().to_iso2709();
        let mut file = b"00042nam a2209999 i 4500garbage\x1d".to_vec();
        file.extend(&good);
        let read: Vec<_> = read_iso2709(&file).collect();
        assert_eq!(read.len(), 2);
        assert_eq!(read[0].as_ref().unwrap_err().index, 1);
        assert!(read[1].is_ok());
    }

    #[test]
    fn marcxml_round_trip_with_prefix_and_entities() {
        let r = sample();
        let xml = format!("{XML_HEAD}{}{XML_TAIL}", r.to_xml());
        let back = read_xml(&xml).unwrap();
        assert_eq!(back, vec![r.clone()]);
        let prefixed = xml.replace("<record", "<marc:record").replace("</record", "</marc:record");
        assert_eq!(read_xml(&prefixed).unwrap()[0].fields, r.fields);
    }

    /// A record of the given directory entries (tag, length, start) over `data`.
    fn raw_record(entries: &[(&str, usize, usize)], data: &[u8]) -> Vec<u8> {
        let mut dir: Vec<u8> = entries.iter().flat_map(|(t, l, s)| format!("{t}{l:04}{s:05}").into_bytes()).collect();
        dir.push(FT);
        let base = 24 + dir.len();
        let mut out = format!("{:05}nam a22{:05} i 4500", base + data.len() + 1, base).into_bytes();
        out.extend(dir);
        out.extend(data);
        out.push(RT);
        out
    }

    #[test]
    fn overlapping_directory_entries_are_refused() {
        // 100 note entries pointing at one 9 KB field made 900 KB out of it (and each copy
        // cloned the whole record).
        let note = [b"  \x1fa".as_slice(), &vec![b'n'; 9_000], &[FT]].concat();
        let mut data = b"B1\x1e".to_vec();
        let note_at = data.len();
        data.extend(&note);
        let mut entries = vec![("001", 3, 0)];
        entries.extend(std::iter::repeat_n(("500", note.len(), note_at), 100));
        let read: Vec<_> = read_iso2709(&raw_record(&entries, &data)).collect();
        assert_eq!(read[0].as_ref().unwrap_err().reason, "two directory entries point at the same bytes");
        // One entry each is a record.
        let read: Vec<_> = read_iso2709(&raw_record(&entries[..2], &data)).collect();
        assert_eq!(read[0].as_ref().unwrap().values("500", 'a')[0].len(), 9_000);
        // Past the data.
        let read: Vec<_> = read_iso2709(&raw_record(&[("500", 9_999, 4)], &data)).collect();
        assert!(read[0].as_ref().unwrap_err().reason.contains("outside the record"));
    }

    #[test]
    fn a_multibyte_character_in_the_directory_is_a_refusal_not_a_panic() {
        let mut file = sample().to_iso2709();
        // é's two bytes across the tag and the length of the first entry: slicing it as text panicked.
        file[26..28].copy_from_slice("\u{e9}".as_bytes());
        let read: Vec<_> = read_iso2709(&file).collect();
        assert!(read[0].is_err());
        let mut file = sample().to_iso2709();
        file[27..29].copy_from_slice("\u{e9}".as_bytes());
        let read: Vec<_> = read_iso2709(&file).collect();
        assert_eq!(read[0].as_ref().unwrap_err().reason, "the directory is not ASCII");
    }

    #[test]
    fn copies_per_record_are_capped_and_share_the_record() {
        let mut r = sample();
        r.data("500", [' ', ' '], vec![('a', "n".repeat(50_000))]);
        // sample() has one copy already.
        for i in 1..MAX_COPIES {
            r.data("952", [' ', ' '], vec![('p', format!("C{i}"))]);
        }
        let xml = format!("{XML_HEAD}{}{XML_TAIL}", r.to_xml());
        let (sheet, errors) = read_sheet(xml.as_bytes()).unwrap();
        assert!(errors.is_empty());
        assert_eq!(sheet.rows.len(), MAX_COPIES);
        let notes = ROW_HEADERS.iter().position(|h| *h == "notes").unwrap();
        let last = MAX_COPIES - 1;
        assert!(std::sync::Arc::ptr_eq(&sheet.rows[0].1[notes], &sheet.rows[last].1[notes]), "shared, not cloned");
        r.data("952", [' ', ' '], vec![('p', "one more".into())]);
        let xml = format!("{XML_HEAD}{}{XML_TAIL}", r.to_xml());
        let e = read_sheet(xml.as_bytes()).unwrap_err();
        assert!(e.reason.contains("more than 1000 copies"), "{e}");
    }

    #[test]
    fn marcxml_refuses_a_dtd_and_caps_text() {
        let xml = "<?xml version=\"1.0\"?><!DOCTYPE c [<!ENTITY a \"aaaa\">]><collection><record><leader>x</leader>\
                   <datafield tag=\"245\"><subfield code=\"a\">&a;</subfield></datafield></record></collection>";
        assert!(read_sheet(xml.as_bytes()).unwrap_err().reason.contains("DTD"));
        // Many records each of a 200 KB note: the text produced in all is capped.
        let mut r = sample();
        r.data("500", [' ', ' '], vec![('a', "n".repeat(200_000))]);
        let xml = format!("{XML_HEAD}{}{XML_TAIL}", r.to_xml().repeat(10));
        assert_eq!(read_sheet(xml.as_bytes()).unwrap().0.rows.len(), 10);
        let e = read_sheet_within(xml.as_bytes(), 1 << 20, MAX_ROWS).unwrap_err();
        assert!(e.reason.contains("too big to import: more than 1024 KB of text"), "{e}");
        assert_eq!(e.index, 6);
        let e = read_sheet_within(xml.as_bytes(), MAX_TEXT_BYTES, 5).unwrap_err();
        assert!(e.reason.contains("more than 5 rows"), "{e}");
        // One value past its own cap.
        let mut r = sample();
        r.data("500", [' ', ' '], vec![('a', "n".repeat(MAX_VALUE_BYTES + 1))]);
        let xml = format!("{XML_HEAD}{}{XML_TAIL}", r.to_xml());
        assert!(read_sheet(xml.as_bytes()).unwrap_err().reason.contains("a value holds more than"));
    }
}
