//! Tables that leave as JSON, CSV or XLSX: what the reports, the visitor log, the stock take
//! and the exports download. One shape, three formats, so every download opens the same way
//! in a spreadsheet.
//!
//! - CSV is UTF-8 with a byte-order mark (without one, Excel on an Indonesian Windows reads
//!   the file as Windows-1252 and breaks every accented name) and `;`-free quoting by the
//!   `csv` crate. A text cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
//!   gets a leading `'`, so that a member named `=HYPERLINK(…)` stays text in a spreadsheet
//!   (CSV injection).
//! - XLSX (rust_xlsxwriter) has a bold, frozen header row; numbers are numbers and dates are
//!   dates, and text is always written as text (never as a formula).
//! - JSON is an array of objects keyed by the column names.

use axum::{
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};
use chrono::Datelike;
#[cfg(test)]
use chrono::NaiveDate;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde::Deserialize;
use utoipa::ToSchema;

use super::error::{ApiError, Result};

/// How a table is downloaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TableFormat {
    /// An array of objects (the default).
    #[default]
    Json,
    /// Comma-separated, UTF-8 with a byte-order mark.
    Csv,
    /// An Excel workbook with one sheet.
    Xlsx,
}

use crate::domain::cell::Cell;

/// A named table: a header row and rows of cells, each row as long as the header.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// The download's file name without extension, e.g. `loans-per-month-2026-01-01-2026-06-30`.
    pub name: String,
    /// The column names (JSON keys, the CSV and XLSX header row).
    pub columns: Vec<String>,
    /// The rows.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// An empty table with these columns.
    pub fn new(name: impl Into<String>, columns: &[&str]) -> Self {
        Self { name: name.into(), columns: columns.iter().map(|c| (*c).to_owned()).collect(), rows: Vec::new() }
    }

    /// Adds a row; it must have one cell per column.
    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len(), "a row of table {} has the wrong length", self.name);
        self.rows.push(row);
    }

    /// The table as CSV bytes (UTF-8 with a byte-order mark).
    pub fn to_csv(&self) -> Vec<u8> {
        let mut out = b"\xEF\xBB\xBF".to_vec();
        csv_line(&mut out, self.columns.iter().cloned());
        for row in &self.rows {
            csv_line(&mut out, row.iter().map(csv_field));
        }
        out
    }

    /// The table as an XLSX workbook.
    pub fn to_xlsx(&self) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut book = Workbook::new();
        self.write_sheet(book.add_worksheet())?;
        book.save_to_buffer()
    }

    /// Tables as one workbook, a sheet each, named by the given names (at most 31 characters,
    /// none of `[]:*?/\`).
    pub fn workbook(sheets: &[(&str, &Table)]) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
        let mut book = Workbook::new();
        for (name, table) in sheets {
            let sheet = book.add_worksheet();
            sheet.set_name(*name)?;
            table.write_sheet(sheet)?;
        }
        book.save_to_buffer()
    }

    /// The table on `sheet`: a bold, frozen header row, then the rows.
    fn write_sheet(
        &self,
        sheet: &mut rust_xlsxwriter::Worksheet,
    ) -> std::result::Result<(), rust_xlsxwriter::XlsxError> {
        let bold = Format::new().set_bold();
        let date = Format::new().set_num_format("yyyy-mm-dd");
        for (c, name) in self.columns.iter().enumerate() {
            sheet.write_string_with_format(0, col(c), name, &bold)?;
        }
        for (r, row) in self.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Empty => {}
                    Cell::Text(s) => {
                        sheet.write_string(r, col(c), s)?;
                    }
                    // Whole numbers in a library's tables stay far below 2^53.
                    #[allow(clippy::cast_precision_loss)]
                    Cell::Int(n) => {
                        sheet.write_number(r, col(c), *n as f64)?;
                    }
                    Cell::Date(d) => {
                        let when = ExcelDateTime::from_ymd(
                            u16::try_from(d.year()).unwrap_or(1900),
                            u8::try_from(d.month()).unwrap_or(1),
                            u8::try_from(d.day()).unwrap_or(1),
                        )?;
                        sheet.write_datetime_with_format(r, col(c), &when, &date)?;
                    }
                }
            }
        }
        sheet.set_freeze_panes(1, 0)?;
        sheet.autofit();
        Ok(())
    }

    /// The table as JSON: an array of objects keyed by column name.
    pub fn to_json(&self) -> serde_json::Value {
        let rows = self.rows.iter().map(|row| {
            let object = self.columns.iter().zip(row).map(|(name, cell)| {
                let value = match cell {
                    Cell::Empty => serde_json::Value::Null,
                    Cell::Text(s) => s.clone().into(),
                    Cell::Int(n) => (*n).into(),
                    Cell::Date(d) => d.to_string().into(),
                };
                (name.clone(), value)
            });
            serde_json::Value::Object(object.collect())
        });
        serde_json::Value::Array(rows.collect())
    }

    /// The table as a download in `format` (JSON is answered inline).
    pub fn respond(&self, format: TableFormat) -> Result<Response> {
        let (bytes, content_type, extension) = match format {
            TableFormat::Json => return Ok(axum::Json(self.to_json()).into_response()),
            TableFormat::Csv => (self.to_csv(), "text/csv; charset=utf-8", "csv"),
            TableFormat::Xlsx => (
                self.to_xlsx().map_err(|e| ApiError::Internal(anyhow::anyhow!("writing {}.xlsx: {e}", self.name)))?,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "xlsx",
            ),
        };
        Ok(download(bytes, content_type, &format!("{}.{extension}", self.name)))
    }
}

/// CSV written a piece at a time, for a table too big to hold (an export streamed in pages):
/// the same bytes [`Table::to_csv`] writes for the same rows, the same defused fields.
pub struct CsvStream;

impl CsvStream {
    /// The byte-order mark and the header row.
    pub fn header(columns: &[&str]) -> Vec<u8> {
        let mut out = b"\xEF\xBB\xBF".to_vec();
        Self::write(&mut out, columns.iter().map(|c| (*c).to_owned()));
        out
    }

    /// Rows, one CSV line each.
    pub fn rows(rows: &[Vec<Cell>]) -> Vec<u8> {
        let mut out = Vec::new();
        for row in rows {
            Self::write(&mut out, row.iter().map(csv_field));
        }
        out
    }

    fn write(out: &mut Vec<u8>, fields: impl Iterator<Item = String>) {
        csv_line(out, fields);
    }
}

/// A response that the browser saves as `filename` (ASCII letters, digits, `-`, `_`, `.`
/// only; anything else becomes `-`).
pub fn download(bytes: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let safe: String =
        filename.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '-' }).collect();
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{safe}\""))
        .unwrap_or(HeaderValue::from_static("attachment"));
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type)), (header::CONTENT_DISPOSITION, disposition)],
        bytes,
    )
        .into_response()
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// The separators a spreadsheet may split a CSV line on: `,` `;` (Excel in Indonesian and other
/// regional settings where `,` is the decimal mark) and tab.
const SEPARATORS: [char; 3] = [',', ';', '\t'];

/// One CSV line: fields joined by `,`, every field that any common separator (`,` `;` tab), a
/// quote or a line break could split quoted, so that it stays one cell whichever separator the
/// program reading it splits on.
fn csv_line(out: &mut Vec<u8>, fields: impl Iterator<Item = String>) {
    let fields: Vec<String> = fields.collect();
    let single = fields.len() == 1;
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        if f.contains([',', ';', '\t', '\r', '\n', '"']) || (single && f.is_empty()) {
            out.push(b'"');
            out.extend(f.replace('"', "\"\"").as_bytes());
            out.push(b'"');
        } else {
            out.extend(f.as_bytes());
        }
    }
    out.push(b'\n');
}

/// One CSV field. Text that a spreadsheet would run as a formula gets a `'` before it: at its
/// start, and after every separator (`,` `;` tab) where what follows starts one (`Tamu;=HYPERLINK(…)`
/// read by a program that splits on `;` despite the quotes is `Tamu` and `'=HYPERLINK(…)`).
/// `pustaka import` takes those `'` off again (`crate::sheet`).
fn csv_field(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(s) => defuse(s),
        Cell::Int(n) => n.to_string(),
        Cell::Date(d) => d.to_string(),
    }
}

/// [`csv_field`]'s text.
pub fn defuse(s: &str) -> String {
    let starts_formula = |piece: &str| piece.trim_start_matches(' ').starts_with(['=', '+', '-', '@']);
    let mut out = String::with_capacity(s.len() + 1);
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        out.push('\'');
    }
    let mut rest = s;
    while let Some(at) = rest.find(SEPARATORS) {
        let sep = rest[at..].chars().next().unwrap_or(',');
        let after = &rest[at + sep.len_utf8()..];
        out.push_str(&rest[..at + sep.len_utf8()]);
        if starts_formula(after) {
            out.push('\'');
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new("sample", &["judul", "jumlah", "tanggal"]);
        t.push(vec!["Laskar Pelangi".into(), 3.into(), NaiveDate::from_ymd_opt(2026, 1, 31).into()]);
        t.push(vec!["=HYPERLINK(\"x\")".into(), Cell::Empty, Cell::Empty]);
        t
    }

    #[test]
    fn csv_has_a_bom_and_defuses_formulas() {
        let csv = String::from_utf8(sample().to_csv()).unwrap();
        assert!(csv.starts_with('\u{feff}'));
        assert!(csv.contains("Laskar Pelangi,3,2026-01-31"));
        assert!(csv.contains("\"'=HYPERLINK(\"\"x\"\")\",,"), "{csv}");
    }

    #[test]
    fn csv_fields_stay_one_cell_whatever_the_separator() {
        // Issue 29, medium 6: a guest's name typed at the kiosk, in a spreadsheet split on `;`.
        let mut t = Table::new("tamu", &["nama", "kelas"]);
        t.push(vec!["Tamu;=HYPERLINK(\"http://x\")".into(), "VII\tB".into()]);
        t.push(vec!["Tamu, -2+3; @SUM(A1)".into(), "Siti Aminah".into()]);
        let csv = String::from_utf8(t.to_csv()).unwrap();
        let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[1], "\"Tamu;'=HYPERLINK(\"\"http://x\"\")\",\"VII\tB\"");
        assert_eq!(lines[2], "\"Tamu,' -2+3;' @SUM(A1)\",Siti Aminah");
        // Whichever separator splits it, quotes heeded or not, no piece starts a formula.
        for line in &lines[1..] {
            for sep in SEPARATORS {
                for piece in line.split(sep) {
                    let piece = piece.trim_start_matches(['"', ' ']);
                    assert!(!piece.starts_with(['=', '+', '-', '@']), "{piece:?} of {line:?} split on {sep:?}");
                }
            }
        }
        // Read back by the import, it is the text that was written.
        let sheet = crate::sheet::read(csv.as_bytes()).unwrap();
        let cell = |r: usize, c: usize| crate::sheet::Sheet::cell(&sheet.rows[r].1, Some(c));
        assert_eq!(cell(0, 0), Some("Tamu;=HYPERLINK(\"http://x\")"));
        assert_eq!(cell(1, 0), Some("Tamu, -2+3; @SUM(A1)"));
    }

    #[test]
    fn streamed_csv_is_the_same_bytes() {
        let t = sample();
        let columns: Vec<&str> = t.columns.iter().map(String::as_str).collect();
        let mut streamed = CsvStream::header(&columns);
        streamed.extend(CsvStream::rows(&t.rows[..1]));
        streamed.extend(CsvStream::rows(&t.rows[1..]));
        assert_eq!(streamed, t.to_csv());
    }

    #[test]
    fn json_keys_rows_by_column() {
        let json = sample().to_json();
        assert_eq!(json[0]["judul"], "Laskar Pelangi");
        assert_eq!(json[0]["jumlah"], 3);
        assert_eq!(json[0]["tanggal"], "2026-01-31");
        assert!(json[1]["jumlah"].is_null());
    }

    #[test]
    fn xlsx_reads_back_with_calamine() {
        use calamine::{Reader, Xlsx};
        let bytes = sample().to_xlsx().unwrap();
        let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
        let range = book.worksheet_range_at(0).unwrap().unwrap();
        assert_eq!(range.get_value((0, 0)).unwrap().to_string(), "judul");
        assert_eq!(range.get_value((1, 0)).unwrap().to_string(), "Laskar Pelangi");
        assert_eq!(range.get_value((1, 1)).unwrap().to_string(), "3");
        assert_eq!(range.get_value((2, 0)).unwrap().to_string(), "=HYPERLINK(\"x\")");
    }

    #[test]
    fn file_names_are_made_safe() {
        let r = download(Vec::new(), "text/csv", "laporan \"x\"/../a.csv");
        assert_eq!(r.headers()[header::CONTENT_DISPOSITION], "attachment; filename=\"laporan--x--..-a.csv\"");
    }
}
