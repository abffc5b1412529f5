//! The Pustaka backup: every table known to it, round trips within and across the backends with
//! counts and checksums equal and passwords still logging in, and files that are not whole
//! backups refused with the database untouched.

use pustaka::{
    backup::{Budgets, GzipSink, GzipSource},
    store::{backup::LineSink, error::StoreError, Store},
};
use serde_json::json;
use tower::ServiceExt;

use crate::common::{Db, TestApp, LIBRARIAN};

contract!(
    the_backup_knows_every_table_of_the_schema,
    a_backup_restores_into_a_fresh_database_of_the_same_backend,
    a_file_that_is_not_a_whole_backup_is_refused_and_changes_nothing,
    the_page_downloads_checks_and_restores_a_backup,
    a_daily_backup_is_written_by_one_replica_and_old_ones_are_pruned,
    an_upgrade_writes_a_backup_before_it_migrates,
);

/// Tables a library in use has rows in, that [`fill`] puts rows in.
const FILLED: &[&str] = &[
    "categories",
    "books",
    "copies",
    "members",
    "member_numbers",
    "member_photos",
    "users",
    "loans",
    "fines",
    "fine_payments",
    "holds",
    "visits",
    "stocktakes",
    "stocktake_copies",
    "stocktake_unknown",
    "notices",
    "notice_settings",
    "notice_templates",
    "closed_days",
    "library_identity",
    "barcode_pattern",
    "audit_log",
];

/// A member's login made by [`fill`].
const MEMBER_LOGIN: (&str, &str) = ("siti_backup", "member-password");

/// A 1 × 1 PNG.
fn png() -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, 1, 1);
    e.set_color(png::ColorType::Rgba);
    e.set_depth(png::BitDepth::Eight);
    e.write_header().unwrap().write_image_data(&[10, 20, 30, 255]).unwrap();
    out
}

/// Data in every area: books and copies, members with other numbers and a photo, loans (open,
/// returned late, lost), a hold, fines paid in part, visits, a stock take, a notice, a closed
/// day, a notice template, accounts (a librarian, a member's login).
async fn fill(app: &TestApp) {
    let admin = Some(app.admin.as_str());
    app.add_librarian().await;
    let mut books = Vec::new();
    for (i, title) in ["Laskar Pelangi", "Bumi Manusia", "Ronggeng Dukuh Paruk", "Cantik Itu Luka"].iter().enumerate() {
        let b = app.book(title).await;
        app.copy(b, &format!("BK-{i}-1")).await;
        app.copy(b, &format!("BK-{i}-2")).await;
        books.push(b);
    }
    let (siti, siti_card) = {
        let body = app
            .post(
                "/api/v1/members",
                admin,
                json!({"name": "Siti Backup", "category": "student", "email": "siti@example.test",
                       "username": MEMBER_LOGIN.0, "password": MEMBER_LOGIN.1}),
            )
            .await
            .expect(201);
        (body["id"].as_i64().unwrap(), body["card_number"].as_str().unwrap().to_owned())
    };
    let (budi, budi_card) = app.member("Budi Backup", "staff").await;
    app.post(&format!("/api/v1/members/{siti}/numbers"), admin, json!({"kind": "nis", "number": "NIS-42"}))
        .await
        .expect(201);
    let req = axum::http::Request::builder()
        .method("PUT")
        .uri(format!("/api/v1/members/{budi}/photo"))
        .header("authorization", format!("Bearer {}", app.admin))
        .header("content-type", "image/png")
        .body(axum::body::Body::from(png()))
        .unwrap();
    app.send(req).await.expect(204);

    // A late return (a fine, paid in part), an open overdue loan, a lost copy, a hold.
    app.checkout("BK-3-1", &budi_card).await.expect(201);
    app.checkout("BK-3-2", &budi_card).await.expect(201);
    app.post("/api/v1/holds", admin, json!({"book_id": books[3], "card_number": siti_card})).await.expect(201);
    app.checkout_days_ago("BK-0-1", &siti_card, 30).await.expect(201);
    app.checkin("BK-0-1").await.expect(200);
    app.checkout_days_ago("BK-1-1", &siti_card, 20).await.expect(201);
    let lost = app.checkout("BK-2-1", &budi_card).await.expect(201);
    app.post(&format!("/api/v1/loans/{}/lost", lost["id"]), admin, json!({})).await.expect(200);
    let fines = app.get(&format!("/api/v1/members/{siti}/fines"), admin).await.expect(200);
    let fine = fines["items"].as_array().and_then(|f| f.first()).or(fines.as_array().and_then(|f| f.first()));
    let fine = fine.unwrap_or_else(|| panic!("a fine in {fines:#}"))["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/fines/{fine}/pay"), admin, json!({"amount": 500})).await.expect(200);

    app.post("/api/v1/visits", admin, json!({"client_id": uuid::Uuid::new_v4().to_string(), "card_number": siti_card}))
        .await
        .expect(201);
    let st =
        app.post("/api/v1/stocktakes", admin, json!({"name": "Semester 1"})).await.expect(201)["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/stocktakes/{st}/scans"), admin, json!({"barcode": "BK-3-1"})).await.expect(200);
    app.post(&format!("/api/v1/stocktakes/{st}/scans"), admin, json!({"barcode": "NOT-OURS-1"})).await.expect(200);

    let day = (app.today() + chrono::Duration::days(40)).to_string();
    app.post("/api/v1/closed-days", admin, json!({"date": day, "reason": "Libur"})).await.expect(201);
    app.call(
        axum::http::Method::PUT,
        "/api/v1/notices/templates/overdue/id",
        admin,
        Some(json!({"subject": "Terlambat: {title}", "body": "Halo {name}, {title} terlambat."})),
    )
    .await
    .expect(200);
    let settings = app.store.notice_settings().await.unwrap();
    app.store.plan_notices(&settings).await.unwrap();
}

/// A backup of `store` as the bytes of a file.
async fn backup_bytes(store: &Store) -> Vec<u8> {
    let mut sink = GzipSink::new(Vec::new());
    store.write_backup(&mut sink).await.expect("backup");
    sink.finish().unwrap()
}

async fn restore(store: &Store, bytes: &[u8]) -> Result<pustaka::store::backup::Contents, StoreError> {
    store.restore_backup(&mut GzipSource::new(bytes, Budgets::default())).await
}

/// Fills `from`, backs it up, restores into `to`: every table's count and checksum equal, ids
/// kept, the librarian's and the member's passwords log in, new ids follow the restored ones.
async fn round_trip(from: &TestApp, to: &TestApp) {
    fill(from).await;
    let before = from.store.backup_checksums().await.unwrap();
    for t in FILLED {
        assert!(before[*t].0 > 0, "fill() left {t} empty: {before:#?}");
    }
    let bytes = backup_bytes(&from.store).await;
    let contents = restore(&to.store, &bytes).await.expect("restore");
    assert_eq!(contents.tables.iter().map(|t| t.rows).sum::<u64>(), before.values().map(|(n, _)| n).sum::<u64>());
    let after = to.store.backup_checksums().await.unwrap();
    assert_eq!(before, after, "counts and checksums after the restore");
    // A second backup of the restored database holds the same (ids, times and flags kept).
    assert_eq!(
        Store::check_backup(&mut GzipSource::new(&backup_bytes(&to.store).await[..], Budgets::default()))
            .unwrap()
            .tables,
        contents.tables
    );

    let librarian = to.login(LIBRARIAN.0, LIBRARIAN.1).await;
    let member = to.login(MEMBER_LOGIN.0, MEMBER_LOGIN.1).await;
    let me = to.get("/api/v1/auth/me", Some(&member)).await.expect(200);
    assert_eq!(me["username"], MEMBER_LOGIN.0, "{me:#}");
    let found = to.get("/api/v1/books?q=pelangi", Some(&librarian)).await.expect(200);
    assert_eq!(found["items"][0]["title"], "Laskar Pelangi", "the search index is rebuilt: {found:#}");
    let newest = before["books"].0 as i64;
    let next = to
        .post("/api/v1/books", Some(&librarian), json!({"title": "Sesudah Pemulihan", "authors": ["A"]}))
        .await
        .expect(201);
    assert!(next["id"].as_i64().unwrap() > newest, "a new book's id follows the restored ones: {next:#}");
}

async fn the_backup_knows_every_table_of_the_schema(app: TestApp) {
    // A migration that adds a table adds it to store::backup::TABLES (or NOT_BACKED_UP, saying why).
    assert_eq!(app.store.tables_unknown_to_backup().await.unwrap(), Vec::<String>::new());
    // The kinds the backup reads match what MariaDB declares (times, dates, booleans).
    assert_eq!(app.store.backup_kind_mismatches().await.unwrap(), Vec::<String>::new());
}

async fn a_backup_restores_into_a_fresh_database_of_the_same_backend(app: TestApp) {
    let to = TestApp::try_spawn(crate::common::db_of(&app)).await.unwrap();
    round_trip(&app, &to).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_of_sqlite_restores_into_mariadb() {
    let Some(to) = TestApp::try_spawn(Db::MariaDb).await else {
        return eprintln!("PUSTAKA_TEST_MARIADB_URL is not set: skipped");
    };
    let from = TestApp::try_spawn(Db::Sqlite).await.unwrap();
    round_trip(&from, &to).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_of_mariadb_restores_into_sqlite() {
    let Some(from) = TestApp::try_spawn(Db::MariaDb).await else {
        return eprintln!("PUSTAKA_TEST_MARIADB_URL is not set: skipped");
    };
    let to = TestApp::try_spawn(Db::Sqlite).await.unwrap();
    round_trip(&from, &to).await;
}

/// The refusal's code, which must be a 422's (`StoreError::Invalid` on the field `file`).
#[track_caller]
fn refusal(r: Result<pustaka::store::backup::Contents, StoreError>) -> &'static str {
    match r {
        Err(StoreError::Invalid { field: "file", error }) => error.code,
        other => panic!("expected a refusal of the file, got {other:?}"),
    }
}

/// Lines of a gzip backup, to tamper with.
fn lines_of(bytes: &[u8]) -> Vec<String> {
    use pustaka::store::backup::LineSource;
    let mut src = GzipSource::new(bytes, Budgets::default());
    std::iter::from_fn(|| src.next_line().unwrap()).collect()
}

fn gzip(lines: &[String]) -> Vec<u8> {
    let mut sink = GzipSink::new(Vec::new());
    for l in lines {
        sink.line(l).unwrap();
    }
    sink.finish().unwrap()
}

async fn a_file_that_is_not_a_whole_backup_is_refused_and_changes_nothing(app: TestApp) {
    fill(&app).await;
    let good = backup_bytes(&app.store).await;
    let other = TestApp::try_spawn(crate::common::db_of(&app)).await.unwrap();
    other.book("Hanya di sini").await;
    let untouched = other.store.backup_checksums().await.unwrap();

    assert_eq!(refusal(restore(&other.store, b"").await), "not_a_backup");
    assert_eq!(refusal(restore(&other.store, b"title,authors\nA,B\n").await), "backup_unreadable");
    assert_eq!(refusal(restore(&other.store, &gzip(&["{\"a\":1}".into()])).await), "not_a_backup");
    let cut = &good[..good.len() * 2 / 3];
    assert!(matches!(refusal(restore(&other.store, cut).await), "backup_unreadable" | "backup_truncated"));

    let lines = lines_of(&good);
    let mut header: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    header["version"] = json!(99);
    assert_eq!(
        refusal(restore(&other.store, &gzip(&[&[header.to_string()], &lines[1..]].concat())).await),
        "backup_version"
    );
    let mut header: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    header["schema_version"] = json!(20200101000001_i64);
    assert_eq!(
        refusal(restore(&other.store, &gzip(&[&[header.to_string()], &lines[1..]].concat())).await),
        "backup_schema_mismatch"
    );
    // A row changed: its table's checksum no longer matches.
    let at = lines.iter().position(|l| l.contains("Bumi Manusia") && l.starts_with('[')).unwrap();
    let mut changed = lines.clone();
    changed[at] = changed[at].replace("Bumi Manusia", "Bumi Manusiа");
    assert_eq!(refusal(restore(&other.store, &gzip(&changed)).await), "backup_damaged");
    // A row of the wrong shape.
    let mut changed = lines.clone();
    changed[at] = "[1,2]".into();
    assert_eq!(refusal(restore(&other.store, &gzip(&changed)).await), "backup_damaged");
    // Whole lines missing at the end.
    assert_eq!(refusal(restore(&other.store, &gzip(&lines[..lines.len() - 3])).await), "backup_truncated");

    assert_eq!(other.store.backup_checksums().await.unwrap(), untouched, "a refused restore changes nothing");
    other.get("/api/v1/books?q=hanya", Some(&other.admin)).await.expect(200);
    // And the good file still restores.
    restore(&other.store, &good).await.expect("the whole file restores");
}

/// `pustaka` with only what a command needs: the database given with `--database-url`.
fn pustaka(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_pustaka"))
        .args(args)
        .env_clear()
        .env("PUSTAKA_PASSWORD_HASH_MEMORY_KIB", "64")
        .env("PUSTAKA_PASSWORD_HASH_ITERATIONS", "1")
        .output()
        .expect("run pustaka")
}

fn url_of(app: &TestApp) -> String {
    use secrecy::ExposeSecret;
    app.settings.database.url.expose_secret().to_owned()
}

/// A laptop's SQLite moved with the command line into another database (MariaDB when the test
/// server is there): `pustaka backup --out`, `pustaka restore FILE --yes --database-url`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_command_line_moves_a_laptops_sqlite_into_another_database() {
    let from = TestApp::try_spawn(Db::Sqlite).await.unwrap();
    let to = match TestApp::try_spawn(Db::MariaDb).await {
        Some(app) => app,
        None => TestApp::try_spawn(Db::Sqlite).await.unwrap(),
    };
    fill(&from).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("laptop.pustaka-backup.gz");
    let file = file.to_str().unwrap();
    let out = pustaka(&["backup", "--out", file, "--database-url", &url_of(&from)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("wrote"), "{out:?}");

    // Without --yes it asks, and nothing happens without a "yes".
    let before = to.store.backup_checksums().await.unwrap();
    let out = pustaka(&["restore", file, "--database-url", &url_of(&to)]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("books"), "it shows what the file holds: {out:?}");
    assert_eq!(to.store.backup_checksums().await.unwrap(), before);

    let out = pustaka(&["restore", file, "--yes", "--database-url", &url_of(&to)]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(to.store.backup_checksums().await.unwrap(), from.store.backup_checksums().await.unwrap());
    to.login(MEMBER_LOGIN.0, MEMBER_LOGIN.1).await;

    // Not a backup: a clear message, exit 1.
    std::fs::write(dir.path().join("x.csv"), "title\nA\n").unwrap();
    let out =
        pustaka(&["restore", dir.path().join("x.csv").to_str().unwrap(), "--yes", "--database-url", &url_of(&to)]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be read"), "{out:?}");
}

/// The page's backup: downloaded as admin, checked (what it holds, nothing changed), restored;
/// a file that is not a backup is a 422 naming `file`, never a 500; a librarian may do none of it.
async fn the_page_downloads_checks_and_restores_a_backup(app: TestApp) {
    fill(&app).await;
    let librarian = app.login(LIBRARIAN.0, LIBRARIAN.1).await;
    let get = |token: &str| {
        axum::http::Request::get("/api/v1/backup")
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .unwrap()
    };
    assert_eq!(app.send(get(&librarian)).await.status, 403);
    let res = app.router.clone().oneshot(get(&app.admin)).await.unwrap();
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.contains(".pustaka-backup.gz"), "{disposition}");
    let file = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap().to_vec();
    let before = app.store.backup_checksums().await.unwrap();

    let post = |path: &str, token: &str, bytes: Vec<u8>| {
        axum::http::Request::post(path)
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/gzip")
            .body(axum::body::Body::from(bytes))
            .unwrap()
    };
    let held = app.send(post("/api/v1/backup/check", &app.admin, file.clone())).await.expect(200);
    let books = held["tables"].as_array().unwrap().iter().find(|t| t["name"] == "books").unwrap();
    assert_eq!(books["rows"], 4, "{held:#}");
    assert_eq!(held["format"], "pustaka-backup");

    // Changed after the backup, then restored: the change is gone, everyone logs in again.
    app.book("Sesudah Cadangan").await;
    let changed = app.store.backup_checksums().await.unwrap();
    let p =
        app.send(post("/api/v1/backup/restore", &app.admin, b"not a backup".to_vec())).await.problem(422, "validation");
    assert_eq!(
        (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
        (Some("file"), Some("backup_unreadable")),
        "{p:#}"
    );
    assert_eq!(app.send(post("/api/v1/backup/restore", &librarian, file.clone())).await.status, 403);
    let cut = file[..file.len() / 2].to_vec();
    app.send(post("/api/v1/backup/check", &app.admin, cut.clone())).await.problem(422, "validation");
    app.send(post("/api/v1/backup/restore", &app.admin, cut)).await.problem(422, "validation");
    assert_eq!(app.store.backup_checksums().await.unwrap(), changed, "the refused restores changed nothing");

    app.send(post("/api/v1/backup/restore", &app.admin, file)).await.expect(200);
    assert_eq!(app.store.backup_checksums().await.unwrap(), before);
    assert_eq!(app.get("/api/v1/auth/me", Some(&app.admin)).await.status, 401, "sessions are not restored");
    let admin = app.login("admin", crate::common::ADMIN_PASSWORD).await;
    let found = app.get("/api/v1/books?q=sesudah", Some(&admin)).await.expect(200);
    assert_eq!(found["total"], 0, "{found:#}");
}

async fn a_daily_backup_is_written_by_one_replica_and_old_ones_are_pruned(app: TestApp) {
    use pustaka::backup::{list, Schedule, Tick};
    app.book("Harian").await;
    let dir = app.settings.backup_dir.clone().expect("the test's backup folder");
    let one = Schedule::new(app.store.clone(), dir.clone(), 3, "one");
    let two = Schedule::new(app.replica_store().await, dir.clone(), 3, "two");

    let first = one.run_once().await.unwrap();
    assert!(first.held && first.wrote.is_some() && first.pruned.is_empty(), "{first:?}");
    assert_eq!(two.run_once().await.unwrap(), Tick::default(), "the other replica does not write meanwhile");
    let again = one.run_once().await.unwrap();
    assert_eq!((again.held, again.wrote.clone()), (true, None), "not due again the same day");

    // The next days: one a day; after the retention (3 days), the old ones go.
    let mut written = vec![first.wrote.unwrap()];
    for day in 1..=5 {
        app.clock.shift(chrono::Duration::hours(24) - chrono::Duration::minutes(1));
        let t = one.run_once().await.unwrap();
        written.push(t.wrote.clone().unwrap_or_else(|| panic!("day {day}: {t:?}")));
        if day >= 4 {
            assert_eq!(t.pruned, vec![written[day - 4].clone()], "day {day}: {t:?}");
        }
    }
    let kept: Vec<String> = list(&dir).into_iter().map(|b| b.name).collect();
    assert_eq!(kept, written[2..].iter().rev().cloned().collect::<Vec<_>>());
    app.clock.reset();

    // The page lists them with their size and rows; one restores from the list.
    let listed = app.get("/api/v1/backups", Some(&app.admin)).await.expect(200);
    let items = listed["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "{listed:#}");
    assert!(items[0]["size"].as_u64().unwrap() > 0);
    let books = items[0]["tables"].as_array().unwrap().iter().find(|t| t["name"] == "books").unwrap();
    assert_eq!(books["rows"], 1, "{listed:#}");
    let librarian = app.add_librarian().await;
    app.get("/api/v1/backups", Some(&librarian)).await.problem(403, "forbidden");
    app.book("Sesudah Harian").await;
    app.post("/api/v1/backups/..%2Fpustaka.db/restore", Some(&app.admin), json!({})).await.problem(404, "not_found");
    let name = items[0]["name"].as_str().unwrap();
    app.post(&format!("/api/v1/backups/{name}/restore"), Some(&app.admin), json!({})).await.expect(200);
    let admin = app.login("admin", crate::common::ADMIN_PASSWORD).await;
    assert_eq!(app.get("/api/v1/books", Some(&admin)).await.expect(200)["total"], 1);
}

/// Makes the backup lease's migration (20261212000001) pending again, as on a database of the
/// version before it.
async fn one_migration_back(store: &Store) {
    use pustaka::store::db::sql;
    let mut tx = store.db.begin().await.unwrap();
    tx.exec(sql("DELETE FROM _sqlx_migrations WHERE version = 20261212000001")).await.unwrap();
    tx.exec(sql("DELETE FROM leases WHERE name = 'backups'")).await.unwrap();
    tx.commit().await.unwrap();
}

async fn an_upgrade_writes_a_backup_before_it_migrates(app: TestApp) {
    use pustaka::backup::list;
    app.book("Sebelum Pembaruan").await;
    let dir = app.settings.backup_dir.clone().unwrap();
    one_migration_back(&app.store).await;
    pustaka::app::connect(&app.settings).await.expect("upgrade");
    let files = list(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].before_upgrade && files[0].name.contains("-before-upgrade"), "{files:?}");
    // (The highest version is the same before and after here: the migration made pending is not
    // the newest one once later migrations exist, so the schema version is not compared.)
    let file = std::fs::read(dir.join(&files[0].name)).unwrap();
    let held = Store::check_backup(&mut GzipSource::new(&file[..], Budgets::default())).unwrap();
    assert_eq!(held.tables.iter().find(|t| t.name == "books").unwrap().rows, 1);
    // Migrated after: nothing pending, and the next start writes no backup.
    assert!(app.store.db.pending_migrations().await.unwrap().0.is_empty());
    pustaka::app::connect(&app.settings).await.unwrap();
    assert_eq!(list(&dir).len(), 1);

    // Skipped when asked to.
    one_migration_back(&app.store).await;
    let mut settings = app.settings.clone();
    settings.backup_before_upgrade = false;
    pustaka::app::connect(&settings).await.unwrap();
    assert_eq!(list(&dir).len(), 1);
    assert!(app.store.db.pending_migrations().await.unwrap().0.is_empty());
    // A folder it cannot write to stops the upgrade (nothing migrated); told how to go on.
    one_migration_back(&app.store).await;
    settings.backup_before_upgrade = true;
    let not_a_folder = dir.join(&files[0].name);
    settings.backup_dir = Some(not_a_folder);
    let e = pustaka::app::connect(&settings).await.expect_err("refused");
    assert!(format!("{e:#}").contains("PUSTAKA_BACKUP_BEFORE_UPGRADE=no"), "{e:#}");
    assert_eq!(app.store.db.pending_migrations().await.unwrap().0, vec![20261212000001]);
    // Without a folder (MariaDB's default) it upgrades, with a warning.
    settings.backup_dir = None;
    pustaka::app::connect(&settings).await.unwrap();
    assert!(app.store.db.pending_migrations().await.unwrap().0.is_empty());
}
