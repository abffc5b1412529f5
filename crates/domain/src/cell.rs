//! A value in a table that is downloaded or written as a file.

use chrono::NaiveDate;

/// One cell of a table that is downloaded as JSON, CSV or XLSX (the server's `http::table::Table`),
/// e.g. a report's.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing (an empty CSV field, a JSON `null`).
    Empty,
    /// Text, always kept as text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A calendar date, written `YYYY-MM-DD` (and as a real date in XLSX).
    Date(NaiveDate),
}

impl From<String> for Cell {
    fn from(s: String) -> Self {
        Cell::Text(s)
    }
}
impl From<&str> for Cell {
    fn from(s: &str) -> Self {
        Cell::Text(s.to_owned())
    }
}
impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}
impl From<NaiveDate> for Cell {
    fn from(d: NaiveDate) -> Self {
        Cell::Date(d)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}
