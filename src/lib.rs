//! Pustaka: library management for school and campus libraries.
//!
//! - [`domain`]: the library's rules as pure functions and parsed types (no I/O): the crate
//!   `pustaka-domain` (crates/domain), which cannot name anything of the server;
//! - [`sheet`], [`marc`], [`xlsx`], [`print`]: files in and out, bytes in and records out (the
//!   crate `pustaka-formats`, crates/formats, over the domain only);
//! - [`store`]: records and transactions over SQLite or MariaDB (the crate `pustaka-store`,
//!   crates/store, over the domain only), with [`model`] and [`passwords`];
//! - [`http`]: the REST API, its OpenAPI document and the page;
//! - [`notices`]: reminders and overdue notices by email, sent by one replica at a time;
//! - [`metrics`]: Prometheus metrics on a listener of their own;
//! - [`app`]: builds and serves the whole thing from [`config::Settings`].

pub mod app;
pub mod backup;
pub mod cli;
pub mod config;
pub mod copycat;
pub mod demo;
pub mod export;
pub mod http;
pub mod import;
pub mod malloc;
pub mod metrics;
pub mod notices;
pub mod serve;
pub mod telemetry;

/// The library's rules (the `pustaka-domain` crate).
pub use pustaka_domain as domain;
/// Files in and out: spreadsheets, MARC, XLSX, printed PDFs (the `pustaka-formats` crate).
pub use pustaka_formats::{budget, copycat as copycat_formats, marc, print, sheet, xlsx};
/// Records and transactions over SQLite or MariaDB (the `pustaka-store` crate), with the records
/// it returns and the password hashing.
pub use pustaka_store as store;
pub use pustaka_store::{model, passwords};
