//! Independent work must not conflict (issue 17): sixteen desks, each lending and taking back
//! its own copy to its own member, and eight clients cataloguing their own books, all at once on
//! MariaDB, cause no InnoDB deadlock and never a 500. (SQLite has one writer and no row locks:
//! these tests run on MariaDB only.)
//!
//! A test binary of its own, outside the contract suite (`tests/contract`): InnoDB's deadlock
//! counter is server-wide, so these tests must not run beside the suite's MariaDB tests. This
//! binary holds them alone and runs them one after the other (a mutex), so the counter's change is
//! theirs; `cargo test` runs test binaries one at a time. A run beside other users of the same
//! server could only see more deadlocks, never fewer.

mod common;

use std::sync::Arc;

use common::{Db, TestApp};
use serde_json::json;

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn deadlocks(app: &TestApp) -> i64 {
    let store = app.replica_store().await;
    store.innodb_deadlocks().await.expect("reading Innodb_deadlocks").unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn independent_desks_never_deadlock() {
    let Some(app) = TestApp::try_spawn(Db::MariaDb).await else {
        eprintln!("PUSTAKA_TEST_MARIADB_URL is not set: the MariaDB-only contention test is skipped");
        return;
    };
    let _alone = ONE_AT_A_TIME.lock().await;
    const DESKS: usize = 16;
    const PAIRS: usize = 25;
    let mut desks = Vec::new();
    for d in 0..DESKS {
        let book = app.book(&format!("Buku Meja {d}")).await;
        let barcode = format!("DESK-{d}");
        app.copy(book, &barcode).await;
        let (_, card) = app.member(&format!("Peminjam {d}"), "staff").await;
        desks.push((barcode, card));
    }
    // Each copy lent and returned once first, as every copy of a library in use has been: its
    // first loan's uniqueness check can still lock the gap after the copy before it (see
    // migrations/mariadb/20261204040002_open_loan_key.sql).
    for (barcode, card) in &desks {
        app.checkout(barcode, card).await.expect(201);
        app.checkin(barcode).await.expect(200);
    }
    let app = Arc::new(app);
    let before = deadlocks(&app).await;
    let mut tasks = Vec::new();
    for (barcode, card) in desks {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut bad = Vec::new();
            for _ in 0..PAIRS {
                let out = app.checkout(&barcode, &card).await;
                if out.status != 201 {
                    bad.push((out.status, out.body.to_string()));
                }
                let back = app.checkin(&barcode).await;
                if back.status != 200 {
                    bad.push((back.status, back.body.to_string()));
                }
            }
            bad
        }));
    }
    let mut failures = Vec::new();
    for t in tasks {
        failures.extend(t.await.unwrap());
    }
    let after = deadlocks(&app).await;
    assert!(
        failures.is_empty(),
        "{} of {} requests failed: {:?}",
        failures.len(),
        DESKS * PAIRS * 2,
        &failures[..failures.len().min(5)]
    );
    assert_eq!(after - before, 0, "InnoDB deadlocks during {} independent checkout/return pairs", DESKS * PAIRS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn independent_cataloguers_never_deadlock() {
    let Some(app) = TestApp::try_spawn(Db::MariaDb).await else {
        eprintln!("PUSTAKA_TEST_MARIADB_URL is not set: the MariaDB-only contention test is skipped");
        return;
    };
    let _alone = ONE_AT_A_TIME.lock().await;
    const CLIENTS: usize = 8;
    const BOOKS: usize = 40;
    let app = Arc::new(app);
    let before = deadlocks(&app).await;
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let mut bad = Vec::new();
            for b in 0..BOOKS {
                // Titles share common words, as a real catalogue's do: the word index is shared.
                let body = json!({
                    "title": format!("Sejarah Indonesia Jilid {c}-{b}"),
                    "authors": ["Tim Penulis", format!("Penulis {c}")],
                    "subjects": ["Sejarah", "Indonesia"],
                });
                let res = app.post("/api/v1/books", Some(&app.admin), body).await;
                if res.status != 201 {
                    bad.push((res.status, res.body.to_string()));
                }
            }
            bad
        }));
    }
    let mut failures = Vec::new();
    for t in tasks {
        failures.extend(t.await.unwrap());
    }
    let after = deadlocks(&app).await;
    assert!(
        failures.is_empty(),
        "{} of {} books failed: {:?}",
        failures.len(),
        CLIENTS * BOOKS,
        &failures[..failures.len().min(5)]
    );
    assert_eq!(after - before, 0, "InnoDB deadlocks while {CLIENTS} clients catalogued {} books", CLIENTS * BOOKS);
}

/// A class set (#36): desks lending and taking back copies of one title must not wait for each
/// other on the title's `books` row. Each desk's transaction holds that row shared: changing a
/// copy's status rewrites its entry of the `(book_id, status)` index, and InnoDB checks the
/// copy's foreign key to its book again, which takes a shared lock on the book's row until the
/// commit. Before, a copy's locking read also joined its book, and MariaDB locked the book's row
/// exclusively (a `FOR UPDATE` locks every row it reads, in each joined table), so every desk
/// waited for the shared locks of the others: the 32 desks of a class set took turns. Here
/// another transaction holds the book's row shared, as another desk does mid-checkout: a
/// checkout and a return of a copy of the book still complete while it does.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_titles_copies_lend_while_another_desk_holds_its_book_row() {
    use secrecy::ExposeSecret;
    use sqlx::{Connection, Executor};
    let Some(app) = TestApp::try_spawn(Db::MariaDb).await else {
        eprintln!("PUSTAKA_TEST_MARIADB_URL is not set: the MariaDB-only contention test is skipped");
        return;
    };
    let _alone = ONE_AT_A_TIME.lock().await;
    let book = app.book("Matematika Kelas VII").await;
    app.copy(book, "KELAS-1").await;
    let (_, card) = app.member("Siswa Satu", "staff").await;

    let mut other = sqlx::MySqlConnection::connect(app.settings.database.url.expose_secret()).await.unwrap();
    other.execute("BEGIN").await.unwrap();
    other.execute(sqlx::query("SELECT id FROM books WHERE id = ? LOCK IN SHARE MODE").bind(book)).await.unwrap();

    // Bounded, not timed: a checkout that locked the book's row would wait for InnoDB's lock
    // wait timeout (50 s by default), far past this bound.
    let lent = tokio::time::timeout(std::time::Duration::from_secs(20), async {
        let out = app.checkout("KELAS-1", &card).await;
        let back = app.checkin("KELAS-1").await;
        (out, back)
    })
    .await;
    other.execute("ROLLBACK").await.unwrap();
    let (out, back) = lent.expect("the checkout and return waited for the other desk's lock on the book row");
    out.expect(201);
    back.expect(200);
}
