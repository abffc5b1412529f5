//! Reading a spreadsheet into rows of text: CSV (`,` `;` or tab; UTF-8 or Windows-1252; a header
//! row) or XLSX (the first worksheet; a header row).

use std::borrow::Cow;

pub use crate::rows::{Sheet, SheetError, Text, MAX_ROWS};

/// Takes off the `'` that an export put after a separator before a formula start.
fn undefuse(v: &str) -> Cow<'_, str> {
    if !v.contains([',', ';', '\t']) || !v.contains('\'') {
        return Cow::Borrowed(v);
    }
    let mut out = String::with_capacity(v.len());
    let mut rest = v;
    while let Some(at) = rest.find([',', ';', '\t']) {
        let after = &rest[at + 1..];
        out.push_str(&rest[..=at]);
        rest = match after.strip_prefix('\'') {
            Some(r) if r.trim_start_matches(' ').starts_with(['=', '+', '-', '@']) => r,
            _ => after,
        };
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// Reads CSV or XLSX, told apart by content (an XLSX file is a ZIP archive).
pub fn read(bytes: &[u8]) -> Result<Sheet, SheetError> {
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(SheetError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        crate::xlsx_read::read(bytes)
    } else {
        read_csv(bytes)
    }
}

/// UTF-8 (a byte-order mark dropped) when the bytes are valid UTF-8, otherwise Windows-1252,
/// which is what a spreadsheet program on Windows saves as "CSV".
pub fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0.into_owned(),
    }
}

/// How many lines [`delimiter`] looks at.
const DELIMITER_LINES: usize = 30;

/// The separator of the file: whichever of `,` `;` and tab the line with the most separators
/// (outside quotes) among the first 30 has most of. Not simply the first line's: a school's sheet
/// saved as CSV may start with its title ("DAFTAR BUKU") above the header.
fn delimiter(text: &str) -> u8 {
    let (mut quoted, mut counts, mut best) = (false, [0usize; 3], [0usize; 3]);
    let mut lines = 0;
    for c in text.chars() {
        match c {
            '"' => quoted = !quoted,
            '\n' | '\r' if !quoted => {
                if counts.iter().max() > best.iter().max() {
                    best = counts;
                }
                counts = [0; 3];
                lines += 1;
                if lines >= DELIMITER_LINES {
                    break;
                }
            }
            ',' if !quoted => counts[0] += 1,
            ';' if !quoted => counts[1] += 1,
            '\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    if counts.iter().max() > best.iter().max() {
        best = counts;
    }
    let i = (0..3).max_by_key(|&i| (best[i], usize::from(i == 0))).unwrap_or(0);
    [b',', b';', b'\t'][i]
}

/// Cells at most this long are looked up among the values seen before, and share their text.
const SHARED_CELL_BYTES: usize = 32;
/// How many distinct short values are remembered for sharing.
const SHARED_CELLS: usize = 4_096;

fn read_csv(bytes: &[u8]) -> Result<Sheet, SheetError> {
    read_csv_within(bytes, MAX_ROWS)
}

/// Reads a CSV file of at most `max_rows` data rows. What is kept per row is its line, and its
/// cells as shared text: a short value that rows repeat (a year, a location, a category, or the
/// same letter 873,000 times) is one allocation however many rows hold it.
fn read_csv_within(bytes: &[u8], max_rows: usize) -> Result<Sheet, SheetError> {
    let text = decode(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(&text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut sheet = Sheet::default();
    // The line a record starts on, as a spreadsheet or an editor numbers them, counted from the
    // record's byte offset. The csv crate ends a CRLF row at its CR and starts the next record
    // at the LF, so its own line count was one behind for every CRLF row before (Excel saves
    // CSV with CRLF), which sent people to the wrong row. Files with only CRs count those.
    let bytes = text.as_bytes();
    let break_byte = if bytes.contains(&b'\n') { b'\n' } else { b'\r' };
    let (mut counted_to, mut line) = (0_usize, 1_usize);
    // Empty cells share one (empty) string; short values seen before share theirs.
    let empty = Text::from("");
    let mut seen: std::collections::HashSet<Text> = std::collections::HashSet::new();
    let mut cell_text = |c: &str| -> Text {
        if c.is_empty() {
            return empty.clone();
        }
        let c = undefuse(c);
        if c.len() > SHARED_CELL_BYTES {
            return Text::from(c);
        }
        if let Some(t) = seen.get(&*c) {
            return t.clone();
        }
        let t = Text::from(c);
        if seen.len() < SHARED_CELLS {
            seen.insert(t.clone());
        }
        t
    };
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| SheetError::Csv(e.to_string()))?;
        let start = record.position().and_then(|p| usize::try_from(p.byte()).ok());
        // A record never starts with a line break (the csv crate skips blank lines, and may give
        // the position of the breaks it skipped): its line is that of its first other byte.
        let first_byte =
            |at: usize| at + bytes[at.min(bytes.len())..].iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        let line = match start.map(first_byte) {
            Some(at) if at >= counted_to && at <= bytes.len() => {
                line += bytes[counted_to..at].iter().filter(|b| **b == break_byte).count();
                counted_to = at;
                line
            }
            _ => i + 1,
        };
        if record.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cells: Vec<Text> = record.iter().map(&mut cell_text).collect();
        if sheet.headers.is_empty() {
            sheet.headers = cells.iter().map(|c| c.to_string()).collect();
            sheet.header_line = line;
        } else if sheet.rows.len() >= max_rows {
            return Err(SheetError::TooBig(crate::budget::Budget::new(
                "too_many_rows",
                max_rows,
                format!("more than {max_rows} rows (import it in parts)"),
            )));
        } else {
            sheet.rows.push((line, cells));
        }
    }
    if sheet.headers.is_empty() {
        return Err(SheetError::Empty);
    }
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_separators_and_encodings() {
        for (text, sep) in [("judul,isbn\nA,1\n", ','), ("judul;isbn\nA;1\n", ';'), ("judul\tisbn\nA\t1\n", '\t')] {
            let s = read(text.as_bytes()).unwrap();
            assert_eq!(s.headers, ["judul", "isbn"], "{sep:?}");
            assert_eq!(s.rows, [(2, vec![Text::from("A"), Text::from("1")])]);
        }
        // A comma inside quotes does not make a semicolon file a comma file.
        assert_eq!(read(b"\"judul, lengkap\";isbn\nA;1").unwrap().headers, ["judul, lengkap", "isbn"]);
        // A title above the header, with a comma in it, does not choose the separator.
        let s = read(b"Daftar Buku, 2026\njudul;pengarang;isbn\nA;B;1\n").unwrap();
        assert_eq!(s.rows[0].1, [Text::from("judul"), Text::from("pengarang"), Text::from("isbn")]);
        // Windows-1252: 0xE9 is é; a UTF-8 byte-order mark is dropped.
        assert_eq!(read(b"judul\nCaf\xe9\n").unwrap().rows[0].1, [Text::from("Café")]);
        assert_eq!(read(b"\xEF\xBB\xBFjudul\nA\n").unwrap().headers, ["judul"]);
        // A quoted field spanning lines is one row; the next row's line number counts the break.
        let s = read(b"judul,isbn\n\"Bumi\r\nManusia\",1\nB,2\n").unwrap();
        assert_eq!(&*s.rows[0].1[0], "Bumi\r\nManusia");
        assert_eq!(s.rows[1].0, 4);
        // Excel's CRLF rows: each row's line is the line a spreadsheet shows, quoted breaks too.
        let s = read(b"judul;isbn\r\nA;1\r\nB;2\r\n\"C\r\nD\";3\r\nE;4\r\n").unwrap();
        assert_eq!(s.rows.iter().map(|r| r.0).collect::<Vec<_>>(), [2, 3, 4, 6]);
        // Blank lines are not rows, but they are lines: title rows, a blank line, then the header
        // on line 4, with CRLF, LF or CR line ends.
        for text in [
            &b"Daftar\r\nSMP 3\r\n\r\njudul;isbn\r\nA;1\r\n\r\nB;2\r\n"[..],
            b"Daftar\nSMP 3\n\njudul;isbn\nA;1\n\nB;2\n",
            b"Daftar\rSMP 3\r\rjudul;isbn\rA;1\r\rB;2\r",
        ] {
            let s = read(text).unwrap();
            assert_eq!(
                s.rows.iter().map(|r| r.0).collect::<Vec<_>>(),
                [2, 4, 5, 7],
                "{:?}",
                String::from_utf8_lossy(text)
            );
        }
        assert!(matches!(read(b" \n"), Err(SheetError::Empty)));
    }

    /// Issue 29, medium 5: 873,000 rows of one letter (2.5 MB) were held as 873,000 strings and
    /// took hundreds of MB. The rows are capped, and a repeated short value is held once.
    #[test]
    fn csv_rows_are_capped_and_repeated_values_shared() {
        let mut file = String::from("judul;tahun\n");
        for _ in 0..10 {
            file.push_str("a;2001\n");
        }
        let s = read_csv_within(file.as_bytes(), 10).unwrap();
        assert_eq!(s.rows.len(), 10);
        assert!(s.rows.windows(2).all(|w| std::sync::Arc::ptr_eq(&w[0].1[0], &w[1].1[0])), "one `a` for all rows");
        assert!(std::sync::Arc::ptr_eq(&s.rows[0].1[1], &s.rows[9].1[1]));
        file.push_str("b;2002\n");
        match read_csv_within(file.as_bytes(), 10) {
            Err(SheetError::TooBig(m)) => {
                assert_eq!((m.code, m.limit, m.english.contains("more than 10 rows")), ("too_many_rows", 10, true))
            }
            other => panic!("not refused: {other:?}"),
        }
        // The issue's file, whole: refused once it has more rows than a sheet may have.
        let attack = format!("judul\n{}", "a\n".repeat(873_000));
        assert!(matches!(read(attack.as_bytes()), Err(SheetError::TooBig(m)) if m.english.contains("200000 rows")));
        // Long values are not looked up, and stay themselves.
        let long = "x".repeat(40);
        let s = read(format!("judul\n{long}\n{long}\n").as_bytes()).unwrap();
        assert_eq!(&*s.rows[1].1[0], long);
    }

    #[test]
    fn broken_xlsx_is_an_error_not_a_panic() {
        assert!(matches!(read(b"PK\x03\x04garbage"), Err(SheetError::Xlsx(_))));
    }
}
