//! Where the database is and how to reach it: the store's own settings, which the server's
//! configuration builds from its environment variables.

use anyhow::{bail, Context};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

/// Which database a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An embedded SQLite file (the default when run alone).
    Sqlite,
    /// A MariaDB (or MySQL) server.
    MariaDb,
}

/// Where the database is and how to reach it. The URL never appears in `Debug` output with its password.
#[derive(Clone)]
pub struct DatabaseSettings {
    /// The connection URL with any password already merged in.
    pub url: SecretString,
    /// The backend the URL's scheme selects.
    pub backend: Backend,
    /// Upper bound on pooled connections (MariaDB; SQLite uses one writer and a few readers).
    pub max_connections: u32,
}

impl std::fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact(self.url.expose_secret()))
            .field("backend", &self.backend)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

impl DatabaseSettings {
    /// Connections in a MariaDB pool unless `PUSTAKA_DATABASE_MAX_CONNECTIONS` says otherwise.
    pub const DEFAULT_MAX_CONNECTIONS: u32 = 10;

    /// Parses a database URL: `sqlite:`…, `mysql://`… or `mariadb://`…; anything else is refused.
    pub fn from_url(raw: &str, password: Option<SecretString>) -> anyhow::Result<Self> {
        let backend = match raw.split(':').next().unwrap_or_default() {
            "sqlite" => Backend::Sqlite,
            "mysql" | "mariadb" => Backend::MariaDb,
            other => bail!(
                "PUSTAKA_DATABASE_URL has the scheme {other:?}; use sqlite://FILE or mysql://USER@HOST/DB (mariadb:// works too)"
            ),
        };
        let url = match backend {
            Backend::Sqlite => raw.to_owned(),
            Backend::MariaDb => {
                let mut url = Url::parse(raw).context("PUSTAKA_DATABASE_URL is not a valid URL")?;
                if url.scheme() == "mariadb" {
                    // sqlx speaks the MySQL protocol under the name `mysql`.
                    url = Url::parse(&format!("mysql{}", &raw["mariadb".len()..]))?;
                }
                if let Some(pw) = password {
                    url.set_password(Some(pw.expose_secret()))
                        .map_err(|()| anyhow::anyhow!("PUSTAKA_DATABASE_URL cannot carry a password"))?;
                }
                url.to_string()
            }
        };
        Ok(Self { url: url.into(), backend, max_connections: Self::DEFAULT_MAX_CONNECTIONS })
    }
}

/// A URL with its password replaced by `***`, for logs.
pub fn redact(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
