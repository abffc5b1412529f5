//! Command line: parsed by clap into [`Args`], then checked and resolved into a [`Config`]; or the `faults`
//! subcommand, whose arguments live in [`crate::faults`].

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::config::{parse_pairs, parse_paths, Config, Scenario};
use crate::url::{percent_encode, resolve};

/// HTTP load generator for Pustaka benchmarks; prints one JSON line with the results on stdout.
///
/// `pustaka-loadgen faults run|report` is the load of `deploy/stack faults` instead (see `faults --help`).
#[derive(Parser, Debug)]
#[command(name = "pustaka-loadgen", version, args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct Args {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Base URL of the server, e.g. http://127.0.0.1:8080 (plain HTTP only).
    #[arg(long, required = true)]
    pub url: Option<String>,
    #[arg(long, value_enum, required = true)]
    pub scenario: Option<Scenario>,
    /// Virtual users, each with one keep-alive connection.
    #[arg(long, default_value_t = 16)]
    pub connections: usize,
    /// Worker threads of the runtime.
    #[arg(long, default_value_t = 2)]
    pub threads: usize,
    /// Length of the measured window, in seconds (after the warmup).
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Seconds of load before the measured window; requests completing then are not recorded.
    #[arg(long, default_value_t = 1.0)]
    pub warmup: f64,
    /// Open loop: this many requests per second in total, on a constant schedule. Default: closed loop.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Book ids 1..=N for `get` (and the gets of `mixed` and `opac`).
    #[arg(long, default_value_t = 1000)]
    pub max_id: u64,
    /// Comma-separated search terms for `search`, `mixed` and `opac`; each request picks one at random.
    #[arg(long, value_delimiter = ',')]
    pub terms: Vec<String>,
    /// Sent as `Authorization: Bearer TOKEN` on every request (needed for `circulation` and `mixed`).
    #[arg(long)]
    pub token: Option<String>,
    /// File of lines "BARCODE CARDNUMBER"; connection i owns the i-th pair (blank and # lines are skipped).
    #[arg(long)]
    pub pairs: Option<PathBuf>,
    /// File of paths for `pages`, one a line (e.g. `/api/v1/loans?status=active`); each request picks one at
    /// random (blank and # lines are skipped).
    #[arg(long)]
    pub paths: Option<PathBuf>,
    /// Seed of the per-user random generators.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Free text copied into the report.
    #[arg(long)]
    pub label: Option<String>,
}

/// Loads other than the benchmark's.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// The load of `deploy/stack faults`: every request recorded with the fault phase it ran in, and the
    /// reckoning of lost and duplicated writes afterwards.
    #[command(subcommand)]
    Faults(crate::faults::Command),
}

impl Args {
    /// Checks the arguments, resolves the URL and reads the pairs file.
    pub fn into_config(self) -> Result<Config, String> {
        // Both are `required` unless a subcommand is given, and a subcommand is not a benchmark run.
        let url = self.url.ok_or("--url is required")?;
        let scenario = self.scenario.ok_or("--scenario is required")?;
        if self.connections == 0 {
            return Err("--connections must be at least 1".into());
        }
        if self.threads == 0 {
            return Err("--threads must be at least 1".into());
        }
        let duration = seconds("--duration", self.duration)?;
        if duration.is_zero() {
            return Err("--duration must be positive".into());
        }
        let warmup = seconds("--warmup", self.warmup)?;
        if let Some(rate) = self.rate {
            if !(rate.is_finite() && rate > 0.0) {
                return Err(format!("--rate must be a positive number of requests per second, not {rate}"));
            }
        }
        if self.max_id == 0 {
            return Err("--max-id must be at least 1".into());
        }
        let terms: Vec<String> =
            self.terms.iter().map(|t| t.trim()).filter(|t| !t.is_empty()).map(percent_encode).collect();
        let (addr, host, base) = resolve(&url)?;

        let needs_terms = matches!(scenario, Scenario::Search | Scenario::Mixed | Scenario::Opac);
        let needs_pairs = matches!(scenario, Scenario::Circulation | Scenario::Mixed);
        if needs_terms && terms.is_empty() {
            return Err(format!("--scenario {} needs --terms", scenario.name()));
        }
        let mut pairs = Vec::new();
        if needs_pairs {
            if self.token.is_none() {
                return Err(format!("--scenario {} needs --token", scenario.name()));
            }
            let path = self.pairs.as_ref().ok_or_else(|| format!("--scenario {} needs --pairs", scenario.name()))?;
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            pairs = parse_pairs(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            if pairs.len() < self.connections {
                return Err(format!(
                    "{}: {} pairs for {} connections (each connection needs its own pair)",
                    path.display(),
                    pairs.len(),
                    self.connections
                ));
            }
        }
        let mut paths = Vec::new();
        if scenario == Scenario::Pages {
            let path = self.paths.as_ref().ok_or("--scenario pages needs --paths")?;
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            paths = parse_paths(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            if paths.is_empty() {
                return Err(format!("{}: no paths", path.display()));
            }
        }
        Ok(Config {
            scenario,
            addr,
            host,
            base,
            connections: self.connections,
            threads: self.threads,
            duration,
            warmup,
            rate: self.rate,
            max_id: self.max_id,
            terms,
            token: self.token,
            pairs,
            paths,
            seed: self.seed,
            label: self.label,
        })
    }
}

fn seconds(flag: &str, value: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value).map_err(|_| format!("{flag} must be a non-negative number of seconds"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str]) -> Result<Config, String> {
        let mut argv = vec!["pustaka-loadgen"];
        argv.extend_from_slice(args);
        Args::try_parse_from(argv).map_err(|e| e.to_string())?.into_config()
    }

    #[test]
    fn url_and_defaults() {
        let c = config(&["--url", "http://127.0.0.1:8080/", "--scenario", "get"]).unwrap();
        assert_eq!(c.addr, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(c.host, "127.0.0.1:8080");
        assert_eq!(c.base, "");
        assert_eq!((c.connections, c.threads, c.max_id, c.seed), (16, 2, 1000, 1));
        assert_eq!((c.duration, c.warmup, c.rate), (Duration::from_secs(10), Duration::from_secs(1), None));
    }

    #[test]
    fn bad_arguments_are_refused() {
        let url = "http://127.0.0.1:1";
        assert!(config(&["--url", url, "--scenario", "search"]).unwrap_err().contains("--terms"));
        assert!(config(&["--url", url, "--scenario", "circulation", "--token", "t"]).unwrap_err().contains("--pairs"));
        assert!(config(&["--url", url, "--scenario", "opac"]).unwrap_err().contains("--terms"));
        assert!(config(&["--url", url, "--scenario", "pages"]).unwrap_err().contains("--paths"));
        assert!(config(&["--url", url, "--scenario", "get", "--rate", "0"]).is_err());
        assert!(config(&["--url", url, "--scenario", "get", "--duration", "-1"]).is_err());
        assert!(config(&["--url", "https://127.0.0.1", "--scenario", "get"]).is_err());
        assert!(config(&["--url", url]).unwrap_err().contains("--scenario"));
        assert!(config(&["--scenario", "get"]).unwrap_err().contains("--url"));
        assert!(config(&["--url", url, "--scenario", "get", "faults", "report"]).is_err());
        let c = config(&["--url", url, "--scenario", "search", "--terms", "a b,,c&d"]).unwrap();
        assert_eq!(c.terms, ["a%20b", "c%26d"]);
    }

    #[test]
    fn faults_is_a_subcommand() {
        let argv = ["pustaka-loadgen", "faults", "report", "--records", "r", "--db-titles", "t"];
        match Args::try_parse_from(argv).unwrap().command {
            Some(Command::Faults(crate::faults::Command::Report(args))) => {
                assert_eq!(args.db_titles, PathBuf::from("t"))
            }
            other => panic!("not a faults report: {other:?}"),
        }
    }
}
