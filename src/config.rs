//! Typed settings: defaults, then `PUSTAKA_*` environment variables (and `*_FILE` for secrets).

use std::{net::SocketAddr, path::PathBuf};

use anyhow::{bail, Context};
use chrono::Weekday;
use chrono_tz::Tz;
use secrecy::SecretString;

pub use crate::store::settings::{redact, Backend, DatabaseSettings};
use crate::{
    domain::{calendar::parse_weekdays, time::parse_timezone},
    passwords::HashCost,
};

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines for a terminal.
    Text,
    /// One JSON object per line, for containers.
    Json,
}

/// Everything the service needs to start.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Address to serve `GET /metrics` on (Prometheus); none: no metrics listener.
    pub metrics_listen: Option<SocketAddr>,
    /// The database.
    pub database: DatabaseSettings,
    /// Password for the first `admin` account, when none exists yet.
    pub admin_password: Option<SecretString>,
    /// Folder with the web page's static files.
    pub web_dir: PathBuf,
    /// Name sent in `X-Served-By`.
    pub instance: String,
    /// The library's time zone: due dates and closed days are its calendar days.
    pub timezone: Tz,
    /// Weekdays the library is always closed.
    pub closed_weekdays: Vec<Weekday>,
    /// Log format.
    pub log_format: LogFormat,
    /// How long a login session lasts.
    pub session_hours: i64,
    /// Trust the balancer's `X-Forwarded-For` for the client address (only behind one).
    pub trust_forwarded_for: bool,
    /// On SIGTERM, how long to keep serving while `/readyz` says 503, so the balancer stops
    /// sending new requests before the listener closes.
    pub drain: std::time::Duration,
    /// The Argon2id cost of new password hashes (and of the check for an unknown username).
    pub password_hash: HashCost,
    /// How long a client may take to send a request's headers (and an idle connection may wait
    /// for its next request) before the connection is closed.
    pub header_read_timeout: std::time::Duration,
    /// Open client connections served at once; more wait in the listen backlog.
    pub max_open_connections: usize,
    /// The SMTP server notices go through; none: notices are off.
    pub smtp: Option<crate::notices::SmtpSettings>,
}

impl Settings {
    /// Reads settings from the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get`, so tests can pass their own environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let var = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let secret = |k: &str| -> anyhow::Result<Option<SecretString>> {
            if let Some(v) = var(k) {
                return Ok(Some(v.into()));
            }
            let file_key = format!("{k}_FILE");
            match var(&file_key) {
                Some(path) => {
                    let text =
                        std::fs::read_to_string(&path).with_context(|| format!("{file_key}: cannot read {path}"))?;
                    Ok(Some(text.trim_end_matches(['\n', '\r']).to_owned().into()))
                }
                None => Ok(None),
            }
        };

        let listen = var("PUSTAKA_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen: SocketAddr = listen
            .parse()
            .with_context(|| format!("PUSTAKA_LISTEN={listen:?} is not an address like 127.0.0.1:8080"))?;
        let metrics_listen = match var("PUSTAKA_METRICS_LISTEN") {
            None => None,
            Some(m) => {
                let addr: SocketAddr = m
                    .trim()
                    .parse()
                    .with_context(|| format!("PUSTAKA_METRICS_LISTEN={m:?} is not an address like 0.0.0.0:9100"))?;
                if addr.port() == listen.port() && addr.port() != 0 {
                    bail!("PUSTAKA_METRICS_LISTEN={m:?} must use another port than PUSTAKA_LISTEN ({listen})");
                }
                Some(addr)
            }
        };
        let url = var("PUSTAKA_DATABASE_URL").unwrap_or_else(|| "sqlite://pustaka.db?mode=rwc".into());
        let mut database = DatabaseSettings::from_url(&url, secret("PUSTAKA_DATABASE_PASSWORD")?)?;
        if let Some(n) = var("PUSTAKA_DATABASE_MAX_CONNECTIONS") {
            database.max_connections = n
                .parse()
                .ok()
                .filter(|n| (1..=500).contains(n))
                .context("PUSTAKA_DATABASE_MAX_CONNECTIONS must be a number from 1 to 500")?;
        }
        let timezone = parse_timezone(&var("PUSTAKA_TIMEZONE").unwrap_or_else(|| "Asia/Jakarta".into()))
            .map_err(|e| anyhow::anyhow!("PUSTAKA_TIMEZONE: {e}"))?;
        let closed_weekdays = parse_weekdays(&get("PUSTAKA_CLOSED_WEEKDAYS").unwrap_or_else(|| "sun".into()))
            .map_err(|e| anyhow::anyhow!("PUSTAKA_CLOSED_WEEKDAYS: {e}"))?;
        let log_format = match var("PUSTAKA_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => bail!("PUSTAKA_LOG_FORMAT={other:?}: use text or json"),
        };
        let session_hours = match var("PUSTAKA_SESSION_HOURS") {
            None => 12,
            Some(h) => h
                .parse()
                .ok()
                .filter(|h| (1..=24 * 90).contains(h))
                .context("PUSTAKA_SESSION_HOURS must be a number of hours from 1 to 2160")?,
        };
        // Argon2's minimums, and a ceiling against typos (each login in flight holds the memory).
        let cost = |key: &str, default: u32, min: u32, max: u32| -> anyhow::Result<u32> {
            let Some(v) = var(key) else { return Ok(default) };
            v.trim().parse().ok().filter(|n| (min..=max).contains(n)).with_context(|| {
                format!(
                    "{key}={v:?}: must be a number from {min} (Argon2's minimum) to {max}; the default is {default}"
                )
            })
        };
        let default_cost = HashCost::default();
        let password_hash = HashCost {
            memory_kib: cost(
                "PUSTAKA_PASSWORD_HASH_MEMORY_KIB",
                default_cost.memory_kib,
                HashCost::MIN_MEMORY_KIB,
                HashCost::MAX_MEMORY_KIB,
            )?,
            iterations: cost(
                "PUSTAKA_PASSWORD_HASH_ITERATIONS",
                default_cost.iterations,
                HashCost::MIN_ITERATIONS,
                HashCost::MAX_ITERATIONS,
            )?,
        };
        password_hash.params().context("PUSTAKA_PASSWORD_HASH_MEMORY_KIB / PUSTAKA_PASSWORD_HASH_ITERATIONS")?;
        Ok(Self {
            listen,
            metrics_listen,
            database,
            admin_password: secret("PUSTAKA_ADMIN_PASSWORD")?,
            web_dir: var("PUSTAKA_WEB_DIR").unwrap_or_else(|| "web".into()).into(),
            instance: var("PUSTAKA_INSTANCE").unwrap_or_else(host_name),
            timezone,
            closed_weekdays,
            log_format,
            session_hours,
            trust_forwarded_for: matches!(var("PUSTAKA_TRUST_FORWARDED_FOR").as_deref(), Some("1" | "true" | "yes")),
            drain: match var("PUSTAKA_DRAIN_SECONDS") {
                None => std::time::Duration::ZERO,
                Some(s) => std::time::Duration::from_secs(
                    s.parse()
                        .ok()
                        .filter(|s| *s <= 60)
                        .context("PUSTAKA_DRAIN_SECONDS must be a number from 0 to 60")?,
                ),
            },
            password_hash,
            header_read_timeout: std::time::Duration::from_secs(match var("PUSTAKA_HEADER_READ_TIMEOUT_SECONDS") {
                None => 10,
                Some(s) => s
                    .parse()
                    .ok()
                    .filter(|s| (1..=300).contains(s))
                    .context("PUSTAKA_HEADER_READ_TIMEOUT_SECONDS must be a number from 1 to 300")?,
            }),
            max_open_connections: match var("PUSTAKA_MAX_OPEN_CONNECTIONS") {
                None => 512,
                Some(n) => n
                    .parse()
                    .ok()
                    .filter(|n| (1..=100_000).contains(n))
                    .context("PUSTAKA_MAX_OPEN_CONNECTIONS must be a number from 1 to 100000")?,
            },
            smtp: match var("PUSTAKA_SMTP_URL") {
                None => None,
                Some(url) => Some(crate::notices::SmtpSettings::from_url(&url, secret("PUSTAKA_SMTP_PASSWORD")?)?),
            },
        })
    }
}

/// One environment variable the binary reads.
#[derive(Debug)]
pub struct EnvSetting {
    /// Its name.
    pub name: &'static str,
    /// What it is when unset.
    pub default: String,
    /// What it does.
    pub meaning: &'static str,
}

/// Every environment variable the binary reads, with its default: `pustaka --help` prints them,
/// and a test checks the list against every `PUSTAKA_*` name in the source.
pub fn env_settings() -> Vec<EnvSetting> {
    let cost = HashCost::default();
    let s = |name, default: &str, meaning| EnvSetting { name, default: default.to_owned(), meaning };
    vec![
        s("PUSTAKA_LISTEN", "127.0.0.1:8080", "address and port to serve on"),
        s(
            "PUSTAKA_METRICS_LISTEN",
            "off",
            "address and port of GET /metrics (Prometheus), e.g. 0.0.0.0:9100; keep it off the public network",
        ),
        s(
            "PUSTAKA_DATABASE_URL",
            "sqlite://pustaka.db?mode=rwc",
            "sqlite://FILE, or mysql://USER@HOST/DB (mariadb:// too)",
        ),
        s(
            "PUSTAKA_DATABASE_PASSWORD",
            "none",
            "the MariaDB password (or a file with it in PUSTAKA_DATABASE_PASSWORD_FILE)",
        ),
        s("PUSTAKA_DATABASE_MAX_CONNECTIONS", "10", "MariaDB connections in the pool, 1 to 500"),
        s(
            "PUSTAKA_ADMIN_PASSWORD",
            "generated, logged once",
            "password of the first admin account, first start only (or PUSTAKA_ADMIN_PASSWORD_FILE)",
        ),
        s("PUSTAKA_WEB_DIR", "web", "folder with the web page's files"),
        s("PUSTAKA_INSTANCE", "the host name", "name sent in the X-Served-By header"),
        s("PUSTAKA_TIMEZONE", "Asia/Jakarta", "the library's time zone (its calendar days)"),
        s("PUSTAKA_CLOSED_WEEKDAYS", "sun", "weekdays always closed, e.g. sat,sun; empty for none"),
        s("PUSTAKA_LOG_FORMAT", "text", "text or json"),
        s("PUSTAKA_SESSION_HOURS", "12", "how long a login lasts, 1 to 2160 hours"),
        s("PUSTAKA_TRUST_FORWARDED_FOR", "no", "yes: the client address is X-Forwarded-For (only behind a balancer)"),
        s("PUSTAKA_DRAIN_SECONDS", "0", "on SIGTERM, answer /readyz 503 this long before closing, 0 to 60"),
        EnvSetting {
            name: "PUSTAKA_PASSWORD_HASH_MEMORY_KIB",
            default: cost.memory_kib.to_string(),
            meaning: "Argon2id memory per password hash, in KiB",
        },
        EnvSetting {
            name: "PUSTAKA_PASSWORD_HASH_ITERATIONS",
            default: cost.iterations.to_string(),
            meaning: "Argon2id passes per password hash",
        },
        s("PUSTAKA_HEADER_READ_TIMEOUT_SECONDS", "10", "time for a client to send its request headers, 1 to 300"),
        s("PUSTAKA_MAX_OPEN_CONNECTIONS", "512", "client connections served at once, 1 to 100000"),
        s("PUSTAKA_SMTP_URL", "none: notices off", "smtp://USER@HOST:PORT or smtps://…, the mail server for notices"),
        s("PUSTAKA_SMTP_PASSWORD", "none", "the SMTP password (or a file with it in PUSTAKA_SMTP_PASSWORD_FILE)"),
        s("PUSTAKA_DEMO_MEMBER_PASSWORD", "generated, printed", "seed-demo: password of the demo member login budi"),
        s("RUST_LOG", "info,sqlx=warn,tower_http=info", "which log lines to write"),
    ]
}

/// The settings as `--help` shows them.
pub fn settings_help() -> String {
    let settings = env_settings();
    let width = settings.iter().map(|s| s.name.len()).max().unwrap_or(0);
    let mut out = String::from("Settings (environment variables):\n");
    for s in settings {
        out.push_str(&format!("  {:width$}  {} [default: {}]\n", s.name, s.meaning, s.default));
    }
    out
}

/// The machine's (or container's) host name, for `X-Served-By`.
fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "pustaka".into())
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    /// Every `.rs` file under `dir`, with its text.
    fn sources(dir: &std::path::Path, out: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).expect("read src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((path.clone(), std::fs::read_to_string(&path).expect("read source")));
            }
        }
    }

    #[test]
    fn every_environment_variable_read_is_listed_for_help() {
        let mut files = Vec::new();
        // The server and the crates it is built from (crates/*).
        for dir in ["src", "crates"] {
            sources(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir), &mut files);
        }
        let listed: Vec<&str> = env_settings().iter().map(|s| s.name).collect();
        let mut seen = std::collections::BTreeSet::new();
        for (path, text) in &files {
            for (i, _) in text.match_indices("PUSTAKA_") {
                let name: String = text[i..]
                    .chars()
                    .take_while(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == '_')
                    .collect();
                let name = name.strip_suffix("_FILE").unwrap_or(&name).trim_end_matches('_').to_owned();
                if name == "PUSTAKA" {
                    continue; // the prefix alone, as in `PUSTAKA_*`
                }
                assert!(
                    listed.contains(&name.as_str()),
                    "{name} (in {}) is missing from env_settings()",
                    path.display()
                );
                seen.insert(name);
            }
        }
        for name in listed.iter().filter(|n| n.starts_with("PUSTAKA_")) {
            let quoted = format!("\"{name}\"");
            let uses = files.iter().map(|(_, t)| t.matches(&quoted).count()).sum::<usize>();
            assert!(uses >= 2, "{name} is listed but never read");
        }
    }

    fn settings(pairs: &[(&str, &str)]) -> anyhow::Result<Settings> {
        let map: std::collections::HashMap<String, String> =
            pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_need_nothing() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.database.backend, Backend::Sqlite);
        assert_eq!(s.closed_weekdays, vec![Weekday::Sun]);
    }

    #[test]
    fn unknown_scheme_is_refused() {
        let err = settings(&[("PUSTAKA_DATABASE_URL", "postgres://x/y")]).unwrap_err();
        assert!(err.to_string().contains("postgres"), "{err}");
    }

    #[test]
    fn mariadb_password_is_merged_and_redacted() {
        let s = settings(&[
            ("PUSTAKA_DATABASE_URL", "mariadb://app@db:3306/pustaka"),
            ("PUSTAKA_DATABASE_PASSWORD", "s3cret/!"),
        ])
        .unwrap();
        assert_eq!(s.database.backend, Backend::MariaDb);
        assert!(s.database.url.expose_secret().starts_with("mysql://app:"));
        let shown = format!("{:?}", s.database);
        assert!(!shown.contains("s3cret"), "{shown}");
    }

    #[test]
    fn password_hash_cost_defaults_to_argon2id_and_is_validated() {
        let s = settings(&[]).unwrap();
        assert_eq!((s.password_hash.memory_kib, s.password_hash.iterations), (19456, 2));
        let s =
            settings(&[("PUSTAKA_PASSWORD_HASH_MEMORY_KIB", "64"), ("PUSTAKA_PASSWORD_HASH_ITERATIONS", "1")]).unwrap();
        assert_eq!((s.password_hash.memory_kib, s.password_hash.iterations), (64, 1));
        for (key, bad) in [
            ("PUSTAKA_PASSWORD_HASH_MEMORY_KIB", "7"),
            ("PUSTAKA_PASSWORD_HASH_MEMORY_KIB", "lots"),
            ("PUSTAKA_PASSWORD_HASH_MEMORY_KIB", "-1"),
            ("PUSTAKA_PASSWORD_HASH_ITERATIONS", "0"),
            ("PUSTAKA_PASSWORD_HASH_ITERATIONS", "1000"),
        ] {
            let err = settings(&[(key, bad)]).unwrap_err();
            assert!(err.to_string().contains(key), "{key}={bad}: {err}");
        }
    }

    #[test]
    fn smtp_is_off_unless_set_and_its_url_is_checked() {
        assert!(settings(&[]).unwrap().smtp.is_none());
        let dir = tempfile::tempdir().unwrap();
        let pw = dir.path().join("smtp-password");
        std::fs::write(&pw, "rahasia/!\n").unwrap();
        let pw = pw.display().to_string();
        let s =
            settings(&[("PUSTAKA_SMTP_URL", "smtps://perpus@mail.example.org"), ("PUSTAKA_SMTP_PASSWORD_FILE", &pw)])
                .unwrap();
        let shown = format!("{:?}", s.smtp.unwrap());
        assert!(shown.contains("perpus") && !shown.contains("rahasia"), "{shown}");
        for (url, says) in [
            ("http://mail.example.org", "smtp://"),
            ("smtp://perpus:pw@mail.example.org", "PUSTAKA_SMTP_PASSWORD_FILE"),
            ("not a url", "PUSTAKA_SMTP_URL"),
            ("smtp://mail.example.org?tls=sometimes", "PUSTAKA_SMTP_URL"),
        ] {
            let err = format!("{:#}", settings(&[("PUSTAKA_SMTP_URL", url)]).unwrap_err());
            assert!(err.contains(says), "{url}: {err}");
        }
        let err = settings(&[("PUSTAKA_SMTP_URL", "smtp://mail.example.org"), ("PUSTAKA_SMTP_PASSWORD_FILE", &pw)])
            .unwrap_err();
        assert!(err.to_string().contains("no user"), "{err}");
    }

    #[test]
    fn bad_listen_address_says_which_setting() {
        let err = settings(&[("PUSTAKA_LISTEN", "everywhere")]).unwrap_err();
        assert!(err.to_string().contains("PUSTAKA_LISTEN"));
    }

    #[test]
    fn metrics_listen_is_off_unless_set_and_needs_its_own_port() {
        assert_eq!(settings(&[]).unwrap().metrics_listen, None);
        let s = settings(&[("PUSTAKA_METRICS_LISTEN", "0.0.0.0:9100")]).unwrap();
        assert_eq!(s.metrics_listen.unwrap().to_string(), "0.0.0.0:9100");
        for bad in ["9100", "metrics"] {
            let err = settings(&[("PUSTAKA_METRICS_LISTEN", bad)]).unwrap_err();
            assert!(err.to_string().contains("PUSTAKA_METRICS_LISTEN"), "{err}");
        }
        let err =
            settings(&[("PUSTAKA_LISTEN", "0.0.0.0:8080"), ("PUSTAKA_METRICS_LISTEN", "127.0.0.1:8080")]).unwrap_err();
        assert!(err.to_string().contains("another port"), "{err}");
    }
}
