//! The page's imports as background jobs (issue #13): one row of `imports` per job, whose state
//! (status, stage, records done of all, the report when finished) lives in the database so that
//! any replica behind the balancer can answer a poll about a job another replica runs.
//!
//! The replica running a job writes its progress about every second (the heartbeat,
//! `updated_at`). A job still `running` whose heartbeat is older than [`STALE_AFTER`] lost its
//! replica (stopped, killed, or cut off from the database) and reads as `interrupted`; an
//! import is idempotent, so it can simply be run again. At most one import that writes (not a
//! dry run) runs at a time: the `writing` column is 1 while one does and a unique index refuses
//! a second 1; starting a job first frees the slot of an interrupted one.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::{
    db::{sql, Row},
    error::{Result, StoreError},
    import::Report,
    Actor, Store,
};

/// A running job whose heartbeat is older than this reads as interrupted.
pub const STALE_AFTER: chrono::Duration = chrono::Duration::seconds(30);

/// A job's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    /// Being imported (or checked, in a dry run).
    Running,
    /// Finished: the report is there.
    Done,
    /// Could not run to the end (the database refused it); see `error`. Whole batches it
    /// committed stay, and running the import again is safe.
    Failed,
    /// Its replica stopped answering (no heartbeat for 30 s): run the import again, safely.
    Interrupted,
}

impl JobStatus {
    fn as_str(self) -> &'static str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Interrupted => "interrupted",
        }
    }
}

impl TryFrom<String> for JobStatus {
    type Error = String;

    fn try_from(s: String) -> std::result::Result<Self, String> {
        Ok(match s.as_str() {
            "running" => JobStatus::Running,
            "done" => JobStatus::Done,
            "failed" => JobStatus::Failed,
            "interrupted" => JobStatus::Interrupted,
            _ => return Err(format!("unknown import job status {s:?}")),
        })
    }
}

// The doc comments below are the API's (the OpenAPI snapshot pins them); notes for the store
// are plain comments.

/// An import job: where it is, and its report once done.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
#[schema(as = Job)]
pub struct ImportJob {
    pub id: i64,
    /// `books`, `members` or `marc`.
    pub what: String,
    pub dry_run: bool,
    /// `running`; then `done` (see `report`) or `failed` (see `error`); `interrupted` when the
    /// replica running it stopped: importing the file again is safe (an import is idempotent).
    // As read: a running job without a heartbeat for `STALE_AFTER` is `Interrupted` (`job_of`).
    #[sqlx(try_from = "String")]
    pub status: JobStatus,
    /// While running: `reading` (the file's rows), `importing` (`done` of `total` written, or
    /// checked in a dry run), `finishing`.
    pub stage: Option<String>,
    /// Records (books or members) done so far.
    #[sqlx(rename = "rows_done")]
    pub done: i64,
    /// Records in all (0 while reading).
    #[sqlx(rename = "rows_total")]
    pub total: i64,
    /// Who started it.
    pub actor: String,
    pub started_at: DateTime<Utc>,
    /// The last sign of life of the replica running it.
    pub updated_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub error: Option<String>,
    /// The report once done (`GET /import/jobs/{id}` only; the list leaves it out).
    // Read only by `Store::import_job` (the list selects no `report`).
    #[serde(skip_serializing_if = "JobReport::is_none")]
    #[schema(value_type = Option<Report>)]
    #[sqlx(try_from = "Option<String>", default)]
    pub report: JobReport,
    // Where the API serves the job: the http layer fills it in (the store knows no URLs).
    #[sqlx(skip)]
    pub links: JobLinks,
}

/// A finished job's report, stored as JSON text, read as a JSON value to send on as it is.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
pub struct JobReport(pub Option<serde_json::Value>);

impl JobReport {
    /// No report (yet).
    pub fn is_none(&self) -> bool {
        self.0.is_none()
    }
}

impl TryFrom<Option<String>> for JobReport {
    type Error = serde_json::Error;

    fn try_from(text: Option<String>) -> std::result::Result<Self, serde_json::Error> {
        text.map(|t| serde_json::from_str(&t)).transpose().map(JobReport)
    }
}

/// Where to follow a job.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct JobLinks {
    /// `GET` it to follow the job.
    #[serde(rename = "self")]
    pub this: String,
}

/// Whether a job could start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStart {
    /// Started: the job's id.
    Started(i64),
    /// Another import that writes is running: its id.
    Busy(i64),
}

const JOB_COLUMNS: &str = "id, what, dry_run, status, stage, rows_done, rows_total, actor, started_at, updated_at, \
     finished_at, error";

impl Store {
    /// Starts a job (`running`, heartbeat now) for `actor`; an import that writes starts only
    /// when no other one runs (an interrupted one is written off first).
    pub async fn start_import_job(&self, actor: &Actor, what: &str, dry_run: bool) -> Result<JobStart> {
        let now = self.now();
        crate::transaction!(self.db, |tx| tx
            .exec(
                sql("UPDATE imports SET status = 'interrupted', writing = NULL \
                     WHERE status = 'running' AND updated_at < ?")
                .bind(now - STALE_AFTER)
            )
            .await
            .map_err(StoreError::from))?;
        let writing = if dry_run { None } else { Some(1_i64) };
        let inserted = crate::transaction!(self.db, |tx| tx
            .exec(
                sql("INSERT INTO imports (actor, started_at, what, dry_run, status, stage, updated_at, writing) \
                     VALUES (?, ?, ?, ?, 'running', 'reading', ?, ?)")
                .bind(&actor.username)
                .bind(now)
                .bind(what)
                .bind(dry_run)
                .bind(now)
                .bind(writing)
            )
            .await
            .map_err(StoreError::from));
        match inserted {
            Ok(done) => Ok(JobStart::Started(done.last_id)),
            Err(StoreError::Duplicate { .. }) => {
                let row = self.db.opt(sql("SELECT id FROM imports WHERE writing = 1")).await?;
                // It may have finished in between: say busy all the same, the client may retry.
                Ok(JobStart::Busy(row.map(|r| r.decode::<(i64,)>()).transpose()?.map_or(0, |(id,)| id)))
            }
            Err(e) => Err(e),
        }
    }

    /// The heartbeat of a running job: its stage and records done of all.
    pub async fn import_job_progress(&self, id: i64, stage: &str, done: usize, total: usize) -> Result<()> {
        let now = self.now();
        crate::transaction!(self.db, |tx| tx
            .exec(
                sql("UPDATE imports SET stage = ?, rows_done = ?, rows_total = ?, updated_at = ? \
                     WHERE id = ? AND status = 'running'")
                .bind(stage)
                .bind(done as i64)
                .bind(total as i64)
                .bind(now)
                .bind(id)
            )
            .await
            .map_err(StoreError::from))?;
        Ok(())
    }

    /// Ends a job with its last progress: `done` with its report (JSON), or `failed` with why.
    pub async fn finish_import_job(
        &self,
        id: i64,
        (done, total): (usize, usize),
        outcome: std::result::Result<&str, &str>,
    ) -> Result<()> {
        let now = self.now();
        let (status, report, error) = match outcome {
            Ok(report) => (JobStatus::Done, Some(report.to_owned()), None),
            Err(e) => (JobStatus::Failed, None, Some(e.to_owned())),
        };
        crate::transaction!(self.db, |tx| tx
            .exec(
                sql("UPDATE imports SET status = ?, stage = NULL, report = ?, error = ?, updated_at = ?, \
                     finished_at = ?, writing = NULL, rows_done = ?, rows_total = ? WHERE id = ?")
                .bind(status.as_str())
                .bind(report.clone())
                .bind(error.clone())
                .bind(now)
                .bind(now)
                .bind(done as i64)
                .bind(total as i64)
                .bind(id)
            )
            .await
            .map_err(StoreError::from))?;
        Ok(())
    }

    /// One job with its report; `None` when there is no such job.
    pub async fn import_job(&self, id: i64) -> Result<Option<ImportJob>> {
        let row = self
            .db
            .opt(sql(format!("SELECT {JOB_COLUMNS}, report FROM imports WHERE id = ? AND what IS NOT NULL")).bind(id))
            .await?;
        row.map(|r| self.job_of(&r)).transpose()
    }

    /// The latest jobs, newest first, without their reports.
    pub async fn import_jobs(&self, limit: i64) -> Result<Vec<ImportJob>> {
        let rows = self
            .db
            .all(
                sql(format!("SELECT {JOB_COLUMNS} FROM imports WHERE what IS NOT NULL ORDER BY id DESC LIMIT ?"))
                    .bind(limit),
            )
            .await?;
        rows.iter().map(|r| self.job_of(r)).collect()
    }

    /// A job's row as read: a running job without a heartbeat for [`STALE_AFTER`] is
    /// `Interrupted`, and only a running job has a stage.
    fn job_of(&self, r: &Row) -> Result<ImportJob> {
        let mut job: ImportJob = r.decode()?;
        if job.status == JobStatus::Running && job.updated_at.is_none_or(|at| at < self.now() - STALE_AFTER) {
            job.status = JobStatus::Interrupted;
        }
        if job.status != JobStatus::Running {
            job.stage = None;
        }
        Ok(job)
    }
}
