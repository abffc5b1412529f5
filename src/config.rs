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
    /// The library's time zone: due dates and closed days are its calendar days. The default
    /// until one is set in the page.
    pub timezone: Tz,
    /// Whether `PUSTAKA_TIMEZONE` is set: it pins the time zone, the page cannot change it.
    pub timezone_pinned: bool,
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
    /// `GET` requests handled at once (see [`crate::serve::Limits::max_reads_in_flight`]).
    pub max_reads_in_flight: usize,
    /// The SMTP server notices go through; none: notices are off.
    pub smtp: Option<crate::notices::SmtpSettings>,
    /// The folder of the daily backups and of the one before an upgrade; none: neither is written.
    pub backup_dir: Option<PathBuf>,
    /// Days a daily backup is kept; 0: no daily backups.
    pub backup_keep_days: u32,
    /// Whether a backup is written before migrations change a database that has records.
    pub backup_before_upgrade: bool,
}

/// What a setting is when it is not set.
#[derive(Debug, Clone, Copy)]
pub enum Unset {
    /// This value, read exactly as if it had been given (so `--help` shows what runs).
    Value(&'static str),
    /// A value worked out where it is defined (Argon2's own defaults), read as if given.
    Computed(fn() -> String),
    /// Nothing: the text says what happens instead (off, generated, …).
    Nothing(&'static str),
}

/// One environment variable the binary reads: its name, default and meaning, declared once.
/// The parsing in [`Settings::from_lookup`] and the `--help` listing both read these.
#[derive(Debug, Clone, Copy)]
pub struct Setting {
    /// Its name.
    pub name: &'static str,
    /// What it is when unset.
    pub unset: Unset,
    /// What it does.
    pub meaning: &'static str,
    /// For a number: the smallest and largest value taken (`--help` says them too).
    pub range: Option<(u64, u64)>,
}

impl Setting {
    const fn new(name: &'static str, unset: Unset, meaning: &'static str) -> Self {
        Self { name, unset, meaning, range: None }
    }

    const fn number(name: &'static str, default: &'static str, range: (u64, u64), meaning: &'static str) -> Self {
        Self { name, unset: Unset::Value(default), meaning, range: Some(range) }
    }

    /// The value used when the setting is not given, if there is one.
    pub fn default_value(&self) -> Option<String> {
        match self.unset {
            Unset::Value(v) => Some(v.to_owned()),
            Unset::Computed(f) => Some(f()),
            Unset::Nothing(_) => None,
        }
    }

    /// The default as `--help` shows it.
    pub fn default_text(&self) -> String {
        match self.unset {
            Unset::Nothing(text) => text.to_owned(),
            _ => self.default_value().unwrap_or_default(),
        }
    }
}

/// Every setting, one constant each: the parser below names them, `--help` lists [`SETTINGS`].
pub mod env {
    use super::{DatabaseSettings, Setting, Unset};
    use crate::passwords::HashCost;

    pub const LISTEN: Setting =
        Setting::new("PUSTAKA_LISTEN", Unset::Value("127.0.0.1:8080"), "address and port to serve on");
    pub const METRICS_LISTEN: Setting = Setting::new(
        "PUSTAKA_METRICS_LISTEN",
        Unset::Nothing("off"),
        "address and port of GET /metrics (Prometheus), e.g. 0.0.0.0:9100; keep it off the public network",
    );
    pub const DATABASE_URL: Setting = Setting::new(
        "PUSTAKA_DATABASE_URL",
        Unset::Value("sqlite://pustaka.db?mode=rwc"),
        "sqlite://FILE, or mysql://USER@HOST/DB (mariadb:// too)",
    );
    pub const DATABASE_PASSWORD: Setting = Setting::new(
        "PUSTAKA_DATABASE_PASSWORD",
        Unset::Nothing("none"),
        "the MariaDB password (or a file with it in PUSTAKA_DATABASE_PASSWORD_FILE)",
    );
    pub const DATABASE_MAX_CONNECTIONS: Setting = Setting {
        name: "PUSTAKA_DATABASE_MAX_CONNECTIONS",
        unset: Unset::Computed(|| DatabaseSettings::DEFAULT_MAX_CONNECTIONS.to_string()),
        meaning: "MariaDB connections in the pool",
        range: Some((1, 500)),
    };
    pub const ADMIN_PASSWORD: Setting = Setting::new(
        "PUSTAKA_ADMIN_PASSWORD",
        Unset::Nothing("generated, logged once"),
        "password of the first admin account, first start only (or PUSTAKA_ADMIN_PASSWORD_FILE)",
    );
    pub const WEB_DIR: Setting =
        Setting::new("PUSTAKA_WEB_DIR", Unset::Value("web"), "folder with the web page's files");
    pub const INSTANCE: Setting =
        Setting::new("PUSTAKA_INSTANCE", Unset::Nothing("the host name"), "name sent in the X-Served-By header");
    pub const TIMEZONE: Setting = Setting::new(
        "PUSTAKA_TIMEZONE",
        Unset::Value("Asia/Jakarta"),
        "the library's time zone (its calendar days); set: pins it over the settings page",
    );
    pub const CLOSED_WEEKDAYS: Setting = Setting::new(
        "PUSTAKA_CLOSED_WEEKDAYS",
        Unset::Value("sun"),
        "weekdays always closed, e.g. sat,sun; empty for none",
    );
    pub const LOG_FORMAT: Setting = Setting::new("PUSTAKA_LOG_FORMAT", Unset::Value("text"), "text or json");
    pub const SESSION_HOURS: Setting =
        Setting::number("PUSTAKA_SESSION_HOURS", "12", (1, 24 * 90), "how long a login lasts, in hours");
    pub const TRUST_FORWARDED_FOR: Setting = Setting::new(
        "PUSTAKA_TRUST_FORWARDED_FOR",
        Unset::Value("no"),
        "yes: the client address is X-Forwarded-For (only behind a balancer)",
    );
    pub const DRAIN_SECONDS: Setting = Setting::number(
        "PUSTAKA_DRAIN_SECONDS",
        "0",
        (0, 60),
        "on SIGTERM, answer /readyz 503 this long before closing",
    );
    // Argon2's minimums, and a ceiling against typos (each login in flight holds the memory).
    pub const PASSWORD_HASH_MEMORY_KIB: Setting = Setting {
        name: "PUSTAKA_PASSWORD_HASH_MEMORY_KIB",
        unset: Unset::Computed(|| HashCost::default().memory_kib.to_string()),
        meaning: "Argon2id memory per password hash, in KiB",
        range: Some((HashCost::MIN_MEMORY_KIB as u64, HashCost::MAX_MEMORY_KIB as u64)),
    };
    pub const PASSWORD_HASH_ITERATIONS: Setting = Setting {
        name: "PUSTAKA_PASSWORD_HASH_ITERATIONS",
        unset: Unset::Computed(|| HashCost::default().iterations.to_string()),
        meaning: "Argon2id passes per password hash",
        range: Some((HashCost::MIN_ITERATIONS as u64, HashCost::MAX_ITERATIONS as u64)),
    };
    pub const HEADER_READ_TIMEOUT_SECONDS: Setting = Setting::number(
        "PUSTAKA_HEADER_READ_TIMEOUT_SECONDS",
        "10",
        (1, 300),
        "time for a client to send its request headers",
    );
    pub const MAX_OPEN_CONNECTIONS: Setting =
        Setting::number("PUSTAKA_MAX_OPEN_CONNECTIONS", "512", (1, 100_000), "client connections served at once");
    pub const MAX_READS_IN_FLIGHT: Setting = Setting::number(
        "PUSTAKA_MAX_READS_IN_FLIGHT",
        "64",
        (1, 100_000),
        "GET requests handled at once; more wait, each in its connection, before any work is done for them",
    );
    pub const SMTP_URL: Setting = Setting::new(
        "PUSTAKA_SMTP_URL",
        Unset::Nothing("none: the one set in the page, if any"),
        "smtp://USER@HOST:PORT or smtps://…, the mail server for notices; set: pins it over the settings page",
    );
    pub const SMTP_PASSWORD: Setting = Setting::new(
        "PUSTAKA_SMTP_PASSWORD",
        Unset::Nothing("none"),
        "the SMTP password (or a file with it in PUSTAKA_SMTP_PASSWORD_FILE)",
    );
    pub const DEMO_MEMBER_PASSWORD: Setting = Setting::new(
        "PUSTAKA_DEMO_MEMBER_PASSWORD",
        Unset::Nothing("generated, printed"),
        "seed-demo: password of the demo member login budi",
    );
    pub const BACKUP_DIR: Setting = Setting::new(
        "PUSTAKA_BACKUP_DIR",
        Unset::Nothing("a backups folder beside the SQLite file; none on MariaDB"),
        "folder of the daily backups and of the backup written before an upgrade",
    );
    pub const BACKUP_KEEP_DAYS: Setting = Setting::number(
        "PUSTAKA_BACKUP_KEEP_DAYS",
        "14",
        (0, 3650),
        "days a daily backup is kept; 0: no daily backups",
    );
    pub const BACKUP_BEFORE_UPGRADE: Setting = Setting::new(
        "PUSTAKA_BACKUP_BEFORE_UPGRADE",
        Unset::Value("yes"),
        "no: skip the backup written before migrations change a database that has records",
    );
    pub const RUST_LOG: Setting =
        Setting::new("RUST_LOG", Unset::Value("info,sqlx=warn,tower_http=info"), "which log lines to write");
}

/// Every setting, in the order `--help` lists them.
pub const SETTINGS: &[Setting] = &[
    env::LISTEN,
    env::METRICS_LISTEN,
    env::DATABASE_URL,
    env::DATABASE_PASSWORD,
    env::DATABASE_MAX_CONNECTIONS,
    env::ADMIN_PASSWORD,
    env::WEB_DIR,
    env::INSTANCE,
    env::TIMEZONE,
    env::CLOSED_WEEKDAYS,
    env::LOG_FORMAT,
    env::SESSION_HOURS,
    env::TRUST_FORWARDED_FOR,
    env::DRAIN_SECONDS,
    env::PASSWORD_HASH_MEMORY_KIB,
    env::PASSWORD_HASH_ITERATIONS,
    env::HEADER_READ_TIMEOUT_SECONDS,
    env::MAX_OPEN_CONNECTIONS,
    env::MAX_READS_IN_FLIGHT,
    env::SMTP_URL,
    env::SMTP_PASSWORD,
    env::DEMO_MEMBER_PASSWORD,
    env::BACKUP_DIR,
    env::BACKUP_KEEP_DAYS,
    env::BACKUP_BEFORE_UPGRADE,
    env::RUST_LOG,
];

/// The environment as the parser reads it: a setting's value if given (blank counts as not
/// given), else its declared default.
struct Lookup<F>(F);

impl<F: Fn(&str) -> Option<String>> Lookup<F> {
    /// The value given for `name`, if any.
    fn given(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    /// The value given, else the declared default (`None` only for a setting without one).
    fn value(&self, s: &Setting) -> Option<String> {
        self.given(s.name).or_else(|| s.default_value())
    }

    /// A number setting: given or default, within its declared range.
    fn number<T: TryFrom<u64>>(&self, s: &Setting) -> anyhow::Result<T> {
        let (min, max) = s.range.expect("a number setting declares its range");
        let v = self.value(s).unwrap_or_default();
        v.trim().parse::<u64>().ok().filter(|n| (min..=max).contains(n)).and_then(|n| T::try_from(n).ok()).with_context(
            || format!("{}={v:?}: must be a number from {min} to {max}; the default is {}", s.name, s.default_text()),
        )
    }

    /// A secret: the value given, or the contents of the file `NAME_FILE` names.
    fn secret(&self, s: &Setting) -> anyhow::Result<Option<SecretString>> {
        if let Some(v) = self.given(s.name) {
            return Ok(Some(v.into()));
        }
        let file_key = format!("{}_FILE", s.name);
        match self.given(&file_key) {
            Some(path) => {
                let text = std::fs::read_to_string(&path).with_context(|| format!("{file_key}: cannot read {path}"))?;
                Ok(Some(text.trim_end_matches(['\n', '\r']).to_owned().into()))
            }
            None => Ok(None),
        }
    }
}

impl Settings {
    /// Reads settings from the process environment.
    pub fn from_env() -> anyhow::Result<Self> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads settings through `get`, so tests can pass their own environment.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let env = Lookup(get);
        let value = |s: &Setting| env.value(s).unwrap_or_default();

        let listen = value(&env::LISTEN);
        let listen: SocketAddr = listen
            .parse()
            .with_context(|| format!("PUSTAKA_LISTEN={listen:?} is not an address like 127.0.0.1:8080"))?;
        let metrics_listen = match env.given(env::METRICS_LISTEN.name) {
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
        let mut database =
            DatabaseSettings::from_url(&value(&env::DATABASE_URL), env.secret(&env::DATABASE_PASSWORD)?)?;
        database.max_connections = env.number(&env::DATABASE_MAX_CONNECTIONS)?;
        let timezone = parse_timezone(&value(&env::TIMEZONE)).map_err(|e| anyhow::anyhow!("PUSTAKA_TIMEZONE: {e}"))?;
        // Set but empty is a choice here (no closed weekday), not "unset".
        let closed_weekdays = (env.0)(env::CLOSED_WEEKDAYS.name).unwrap_or_else(|| value(&env::CLOSED_WEEKDAYS));
        let closed_weekdays =
            parse_weekdays(&closed_weekdays).map_err(|e| anyhow::anyhow!("PUSTAKA_CLOSED_WEEKDAYS: {e}"))?;
        let log_format = match value(&env::LOG_FORMAT).as_str() {
            "text" => LogFormat::Text,
            "json" => LogFormat::Json,
            other => bail!("PUSTAKA_LOG_FORMAT={other:?}: use text or json"),
        };
        let password_hash = HashCost {
            memory_kib: env.number(&env::PASSWORD_HASH_MEMORY_KIB)?,
            iterations: env.number(&env::PASSWORD_HASH_ITERATIONS)?,
        };
        password_hash.params().context("PUSTAKA_PASSWORD_HASH_MEMORY_KIB / PUSTAKA_PASSWORD_HASH_ITERATIONS")?;
        let backup_dir = match env.given(env::BACKUP_DIR.name) {
            Some(dir) => Some(dir.into()),
            None => default_backup_dir(&database),
        };
        Ok(Self {
            listen,
            metrics_listen,
            database,
            admin_password: env.secret(&env::ADMIN_PASSWORD)?,
            web_dir: value(&env::WEB_DIR).into(),
            instance: env.given(env::INSTANCE.name).unwrap_or_else(host_name),
            timezone,
            timezone_pinned: env.given(env::TIMEZONE.name).is_some(),
            closed_weekdays,
            log_format,
            session_hours: env.number(&env::SESSION_HOURS)?,
            trust_forwarded_for: matches!(value(&env::TRUST_FORWARDED_FOR).as_str(), "1" | "true" | "yes"),
            drain: std::time::Duration::from_secs(env.number(&env::DRAIN_SECONDS)?),
            password_hash,
            header_read_timeout: std::time::Duration::from_secs(env.number(&env::HEADER_READ_TIMEOUT_SECONDS)?),
            max_open_connections: env.number(&env::MAX_OPEN_CONNECTIONS)?,
            max_reads_in_flight: env.number(&env::MAX_READS_IN_FLIGHT)?,
            smtp: match env.given(env::SMTP_URL.name) {
                None => None,
                Some(url) => Some(crate::notices::SmtpSettings::from_url(&url, env.secret(&env::SMTP_PASSWORD)?)?),
            },
            backup_dir,
            backup_keep_days: env.number(&env::BACKUP_KEEP_DAYS)?,
            backup_before_upgrade: match value(&env::BACKUP_BEFORE_UPGRADE).as_str() {
                "yes" | "1" | "true" => true,
                "no" | "0" | "false" => false,
                other => bail!("PUSTAKA_BACKUP_BEFORE_UPGRADE={other:?}: use yes or no"),
            },
        })
    }
}

/// A `backups` folder beside the SQLite file (`sqlite://pustaka.db?mode=rwc` → `backups`,
/// `sqlite:///data/p.db` → `/data/backups`); none for MariaDB or an in-memory SQLite.
fn default_backup_dir(database: &DatabaseSettings) -> Option<PathBuf> {
    use secrecy::ExposeSecret;
    if database.backend != crate::store::settings::Backend::Sqlite {
        return None;
    }
    let url = database.url.expose_secret();
    let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let path = path.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" {
        return None;
    }
    let parent = std::path::Path::new(path).parent().unwrap_or(std::path::Path::new(""));
    Some(parent.join("backups"))
}

/// One environment variable as `--help` lists it.
#[derive(Debug)]
pub struct EnvSetting {
    /// Its name.
    pub name: &'static str,
    /// What it is when unset.
    pub default: String,
    /// What it does.
    pub meaning: String,
}

/// Every environment variable the binary reads, with its default, as `pustaka --help` prints
/// them (from [`SETTINGS`]); a test checks the list against every `PUSTAKA_*` name in the source.
pub fn env_settings() -> Vec<EnvSetting> {
    SETTINGS
        .iter()
        .map(|s| EnvSetting {
            name: s.name,
            default: s.default_text(),
            meaning: match s.range {
                Some((min, max)) => format!("{}, {min} to {max}", s.meaning),
                None => s.meaning.to_owned(),
            },
        })
        .collect()
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
    fn the_backup_folder_is_beside_the_sqlite_file_unless_given() {
        let dir_of = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
            Settings::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())).unwrap().backup_dir
        };
        assert_eq!(dir_of(&[]), Some(PathBuf::from("backups")));
        assert_eq!(
            dir_of(&[("PUSTAKA_DATABASE_URL", "sqlite:///data/lib/p.db?mode=rwc")]),
            Some("/data/lib/backups".into())
        );
        assert_eq!(dir_of(&[("PUSTAKA_DATABASE_URL", "sqlite::memory:")]), None);
        assert_eq!(dir_of(&[("PUSTAKA_DATABASE_URL", "mysql://app@db/pustaka")]), None);
        let given = [("PUSTAKA_DATABASE_URL", "mysql://app@db/pustaka"), ("PUSTAKA_BACKUP_DIR", "/srv/cadangan")];
        assert_eq!(dir_of(&given), Some("/srv/cadangan".into()));
        let off = [("PUSTAKA_BACKUP_BEFORE_UPGRADE", "no"), ("PUSTAKA_BACKUP_KEEP_DAYS", "0")];
        let vars: Vec<(String, String)> = off.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        let s = Settings::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())).unwrap();
        assert!(!s.backup_before_upgrade && s.backup_keep_days == 0);
        assert!(Settings::from_lookup(|k| (k == "PUSTAKA_BACKUP_BEFORE_UPGRADE").then(|| "maybe".to_owned())).is_err());
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
        // Each is declared once, as a constant of `env`, and read through that constant
        // somewhere other than the `SETTINGS` list.
        for name in &listed {
            let constant = format!("env::{}", name.strip_prefix("PUSTAKA_").unwrap_or(name));
            let reads = files
                .iter()
                .flat_map(|(_, t)| t.match_indices(&constant).map(move |(i, m)| &t[i + m.len()..]))
                .filter(|rest| !rest.starts_with(|c: char| c == ',' || c == '_' || c.is_ascii_alphanumeric()))
                .count();
            assert!(reads >= 1, "{name} is listed but never read");
        }
    }

    #[test]
    fn the_readme_lists_every_setting_with_its_default() {
        let readme = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .expect("read README.md");
        for s in SETTINGS.iter().filter(|s| s.name.starts_with("PUSTAKA_")) {
            let row = readme
                .lines()
                .find(|l| l.starts_with(&format!("| `{}", s.name)))
                .unwrap_or_else(|| panic!("{} has no row in the README's settings table", s.name));
            if let Unset::Value(_) | Unset::Computed(_) = s.unset {
                let default = s.default_value().unwrap();
                assert!(row.contains(&format!("| `{default}` |")), "README says another default for {}: {row}", s.name);
            }
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
