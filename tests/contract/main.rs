//! The contract suite, one test binary: black-box tests over HTTP (and the command, the
//! OpenAPI document and the page's dictionaries), the same tests on SQLite and on MariaDB (see
//! [`contract!`]). One binary links the crate once, where a file per binary linked it once per
//! file; a test's name is its module path, e.g. `api::sqlite::books_crud`
//! (`cargo test --test contract api::`).
//!
//! Files outside it (`tests/*.rs`) are the tests that need a process of their own; each says why.

#[macro_use]
#[path = "../common/mod.rs"]
mod common;

mod accreditation;
mod api;
mod authz;
mod backup;
mod call_numbers;
mod class_sets;
mod cli;
mod collections;
mod copycat;
mod desk;
mod export;
mod first_start;
mod i18n;
mod idempotency;
mod import;
mod import_jobs;
mod licenses;
mod lifecycle;
mod metrics;
mod moving_in;
mod notices;
mod offline_page;
mod opac;
mod openapi;
mod pool;
mod print;
mod reading;
mod recovery;
mod reports;
mod roles;
mod rules;
mod scanned;
mod security;
mod settings;
mod slims;
mod stocktake;
mod visits;
