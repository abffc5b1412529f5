//! The Pustaka backup file: the store's lines (`store::backup`) gzip-compressed, one line each,
//! and read back within budgets (line length, inflated size, inflation ratio), since a backup
//! to restore is outside bytes like any upload. The format: `docs/backup-format.md`.

use std::{
    io::{BufRead, BufReader, Read, Write},
    path::{Path, PathBuf},
};

use chrono::{DateTime, Utc};

use flate2::{read::MultiGzDecoder, write::GzEncoder, Compression};

use crate::{
    budget::Budget,
    store::{
        backup::{LineSink, LineSource},
        Store,
    },
};

/// The budgets of a backup file being read.
#[derive(Debug, Clone, Copy)]
pub struct Budgets {
    /// The longest line (a row; a member's photo, hex-encoded, is at most 512 KiB of it).
    pub max_line: usize,
    /// The most bytes the file may inflate to.
    pub max_inflated: u64,
    /// The most the file may inflate per compressed byte (past 1 MiB of output).
    pub max_ratio: u64,
}

impl Default for Budgets {
    fn default() -> Self {
        Self { max_line: 8 << 20, max_inflated: 16 << 30, max_ratio: 200 }
    }
}

/// Writes lines into a gzip stream.
pub struct GzipSink<W: Write> {
    out: GzEncoder<W>,
    /// Bytes of lines written (uncompressed).
    pub written: u64,
}

impl<W: Write> GzipSink<W> {
    /// A sink compressing into `out`.
    pub fn new(out: W) -> Self {
        Self { out: GzEncoder::new(out, Compression::new(6)), written: 0 }
    }

    /// Ends the gzip stream and hands back the writer.
    pub fn finish(self) -> std::io::Result<W> {
        self.out.finish()
    }
}

impl<W: Write> LineSink for GzipSink<W> {
    fn line(&mut self, line: &str) -> std::io::Result<()> {
        self.written += line.len() as u64 + 1;
        self.out.write_all(line.as_bytes())?;
        self.out.write_all(b"\n")
    }
}

/// Counts the bytes read through it (the compressed size, for the ratio).
struct Counted<R> {
    inner: R,
    read: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

/// Reads lines out of a gzip stream, within [`Budgets`].
pub struct GzipSource<R: Read> {
    lines: BufReader<MultiGzDecoder<Counted<R>>>,
    compressed: std::sync::Arc<std::sync::atomic::AtomicU64>,
    inflated: u64,
    budgets: Budgets,
}

impl<R: Read> GzipSource<R> {
    /// A source reading `input` within `budgets`.
    pub fn new(input: R, budgets: Budgets) -> Self {
        let compressed = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counted = Counted { inner: input, read: compressed.clone() };
        Self {
            lines: BufReader::with_capacity(64 << 10, MultiGzDecoder::new(counted)),
            compressed,
            inflated: 0,
            budgets,
        }
    }

    fn over(&self, b: Budget) -> std::io::Error {
        std::io::Error::other(b)
    }
}

impl<R: Read> LineSource for GzipSource<R> {
    fn next_line(&mut self) -> std::io::Result<Option<String>> {
        let mut line = Vec::new();
        loop {
            let empty = self.inflated == 0 && self.compressed.load(std::sync::atomic::Ordering::Relaxed) == 0;
            let buf = match self.lines.fill_buf() {
                // An empty file is no gzip stream either: it has no lines.
                Err(_) if empty => return Ok(None),
                r => r?,
            };
            if buf.is_empty() {
                if line.is_empty() {
                    return Ok(None);
                }
                break;
            }
            let (take, done) = match buf.iter().position(|&b| b == b'\n') {
                Some(i) => (i + 1, true),
                None => (buf.len(), false),
            };
            line.extend_from_slice(&buf[..take]);
            self.lines.consume(take);
            self.inflated += take as u64;
            let b = self.budgets;
            if line.len() > b.max_line + 1 {
                return Err(self.over(Budget::new(
                    "value_too_long",
                    b.max_line,
                    format!("a line of the backup is longer than {} bytes", b.max_line),
                )));
            }
            if self.inflated > b.max_inflated {
                return Err(self.over(Budget::new(
                    "too_much_text",
                    b.max_inflated,
                    format!("the backup inflates to more than {} bytes", b.max_inflated),
                )));
            }
            let compressed = self.compressed.load(std::sync::atomic::Ordering::Relaxed).max(1);
            if self.inflated > (1 << 20) && self.inflated / compressed > b.max_ratio {
                return Err(self.over(Budget::new(
                    "too_much_text",
                    compressed.saturating_mul(b.max_ratio),
                    format!("the backup inflates more than {} times its size", b.max_ratio),
                )));
            }
            if done {
                line.pop();
                break;
            }
        }
        String::from_utf8(line).map(Some).map_err(|_| std::io::Error::other("a line of the backup is not UTF-8"))
    }
}

/// Writes a backup of `store` to `path`: into a file beside it first, renamed when whole, so that
/// a failed backup leaves no half file under the name.
pub async fn write_file(
    store: &crate::store::Store,
    path: &std::path::Path,
) -> anyhow::Result<crate::store::backup::Contents> {
    write_file_within(store, path, u64::MAX).await
}

/// [`write_file`], given up (and the partial file removed) past `max_bytes` of compressed file.
pub async fn write_file_within(
    store: &crate::store::Store,
    path: &std::path::Path,
    max_bytes: u64,
) -> anyhow::Result<crate::store::backup::Contents> {
    use anyhow::Context;
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    let file = std::fs::File::create(&partial).with_context(|| format!("cannot write {}", partial.display()))?;
    let file = Capped { inner: file, left: max_bytes };
    let mut sink = GzipSink::new(std::io::BufWriter::new(file));
    let written = store.write_backup(&mut sink).await;
    let done = written.map_err(anyhow::Error::from).and_then(|c| {
        let mut out = sink.finish()?;
        out.flush()?;
        out.into_inner().map_err(|e| e.into_error())?.inner.sync_all()?;
        Ok(c)
    });
    match done {
        Ok(c) => {
            std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))?;
            Ok(c)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// A file that refuses to grow past `left` more bytes.
struct Capped {
    inner: std::fs::File,
    left: u64,
}

impl Write for Capped {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.len() as u64 > self.left {
            return Err(std::io::Error::other("the backup is larger than its size limit"));
        }
        let n = self.inner.write(buf)?;
        self.left -= n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The suffix of every backup file.
pub const SUFFIX: &str = ".pustaka-backup.gz";

/// The name of a backup file written at `at`: `pustaka-YYYYMMDD-HHMMSS.pustaka-backup.gz`.
pub fn file_name(at: DateTime<Utc>) -> String {
    format!("pustaka-{}{SUFFIX}", at.format("%Y%m%d-%H%M%S"))
}

/// The name of the backup written before an upgrade: the daily name with `-before-upgrade`.
pub fn upgrade_file_name(at: DateTime<Utc>) -> String {
    format!("pustaka-{}-before-upgrade{SUFFIX}", at.format("%Y%m%d-%H%M%S"))
}

/// When a file named by [`file_name`] or [`upgrade_file_name`] was written; `None` for any other
/// name (so nothing else in the folder is ever listed, restored or pruned).
pub fn written_at(name: &str) -> Option<DateTime<Utc>> {
    let stem = name.strip_prefix("pustaka-")?.strip_suffix(SUFFIX)?;
    let (stamp, rest) = stem.split_at_checked(15)?;
    if !(rest.is_empty() || rest == "-before-upgrade") {
        return None;
    }
    let t = chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%d-%H%M%S").ok()?;
    Some(t.and_utc())
}

/// A backup in the folder.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct BackupFile {
    /// Its file name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// When it was written (UTC).
    pub written_at: DateTime<Utc>,
    /// Written before an upgrade (rather than daily).
    pub before_upgrade: bool,
    /// Rows per table, from its header; none when the header cannot be read.
    pub tables: Option<Vec<TableRows>>,
    /// The schema version it holds.
    pub schema_version: Option<i64>,
}

/// A table's rows in a backup.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct TableRows {
    /// The table.
    pub name: String,
    /// Its rows.
    pub rows: u64,
}

/// The backups in `dir`, newest first (an absent folder has none).
pub fn list(dir: &Path) -> Vec<BackupFile> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<BackupFile> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_owned();
            let at = written_at(&name)?;
            let size = e.metadata().ok()?.len();
            let header = std::fs::File::open(e.path())
                .ok()
                .and_then(|f| GzipSource::new(f, Budgets::default()).next_line().ok().flatten())
                .and_then(|l| serde_json::from_str::<crate::store::backup::Contents>(&l).ok());
            Some(BackupFile {
                before_upgrade: name.contains("-before-upgrade"),
                name,
                size,
                written_at: at,
                tables: header
                    .as_ref()
                    .map(|h| h.tables.iter().map(|t| TableRows { name: t.name.clone(), rows: t.rows }).collect()),
                schema_version: header.map(|h| h.schema_version),
            })
        })
        .collect();
    out.sort_by(|a, b| b.written_at.cmp(&a.written_at).then(b.name.cmp(&a.name)));
    out
}

/// The lease the daily backups are written under.
pub const LEASE: &str = "backups";

/// The daily backups: written by whichever replica holds the lease, into a folder, the ones
/// older than the retention removed.
#[derive(Clone, Debug)]
pub struct Schedule {
    store: Store,
    dir: PathBuf,
    keep_days: u32,
    holder: String,
}

/// What one tick of the schedule did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tick {
    /// Whether this replica held the lease (only the holder writes and prunes).
    pub held: bool,
    /// The backup written, if one was due.
    pub wrote: Option<String>,
    /// The backups removed for being older than the retention.
    pub pruned: Vec<String>,
}

impl Schedule {
    /// A schedule writing into `dir`, keeping `keep_days` days, as `instance` in the lease.
    pub fn new(store: Store, dir: PathBuf, keep_days: u32, instance: &str) -> Self {
        let holder = format!("{instance}-{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        Self { store, dir, keep_days, holder }
    }

    /// One tick: with the lease, writes a backup when the newest daily one is a day old (or there
    /// is none), then removes every backup older than the retention (the newest always stays).
    pub async fn run_once(&self) -> anyhow::Result<Tick> {
        use anyhow::Context;
        if !self.store.take_lease(LEASE, &self.holder, chrono::Duration::hours(1)).await? {
            return Ok(Tick::default());
        }
        let mut tick = Tick { held: true, ..Tick::default() };
        let now = self.store.now();
        let newest = list(&self.dir).into_iter().filter(|b| !b.before_upgrade).map(|b| b.written_at).max();
        if newest.is_none_or(|t| now - t >= chrono::Duration::hours(24) - chrono::Duration::minutes(5)) {
            std::fs::create_dir_all(&self.dir).with_context(|| format!("cannot create {}", self.dir.display()))?;
            let name = file_name(now);
            write_file(&self.store, &self.dir.join(&name)).await?;
            tracing::info!(file = %name, "daily backup written");
            tick.wrote = Some(name);
        }
        let keep_from = now - chrono::Duration::days(i64::from(self.keep_days));
        let all = list(&self.dir);
        for old in all.iter().skip(1).filter(|b| b.written_at < keep_from) {
            std::fs::remove_file(self.dir.join(&old.name)).with_context(|| format!("cannot remove {}", old.name))?;
            tracing::info!(file = %old.name, "old backup removed");
            tick.pruned.push(old.name.clone());
        }
        Ok(tick)
    }

    /// Ticks every `every` until `stop` resolves.
    pub async fn run(self, every: std::time::Duration, stop: impl std::future::Future<Output = ()>) {
        tokio::pin!(stop);
        loop {
            if let Err(e) = self.run_once().await {
                tracing::error!(error = %e, dir = %self.dir.display(), "daily backup failed");
            }
            tokio::select! {
                _ = &mut stop => break,
                _ = tokio::time::sleep(every) => {}
            }
        }
        let _ = self.store.release_lease(LEASE, &self.holder).await;
    }
}

/// The most time the backup before an upgrade may take.
pub const UPGRADE_BACKUP_TIME: std::time::Duration = std::time::Duration::from_secs(15 * 60);
/// The largest backup before an upgrade (compressed).
pub const UPGRADE_BACKUP_BYTES: u64 = 4 << 30;

/// Writes the backup before an upgrade into `dir`, within [`UPGRADE_BACKUP_TIME`] and
/// [`UPGRADE_BACKUP_BYTES`]: the file's name.
pub async fn before_upgrade(store: &Store, dir: &Path) -> anyhow::Result<String> {
    use anyhow::Context;
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let name = upgrade_file_name(store.now());
    let path = dir.join(&name);
    match tokio::time::timeout(UPGRADE_BACKUP_TIME, write_file_within(store, &path, UPGRADE_BACKUP_BYTES)).await {
        Ok(written) => written.map(|_| name),
        Err(_) => {
            let mut partial = path.into_os_string();
            partial.push(".partial");
            let _ = std::fs::remove_file(partial);
            anyhow::bail!("the backup took longer than {} minutes", UPGRADE_BACKUP_TIME.as_secs() / 60)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gz(lines: &[&str]) -> Vec<u8> {
        let mut s = GzipSink::new(Vec::new());
        for l in lines {
            s.line(l).unwrap();
        }
        s.finish().unwrap()
    }

    #[test]
    fn lines_round_trip() {
        let bytes = gz(&["{\"a\":1}", "", "[1,2]"]);
        let mut src = GzipSource::new(&bytes[..], Budgets::default());
        assert_eq!(src.next_line().unwrap().as_deref(), Some("{\"a\":1}"));
        assert_eq!(src.next_line().unwrap().as_deref(), Some(""));
        assert_eq!(src.next_line().unwrap().as_deref(), Some("[1,2]"));
        assert_eq!(src.next_line().unwrap(), None);
    }

    #[test]
    fn budgets_hold_whatever_the_file_says() {
        let long = "x".repeat(5000);
        let bytes = gz(&[&long]);
        let mut src = GzipSource::new(&bytes[..], Budgets { max_line: 1000, ..Budgets::default() });
        let e = src.next_line().unwrap_err();
        assert_eq!(Budget::of_io(&e).map(|b| b.code), Some("value_too_long"));

        let zeros = "0".repeat(4 << 20);
        let bytes = gz(&[&zeros[..1000], &zeros[..1000], &zeros]);
        let mut src = GzipSource::new(&bytes[..], Budgets { max_line: 8 << 20, max_inflated: 1 << 30, max_ratio: 50 });
        let e = std::iter::from_fn(|| Some(src.next_line())).find_map(Result::err).unwrap();
        assert_eq!(Budget::of_io(&e).map(|b| b.code), Some("too_much_text"));

        let mut src = GzipSource::new(&b"not gzip at all"[..], Budgets::default());
        assert!(src.next_line().is_err());
    }
}
