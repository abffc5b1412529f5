//! The page's import (admin), the same imports as `pustaka import books|members|marc`:
//! `POST /api/v1/import/{what}` with the file's bytes as the body reads the file (a file that
//! cannot be read at all is refused at once, 422) and starts a background job, answering
//! 202 Accepted with the job; `GET /api/v1/import/jobs/{id}` follows it (stage, records done of
//! all) until it is done, with the report; `GET /api/v1/import/jobs` lists the latest jobs, so a
//! report can be found again after the tab was closed. A dry run (`dry_run=true`: the report of
//! what would be stored, written nothing) is a job too: it does the whole import's work and
//! takes about as long.
//!
//! Why a job: a big file takes longer than the balancer waits for an answer (HAProxy's
//! `timeout server 30s`; 100k rows take over a minute). The job's state lives in the database
//! ([`crate::store::import_jobs`]), so a poll may reach any replica; the replica running it
//! writes its progress about every second, and a job whose replica stopped reads as
//! `interrupted` after 30 s. One import that writes runs at a time (409 `import_running`);
//! dry runs may run alongside. A replica runs at most [`super::limits::IMPORTS_PER_REPLICA`] jobs, dry runs
//! included, at once (reading the file is counted too): past it, 503 `import_busy` with
//! `Retry-After` (see [`super::limits`]).

use std::sync::{Arc, Mutex};

use axum::{
    body::Body,
    extract::State,
    http::{header::LOCATION, StatusCode},
};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    error::{ApiError, FieldError, Problem, Result},
    extract::{Auth, Json, Path, Query},
    AppState,
};
use crate::{
    domain::{notices::Language, ValidationError},
    import::{self, ImportError, Input, MemberOptions},
    store::{
        error::StoreError,
        import::REPORT_KEEPS,
        import_jobs::{ImportJob, JobLinks, JobStart},
        Actor, Store,
    },
};

/// The largest file the page may send.
pub const MAX_FILE: usize = 20 * 1024 * 1024;

/// How often a running job writes its progress (the heartbeat).
const HEARTBEAT: std::time::Duration = std::time::Duration::from_secs(1);

/// How many jobs `GET /import/jobs` lists.
const RECENT_JOBS: i64 = 20;

pub fn router() -> OpenApiRouter<AppState> {
    super::limits::body_limit(OpenApiRouter::new().routes(routes!(import_file)).routes(routes!(file_columns)), MAX_FILE)
        .routes(routes!(list_jobs))
        .routes(routes!(get_job))
}

/// How to run the import.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check everything and report what would be stored; write nothing.
    dry_run: Option<bool>,
    /// Members: `OLD=CODE` pairs separated by `,` mapping the sheet's categories.
    categories: Option<String>,
    /// Members: the category of rows that name none.
    default_category: Option<String>,
    /// `id` (Bahasa Indonesia, default) or `en`: the language of the report's row reasons.
    #[param(value_type = Option<String>)]
    lang: Option<Language>,
    /// Books and members: the librarian's choice of columns (the page's mapping step), a JSON
    /// object of the file's header → a field (`GET`'s `fields` from `POST /import/{what}/columns`),
    /// or null to leave that column out; headers not named are matched by their names.
    columns: Option<String>,
}

/// The kind of sheet `what` imports (books or members), or 404.
fn sheet_kind(what: &str) -> Result<&'static import::columns::Kind> {
    match what {
        "books" => Ok(&import::columns::BOOKS),
        "members" => Ok(&import::columns::MEMBERS),
        _ => Err(ApiError::NotFound("import")),
    }
}

/// The mapping step: the file's header (found below any title rows), each column with the field
/// Pustaka matched it to and its first values, and every field a column may be mapped to. Reads
/// the file only; nothing is stored.
#[utoipa::path(post, path = "/import/{what}/columns", tag = "import",
    params(("what" = String, Path, description = "`books` or `members`")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file"),
    responses((status = 200, body = import::columns::ColumnsOfFile), (status = 400, body = Problem),
        (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "no such kind of sheet", body = Problem),
        (status = 413, body = Problem), (status = 422, description = "the file cannot be read", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn file_columns(
    State(_s): State<AppState>,
    _: Auth,
    Path(what): Path<String>,
    body: Body,
) -> Result<Json<import::columns::ColumnsOfFile>> {
    let kind = sheet_kind(&what)?;
    let body = axum::body::to_bytes(body, MAX_FILE).await.map_err(body_refused)?;
    let described = tokio::task::spawn_blocking(move || Input::read(&body, false))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("reading the file: {e}")))?
        .map_err(file_refused)
        .map(|input| match input {
            Input::Sheet(sheet) | Input::Marc(sheet, _) => import::columns::describe(sheet, kind),
        })?;
    Ok(Json(described))
}

fn job_url(id: i64) -> String {
    format!("/api/v1/import/jobs/{id}")
}

/// The job as the API shows it: with the link to follow it.
fn linked(mut job: ImportJob) -> ImportJob {
    job.links = JobLinks { this: job_url(job.id) };
    job
}

/// Starts importing books (`books`, CSV or XLSX), members (`members`) or a MARC file (`marc`,
/// ISO 2709 or MARCXML); the body is the file. Answers at once with the job to follow
/// (`Location`, `GET /import/jobs/{id}`); its report is what the import did (or, in a dry run,
/// would do).
#[utoipa::path(post, path = "/import/{what}", tag = "import",
    params(("what" = String, Path, description = "`books`, `members` or `marc`"), ImportQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file"),
    responses(
        (status = 202, description = "the job started; follow it at `Location`", body = ImportJob,
            headers(("Location" = String, description = "the job, `/api/v1/import/jobs/{id}`"))),
        (status = 400, body = Problem), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, description = "no such kind of import", body = Problem),
        (status = 409, description = "`import_running`: another import that writes is running (a dry run may run alongside)", body = Problem),
        (status = 422, description = "the file cannot be read at all, `categories` is not OLD=CODE pairs, or it or `default_category` names a category there is not", body = Problem),
        (status = 503, description = "`import_busy`: this replica runs as many imports (dry runs included) as it takes; see Retry-After", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn import_file(
    State(s): State<AppState>,
    Auth(who): Auth,
    Path(what): Path<String>,
    Query(q): Query<ImportQuery>,
    body: Body,
) -> Result<(StatusCode, [(axum::http::HeaderName, String); 1], Json<ImportJob>)> {
    let actor = who.actor();
    let dry_run = q.dry_run.unwrap_or(false);
    let options = match what.as_str() {
        "books" | "marc" => None,
        "members" => {
            let pairs: Vec<String> = q
                .categories
                .unwrap_or_default()
                .split(',')
                .map(str::to_owned)
                .filter(|p| !p.trim().is_empty())
                .collect();
            let categories = import::category_map(&pairs)
                .map_err(|e| ApiError::field("categories", ValidationError::new("invalid_format", e)))?;
            Some(MemberOptions { categories, default_category: q.default_category.filter(|d| !d.trim().is_empty()) })
        }
        _ => return Err(ApiError::NotFound("import")),
    };
    // A category that is not there is the request's mistake, told now (422 naming the field),
    // not a job that fails later.
    if let Some(o) = &options {
        s.store.check_member_options(&o.categories, o.default_category.as_deref()).await?;
    }
    // The librarian's columns, checked before the file is read (422 naming `columns`).
    let map = match (q.columns.as_deref().filter(|c| !c.trim().is_empty()), what.as_str()) {
        (None, _) => None,
        (Some(json), "books" | "members") => Some((
            sheet_kind(&what)?,
            import::columns::ColumnMap::parse(json, sheet_kind(&what)?)
                .map_err(|e| ApiError::field("columns", ValidationError::new("invalid_format", e)))?,
        )),
        (Some(_), _) => {
            return Err(ApiError::field(
                "columns",
                ValidationError::new("invalid_format", "a MARC file's fields are its tags: it takes no columns"),
            ))
        }
    };
    // A slot of this replica's, held from reading the file to the job's end, and taken before the
    // file is read: a request over the limit is answered without buffering its 20 MB.
    let slot = s.work.import_slot()?;
    let body = axum::body::to_bytes(body, MAX_FILE).await.map_err(body_refused)?;
    // Reading a big file is a few seconds of work for one core: off the async threads.
    let marc = what == "marc";
    let input = tokio::task::spawn_blocking(move || {
        Input::read(&body, marc).map(|input| match (input, map) {
            (Input::Sheet(sheet), Some((kind, map))) => Input::Sheet(import::columns::remap(sheet, kind, &map)),
            (input, _) => input,
        })
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("reading the file: {e}")))?
    .map_err(file_refused)?;
    let id = match s.store.start_import_job(&actor, &what, dry_run).await? {
        JobStart::Started(id) => id,
        JobStart::Busy(other) => {
            return Err(ApiError::conflict(
                "import_running",
                format!("another import is running (job {other}); one import at a time, a dry run may run alongside"),
            ))
        }
    };
    // The answer is the job as it starts (read before it runs: a small file can be done before a
    // read after it, and the answer would change with the machine's speed).
    let job = s.store.import_job(id).await?.ok_or(ApiError::NotFound("import job"))?;
    tracing::info!(job = id, what = %what, dry_run, "import job started");
    let lang = q.lang.unwrap_or(Language::Id);
    tokio::spawn(async move {
        run_job(s.store.clone(), actor, id, input, options, dry_run, lang).await;
        drop(slot);
    });
    Ok((StatusCode::ACCEPTED, [(LOCATION, job_url(id))], Json(linked(job))))
}

/// A body that could not be read: past [`MAX_FILE`] (413), or cut short.
fn body_refused(e: axum::Error) -> ApiError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(c) = cause {
        if c.to_string().contains("length limit exceeded") {
            return ApiError::TooLarge;
        }
        cause = c.source();
    }
    ApiError::BadRequest(format!("the file was not received whole: {e}"))
}

/// A file that cannot be imported at all: past a reader's budget (the code and limit of that
/// budget, for the page to word), or unreadable.
fn file_refused(e: ImportError) -> ApiError {
    let message = e.to_string();
    match e {
        ImportError::Sheet(crate::sheet::SheetError::TooBig(budget)) => {
            ApiError::Validation(vec![FieldError::budget("file", &budget, message)])
        }
        _ => ApiError::field("file", ValidationError::new("unreadable_file", message)),
    }
}

/// One import job: its stage and progress while running, its report once done (admin).
#[utoipa::path(get, path = "/import/jobs/{id}", tag = "import", params(("id" = i64, Path)),
    responses((status = 200, body = ImportJob), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 403, body = Problem), (status = 404, description = "no such job", body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn get_job(State(s): State<AppState>, _: Auth, Path(id): Path<i64>) -> Result<Json<ImportJob>> {
    let job = s.store.import_job(id).await?.ok_or(ApiError::NotFound("import job"))?;
    Ok(Json(linked(job)))
}

/// The latest 20 import jobs, newest first, without their reports (admin): to find a running
/// import, or the report of a finished one, again.
#[utoipa::path(get, path = "/import/jobs", tag = "import",
    responses((status = 200, body = Vec<ImportJob>), (status = 401, body = Problem), (status = 403, body = Problem)),
    security(("bearer" = []), ("cookie" = [])))]
async fn list_jobs(State(s): State<AppState>, _: Auth) -> Result<Json<Vec<ImportJob>>> {
    let jobs = s.store.import_jobs(RECENT_JOBS).await?;
    Ok(Json(jobs.into_iter().map(linked).collect()))
}

/// What the import has done so far, as its progress callback hears it: `None` until the first
/// batch is done.
#[derive(Default)]
struct Progress(Mutex<Option<(usize, usize)>>);

impl Progress {
    fn set(&self, done: usize, total: usize) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some((done, total));
    }

    /// The stage, records done and records in all.
    fn get(&self) -> (&'static str, usize, usize) {
        match *self.0.lock().unwrap_or_else(|e| e.into_inner()) {
            None => ("reading", 0, 0),
            Some((done, total)) if done >= total => ("finishing", done, total),
            Some((done, total)) => ("importing", done, total),
        }
    }
}

/// Runs an import job to its end: the import in a task of its own, and here its heartbeat
/// (stage and progress written about every second), then the report or the failure.
async fn run_job(
    store: Store,
    actor: Actor,
    id: i64,
    input: Input,
    options: Option<MemberOptions>,
    dry_run: bool,
    lang: Language,
) {
    let progress = Arc::new(Progress::default());
    let mut work = {
        let (store, progress) = (store.clone(), progress.clone());
        tokio::spawn(async move {
            let heard = |done, total| progress.set(done, total);
            match (input, options) {
                (Input::Marc(sheet, broken), _) => {
                    import::marc_of(&store, &actor, sheet, broken, dry_run, Some(id), REPORT_KEEPS, heard).await
                }
                (Input::Sheet(sheet), Some(options)) => {
                    import::members_of(&store, &actor, sheet, &options, dry_run, REPORT_KEEPS, heard).await
                }
                (Input::Sheet(sheet), None) => {
                    import::books_of(&store, &actor, sheet, dry_run, Some(id), REPORT_KEEPS, heard).await
                }
            }
        })
    };
    let mut beat = tokio::time::interval(HEARTBEAT);
    beat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    beat.tick().await;
    let ended = loop {
        tokio::select! {
            ended = &mut work => break ended,
            _ = beat.tick() => {
                let (stage, done, total) = progress.get();
                if let Err(e) = store.import_job_progress(id, stage, done, total).await {
                    tracing::warn!(job = id, error = %e, "writing an import job's progress failed");
                }
            }
        }
    };
    let outcome: std::result::Result<String, String> = match ended {
        Ok(Ok(report)) => serde_json::to_string(&import::words::localise(report.capped(REPORT_KEEPS), lang))
            .map_err(|e| format!("the report could not be written: {e}")),
        Ok(Err(ImportError::Store(StoreError::Unavailable(e)))) => {
            tracing::error!(job = id, error = %e, "import job failed: the database is not available");
            Err("the database was not available; the whole batches written so far stay, run the import again".into())
        }
        Ok(Err(ImportError::Store(StoreError::Invalid { field, error }))) => Err(format!("{field}: {}", error.message)),
        Ok(Err(ImportError::Store(e))) => {
            tracing::error!(job = id, error = ?e, "import job failed");
            Err(format!("the database refused a write (job {id} in the server's log); run the import again"))
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(e) => {
            tracing::error!(job = id, error = %e, "import job panicked");
            Err(format!("the import stopped on an internal error (job {id} in the server's log)"))
        }
    };
    let status = if outcome.is_ok() { "done" } else { "failed" };
    let (_, done, total) = progress.get();
    match store.finish_import_job(id, (done, total), outcome.as_deref().map_err(String::as_str)).await {
        Ok(()) => tracing::info!(job = id, status, "import job ended"),
        // Its heartbeat stops: it reads as interrupted after a while.
        Err(e) => tracing::error!(job = id, error = %e, "writing an import job's end failed"),
    }
}
