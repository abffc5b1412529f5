//! One place builds the application from settings; one serves it until shutdown.

use std::{
    future::Future,
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use anyhow::Context;
use secrecy::ExposeSecret;
use tokio::net::TcpListener;

use crate::serve::{serve_router, Limits};
use crate::{
    config::Settings,
    http::{self, AppState},
    store::clock::{SharedClock, SystemClock},
    store::{db::Db, Store},
};

/// A built application: its store (for CLI commands and tests) and its router.
pub struct App {
    /// The library's records.
    pub store: Store,
    /// Everything HTTP.
    pub router: axum::Router,
    /// Raised when shutdown starts (shared with `/readyz`).
    pub draining: Arc<AtomicBool>,
    /// How long to keep serving after raising `draining`.
    pub drain: Duration,
    /// What the API's listener allows a client (headers' time, connections at once).
    pub limits: Limits,
    /// Sends notices while serving, when an SMTP server is configured.
    pub scheduler: Option<crate::notices::Scheduler>,
    /// The daily backups, when there is a folder for them and a retention.
    pub backups: Option<crate::backup::Schedule>,
    /// What `GET /metrics` shows on the metrics listener ([`crate::metrics::serve`]).
    pub metrics: crate::metrics::Metrics,
    /// The replica's slots for imports and PDFs (shared with the handlers).
    pub work: http::limits::Work,
}

/// Connects to the database, runs the migrations, makes sure an admin exists, and builds the router.
pub async fn build(settings: &Settings) -> anyhow::Result<App> {
    build_with_clock(settings, Arc::new(SystemClock)).await
}

/// [`build`] with the store reading time from `clock` (tests move it to make loans late).
pub async fn build_with_clock(settings: &Settings, clock: SharedClock) -> anyhow::Result<App> {
    let store = connect(settings).await?.with_clock(clock);
    if let Some(generated) = store.ensure_admin(settings.admin_password.as_ref()).await? {
        // Shown once, where the person who started the service looks.
        tracing::warn!(
            username = "admin",
            password = generated.expose_secret(),
            "FIRST START: created the admin account with a generated password. Log in and change it; it is not shown again"
        );
    }
    let draining = Arc::new(AtomicBool::new(false));
    let metrics = crate::metrics::Metrics::new(store.clone());
    let work = http::limits::Work::default();
    let state = AppState {
        store: store.clone(),
        trust_forwarded_for: settings.trust_forwarded_for,
        draining: draining.clone(),
        smtp_pinned: settings.smtp.clone(),
        work: work.clone(),
        lookup: crate::copycat::Lookup::new(),
        backup_dir: settings.backup_dir.clone(),
    };
    let backups = match &settings.backup_dir {
        Some(dir) if settings.backup_keep_days > 0 => Some(crate::backup::Schedule::new(
            store.clone(),
            dir.clone(),
            settings.backup_keep_days,
            &settings.instance,
        )),
        _ => {
            tracing::info!("daily backups are off: no PUSTAKA_BACKUP_DIR, or PUSTAKA_BACKUP_KEEP_DAYS is 0");
            None
        }
    };
    // The environment's SMTP server pins the one of the settings page; without either, a round
    // of the scheduler does nothing.
    let scheduler = Some(
        match &settings.smtp {
            Some(smtp) => crate::notices::Scheduler::new(
                store.clone(),
                crate::notices::Mailer::new(smtp).context("PUSTAKA_SMTP_URL")?,
                &settings.instance,
            ),
            None => crate::notices::Scheduler::from_settings(store.clone(), &settings.instance),
        }
        .with_counters(metrics.notices()),
    );
    let router = http::router(state, &settings.web_dir, &settings.instance, &metrics);
    Ok(App {
        store,
        router,
        draining,
        drain: settings.drain,
        limits: Limits {
            header_read_timeout: settings.header_read_timeout,
            max_open_connections: settings.max_open_connections,
            max_reads_in_flight: Some(settings.max_reads_in_flight),
        },
        scheduler,
        backups,
        metrics,
        work,
    })
}

/// Connects and migrates, without creating any account.
pub async fn connect(settings: &Settings) -> anyhow::Result<Store> {
    let passwords = crate::passwords::Hasher::new(settings.password_hash)
        .context("PUSTAKA_PASSWORD_HASH_MEMORY_KIB / PUSTAKA_PASSWORD_HASH_ITERATIONS")?;
    if settings.password_hash.is_below_default() {
        tracing::warn!(
            memory_kib = settings.password_hash.memory_kib,
            iterations = settings.password_hash.iterations,
            "password hashing is cheaper than Argon2id's defaults: fine for tests, weak for real passwords"
        );
    }
    // The hash that logins for unknown usernames are checked against, made now rather than on
    // the first such login (which would then take longer than the others).
    let warm = passwords.clone();
    tokio::task::spawn_blocking(move || warm.warm()).await.context("preparing password hashing")?;
    let db = Db::connect(&settings.database).await.context("connecting to the database")?;
    // A replica may start before the database is up (compose orders starts, not readiness of
    // every restart): wait for it a while rather than crash-looping.
    let mut waited = Duration::ZERO;
    let (pending, has_records) = loop {
        match db.pending_migrations().await {
            Ok(p) => break p,
            Err(e) if waited < Duration::from_secs(60) && matches!(e, crate::store::error::DbError::Sqlx(_)) => {
                tracing::warn!(error = %e, "database not ready; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                waited += Duration::from_secs(1);
            }
            Err(e) => return Err(e).context("reading which migrations have run"),
        }
    };
    // A backup before an upgrade changes the schema of a database that has records: into the
    // backup folder; none (MariaDB without PUSTAKA_BACKUP_DIR: the stack's deploy/backup is its
    // way) upgrades with a warning. A backup that fails stops the start: an upgrade that cannot
    // be undone is not run unless PUSTAKA_BACKUP_BEFORE_UPGRADE=no says so.
    if !pending.is_empty() && has_records && settings.backup_before_upgrade {
        match &settings.backup_dir {
            None => tracing::warn!(
                migrations = ?pending,
                "upgrading without a backup first: no PUSTAKA_BACKUP_DIR for it"
            ),
            Some(dir) => {
                let before =
                    Store::new(db.clone(), settings.timezone, settings.closed_weekdays.clone(), settings.session_hours);
                let name = crate::backup::before_upgrade(&before, dir).await.with_context(|| {
                    format!(
                        "writing the backup before an upgrade into {} (PUSTAKA_BACKUP_BEFORE_UPGRADE=no upgrades without one)",
                        dir.display()
                    )
                })?;
                tracing::warn!(file = %name, dir = %dir.display(), migrations = ?pending, "backup written before the upgrade");
            }
        }
    }
    loop {
        match db.migrate().await {
            Ok(()) => break,
            Err(e) if waited < Duration::from_secs(60) && matches!(e, crate::store::error::DbError::Sqlx(_)) => {
                tracing::warn!(error = %e, "database not ready; retrying");
                tokio::time::sleep(Duration::from_secs(1)).await;
                waited += Duration::from_secs(1);
            }
            Err(e) => return Err(e).context("running database migrations"),
        }
    }
    let mut store = Store::new(db, settings.timezone, settings.closed_weekdays.clone(), settings.session_hours)
        .with_passwords(passwords);
    if settings.timezone_pinned {
        store = store.with_tz_pinned();
    }
    // The time zone set in the page, if any (re-read every SETTINGS_EVERY while serving).
    store.refresh_settings().await.context("reading the settings")?;
    // Books a migration or `pustaka reindex` left out of the search index (MariaDB).
    let indexed = store.index_pending_words().await.context("indexing books for search")?;
    if indexed > 0 {
        tracing::info!(books = indexed, "books indexed for search");
    }
    Ok(store)
}

/// Serves `app` on `listener` until `shutdown` resolves, then finishes the requests in flight.
pub async fn serve(
    listener: TcpListener,
    app: App,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let expiry = tokio::spawn(expire_holds_every_minute(app.store.clone()));
    let settings = tokio::spawn(refresh_settings(app.store.clone()));
    // Notices stop between two mails when shutdown starts, and let their lease go.
    let (stop_notices, notices_stopped) = tokio::sync::oneshot::channel::<()>();
    let notices = app.scheduler.map(|s| {
        tokio::spawn(s.run(NOTICES_EVERY, async move {
            let _ = notices_stopped.await;
        }))
    });
    let (stop_backups, backups_stopped) = tokio::sync::oneshot::channel::<()>();
    let backups = app.backups.map(|b| {
        tokio::spawn(b.run(BACKUPS_EVERY, async move {
            let _ = backups_stopped.await;
        }))
    });
    let (draining, drain) = (app.draining.clone(), app.drain);
    let shutdown = async move {
        shutdown.await;
        // Readiness goes first, so the balancer moves new requests elsewhere; then the
        // listener closes and the requests in flight finish.
        draining.store(true, Ordering::Relaxed);
        if !drain.is_zero() {
            tracing::info!(seconds = drain.as_secs(), "draining: /readyz says 503 while requests move elsewhere");
            tokio::time::sleep(drain).await;
        }
    };
    serve_router(listener, app.router, app.limits, shutdown).await?;
    expiry.abort();
    settings.abort();
    let _ = stop_notices.send(());
    let _ = stop_backups.send(());
    if let Some(task) = backups {
        // A backup being written is not waited for: its partial file is never listed.
        task.abort();
    }
    if let Some(task) = notices {
        // A round in flight finishes its current mail (bounded by the SMTP timeout).
        let _ = tokio::time::timeout(Duration::from_secs(30), task).await;
    }
    app.store.db.close().await;
    Ok(())
}

/// How often a replica looks whether the daily backup is due.
const BACKUPS_EVERY: Duration = Duration::from_secs(10 * 60);

/// How often the notices scheduler looks for notices to send.
const NOTICES_EVERY: Duration = Duration::from_secs(30);

/// How often a replica re-reads the settings it keeps in memory (the time zone): a change made
/// on another replica, or by a restore, is in use here at most this much later.
pub const SETTINGS_EVERY: Duration = Duration::from_secs(10);

/// Re-reads the settings every [`SETTINGS_EVERY`].
async fn refresh_settings(store: Store) {
    let mut tick = tokio::time::interval(SETTINGS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if let Err(e) = store.refresh_settings().await {
            tracing::warn!(error = %e, "re-reading the settings failed");
        }
    }
}

/// Ends ready holds nobody picked up in time, forgets old login failures, expired idempotency
/// keys and old commit marks. Every replica may run it: each hold ends once.
async fn expire_holds_every_minute(store: Store) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    loop {
        tick.tick().await;
        match store.expire_holds().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(expired = n, "expired holds not picked up"),
            Err(e) => tracing::warn!(error = %e, "expiring holds failed"),
        }
        if let Err(e) = store.prune_login_failures().await {
            tracing::warn!(error = %e, "forgetting old login failures failed");
        }
        match store.prune_keys().await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(forgotten = n, "expired idempotency keys forgotten"),
            Err(e) => tracing::warn!(error = %e, "forgetting expired idempotency keys failed"),
        }
        if let Err(e) = store.db.prune_commit_marks().await {
            tracing::warn!(error = %e, "deleting old commit marks failed");
        }
    }
}

/// Resolves on SIGTERM (the container runtime) or Ctrl-C.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}
