//! Pustaka's file formats, bytes in and records out: reading spreadsheets (CSV, XLSX) into
//! rows of text, MARC (ISO 2709 and MARCXML) both ways, writing XLSX, and printing (PDF labels,
//! member cards, report pages with Code 128 barcodes). Pure: no database, no HTTP, no async;
//! what the rules are comes from `pustaka-domain`.

pub mod budget;
pub mod copycat;
pub mod marc;
pub mod print;
pub mod rows;
pub mod sheet;
pub mod xlsx;
pub mod xlsx_read;
