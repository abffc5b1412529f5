//! Backups from the page (admin only): `GET /backup` downloads one written now, streamed;
//! `POST /backup/check` reads an uploaded one whole and answers what it holds (what the page shows
//! before it asks to confirm); `POST /backup/restore` replaces every record with an uploaded one.
//!
//! Both uploads are read as they arrive (never held whole, never written to the replica's small
//! `/tmp`), within the file's budgets (`crate::backup::Budgets`) and [`MAX_UPLOAD`]. A file that is
//! not a whole, matching backup is a 422 naming `file`, and the database is untouched.

use std::{
    io::Read,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
};

use axum::{
    body::Body,
    extract::State,
    response::{IntoResponse, Response},
    Json,
};
use hyper::body::Bytes;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{too_large, ApiError, Problem, Result},
    extract::{Auth, Path},
    AppState,
};
use crate::{
    backup::{file_name, BackupFile, Budgets, GzipSink, GzipSource},
    store::backup::Contents,
};

/// The largest backup the page uploads (the command line takes any size: `pustaka restore`).
pub const MAX_UPLOAD: usize = 1 << 30;

pub fn router() -> OpenApiRouter<AppState> {
    super::limits::body_limit(OpenApiRouter::new().routes(routes!(check)).routes(routes!(restore)), MAX_UPLOAD)
        .routes(routes!(backup))
        .routes(routes!(list))
        .routes(routes!(restore_listed))
}

/// Bytes of compressed backup sent to the client at once.
const CHUNK: usize = 256 << 10;

/// The gzip stream of a download, sent a chunk at a time through a small channel (the store's
/// reading waits while the client is slow, so a large library leaves in bounded memory).
struct ChannelWriter {
    tx: tokio::sync::mpsc::Sender<std::io::Result<Bytes>>,
    buf: Vec<u8>,
}

impl ChannelWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::take(&mut self.buf));
        // The store reads on this task: wait for room without holding up the runtime's other tasks.
        tokio::task::block_in_place(|| self.tx.blocking_send(Ok(chunk)))
            .map_err(|_| std::io::Error::other("the client went away"))
    }
}

impl std::io::Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Download a backup of every record, written now (a Pustaka backup: gzip; see
/// docs/backup-format.md). Restorable into SQLite or MariaDB, here or with `pustaka restore`.
#[utoipa::path(get, path = "/backup", tag = "backup",
    responses((status = 200, description = "the backup file", content((Vec<u8> = "application/gzip"))),
        (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn backup(State(s): State<AppState>, _: Auth) -> Result<Response> {
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    let store = s.store.clone();
    tokio::spawn(async move {
        let mut sink = GzipSink::new(ChannelWriter { tx: tx.clone(), buf: Vec::new() });
        let written = store.write_backup(&mut sink).await;
        let end = written.map_err(|e| e.to_string()).and_then(|_| {
            let mut w = sink.finish().map_err(|e| e.to_string())?;
            w.send().map_err(|e| e.to_string())
        });
        if let Err(e) = end {
            // The status is sent already: the download ends broken, not short.
            tracing::error!(error = %e, "backup download failed part way");
            let _ = tx.send(Err(std::io::Error::other("the backup failed part way"))).await;
        }
    });
    Ok(super::export::streamed_download(rx, "application/gzip", &file_name(s.store.now())))
}

/// An uploaded body read as it arrives, for the store's (blocking) line reading.
struct BodyReader {
    /// The rest of an upload larger than [`IN_MEMORY`], read on a task of its own; `None` when
    /// the whole upload is in `current`.
    rx: Option<tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>>,
    current: Bytes,
}

/// Uploads up to this size are read whole before the (blocking) reading starts, so that reading
/// never waits on another task: a backup of a school library is a few MB. A larger one is read as
/// it arrives.
const IN_MEMORY: usize = 64 << 20;

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            let Some(rx) = self.rx.as_mut() else { return Ok(0) };
            match tokio::task::block_in_place(|| rx.blocking_recv()) {
                None => return Ok(0),
                Some(Ok(b)) => self.current = b,
                Some(Err(e)) => return Err(e),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

/// An upload as a [`BodyReader`]: read whole here up to [`IN_MEMORY`], the rest (a larger file) on
/// a task of its own; the flag is set when it went past [`MAX_UPLOAD`].
async fn body_reader(mut body: Body) -> (BodyReader, Arc<AtomicBool>) {
    use hyper::body::Body as _;
    let too_big = Arc::new(AtomicBool::new(false));
    // The first IN_MEMORY bytes (all of a usual backup), read here.
    let mut first = Vec::new();
    loop {
        match std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
            None => return (BodyReader { rx: None, current: Bytes::from(first) }, too_big),
            Some(Err(_)) => {
                let (tx, rx) = tokio::sync::mpsc::channel(1);
                let _ = tx.try_send(Err(std::io::Error::other("the upload broke off")));
                return (BodyReader { rx: Some(rx), current: Bytes::from(first) }, too_big);
            }
            Some(Ok(frame)) => {
                if let Some(b) = frame.data_ref() {
                    first.extend_from_slice(b);
                }
                if first.len() > IN_MEMORY {
                    break;
                }
            }
        }
    }
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let flag = too_big.clone();
    let mut total = first.len();
    tokio::spawn(async move {
        while let Some(frame) = std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await {
            let Ok(b) = frame.as_ref().map(|f| f.data_ref().cloned()) else {
                let _ = tx.send(Err(std::io::Error::other("the upload broke off"))).await;
                return;
            };
            let Some(b) = b else { continue }; // trailers
            let item = Ok::<_, std::io::Error>(b).and_then(|b| {
                total += b.len();
                if total > MAX_UPLOAD {
                    flag.store(true, Ordering::Relaxed);
                    Err(std::io::Error::other("the file is too large"))
                } else {
                    Ok(b)
                }
            });
            let failed = item.is_err();
            if tx.send(item).await.is_err() || failed {
                return;
            }
        }
    });
    (BodyReader { rx: Some(rx), current: Bytes::from(first) }, too_big)
}

/// Read an uploaded backup whole and say what it holds (tables and their rows, when and from
/// which database it was written), checking every table's rows against its checksum. Changes
/// nothing: what the page shows before it asks to confirm a restore.
#[utoipa::path(post, path = "/backup/check", tag = "backup",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the backup file (gzip; any content type is read by its bytes)"),
    responses((status = 200, description = "what the file holds", body = Contents),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, description = "not a whole Pustaka backup (`file`: `not_a_backup`, `backup_unreadable`, `backup_truncated`, `backup_damaged`, `backup_version`)", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn check(_: Auth, body: Body) -> Result<Response> {
    let (reader, too_big) = body_reader(body).await;
    let checked = crate::store::Store::check_backup(&mut GzipSource::new(reader, Budgets::default()));
    if too_big.load(Ordering::Relaxed) {
        return Ok(too_large(MAX_UPLOAD));
    }
    Ok(Json(checked?).into_response())
}

/// Replace every record with an uploaded backup's, in one transaction: the backup's schema
/// version must be this database's; every table's rows are checked against their count and
/// checksum; on any failure nothing changes. Everyone (this admin too) logs in again after.
#[utoipa::path(post, path = "/backup/restore", tag = "backup",
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the backup file (gzip; any content type is read by its bytes)"),
    responses((status = 200, description = "restored: what the file held", body = Contents),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 422, description = "not a whole Pustaka backup, or one of another schema version (`file`: `backup_schema_mismatch`)", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn restore(State(s): State<AppState>, Auth(who): Auth, body: Body) -> Result<Response> {
    let (reader, too_big) = body_reader(body).await;
    let restored = s.store.restore_backup(&mut GzipSource::new(reader, Budgets::default())).await;
    if too_big.load(Ordering::Relaxed) {
        return Ok(too_large(MAX_UPLOAD));
    }
    let contents = restored?;
    tracing::warn!(by = %who.user.username, tables = contents.tables.len(), "every record replaced by a backup's");
    Ok(Json(contents).into_response())
}

/// The backups in the folder.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct BackupList {
    /// The folder (as the server sees it); none when there is none (MariaDB without
    /// `PUSTAKA_BACKUP_DIR`).
    pub dir: Option<String>,
    /// Its backups, newest first: the daily ones and the ones written before an upgrade.
    pub items: Vec<BackupFile>,
}

/// The backups in the backup folder, newest first, with their size and the rows of each table.
#[utoipa::path(get, path = "/backups", tag = "backup",
    responses((status = 200, description = "the backups", body = BackupList),
        (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list(State(s): State<AppState>, _: Auth) -> Json<BackupList> {
    let items = s.backup_dir.as_deref().map(crate::backup::list).unwrap_or_default();
    Json(BackupList { dir: s.backup_dir.as_ref().map(|d| d.display().to_string()), items })
}

/// Replace every record with a backup of the folder's (as `POST /backup/restore` does with an
/// upload). The page shows the backup's rows (from the list) and asks to confirm first.
#[utoipa::path(post, path = "/backups/{name}/restore", tag = "backup",
    params(("name" = String, Path, description = "the backup's file name, as listed")),
    responses((status = 200, description = "restored: what the file held", body = Contents),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "no such backup in the folder", body = Problem),
        (status = 422, description = "the file is not a whole backup, or one of another schema version", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn restore_listed(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(name): Path<String>,
) -> Result<Json<Contents>> {
    let dir = s.backup_dir.as_ref().ok_or(ApiError::NotFound("backup"))?;
    // Only a name the folder lists: never a path.
    if crate::backup::written_at(&name).is_none() || name.contains(['/', '\\']) {
        return Err(ApiError::NotFound("backup"));
    }
    let file = std::fs::File::open(dir.join(&name)).map_err(|_| ApiError::NotFound("backup"))?;
    let contents = s.store.restore_backup(&mut GzipSource::new(file, Budgets::default())).await?;
    tracing::warn!(by = %who.user.username, file = %name, "every record replaced by a backup's");
    Ok(Json(contents))
}
