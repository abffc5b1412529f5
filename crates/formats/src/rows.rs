//! What a spreadsheet reader gives: the sheet as rows of shared text, and why a file could not be
//! read. Its own module, below both readers (`sheet` for CSV and the choice of reader,
//! `xlsx_read` for XLSX), so that neither imports the other's module back.

use std::sync::Arc;

/// The text of a cell: shared, so that a string a workbook refers to from many cells (or a short
/// value many rows of a CSV repeat) is held once.
pub type Text = Arc<str>;

/// The most data rows a sheet (CSV or XLSX) may have, as a MARC file ([`crate::marc::MAX_ROWS`]):
/// the rows are held while an import runs, so their number is what bounds its memory (a CSV of
/// 873,000 rows of two bytes each took 500–900 MB). Far above a school's or a campus's catalogue;
/// a bigger one is imported in parts.
pub const MAX_ROWS: usize = 200_000;

/// A sheet as text: the header row and the data rows, each with the line (CSV) or row (XLSX)
/// number a person sees in their program. The readers take the first row that holds something
/// as the header; [`Sheet::rehead`] moves it further down when title rows stand above it.
#[derive(Debug, Default)]
pub struct Sheet {
    pub headers: Vec<String>,
    /// The line (CSV) or row (XLSX) of the header.
    pub header_line: usize,
    pub rows: Vec<(usize, Vec<Text>)>,
}

impl Sheet {
    /// The sheet with its data row `index` as the header: the header read first and the rows
    /// above `index` (a school's name, a date, a title above the real header) are left out.
    /// Out of range: the sheet as it is.
    pub fn rehead(mut self, index: usize) -> Sheet {
        if index >= self.rows.len() {
            return self;
        }
        let mut rest = self.rows.split_off(index);
        let (line, header) = rest.remove(0);
        Sheet { headers: header.iter().map(|c| c.to_string()).collect(), header_line: line, rows: rest }
    }

    /// The cells of the header and of the first `n` data rows, each with its line: where a
    /// header may be.
    pub fn top(&self, n: usize) -> impl Iterator<Item = (usize, Vec<&str>)> + '_ {
        let header = (self.header_line, self.headers.iter().map(String::as_str).collect());
        std::iter::once(header)
            .chain(self.rows.iter().take(n).map(|(line, cells)| (*line, cells.iter().map(|c| &**c).collect())))
    }

    /// The cell of `row` in column `col`, trimmed; `None` when blank or missing. The `'` that
    /// Pustaka's own CSV exports put before text starting with `=`, `+`, `-` or `@` (so that a
    /// spreadsheet keeps it as text) is taken off again (those after a `,` `;` or tab, when the
    /// CSV is read).
    pub fn cell(row: &[Text], col: Option<usize>) -> Option<&str> {
        col.and_then(|c| row.get(c))
            .map(|v| v.trim())
            .map(|v| match v.strip_prefix('\'') {
                Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
                _ => v,
            })
            .filter(|v| !v.is_empty())
    }
}

/// Why a file could not be read at all (a row that cannot be used is reported by row instead).
#[derive(Debug, thiserror::Error)]
pub enum SheetError {
    #[error("the file is empty")]
    Empty,
    #[error("this XLSX file cannot be read: {0}")]
    Xlsx(String),
    #[error("this CSV file cannot be read: {0}")]
    Csv(String),
    /// A budget of the reader was reached: what was too big.
    #[error("this file is too big to import: {0}")]
    TooBig(crate::budget::Budget),
}
