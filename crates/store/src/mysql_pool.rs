//! MariaDB connections pooled by `deadpool`, without a ping each time one comes back.
//!
//! sqlx 0.8's pool pings every connection as it is released, to find out whether the last user
//! left it mid-exchange. That doubled the round trips of a one-query request: MariaDB counted as
//! many pings as statements, and a replica served 30% fewer book reads than the same build with
//! the ping removed (bench/run, P1; docs/perf/README.md). Here a connection knows whether its
//! last exchange finished ([`Pooled::settle`]); deadpool's `recycle` hands it out again at once
//! when it did, and pings it only after a quiet spell or after another connection was found
//! dead. One that did not finish, is still inside a transaction, or whose COMMIT or ROLLBACK
//! failed is closed instead of reused.
//!
//! deadpool brings the rest: the size limit, the wait for a free connection (then 503), and the
//! pool's status.
//!
//! A database restart during a quiet spell leaves idle connections that look fine until used.
//! A read or a `BEGIN` that fails on such a connection for want of a connection is run once more
//! on another one, and every other idle connection is pinged before its next use.

use std::{
    sync::atomic::{AtomicU64, Ordering},
    time::{Duration, Instant},
};

use deadpool::managed::{self, Metrics, Object, PoolError, QueueMode, RecycleError, RecycleResult, Timeouts};
use sqlx::{
    mysql::{MySqlConnectOptions, MySqlConnection},
    ConnectOptions, Connection, Database, MySql, TransactionManager,
};

use super::error::DbError;

/// How the pool is doing: its size limit, connections open, idle, and requests waiting.
pub use deadpool::managed::Status as PoolStatus;

/// How long a read, a BEGIN, or a transaction that lost its connection before its COMMIT keeps
/// trying while the database cannot be reached: MariaDB restarting, a Galera writer killed until
/// the proxy sends the new connection to the next node (1 to 5 s: deploy/galera/haproxy.cfg), one
/// of the two database proxies killed. Then the request answers 503, well within its 30 s.
pub const OUTAGE_WAIT: Duration = Duration::from_secs(6);

/// A wait through an outage of the database: see [`OUTAGE_WAIT`]. The first try again is at
/// once (an idle connection that the server closed long ago: the next one is likely fine), then
/// after 50, 100, 200, 400 ms, then every 500 ms until the time is up.
#[derive(Debug, Default)]
pub struct Outage {
    since: Option<std::time::Instant>,
    tries: u32,
}

impl Outage {
    /// After a failure `e` that lost the connection during `what`: true, after a pause, while the
    /// outage has lasted less than [`OUTAGE_WAIT`]; false when the time is up.
    pub async fn wait(&mut self, e: &DbError, what: &str) -> bool {
        let since = *self.since.get_or_insert_with(std::time::Instant::now);
        let left = OUTAGE_WAIT.saturating_sub(since.elapsed());
        if left.is_zero() {
            tracing::warn!(error = %e, tries = self.tries, "the database stayed out of reach for {what}: giving up");
            return false;
        }
        if self.tries == 0 {
            tracing::warn!(error = %e, "connection lost during {what}: trying again on another");
        }
        let pause = if self.tries == 0 { 0 } else { (25u64 << self.tries.min(5)).min(500) };
        self.tries += 1;
        tokio::time::sleep(Duration::from_millis(pause).min(left)).await;
        true
    }
}

/// sqlx's transaction bookkeeping for MariaDB (BEGIN, COMMIT, ROLLBACK and the nesting depth).
type Transactions = <MySql as Database>::TransactionManager;

/// A connection idle this long is pinged before it is handed out.
const TEST_AFTER_IDLE: Duration = Duration::from_secs(60);

/// Opens connections for deadpool and decides whether an idle one may be handed out again.
struct Manager {
    options: MySqlConnectOptions,
    /// Bumped when a connection is found dead: every idle connection older than that is pinged
    /// before its next use.
    epoch: AtomicU64,
}

/// A connection as the pool keeps it.
struct Slot {
    conn: MySqlConnection,
    /// Its last exchange ended with an answer from the server (set in [`Pooled::settle`]).
    in_step: bool,
    /// Back in the pool since.
    released: Instant,
    /// The [`Manager::epoch`] when it was last known alive.
    epoch: u64,
}

impl Slot {
    fn reusable(&self) -> bool {
        self.in_step && Transactions::get_transaction_depth(&self.conn) == 0
    }
}

impl managed::Manager for Manager {
    type Type = Slot;
    type Error = DbError;

    async fn create(&self) -> Result<Slot, DbError> {
        let epoch = self.epoch.load(Ordering::Acquire);
        let conn = self.options.connect().await?;
        Ok(Slot { conn, in_step: true, released: Instant::now(), epoch })
    }

    async fn recycle(&self, slot: &mut Slot, _: &Metrics) -> RecycleResult<DbError> {
        if !slot.reusable() {
            // Normally closed on release already; never hand one out mid-exchange or in a transaction.
            return Err(RecycleError::message("left mid-exchange or inside a transaction"));
        }
        let epoch = self.epoch.load(Ordering::Acquire);
        if slot.epoch != epoch || slot.released.elapsed() >= TEST_AFTER_IDLE {
            slot.conn.ping().await.map_err(|e| RecycleError::Backend(e.into()))?;
            slot.epoch = epoch;
        }
        Ok(())
    }
}

/// Up to `max` connections to one MariaDB server, opened as needed.
#[derive(Clone)]
pub struct MySqlConnPool {
    pool: managed::Pool<Manager>,
}

impl std::fmt::Debug for MySqlConnPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MySqlConnPool").field("status", &self.pool.status()).finish()
    }
}

impl MySqlConnPool {
    /// A pool that opens no connection until one is asked for. A request waits up to `wait`
    /// for a free connection, and as long again to open one, before it fails with
    /// `PoolTimedOut` (503).
    pub fn new(options: MySqlConnectOptions, max: u32, wait: Duration) -> Result<Self, DbError> {
        // Stored instants are UTC; make NOW() and friends agree (sent with sqlx's own SET on connect).
        let options = options.timezone(Some(String::from("+00:00")));
        let manager = Manager { options, epoch: AtomicU64::new(0) };
        let pool = managed::Pool::builder(manager)
            .max_size(usize::try_from(max.max(1)).unwrap_or(1))
            .timeouts(Timeouts { wait: Some(wait), create: Some(wait), recycle: Some(wait) })
            // The most recently used connection first: it is the likeliest to be alive, and the
            // rest can age into a ping.
            .queue_mode(QueueMode::Lifo)
            .runtime(deadpool::Runtime::Tokio1)
            .build()
            .map_err(|e| sqlx::Error::Configuration(Box::new(e)))?;
        Ok(Self { pool })
    }

    /// A connection: an idle one, or a new one; `PoolTimedOut` when none frees up in time.
    pub async fn acquire(&self) -> Result<Pooled, DbError> {
        let obj = self.pool.get().await.map_err(|e| match e {
            PoolError::Backend(e) => e,
            PoolError::Timeout(_) => sqlx::Error::PoolTimedOut.into(),
            PoolError::Closed => sqlx::Error::PoolClosed.into(),
            e @ (PoolError::NoRuntimeSpecified | PoolError::PostCreateHook(_)) => {
                sqlx::Error::Configuration(e.to_string().into()).into()
            }
        })?;
        Ok(Pooled { obj: Some(obj) })
    }

    /// How the pool is doing.
    pub fn status(&self) -> PoolStatus {
        self.pool.status()
    }

    /// Refuses new connections and closes the idle ones (at shutdown).
    pub async fn close(&self) {
        let idle = self.pool.retain(|_, _| false).removed;
        self.pool.close();
        for slot in idle {
            let _ = slot.conn.close().await;
        }
    }
}

/// A connection out of the pool. Back in the pool when dropped if its last exchange finished
/// ([`Pooled::settle`]) outside a transaction; closed otherwise.
pub struct Pooled {
    obj: Option<Object<Manager>>,
}

impl Pooled {
    fn slot(&mut self) -> &mut Slot {
        self.obj.as_mut().expect("a pooled connection is present until dropped")
    }

    /// The connection. An exchange on it counts as unfinished until [`Pooled::settle`].
    pub(super) fn conn(&mut self) -> &mut MySqlConnection {
        let slot = self.slot();
        slot.in_step = false;
        &mut slot.conn
    }

    /// Records how the last exchange ended: an answer from the server, even an error, leaves the
    /// connection in step; a lost connection or a protocol error does not.
    pub(super) fn settle<T>(&mut self, result: &Result<T, DbError>) {
        let in_step = match result {
            Ok(_) => true,
            Err(e) => matches!(e, DbError::Sqlx(sqlx::Error::Database(_))) && !e.is_connection_lost(),
        };
        self.slot().in_step = in_step;
        if matches!(result, Err(e) if e.is_connection_lost()) {
            // A restart, say: the other idle connections may be gone too. Ping each before its next use.
            if let Some(pool) = self.obj.as_ref().and_then(Object::pool) {
                pool.manager().epoch.fetch_add(1, Ordering::AcqRel);
            }
        }
    }

    /// Starts a transaction (sqlx's BEGIN, which keeps its transaction depth right); a read-only
    /// one with `START TRANSACTION READ ONLY` (one snapshot for all its reads, no locks).
    async fn begin(&mut self, read_only: bool) -> Result<(), DbError> {
        let statement = read_only.then(|| "START TRANSACTION READ ONLY".into());
        let r = Transactions::begin(self.conn(), statement).await.map_err(DbError::from);
        self.settle(&r);
        r
    }

    /// Ends the transaction with COMMIT or ROLLBACK. Any error, even a server's answer, leaves
    /// the connection unusable: it may still be inside the transaction.
    async fn end(&mut self, commit: bool) -> Result<(), DbError> {
        let conn = self.conn();
        let r = if commit { Transactions::commit(conn).await } else { Transactions::rollback(conn).await };
        let r = r.map_err(DbError::from);
        self.settle(&r); // notes a lost connection for the others
        self.slot().in_step = r.is_ok();
        r
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let Some(obj) = self.obj.take() else { return };
        if obj.reusable() {
            let mut obj = obj;
            obj.released = Instant::now();
            drop(obj); // back to the idle list
        } else {
            // Out of the pool for good; dropping the connection closes its socket, and the server
            // rolls back whatever it had open.
            drop(Object::take(obj));
        }
    }
}

/// A transaction on a pooled connection. Dropped without [`MySqlTx::commit`], it is rolled back
/// in the background before the connection is reused (or the connection is closed).
pub struct MySqlTx {
    pooled: Option<Pooled>,
    /// Started `READ ONLY`: its reads take no locks (see [`super::db::Tx::for_update`]).
    pub(super) read_only: bool,
    /// Its commit mark, once written (see [`super::db::Tx::mark`]).
    pub(super) mark: Option<i64>,
}

impl MySqlTx {
    /// Starts a transaction. A BEGIN whose connection is lost (an idle one the server closed, the
    /// database or its proxy failing over) runs again on another while the [`Outage`] lasts.
    pub(super) async fn begin(pool: &MySqlConnPool, read_only: bool) -> Result<Self, DbError> {
        let mut outage = Outage::default();
        loop {
            let begun = match pool.acquire().await {
                Ok(mut pooled) => pooled.begin(read_only).await.map(|()| pooled),
                Err(e) => Err(e),
            };
            match begun {
                Ok(pooled) => return Ok(Self { pooled: Some(pooled), read_only, mark: None }),
                Err(e) if e.is_connection_lost() && outage.wait(&e, "BEGIN").await => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// The pooled connection.
    pub(super) fn pooled(&mut self) -> &mut Pooled {
        self.pooled.as_mut().expect("present until commit or drop")
    }

    /// Makes the transaction's writes permanent. When COMMIT fails, the connection is closed.
    pub(super) async fn commit(mut self) -> Result<(), DbError> {
        let mut pooled = self.pooled.take().expect("present until commit or drop");
        pooled.end(true).await
    }
}

impl Drop for MySqlTx {
    fn drop(&mut self) {
        let Some(mut pooled) = self.pooled.take() else { return };
        if !pooled.slot().in_step {
            return; // mid-exchange or broken: closed, and the server rolls back
        }
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = pooled.end(false).await {
                    tracing::debug!(error = %e, "ROLLBACK of a dropped transaction failed; connection closed");
                }
            });
        }
        // Without a runtime, `pooled` is dropped inside its transaction, and so closed.
    }
}
