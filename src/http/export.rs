//! `GET /api/v1/export/{what}`: the catalogue, copies, members or loans as a CSV or XLSX download
//! (staff only). Both are streamed: a task reads the store a page at a time and hands each page's
//! bytes to the response through a small channel, so a million books leave in constant memory
//! (XLSX through [`crate::xlsx`], up to the [`crate::export::XLSX_MAX_ROWS`] rows of a sheet).

use std::{
    pin::Pin,
    task::{Context, Poll},
};

use axum::{
    extract::State,
    http::{header, HeaderValue},
    response::{IntoResponse, Response},
};
use hyper::body::{Bytes, Frame};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ApiError, Problem, Result},
    extract::{Auth, Path, Query},
    table::{download, CsvStream},
    AppState,
};
use crate::{
    domain::ValidationError,
    export::{Export, Pages, XLSX_MAX_ROWS},
    xlsx::{Chunks, SheetWriter},
};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export))
}

/// How the export is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Comma-separated, UTF-8 with a byte-order mark; streamed (the default).
    #[default]
    Csv,
    /// An Excel workbook with one sheet.
    Xlsx,
}

/// The format.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (the default) or `xlsx`.
    format: Option<ExportFormat>,
}

/// Export the catalogue (`books`), `copies`, `members` or `loans` as a CSV or XLSX download.
///
/// The books and copies tables have the columns `pustaka import books` reads: importing the
/// books file, then the copies file, into an empty library gives the same catalogue.
#[utoipa::path(get, path = "/export/{what}", tag = "export",
    params(("what" = String, Path, description = "`books`, `copies`, `members` or `loans`"), ExportQuery),
    responses((status = 200, description = "the file", content((String = "text/csv"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, description = "more rows than an XLSX sheet holds", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn export(
    State(s): State<AppState>,
    _: Auth,
    Path(what): Path<String>,
    Query(q): Query<ExportQuery>,
) -> Result<Response> {
    let what = Export::parse(&what).ok_or(ApiError::NotFound("export"))?;
    let format = q.format.unwrap_or_default();
    if format == ExportFormat::Xlsx && what.count(&s.store).await? > XLSX_MAX_ROWS {
        return Err(ApiError::field(
            "format",
            ValidationError::new(
                "too_many",
                format!("an XLSX sheet holds at most {XLSX_MAX_ROWS} rows; use format=csv"),
            ),
        ));
    }
    let (tx, rx) = tokio::sync::mpsc::channel::<std::io::Result<Bytes>>(4);
    let store = s.store.clone();
    tokio::spawn(async move {
        let failed = |e: &dyn std::fmt::Display| {
            // The status is sent already: the download ends broken, not short.
            tracing::error!(error = %e, "export {} failed part way", what.name());
            Err(std::io::Error::other("the export failed part way"))
        };
        let chunks = Chunks::default();
        let mut sheet = match format {
            ExportFormat::Csv => {
                if tx.send(Ok(Bytes::from(CsvStream::header(what.columns())))).await.is_err() {
                    return;
                }
                None
            }
            ExportFormat::Xlsx => match SheetWriter::new(chunks.clone(), what.columns()) {
                Ok(w) => Some(w),
                Err(e) => {
                    let _ = tx.send(failed(&e)).await;
                    return;
                }
            },
        };
        let mut pages = Pages::new(&store, what);
        loop {
            let rows = match pages.next().await {
                Ok(Some(rows)) => rows,
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(failed(&e)).await;
                    return;
                }
            };
            let bytes = match &mut sheet {
                None => CsvStream::rows(&rows),
                Some(w) => match rows.iter().try_for_each(|r| w.row(r)) {
                    Ok(()) => chunks.take(),
                    Err(e) => {
                        let _ = tx.send(failed(&e)).await;
                        return;
                    }
                },
            };
            if tx.send(Ok(Bytes::from(bytes))).await.is_err() {
                return; // The client went away.
            }
        }
        if let Some(w) = sheet {
            let end = match w.finish() {
                Ok(_) => Ok(Bytes::from(chunks.take())),
                Err(e) => failed(&e),
            };
            let _ = tx.send(end).await;
        }
    });
    let (content_type, extension) = match format {
        ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
        ExportFormat::Xlsx => ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    };
    Ok(streamed_download(rx, content_type, &format!("{}.{extension}", what.name())))
}

/// A file download whose body is fed by `rx` a chunk at a time (no length, not cached): the
/// exports and the backup download.
pub(super) fn streamed_download(
    rx: tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>,
    content_type: &'static str,
    file_name: &str,
) -> axum::response::Response {
    let mut r = download(Vec::new(), content_type, file_name);
    *r.body_mut() = axum::body::Body::new(ChannelBody(rx));
    r.headers_mut().remove(header::CONTENT_LENGTH);
    r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.into_response()
}

/// A response body fed by a channel, a chunk at a time.
struct ChannelBody(tokio::sync::mpsc::Receiver<std::io::Result<Bytes>>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<std::result::Result<Frame<Bytes>, Self::Error>>> {
        self.0.poll_recv(cx).map(|chunk| chunk.map(|r| r.map(Frame::data)))
    }
}
