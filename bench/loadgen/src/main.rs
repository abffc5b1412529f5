//! `pustaka-loadgen`: a small HTTP/1.1 load generator for benchmarking the Pustaka REST API.
//!
//! Why it exists: the benchmark wants latency percentiles that are honest under load, and the tools at hand
//! are not. `wrk` as packaged by Debian is the original closed-loop wrk, which suffers from *coordinated
//! omission* (a stalled server also stalls the load, so the slow moments are under-sampled), and it cannot
//! drive a stateful checkout → return cycle in which every connection owns its own copy and member.
//!
//! What it does: each `--connections` virtual user holds one keep-alive HTTP/1.1 connection and runs a
//! scenario (`get`, `search`, `list`, `first-page`, `health`, `circulation`, `mixed`, `opac`,
//! `pages`). Without `--rate` the load is closed loop
//! (the next request goes out as soon as the previous one answered). With `--rate R` it is open loop: request
//! *k* is due at `t0 + k/R` on one global schedule, and its latency is measured from that due time, so time
//! spent waiting for a free connection counts (no coordinated omission). Latencies go into HdrHistograms
//! (µs resolution, 3 significant figures). One JSON line with the results is printed on stdout at the end;
//! everything else goes to stderr.
//!
//! `pustaka-loadgen faults run|report` is another load: the one `deploy/stack faults` runs while it kills a
//! replica, restarts the database and rolls the replicas, recording every request with the fault phase it
//! ran in, and the reckoning of lost and duplicated writes afterwards ([`faults`]).
//!
//! Modules: [`cli`] (arguments → checked [`config::Config`]), [`config`] (the checked run, the pairs file),
//! [`scenario`] (what each request is, circulation state machine), [`schedule`] (the open-loop ticket
//! schedule), [`run`] (connections, users, measurement window), [`report`] (the JSON line), [`http`] and
//! [`url`] (the client plumbing and URL handling they share with [`faults`]). No two modules use each other,
//! even through a third: what two of them share lives in a module below both (`config`, `url`, `http`).

mod cli;
mod config;
mod faults;
mod http;
mod report;
mod run;
mod scenario;
mod schedule;
#[cfg(test)]
mod stand_in;
mod url;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let mut args = cli::Args::parse();
    if let Some(cli::Command::Faults(command)) = args.command.take() {
        return faults::main(command);
    }
    let config = match args.into_config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("pustaka-loadgen: {e}");
            return ExitCode::from(2);
        }
    };
    raise_nofile_limit(config.connections);
    match run::run(&config) {
        Ok(report) => {
            println!("{}", serde_json::to_string(&report).expect("the report serializes"));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("pustaka-loadgen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Raises the soft limit on open files to the hard limit, so that 1000+ connections can be opened.
#[cfg(unix)]
fn raise_nofile_limit(connections: usize) {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit/setrlimit only read or write the struct we pass.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return;
        }
        if lim.rlim_cur < lim.rlim_max {
            lim.rlim_cur = lim.rlim_max;
            if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
                libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
            }
        }
    }
    // Each connection is one socket; leave some room for stdio, the runtime and reconnects.
    if (lim.rlim_cur as u128) < connections as u128 + 64 {
        eprintln!("pustaka-loadgen: warning: open-file limit {} is low for {connections} connections", lim.rlim_cur);
    }
}

#[cfg(not(unix))]
fn raise_nofile_limit(_connections: usize) {}
