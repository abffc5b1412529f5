//! The MariaDB connection pool, in-process: a restart while idle, a dropped transaction, a failed
//! COMMIT, a connection lost inside a transaction, and the size limit under load. These run only when `PUSTAKA_TEST_MARIADB_URL` is set
//! (see `scripts/mariadb-test-server`); each gets its own `pt_*` database.

use crate::common;

use std::{
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc,
    },
    time::Duration,
};

use pustaka::{
    config::DatabaseSettings,
    store::{
        db::{sql, Db},
        error::{DbError, StoreError},
    },
};
use sqlx::{Connection, MySqlConnection};

/// A MariaDB pool of `size` on a fresh migrated database with a table `probe (n INT)`; the
/// database's name; and a connection of the same test user outside any database, to watch and
/// kill the pool's connections (its `DB` in PROCESSLIST is NULL, so it never counts as one of them).
async fn pool_of(size: u32) -> Option<(Db, common::TestDatabase, MySqlConnection)> {
    let Some(test_db) = common::TestDatabase::migrated().await else {
        eprintln!("PUSTAKA_TEST_MARIADB_URL is not set: this MariaDB pool test is skipped");
        return None;
    };
    let mut settings = DatabaseSettings::from_url(&test_db.url, None).unwrap();
    settings.max_connections = size;
    let db = Db::connect(&settings).await.unwrap();
    db.migrate().await.unwrap();
    let mut watcher = MySqlConnection::connect(&common::mariadb_base_url().unwrap()).await.unwrap();
    sqlx::query(&format!("CREATE TABLE `{}`.probe (n INT NOT NULL) ENGINE=InnoDB", test_db.name))
        .execute(&mut watcher)
        .await
        .unwrap();
    Some((db, test_db, watcher))
}

/// The server's id of the connection a read runs on.
async fn connection_id(db: &Db) -> i64 {
    db.opt(sql("SELECT CAST(CONNECTION_ID() AS SIGNED) AS id")).await.unwrap().unwrap().get("id").unwrap()
}

/// How many connections the test user has open on database `name`.
async fn open_connections(watcher: &mut MySqlConnection, name: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST \
         WHERE USER = SUBSTRING_INDEX(USER(), '@', 1) AND DB = ? AND COMMAND <> 'Killed'",
    )
    .bind(name)
    .fetch_one(watcher)
    .await
    .unwrap()
}

/// What a database restart does to a pool: every connection to database `name` is closed by the
/// server. Kills them all and waits until they are gone.
async fn kill_all(watcher: &mut MySqlConnection, name: &str) -> usize {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT ID FROM information_schema.PROCESSLIST \
         WHERE USER = SUBSTRING_INDEX(USER(), '@', 1) AND DB = ? AND ID <> CONNECTION_ID()",
    )
    .bind(name)
    .fetch_all(&mut *watcher)
    .await
    .unwrap();
    for id in &ids {
        sqlx::query(&format!("KILL CONNECTION {id}")).execute(&mut *watcher).await.unwrap();
    }
    for _ in 0..100 {
        let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE DB = ?")
            .bind(name)
            .fetch_one(&mut *watcher)
            .await
            .unwrap();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ids.len()
}

/// The database restarts while the service is idle: its pooled connections are all dead but
/// younger than the idle ping. One request must still answer 200, and one transaction must begin.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restart_while_idle_one_request_succeeds() {
    let Some(app) = common::TestApp::try_spawn(common::Db::MariaDb).await else {
        eprintln!("PUSTAKA_TEST_MARIADB_URL is not set: this MariaDB pool test is skipped");
        return;
    };
    let id = app.book("Laskar Pelangi").await;
    // Several idle connections, as after a busy spell.
    let path = format!("/api/v1/books/{id}");
    let reads = (0..8).map(|_| app.get(&path, None));
    for r in futures::future::join_all(reads).await {
        r.expect(200);
    }
    let name: String = app.store.db.opt(sql("SELECT DATABASE() AS d")).await.unwrap().unwrap().get("d").unwrap();
    let mut watcher = MySqlConnection::connect(&common::mariadb_base_url().unwrap()).await.unwrap();

    let killed = kill_all(&mut watcher, &name).await;
    assert!(killed >= 1, "no pooled connection to kill");
    let body = app.get(&path, None).await.expect(200);
    assert_eq!(body["title"], "Laskar Pelangi");

    // Again, and this time a write comes first: its BEGIN finds the dead connection.
    let killed = kill_all(&mut watcher, &name).await;
    assert!(killed >= 1, "no pooled connection to kill");
    let mut tx = app.store.db.begin().await.expect("BEGIN after a restart");
    tx.exec(sql("UPDATE books SET title = ? WHERE id = ?").bind("Sang Pemimpi").bind(id)).await.unwrap();
    tx.commit().await.unwrap();
    app.book("Edensor").await;
    assert_eq!(app.get(&path, None).await.expect(200)["title"], "Sang Pemimpi");
}

/// A transaction dropped midway is rolled back before its connection serves anyone else.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dropped_transaction_leaves_nothing_behind() {
    let Some((db, _test_db, _watcher)) = pool_of(1).await else { return };
    let mut tx = db.begin().await.unwrap();
    let in_tx: i64 =
        tx.opt(sql("SELECT CAST(CONNECTION_ID() AS SIGNED) AS id")).await.unwrap().unwrap().get("id").unwrap();
    tx.exec(sql("INSERT INTO probe (n) VALUES (1), (2)")).await.unwrap();
    let seen: i64 = tx.opt(sql("SELECT COUNT(*) AS c FROM probe")).await.unwrap().unwrap().get("c").unwrap();
    assert_eq!(seen, 2, "the transaction sees its own writes");
    drop(tx);

    // One connection in the pool: the next user gets the same one, once it is free.
    let row = db
        .opt(sql(
            "SELECT CAST(CONNECTION_ID() AS SIGNED) AS id, COUNT(*) AS c, CAST(@@in_transaction AS SIGNED) AS t FROM probe",
        ))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.get::<i64>("c").unwrap(), 0, "the dropped transaction's writes are visible");
    assert_eq!(row.get::<i64>("t").unwrap(), 0, "the connection came back inside a transaction");
    assert_eq!(row.get::<i64>("id").unwrap(), in_tx, "rolled back and reused, not reconnected");
}

/// Makes the open transaction's COMMIT or ROLLBACK fail with an error from the server: the local
/// transaction is ended behind the pool's back and an XA transaction started, so that COMMIT and
/// ROLLBACK are refused with 1399 XAER_RMFAIL. (XA START inside the local transaction is refused
/// with 1400, hence the COMMIT first.) Returns the connection's id.
async fn wedge(tx: &mut pustaka::store::db::Tx) -> i64 {
    let id = tx.opt(sql("SELECT CAST(CONNECTION_ID() AS SIGNED) AS id")).await.unwrap().unwrap().get("id").unwrap();
    tx.exec(sql("INSERT INTO probe (n) VALUES (1)")).await.unwrap();
    tx.exec(sql("COMMIT")).await.unwrap();
    tx.exec(sql("XA START 'pool-test'")).await.unwrap();
    tx.exec(sql("INSERT INTO probe (n) VALUES (2)")).await.unwrap();
    id
}

/// A COMMIT answered with an error leaves the connection out of the pool (it may still be inside
/// a transaction).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_commit_closes_the_connection() {
    let Some((db, _test_db, _watcher)) = pool_of(1).await else { return };
    let mut tx = db.begin().await.unwrap();
    let wedged = wedge(&mut tx).await;
    let err = tx.commit().await.expect_err("COMMIT inside an active XA transaction");
    assert_eq!(err.mariadb_number(), Some(1399), "{err}");

    let next = connection_id(&db).await;
    assert_ne!(next, wedged, "the connection whose COMMIT failed was handed out again");
    let in_tx: i64 =
        db.opt(sql("SELECT CAST(@@in_transaction AS SIGNED) AS t")).await.unwrap().unwrap().get("t").unwrap();
    assert_eq!(in_tx, 0);
    let rows: i64 = db.opt(sql("SELECT COUNT(*) AS c FROM probe")).await.unwrap().unwrap().get("c").unwrap();
    assert_eq!(rows, 1, "only the row committed before the XA transaction stays");
}

/// The same for the ROLLBACK of a transaction dropped without commit.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_rollback_closes_the_connection() {
    let Some((db, _test_db, _watcher)) = pool_of(1).await else { return };
    let mut tx = db.begin().await.unwrap();
    let wedged = wedge(&mut tx).await;
    drop(tx);
    let next = connection_id(&db).await;
    assert_ne!(next, wedged, "the connection whose ROLLBACK failed was handed out again");
}

/// Many concurrent users never open more connections than the pool's size.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrency_never_exceeds_the_pool_size() {
    const SIZE: i64 = 4;
    let Some((db, test_db, mut watcher)) = pool_of(SIZE as u32).await else { return };
    let name = test_db.name.clone();
    let running = Arc::new(AtomicBool::new(true));
    let sampler = {
        let running = running.clone();
        let name = name.clone();
        tokio::spawn(async move {
            let mut max = 0;
            while running.load(Ordering::Relaxed) {
                max = max.max(open_connections(&mut watcher, &name).await);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            max
        })
    };
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let db = db.clone();
            tokio::spawn(async move {
                db.opt(sql("SELECT SLEEP(0.02) AS s")).await.unwrap();
                let mut tx = db.begin().await.unwrap();
                tx.exec(sql("INSERT INTO probe (n) VALUES (?)").bind(i64::from(i))).await.unwrap();
                tx.opt(sql("SELECT SLEEP(0.01) AS s")).await.unwrap();
                tx.commit().await.unwrap();
                db.all(sql("SELECT n FROM probe")).await.unwrap();
                let status = db.pool_status().unwrap();
                assert!(status.size <= SIZE as usize, "{status:?}");
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    running.store(false, Ordering::Relaxed);
    let max = sampler.await.unwrap();
    let status = db.pool_status().unwrap();
    assert_eq!(status.max_size, SIZE as usize);
    assert!(max <= SIZE, "{max} connections open at once with a pool of {SIZE}");
    assert!(max >= 2, "the tasks never ran concurrently (at most {max} connection open)");
    let rows: i64 = db.opt(sql("SELECT COUNT(*) AS c FROM probe")).await.unwrap().unwrap().get("c").unwrap();
    assert_eq!(rows, 50);
}

/// A connection lost between two statements of a transaction (MariaDB restarted, the Galera
/// writer killed, a proxy cut it): the server rolled back what it had, so the transaction runs
/// again whole on a fresh connection and commits once, instead of answering 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_transaction_whose_connection_is_lost_midway_runs_again_whole() {
    let Some((db, _test_db, watcher)) = pool_of(2).await else { return };
    let watcher = tokio::sync::Mutex::new(watcher);
    let runs = std::sync::atomic::AtomicU32::new(0);
    // The macro's `?` leaves the enclosing function: an async block of its own.
    let outcome: Result<u32, StoreError> = async {
        pustaka::store::transaction!(db, |tx| async {
            let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
            let id: i64 =
                tx.opt(sql("SELECT CAST(CONNECTION_ID() AS SIGNED) AS id")).await?.expect("a row").get("id")?;
            tx.exec(sql("INSERT INTO probe (n) VALUES (?)").bind(i64::from(run))).await?;
            if run == 1 {
                sqlx::query(&format!("KILL CONNECTION {id}")).execute(&mut *watcher.lock().await).await.unwrap();
            }
            tx.exec(sql("INSERT INTO probe (n) VALUES (?)").bind(i64::from(run) * 10)).await?;
            Ok(run)
        }
        .await)
    }
    .await;
    assert_eq!(outcome.expect("the transaction ran again and committed"), 2);
    let rows: Vec<i64> =
        db.all(sql("SELECT n FROM probe ORDER BY n")).await.unwrap().iter().map(|r| r.get("n").unwrap()).collect();
    assert_eq!(rows, [2, 20], "the first run's row stayed, or the second's is missing");
}

/// A COMMIT whose connection is lost is not run again: whether it committed is unknown, and a
/// second run could store it twice. (The rule itself: StoreError::may_run_again.)
#[test]
fn a_lost_commit_is_not_run_again() {
    let lost =
        || StoreError::from(DbError::from(sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset))));
    assert!(lost().may_run_again(false));
    assert!(!lost().may_run_again(true));
    assert!(!StoreError::NotFound("book").may_run_again(false));
}

/// A TCP forwarder to the test MariaDB that can be switched off: every connection through it
/// cut at once and new ones closed as soon as they are accepted, as while a Galera writer is
/// killed and the proxy has not yet moved on, or one of the database proxies is killed. It can
/// also cut the next connection that sends a COMMIT, just after passing it on or instead.
struct Outage {
    addr: std::net::SocketAddr,
    /// The number of times it was switched off; odd while it is off.
    state: tokio::sync::watch::Sender<u64>,
    /// 1: the next COMMIT is passed on, then its connection cut; 2: cut instead; 0: neither.
    at_commit: Arc<std::sync::atomic::AtomicU8>,
}

impl Outage {
    async fn to(target: String) -> Outage {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (state, _) = tokio::sync::watch::channel(0u64);
        let at_commit = Arc::new(std::sync::atomic::AtomicU8::new(0));
        let (watch, commits) = (state.clone(), at_commit.clone());
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let mut off = watch.subscribe();
                if *off.borrow_and_update() % 2 == 1 {
                    continue; // dropped: closed at once
                }
                let (target, commits) = (target.clone(), commits.clone());
                tokio::spawn(async move {
                    let Ok(server) = tokio::net::TcpStream::connect(&target).await else { return };
                    let (mut client_read, mut client_write) = client.into_split();
                    let (mut server_read, mut server_write) = server.into_split();
                    let up = async {
                        let mut buf = vec![0u8; 64 * 1024];
                        loop {
                            let n = match client_read.read(&mut buf).await {
                                Ok(0) | Err(_) => return,
                                Ok(n) => n,
                            };
                            let chunk = &buf[..n];
                            if chunk.windows(6).any(|w| w == b"COMMIT") {
                                match commits.swap(0, Ordering::SeqCst) {
                                    1 => {
                                        let _ = server_write.write_all(chunk).await;
                                        return;
                                    }
                                    2 => return,
                                    _ => {}
                                }
                            }
                            if server_write.write_all(chunk).await.is_err() {
                                return;
                            }
                        }
                    };
                    tokio::select! {
                        _ = up => {}
                        _ = tokio::io::copy(&mut server_read, &mut client_write) => {}
                        _ = off.changed() => {} // switched off
                    }
                    // both sides dropped here: cut
                });
            }
        });
        Outage { addr, state, at_commit }
    }
    fn off(&self) {
        self.state.send_modify(|n| *n += if *n % 2 == 0 { 1 } else { 0 });
    }
    fn on(&self) {
        self.state.send_modify(|n| *n += if *n % 2 == 1 { 1 } else { 0 });
    }
    /// A fresh migrated test database (with `probe`), a forwarder in front of it, and a pool of
    /// `size` through the forwarder; `None` without a test MariaDB.
    async fn in_front_of_a_test_database(size: u32) -> Option<(Outage, Db, common::TestDatabase)> {
        let (direct, test_db, _watcher) = pool_of(1).await?;
        drop(direct);
        let rest = test_db.url.split_once('@').unwrap().1;
        let outage = Outage::to(rest[..rest.find('/').unwrap()].to_owned()).await;
        let db = outage.pool(&test_db.url, size).await;
        Some((outage, db, test_db))
    }

    /// A pool of `size` on the test database `url`, connecting through this forwarder.
    async fn pool(&self, url: &str, size: u32) -> Db {
        let (scheme_user, rest) = url.split_once('@').expect("a MariaDB URL with a user");
        let path = &rest[rest.find('/').expect("a database in the URL")..];
        let mut settings = DatabaseSettings::from_url(&format!("{scheme_user}@{}{path}", self.addr), None).unwrap();
        settings.max_connections = size;
        Db::connect(&settings).await.unwrap()
    }
}

/// The database out of reach for 1.5 s (a Galera writer killed, a database proxy killed):
/// a read, a transaction that begins during it and one whose connection is cut between two
/// statements each wait it out and succeed once it is back (each once), where before they
/// answered 503 after a few quick tries; an outage longer than the wait fails in bounded time.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_outage_of_a_few_seconds_is_waited_out() {
    use pustaka::store::db::OUTAGE_WAIT;
    let Some((outage, db, _test_db)) = Outage::in_front_of_a_test_database(4).await else { return };
    let count = |db: &Db| {
        let db = db.clone();
        async move { db.opt(sql("SELECT COUNT(*) AS c FROM probe")).await.map(|r| r.unwrap().get::<i64>("c").unwrap()) }
    };
    assert_eq!(count(&db).await.unwrap(), 0);

    // Off, then a read and a transaction start; back on after 1.5 s.
    outage.off();
    let read = tokio::spawn(count(&db));
    let write = tokio::spawn({
        let db = db.clone();
        async move {
            let written: Result<(), StoreError> = async {
                pustaka::store::transaction!(db, |tx| async {
                    tx.exec(sql("INSERT INTO probe (n) VALUES (1)")).await?;
                    Ok(())
                }
                .await)
            }
            .await;
            written
        }
    });
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!read.is_finished() && !write.is_finished(), "the read or the write gave up during the outage");
    outage.on();
    let read = read.await.unwrap();
    let write = write.await.unwrap();
    assert!(read.is_ok(), "the read failed: {read:?}");
    assert!(write.is_ok(), "the transaction failed: {write:?}");

    // Cut between two statements of a transaction, back 1.5 s later: it runs again whole, once.
    let runs = std::sync::atomic::AtomicU32::new(0);
    let outcome: Result<u32, StoreError> = async {
        pustaka::store::transaction!(db, |tx| async {
            let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
            tx.exec(sql("INSERT INTO probe (n) VALUES (?)").bind(i64::from(run) * 100)).await?;
            if run == 1 {
                outage.off();
                let back = &outage;
                tokio::spawn({
                    let state = back.state.clone();
                    async move {
                        tokio::time::sleep(Duration::from_millis(1500)).await;
                        state.send_modify(|n| *n += 1);
                    }
                });
            }
            tx.exec(sql("INSERT INTO probe (n) VALUES (?)").bind(i64::from(run) * 100 + 1)).await?;
            Ok(run)
        }
        .await)
    }
    .await;
    assert_eq!(outcome.expect("the transaction waited and committed"), 2);
    let rows: Vec<i64> =
        db.all(sql("SELECT n FROM probe ORDER BY n")).await.unwrap().iter().map(|r| r.get("n").unwrap()).collect();
    assert_eq!(rows, [1, 200, 201], "a write of the cut run stayed, or one is missing");

    // Off for good: the read answers that the database is unavailable, after the wait, not never.
    outage.off();
    let started = std::time::Instant::now();
    let e = count(&db).await.expect_err("a read with the database out of reach");
    assert!(e.is_unavailable(), "{e:?}");
    let took = started.elapsed();
    assert!(took >= OUTAGE_WAIT && took < OUTAGE_WAIT * 3, "gave up after {took:?}");
}

/// The connection lost while a transaction's COMMIT is under way: whether it committed is read
/// back from its commit mark on a new connection. Cut just after the COMMIT reached the server:
/// it committed, the answer is success and the body ran once. Cut before: it did not, and it runs
/// again, once. Each transaction's rows are stored exactly once; before the marks, both answered
/// an error (503) and the first had stored its rows all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_commit_whose_connection_is_lost_is_resolved_by_its_mark() {
    let Some((outage, db, _test_db)) = Outage::in_front_of_a_test_database(4).await else { return };
    for (mode, n, runs_wanted) in [(1u8, 10i64, 1u32), (2, 20, 2)] {
        let runs = std::sync::atomic::AtomicU32::new(0);
        outage.at_commit.store(mode, Ordering::SeqCst);
        let outcome: Result<u32, StoreError> = async {
            pustaka::store::transaction!(db, |tx| async {
                let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
                tx.exec(sql("INSERT INTO probe (n) VALUES (?)").bind(n)).await?;
                Ok(run)
            }
            .await)
        }
        .await;
        assert_eq!(outage.at_commit.load(Ordering::SeqCst), 0, "no COMMIT went through the forwarder");
        assert_eq!(outcome.expect("the transaction's outcome was read back"), runs_wanted, "cut mode {mode}");
        let stored: i64 = db
            .opt(sql("SELECT COUNT(*) AS c FROM probe WHERE n = ?").bind(n))
            .await
            .unwrap()
            .unwrap()
            .get("c")
            .unwrap();
        assert_eq!(stored, 1, "cut mode {mode}: the row stored {stored} times");
    }
    // The marks are kept ten minutes, then the chores delete them.
    let marks: i64 = db.opt(sql("SELECT COUNT(*) AS c FROM commit_marks")).await.unwrap().unwrap().get("c").unwrap();
    assert!(marks >= 2, "{marks} marks");
    assert_eq!(db.prune_commit_marks().await.unwrap(), 0, "a fresh mark deleted");
}
