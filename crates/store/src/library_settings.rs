//! Settings a librarian changes in the page (issue #32): the library's time zone, the page's
//! default language and the SMTP server notices go through. One row per setting that was set
//! (`library_settings`, in backups); secrets apart (`library_secrets`, left out of backups).
//!
//! The time zone is read by every calendar rule, so the store keeps it in memory
//! ([`LibraryTz`]) and re-reads it ([`Store::refresh_settings`]): at once on the replica that
//! changed it, within the refresh interval on the others. The SMTP settings are read whenever
//! mail is sent, so they need no cache.

use std::{collections::BTreeMap, sync::RwLock};

use chrono_tz::Tz;

use super::{
    db::sql,
    error::{Result, StoreError},
    Actor, Store,
};

/// The names of the settings kept in `library_settings`.
pub mod names {
    /// The library's time zone (an IANA name such as `Asia/Jakarta`).
    pub const TIMEZONE: &str = "timezone";
    /// The page's language before a visitor picks one (`id` or `en`).
    pub const LANGUAGE: &str = "language";
    /// The SMTP server's URL, without a password.
    pub const SMTP_URL: &str = "smtp_url";
    /// The SMTP password (a secret: in `library_secrets`).
    pub const SMTP_PASSWORD: &str = "smtp_password";
}

/// The library's time zone as the store uses it: the one stored, else the configured default;
/// a zone pinned by the environment is never replaced.
#[derive(Debug)]
pub struct LibraryTz {
    current: RwLock<Tz>,
    default: Tz,
    pinned: bool,
}

impl LibraryTz {
    /// Starts at `default`; `pinned`: the environment set it, a stored zone does not count.
    pub fn new(default: Tz, pinned: bool) -> Self {
        Self { current: RwLock::new(default), default, pinned }
    }

    /// The zone in use now.
    pub fn get(&self) -> Tz {
        *self.current.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the environment pins it.
    pub fn pinned(&self) -> bool {
        self.pinned
    }

    /// Takes the stored zone (`None`: back to the default), unless pinned. An unreadable name
    /// (never written by the API) keeps the default.
    fn apply(&self, stored: Option<&str>) {
        if self.pinned {
            return;
        }
        let tz = stored.and_then(|s| s.parse::<Tz>().ok()).unwrap_or(self.default);
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = tz;
    }
}

/// One change of a setting: a new value, or `None` to remove it (back to its default).
pub type Change<'a> = (&'a str, Option<&'a str>);

impl Store {
    /// The library's time zone now.
    pub fn tz(&self) -> Tz {
        self.library_tz.get()
    }

    /// Whether the environment pins the time zone.
    pub fn tz_pinned(&self) -> bool {
        self.library_tz.pinned()
    }

    /// The settings that are set (secrets not among them), by name.
    pub async fn library_settings(&self) -> Result<BTreeMap<String, String>> {
        let rows = self.db.all(sql("SELECT name, value FROM library_settings")).await?;
        rows.iter().map(|r| Ok(r.decode::<(String, String)>()?)).collect()
    }

    /// A secret's value, if set.
    pub async fn library_secret(&self, name: &str) -> Result<Option<String>> {
        let row = self.db.opt(sql("SELECT value FROM library_secrets WHERE name = ?").bind(name)).await?;
        Ok(row.map(|r| r.decode::<(String,)>()).transpose()?.map(|(v,)| v))
    }

    /// Changes settings and secrets in one transaction with one audit line naming what changed
    /// (never a secret's value), then takes the new time zone on this replica at once.
    pub async fn set_library_settings(
        &self,
        actor: &Actor,
        settings: &[Change<'_>],
        secrets: &[Change<'_>],
    ) -> Result<()> {
        if settings.is_empty() && secrets.is_empty() {
            return Ok(());
        }
        crate::transaction!(self.db, |tx| async {
            for (table, changes) in [("library_settings", settings), ("library_secrets", secrets)] {
                for (name, value) in changes {
                    tx.exec(sql(format!("DELETE FROM {table} WHERE name = ?")).bind(*name)).await?;
                    if let Some(value) = value {
                        tx.exec(
                            sql(format!("INSERT INTO {table} (name, value, updated_at) VALUES (?, ?, ?)"))
                                .bind(*name)
                                .bind(*value)
                                .bind(self.now()),
                        )
                        .await?;
                    }
                }
            }
            let detail: Vec<String> = settings
                .iter()
                .map(|(n, v)| format!("{n}={}", v.unwrap_or("")))
                .chain(secrets.iter().map(|(n, v)| format!("{n} {}", if v.is_some() { "set" } else { "removed" })))
                .collect();
            self.audit(&mut tx, actor, "settings.update", "settings", 1, detail.join(", ")).await?;
            Ok::<_, StoreError>(())
        }
        .await)?;
        self.refresh_settings().await
    }

    /// Re-reads what the store keeps in memory of the settings (the time zone). Every replica
    /// runs it on a short interval, so a change made on another one (or a restore) is taken
    /// within that interval.
    pub async fn refresh_settings(&self) -> Result<()> {
        let row = self.db.opt(sql("SELECT value FROM library_settings WHERE name = ?").bind(names::TIMEZONE)).await?;
        let stored = row.map(|r| r.decode::<(String,)>()).transpose()?.map(|(v,)| v);
        self.library_tz.apply(stored.as_deref());
        Ok(())
    }
}
