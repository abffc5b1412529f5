//! `pustaka-loadgen faults`: the load of `deploy/stack faults`, and its reckoning.
//!
//! ```text
//! pustaka-loadgen faults run --base URL --run-id ID --phase-file F --out F --ready-file F
//! pustaka-loadgen faults report --records F --db-titles F
//! ```
//!
//! `run` ([`load`]) logs in as admin (password in `$FAULTS_ADMIN_PASSWORD`), adds a few seed books, then runs
//! reader tasks (`GET /api/v1/books?q=ID`, `GET /api/v1/books/{id}`) and writer tasks (`POST /api/v1/books`
//! `{"title": "ID-n"}`) until SIGTERM/SIGINT or `--max-seconds`. Every request is one JSON line in `--out`:
//! start/end time (epoch seconds), kind, phase (the content of `--phase-file` when the request started),
//! status (HTTP code, or `"error: ..."`) and, for writes, the title. A write is acknowledged only on 201.
//! Writes are never retried. Every request goes on a connection of its own, closed after the answer, so
//! that no request is sent on a kept-alive connection that the balancer is closing at that moment.
//!
//! `report` ([`reckon`]) compares the acknowledged titles with the titles found in the database (one a
//! line) and prints per-phase figures as one JSON object (`failures_from`/`failures_until`: when the first
//! failed request of the phase started and the last one ended); a summary goes to stderr.

pub mod load;
pub mod reckon;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Subcommand};

/// Seconds allowed for one request, connecting included; a request not answered by then counts as hung.
pub const TIMEOUT: Duration = Duration::from_secs(8);

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Runs readers and writers through the balancer, one JSON line per request in --out.
    Run(RunArgs),
    /// Reckons the records of a run against the titles in the database; one JSON object on stdout.
    Report(ReportArgs),
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Base URL of the service, e.g. http://127.0.0.1:8080 (plain HTTP only).
    #[arg(long)]
    pub base: String,
    /// Prefix of the titles written, and the search term of the readers.
    #[arg(long)]
    pub run_id: String,
    /// Its content, read when a request starts, is the phase recorded with the request.
    #[arg(long)]
    pub phase_file: PathBuf,
    /// Where the records go (appended, one JSON line per request).
    #[arg(long)]
    pub out: PathBuf,
    /// Written once the seed books exist and the readers and writers have started.
    #[arg(long)]
    pub ready_file: PathBuf,
    #[arg(long, default_value_t = 4)]
    pub readers: usize,
    #[arg(long, default_value_t = 2)]
    pub writers: usize,
    /// Seconds between a task's requests.
    #[arg(long, default_value_t = 0.05)]
    pub pause: f64,
    /// Stop after this many seconds even without SIGTERM.
    #[arg(long, default_value_t = 330.0)]
    pub max_seconds: f64,
}

#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// The --out file of `faults run`.
    #[arg(long)]
    pub records: PathBuf,
    /// The titles found in the database, one a line.
    #[arg(long)]
    pub db_titles: PathBuf,
}

/// Runs a `faults` subcommand; the exit code of the process.
pub fn main(command: Command) -> ExitCode {
    let result = match command {
        Command::Run(args) => load::main(&args),
        Command::Report(args) => reckon::main(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pustaka-loadgen faults: {e}");
            ExitCode::FAILURE
        }
    }
}
