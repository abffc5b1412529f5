//! A small pool of MariaDB connections that does not ping a connection each time it comes back.
//!
//! sqlx 0.8's pool pings every connection as it is released, to find out whether the last user
//! left it mid-exchange. That doubled the round trips of a one-query request: MariaDB counted as
//! many pings as statements, and a replica served 30% fewer book reads than the same build with
//! the ping removed (bench/run, P1; docs/perf/README.md). Here a connection knows whether its
//! last exchange finished ([`Pooled::settle`]); one that did not is closed instead of reused,
//! and one idle for a while is pinged before use, so a connection the server closed overnight
//! is not handed out.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sqlx::{
    mysql::{MySqlConnectOptions, MySqlConnection},
    ConnectOptions, Connection, Executor,
};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::db::DbError;

/// A connection idle this long is pinged before it is handed out.
const TEST_AFTER_IDLE: Duration = Duration::from_secs(60);

/// Up to `max` connections to one MariaDB server, opened as needed.
#[derive(Clone)]
pub struct MySqlConnPool {
    inner: Arc<Inner>,
}

struct Inner {
    options: MySqlConnectOptions,
    idle: Mutex<Vec<(MySqlConnection, Instant)>>,
    permits: Arc<Semaphore>,
    acquire_timeout: Duration,
}

impl std::fmt::Debug for MySqlConnPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MySqlConnPool").field("available", &self.inner.permits.available_permits()).finish()
    }
}

impl MySqlConnPool {
    /// A pool that opens no connection until one is asked for.
    pub fn new(options: MySqlConnectOptions, max: u32, acquire_timeout: Duration) -> Self {
        let max = usize::try_from(max.max(1)).unwrap_or(1);
        Self {
            inner: Arc::new(Inner {
                options,
                idle: Mutex::new(Vec::new()),
                permits: Arc::new(Semaphore::new(max)),
                acquire_timeout,
            }),
        }
    }

    /// A connection: an idle one, or a new one; `PoolTimedOut` when none frees up in time.
    pub async fn acquire(&self) -> Result<Pooled, DbError> {
        let get = async {
            let permit = self.inner.permits.clone().acquire_owned().await.map_err(|_| sqlx::Error::PoolClosed)?;
            loop {
                let idle = self.inner.idle.lock().expect("no panic while holding the idle list").pop();
                let conn = match idle {
                    Some((mut conn, since)) => {
                        if since.elapsed() >= TEST_AFTER_IDLE && conn.ping().await.is_err() {
                            continue; // closed by the server meanwhile: dropped, try the next one
                        }
                        conn
                    }
                    None => self.connect().await?,
                };
                return Ok::<_, DbError>(Pooled {
                    conn: Some(conn),
                    inner: self.inner.clone(),
                    permit: Some(permit),
                    reusable: false,
                });
            }
        };
        tokio::time::timeout(self.inner.acquire_timeout, get).await.map_err(|_| sqlx::Error::PoolTimedOut)?
    }

    async fn connect(&self) -> Result<MySqlConnection, DbError> {
        let mut conn = self.inner.options.connect().await?;
        // Stored instants are UTC; make NOW() and friends agree.
        conn.execute("SET time_zone = '+00:00'").await?;
        Ok(conn)
    }

    /// Refuses new connections and closes the idle ones (at shutdown).
    pub async fn close(&self) {
        self.inner.permits.close();
        let idle: Vec<_> = self.inner.idle.lock().expect("no panic while holding the idle list").drain(..).collect();
        for (conn, _) in idle {
            let _ = conn.close().await;
        }
    }
}

/// A connection out of the pool. Back in the pool when dropped if its last exchange finished
/// ([`Pooled::settle`]); closed otherwise.
pub struct Pooled {
    conn: Option<MySqlConnection>,
    inner: Arc<Inner>,
    permit: Option<OwnedSemaphorePermit>,
    reusable: bool,
}

impl Pooled {
    /// The connection. An exchange on it counts as unfinished until [`Pooled::settle`].
    pub fn conn(&mut self) -> &mut MySqlConnection {
        self.reusable = false;
        self.conn.as_mut().expect("a pooled connection is present until dropped")
    }

    /// Records how the last exchange ended: an answer from the server, even an error, leaves the
    /// connection in step; a broken connection or a protocol error does not.
    pub fn settle<T>(&mut self, result: &Result<T, DbError>) {
        self.reusable = match result {
            Ok(_) => true,
            Err(e) => !e.is_unavailable() && matches!(e, DbError::Sqlx(sqlx::Error::Database(_))),
        };
        if matches!(result, Err(e) if e.is_unavailable()) {
            // The server went away (a restart, say): the idle connections went with it.
            self.inner.idle.lock().expect("no panic while holding the idle list").clear();
        }
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            if self.reusable && !self.inner.permits.is_closed() {
                self.inner.idle.lock().expect("no panic while holding the idle list").push((conn, Instant::now()));
            }
            // else: dropping the connection closes its socket.
        }
        drop(self.permit.take());
    }
}

/// A transaction on a pooled connection. Dropped without [`MySqlTx::commit`], it is rolled back
/// in the background before the connection is reused.
pub struct MySqlTx {
    pooled: Option<Pooled>,
}

impl MySqlTx {
    /// Starts a transaction.
    pub async fn begin(pool: &MySqlConnPool) -> Result<Self, DbError> {
        let mut pooled = pool.acquire().await?;
        let r = pooled.conn().execute("BEGIN").await.map(|_| ()).map_err(DbError::from);
        pooled.settle(&r);
        r?;
        Ok(Self { pooled: Some(pooled) })
    }

    /// The pooled connection.
    pub fn pooled(&mut self) -> &mut Pooled {
        self.pooled.as_mut().expect("present until commit or drop")
    }

    /// Makes the transaction's writes permanent.
    pub async fn commit(mut self) -> Result<(), DbError> {
        let mut pooled = self.pooled.take().expect("present until commit or drop");
        let r = pooled.conn().execute("COMMIT").await.map(|_| ()).map_err(DbError::from);
        pooled.settle(&r);
        r
    }
}

impl Drop for MySqlTx {
    fn drop(&mut self) {
        let Some(mut pooled) = self.pooled.take() else { return };
        if !pooled.reusable {
            return; // mid-exchange or broken: closed, and the server rolls back
        }
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(async move {
                    let r = pooled.conn().execute("ROLLBACK").await.map(|_| ()).map_err(DbError::from);
                    pooled.settle(&r);
                });
            }
            Err(_) => pooled.reusable = false,
        }
    }
}
