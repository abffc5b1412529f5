//! An XLSX workbook of one sheet, written as a stream: each row is deflated into the zip as it
//! comes and the bytes leave as they are made (a zip with data descriptors needs no seeking), so
//! an export of a million rows holds one page of rows in memory and writes nothing to disk.
//!
//! Why not rust_xlsxwriter's `constant_memory` mode, which the reports' small tables use the
//! library for: it writes the sheet's cells to a temporary file and sends nothing until the
//! whole sheet is written. In the stack the replicas' root is read-only with a 16 MB `/tmp`
//! (a million books are several hundred MB of sheet XML), and the balancer gives up on a reply
//! that sends nothing for 30 s.
//!
//! The sheet looks like the server's `http::table::Table::to_xlsx`: a bold, frozen header row;
//! text always as (inline) text, never a formula; whole numbers as numbers; dates as dates.
//! Column widths are set from the column names (there is no autofit without all the rows).

use std::io::{self, Write};

use chrono::NaiveDate;
use zip::{
    write::{SimpleFileOptions, StreamWriter},
    CompressionMethod, ZipWriter,
};

use pustaka_domain::cell::Cell;

/// The most data rows an Excel sheet holds (1,048,576 rows, one of them the header).
pub const MAX_ROWS: u32 = 1_048_575;

/// The most characters Excel keeps in one cell.
const MAX_CELL_CHARS: usize = 32_767;

/// A one-sheet workbook being written to `W`.
pub struct SheetWriter<W: Write> {
    zip: ZipWriter<StreamWriter<W>>,
    /// Rows written, the header counted.
    rows: u32,
    line: String,
}

fn zip_err(e: zip::result::ZipError) -> io::Error {
    io::Error::other(e)
}

impl<W: Write> SheetWriter<W> {
    /// Starts the workbook: its fixed parts, then the sheet up to its header row.
    pub fn new(out: W, columns: &[&str]) -> io::Result<Self> {
        let mut zip = ZipWriter::new_stream(out);
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        for (name, body) in PARTS {
            zip.start_file(*name, options).map_err(zip_err)?;
            zip.write_all(HEAD.as_bytes())?;
            zip.write_all(body.as_bytes())?;
        }
        zip.start_file("xl/worksheets/sheet1.xml", options).map_err(zip_err)?;
        let mut head = String::from(HEAD);
        head.push_str(
            "<worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\"><sheetViews>\
             <sheetView tabSelected=\"1\" workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" \
             activePane=\"bottomLeft\" state=\"frozen\"/><selection pane=\"bottomLeft\"/></sheetView></sheetViews>\
             <sheetFormatPr defaultRowHeight=\"15\"/><cols>",
        );
        for (i, c) in columns.iter().enumerate() {
            let width = match *c {
                "title" => 48,
                "authors" | "name" | "notes" | "subjects" => 30,
                c => (c.chars().count() + 4).max(14),
            };
            head.push_str(&format!("<col min=\"{n}\" max=\"{n}\" width=\"{width}\" customWidth=\"1\"/>", n = i + 1));
        }
        head.push_str("</cols><sheetData>");
        zip.write_all(head.as_bytes())?;
        let mut w = Self { zip, rows: 0, line: String::new() };
        let header: Vec<Cell> = columns.iter().map(|c| Cell::Text((*c).to_owned())).collect();
        w.write_row(&header, true)?;
        Ok(w)
    }

    /// Data rows written so far.
    pub fn rows(&self) -> u32 {
        self.rows.saturating_sub(1)
    }

    /// Adds a data row; an error past Excel's [`MAX_ROWS`].
    pub fn row(&mut self, cells: &[Cell]) -> io::Result<()> {
        if self.rows() >= MAX_ROWS {
            return Err(io::Error::other(format!("an XLSX sheet holds at most {MAX_ROWS} rows; use CSV")));
        }
        self.write_row(cells, false)
    }

    fn write_row(&mut self, cells: &[Cell], bold: bool) -> io::Result<()> {
        self.rows += 1;
        let r = self.rows;
        let line = &mut self.line;
        line.clear();
        line.push_str(&format!("<row r=\"{r}\">"));
        for (i, cell) in cells.iter().enumerate() {
            let at = format!("{}{r}", column_name(i));
            match cell {
                Cell::Empty => {}
                Cell::Text(s) => {
                    let style = if bold { " s=\"1\"" } else { "" };
                    line.push_str(&format!("<c r=\"{at}\"{style} t=\"inlineStr\"><is><t xml:space=\"preserve\">"));
                    escape_into(line, s);
                    line.push_str("</t></is></c>");
                }
                Cell::Int(n) => line.push_str(&format!("<c r=\"{at}\"><v>{n}</v></c>")),
                Cell::Date(d) => line.push_str(&format!("<c r=\"{at}\" s=\"2\"><v>{}</v></c>", excel_day(*d))),
            }
        }
        line.push_str("</row>");
        self.zip.write_all(line.as_bytes())
    }

    /// Ends the sheet and the zip; gives the writer back.
    pub fn finish(mut self) -> io::Result<W> {
        self.zip.write_all(b"</sheetData></worksheet>")?;
        Ok(self.zip.finish().map_err(zip_err)?.into_inner())
    }
}

/// A writer whose bytes are taken out as they come: a download sends them a page at a time.
#[derive(Debug, Clone, Default)]
pub struct Chunks(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Chunks {
    /// The bytes written since the last call.
    pub fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

impl Write for Chunks {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// `A`, `B`, … `Z`, `AA`, … for a zero-based column.
fn column_name(mut i: usize) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + u8::try_from(i % 26).unwrap_or(0));
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).unwrap_or_default()
}

/// Excel's serial day (1 is 1900-01-01; 1899-12-30 is day 0 for every date after February 1900).
fn excel_day(d: NaiveDate) -> i64 {
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    (d - epoch).num_days()
}

/// XML text: `&`, `<` and `>` escaped, characters XML 1.0 cannot carry left out, cut at Excel's
/// limit for a cell.
fn escape_into(out: &mut String, s: &str) {
    for c in s.chars().take(MAX_CELL_CHARS) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

const HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// The workbook's fixed parts: content types, relationships, the workbook and its styles (0
/// plain, 1 bold, 2 a `yyyy-mm-dd` date).
const PARTS: &[(&str, &str)] = &[
    (
        "[Content_Types].xml",
        "<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
         <Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>\
         <Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>\
         </Types>",
    ),
    (
        "_rels/.rels",
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
         <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>\
         </Relationships>",
    ),
    (
        "xl/workbook.xml",
        "<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
         xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
         <sheets><sheet name=\"Sheet1\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>",
    ),
    (
        "xl/_rels/workbook.xml.rels",
        "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
         <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
         <Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
         </Relationships>",
    ),
    (
        "xl/styles.xml",
        "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
         <numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"yyyy-mm-dd\"/></numFmts>\
         <fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>\
         <font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>\
         <fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>\
         <borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
         <cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>\
         <cellXfs count=\"3\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>\
         <xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>\
         <xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/></cellXfs>\
         <cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles></styleSheet>",
    ),
];

#[cfg(test)]
mod tests {
    use calamine::{Data, Reader, Xlsx};

    use super::*;

    #[test]
    fn a_streamed_sheet_reads_back_with_calamine() {
        let mut w = SheetWriter::new(Vec::new(), &["title", "year", "due on"]).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        w.row(&[Cell::Text("=1+1 <Aljabar> & \u{1}Geometri".into()), Cell::Int(2024), Cell::Date(day)]).unwrap();
        w.row(&[Cell::Empty, Cell::Int(-3), Cell::Empty]).unwrap();
        assert_eq!(w.rows(), 2);
        let bytes = w.finish().unwrap();
        assert!(bytes.starts_with(b"PK\x03\x04"));
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range("Sheet1").unwrap();
        let rows: Vec<Vec<Data>> = range.rows().map(<[Data]>::to_vec).collect();
        assert_eq!(rows[0], [Data::String("title".into()), Data::String("year".into()), Data::String("due on".into())]);
        assert_eq!(rows[1][0], Data::String("=1+1 <Aljabar> & Geometri".into()), "text stays text");
        assert_eq!(rows[1][1], Data::Float(2024.0));
        match &rows[1][2] {
            Data::DateTime(d) => assert!(d.is_datetime() && d.as_f64() == excel_day(day) as f64, "{d:?}"),
            other => panic!("not a date: {other:?}"),
        }
        assert_eq!(excel_day(day), 46_361, "2026-12-05 in Excel");
        assert_eq!(rows[2][1], Data::Float(-3.0));
    }

    #[test]
    fn column_names_go_past_z() {
        assert_eq!([0, 25, 26, 27, 701, 702].map(column_name), ["A", "Z", "AA", "AB", "ZZ", "AAA"]);
    }
}
