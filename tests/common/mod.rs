//! The test harness: a Pustaka with a fresh database per test, called in-process through its
//! router (`tower::ServiceExt::oneshot`), or also served on port 0 for the few tests that need a
//! real HTTP client (cookies, the page).
//!
//! Each test gets its own SQLite file, or its own MariaDB database when
//! `PUSTAKA_TEST_MARIADB_URL` (a URL whose user may create databases, e.g.
//! `mysql://pustaka_test:pw@127.0.0.1:3306`) is set; the database is dropped when the test ends,
//! passed or failed. Passwords are hashed at a low cost ([`TEST_HASH_MEMORY_KIB`]).
//!
//! The migrations run once per test process, into a template database; each test's database is a
//! copy of it (as the Rust package registry's test databases are), and the app's own migrations
//! at start find every one of them applied.

#![allow(dead_code)]

use std::net::SocketAddr;

use axum::{
    body::Body,
    extract::connect_info::ConnectInfo,
    http::{header, Request},
};
use pustaka::{
    app,
    config::{Backend, DatabaseSettings, Settings},
    store::{clock::SettableClock, db::Db as Database, Store},
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sqlx::Connection;
use tower::ServiceExt;

/// The admin password every test app starts with.
pub const ADMIN_PASSWORD: &str = "admin-test-password";
/// The librarian account [`TestApp::add_librarian`] creates.
pub const LIBRARIAN: (&str, &str) = ("pustakawan", "librarian-pw");

/// Which backend a contract test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Db {
    Sqlite,
    MariaDb,
}

/// A Pustaka for one test, called in-process (no socket), over real TCP when asked.
pub struct TestApp {
    /// The whole application; requests go through it with `tower::ServiceExt::oneshot`.
    pub router: axum::Router,
    pub store: Store,
    /// The store's clock: set back to lend "days ago" (time is the one input a black-box test
    /// cannot send).
    pub clock: SettableClock,
    /// The admin's session token.
    pub admin: String,
    /// The settings the app was built from (its database, for [`TestApp::replica_store`]).
    pub settings: Settings,
    /// What its metrics listener would show ([`pustaka::metrics::serve`]).
    pub metrics: pustaka::metrics::Metrics,
    /// Its slots for imports and PDFs (a test takes them all to see the 503).
    pub work: pustaka::http::limits::Work,
    tcp: Option<Tcp>,
    // Dropped after the app: the test's MariaDB database goes, then the SQLite folder.
    _database: Option<TestDatabase>,
    _dir: tempfile::TempDir,
}

/// The app served on a port, for what needs a real client (cookies, the page).
struct Tcp {
    base: String,
    client: reqwest::Client,
}

/// The client address in-process requests come from (what `into_make_service_with_connect_info`
/// gives the handlers over TCP; login throttling reads it).
const PEER: ([u8; 4], u16) = ([127, 0, 0, 1], 40_000);

/// The low password-hashing cost of test apps (Argon2's minimum is 8 KiB and 1 pass).
pub const TEST_HASH_MEMORY_KIB: &str = "64";
pub const TEST_HASH_ITERATIONS: &str = "1";

/// A response, read whole.
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Res {
    /// Asserts the status, showing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Value {
        assert_eq!(self.status.as_u16(), status, "unexpected status; body: {:#}", self.body);
        self.body
    }

    /// Asserts a problem+json response with this status and code.
    #[track_caller]
    pub fn problem(self, status: u16, code: &str) -> Value {
        let ct = self.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let body = self.expect(status);
        assert!(ct.starts_with("application/problem+json"), "content-type {ct:?}, body {body:#}");
        assert_eq!(body["code"], code, "problem {body:#}");
        assert_eq!(body["status"], status);
        assert!(body["title"].is_string() && body["detail"].is_string(), "{body:#}");
        body
    }
}

impl TestApp {
    /// Builds Pustaka on the backend, or `None` for MariaDB when no test server is configured.
    pub async fn try_spawn(db: Db) -> Option<TestApp> {
        Self::try_spawn_with(db, &[]).await
    }

    /// Like [`TestApp::try_spawn`], with more `PUSTAKA_*` settings (e.g.
    /// `("PUSTAKA_TRUST_FORWARDED_FOR", "1")`, as behind the stack's balancer).
    pub async fn try_spawn_with(db: Db, settings: &[(&str, &str)]) -> Option<TestApp> {
        let given_backup_dir = settings.iter().any(|(name, _)| *name == "PUSTAKA_BACKUP_DIR");
        // Silent unless asked: TEST_LOG=1 shows the service's logs.
        if std::env::var_os("TEST_LOG").is_some() {
            pustaka::telemetry::init(pustaka::config::LogFormat::Text);
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let (database, test_database) = match db {
            Db::Sqlite => {
                let file = dir.path().join("pustaka.db");
                std::fs::write(&file, sqlite_template().await).expect("copy the SQLite template");
                (DatabaseSettings::from_url(&format!("sqlite://{}?mode=rwc", file.display()), None).unwrap(), None)
            }
            Db::MariaDb => {
                let t = TestDatabase::migrated().await?;
                let mut s = DatabaseSettings::from_url(&t.url, None).unwrap();
                s.max_connections = 20;
                (s, Some(t))
            }
        };
        let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
        let mut settings = Settings::from_lookup(|k| match k {
            "PUSTAKA_ADMIN_PASSWORD" => Some(ADMIN_PASSWORD.into()),
            "PUSTAKA_INSTANCE" => Some("test-replica".into()),
            "PUSTAKA_PASSWORD_HASH_MEMORY_KIB" => Some(TEST_HASH_MEMORY_KIB.into()),
            "PUSTAKA_PASSWORD_HASH_ITERATIONS" => Some(TEST_HASH_ITERATIONS.into()),
            _ => settings.iter().find(|(name, _)| *name == k).map(|(_, v)| (*v).to_owned()),
        })
        .unwrap();
        settings.database = database;
        settings.web_dir = web;
        // The test's own folder, unless the test names one.
        if !given_backup_dir {
            settings.backup_dir = Some(dir.path().join("backups"));
        }
        let clock = SettableClock::new();
        let app = app::build_with_clock(&settings, std::sync::Arc::new(clock.clone())).await.expect("build the app");
        let mut t = TestApp {
            router: app.router,
            store: app.store,
            metrics: app.metrics,
            work: app.work,
            clock,
            admin: String::new(),
            settings,
            tcp: None,
            _database: test_database,
            _dir: dir,
        };
        t.admin = t.login("admin", ADMIN_PASSWORD).await;
        Some(t)
    }

    /// Like [`TestApp::try_spawn`], and also serves the app on a port of 127.0.0.1, as
    /// `pustaka serve` does, for [`TestApp::base`] and [`TestApp::client`].
    pub async fn try_spawn_tcp(db: Db) -> Option<TestApp> {
        let mut t = Self::try_spawn(db).await?;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let served = app::App {
            store: t.store.clone(),
            router: t.router.clone(),
            draining: Default::default(),
            drain: std::time::Duration::ZERO,
            limits: pustaka::serve::Limits {
                // Short, so that the test of a client trickling its headers is quick.
                header_read_timeout: std::time::Duration::from_secs(1),
                max_open_connections: 512,
                max_reads_in_flight: Some(64),
            },
            scheduler: None,
            backups: None,
            metrics: t.metrics.clone(),
            work: t.work.clone(),
        };
        tokio::spawn(app::serve(listener, served, std::future::pending()));
        let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
        t.tcp = Some(Tcp { base, client });
        Some(t)
    }

    fn tcp(&self) -> &Tcp {
        self.tcp.as_ref().expect("this test talks over TCP: declare it after `tcp:` in contract!")
    }

    /// The served app's URL, `http://127.0.0.1:PORT` (apps from [`TestApp::try_spawn_tcp`]).
    pub fn base(&self) -> &str {
        &self.tcp().base
    }

    /// A client that keeps cookies, like a browser (apps from [`TestApp::try_spawn_tcp`]).
    pub fn client(&self) -> &reqwest::Client {
        &self.tcp().client
    }

    /// Sends a request through the app in-process, as its own task (as a server would), and
    /// reads the whole response.
    /// The client address is [`PEER`]'s unless the request carries a `ConnectInfo` already
    /// (see [`TestApp::post_from`]).
    pub async fn send(&self, mut req: Request<Body>) -> Res {
        if req.extensions().get::<ConnectInfo<SocketAddr>>().is_none() {
            req.extensions_mut().insert(ConnectInfo(SocketAddr::from(PEER)));
        }
        let router = self.router.clone();
        let res = tokio::spawn(async move {
            let res = router.oneshot(req).await.expect("the router is infallible");
            let (parts, body) = res.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("response body read");
            (parts, bytes)
        });
        let (parts, bytes) = res.await.expect("request task");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Res { status: parts.status, headers: parts.headers, body }
    }

    /// Sends a request with an optional token and JSON body.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Res {
        // No cookies: only the token authenticates.
        let mut req = Request::builder().method(method).uri(uri(path)).header(header::ACCEPT, "*/*");
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let req = match body {
            Some(b) => {
                let bytes = serde_json::to_vec(&b).unwrap();
                req.header(header::CONTENT_TYPE, "application/json")
                    .header(header::CONTENT_LENGTH, bytes.len())
                    .body(Body::from(bytes))
            }
            None => req.body(Body::empty()),
        };
        self.send(req.unwrap()).await
    }

    /// Posts JSON as a client at another address (`"203.0.113.7"`), as seen over TCP.
    pub async fn post_from(&self, address: &str, path: &str, body: Value) -> Res {
        let peer = SocketAddr::new(address.parse().expect("an IP address"), 40_001);
        let bytes = serde_json::to_vec(&body).unwrap();
        let mut req = Request::builder()
            .method(Method::POST)
            .uri(uri(path))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::CONTENT_LENGTH, bytes.len())
            .body(Body::from(bytes))
            .unwrap();
        req.extensions_mut().insert(ConnectInfo(peer));
        self.send(req).await
    }

    /// A login attempt from a client at `address`.
    pub async fn login_from(&self, address: &str, username: &str, password: &str) -> Res {
        self.post_from(address, "/api/v1/auth/login", json!({ "username": username, "password": password })).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Res {
        self.call(Method::GET, path, token, None).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Res {
        self.call(Method::POST, path, token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: Value) -> Res {
        self.call(Method::PATCH, path, token, Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Res {
        self.call(Method::DELETE, path, token, None).await
    }

    /// Logs in and returns the token.
    pub async fn login(&self, username: &str, password: &str) -> String {
        let body = self
            .post("/api/v1/auth/login", None, json!({ "username": username, "password": password }))
            .await
            .expect(200);
        body["token"].as_str().unwrap().to_owned()
    }

    /// Creates the librarian account [`LIBRARIAN`] and returns a session token for it.
    pub async fn add_librarian(&self) -> String {
        let (username, password) = LIBRARIAN;
        self.post(
            "/api/v1/users",
            Some(&self.admin),
            json!({"username": username, "password": password, "role": "librarian"}),
        )
        .await
        .expect(201);
        self.login(username, password).await
    }

    /// Catalogues a book and returns its id.
    pub async fn book(&self, title: &str) -> i64 {
        let body = self
            .post("/api/v1/books", Some(&self.admin), json!({ "title": title, "authors": ["Penulis Uji"] }))
            .await
            .expect(201);
        body["id"].as_i64().unwrap()
    }

    /// Adds a copy to a book.
    pub async fn copy(&self, book_id: i64, barcode: &str) {
        self.post(&format!("/api/v1/books/{book_id}/copies"), Some(&self.admin), json!({ "barcode": barcode }))
            .await
            .expect(201);
    }

    /// Registers a member; returns (id, card number).
    pub async fn member(&self, name: &str, category: &str) -> (i64, String) {
        let body = self
            .post("/api/v1/members", Some(&self.admin), json!({ "name": name, "category": category }))
            .await
            .expect(201);
        (body["id"].as_i64().unwrap(), body["card_number"].as_str().unwrap().to_owned())
    }

    /// Registers a member with a login; returns (id, card number, token).
    pub async fn member_with_login(&self, name: &str, username: &str) -> (i64, String, String) {
        let body = self
            .post(
                "/api/v1/members",
                Some(&self.admin),
                json!({ "name": name, "category": "student", "username": username, "password": "member-password" }),
            )
            .await
            .expect(201);
        let token = self.login(username, "member-password").await;
        (body["id"].as_i64().unwrap(), body["card_number"].as_str().unwrap().to_owned(), token)
    }

    /// Lends a copy; returns the loan.
    pub async fn checkout(&self, barcode: &str, card: &str) -> Res {
        self.post("/api/v1/loans", Some(&self.admin), json!({ "barcode": barcode, "card_number": card })).await
    }

    /// Takes a copy back.
    pub async fn checkin(&self, barcode: &str) -> Res {
        self.post("/api/v1/returns", Some(&self.admin), json!({ "barcode": barcode })).await
    }

    /// Lends a copy as the desk did `days_ago` days ago (the store's clock set back meanwhile):
    /// its due date comes from the member's loan rules and the calendar, as for any loan.
    pub async fn checkout_days_ago(&self, barcode: &str, card: &str, days_ago: i64) -> Res {
        self.clock.shift(-chrono::Duration::days(days_ago));
        let res = self.checkout(barcode, card).await;
        self.clock.reset();
        res
    }

    /// Sends a file to the page's import (`POST /api/v1/import/...`) as the holder of `token`.
    pub async fn upload(&self, path: &str, token: &str, bytes: &[u8]) -> Res {
        let req = Request::post(uri(path))
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "text/csv")
            .body(Body::from(bytes.to_vec()))
            .unwrap();
        self.send(req).await
    }

    /// Follows an import job (`GET /api/v1/import/jobs/{id}`) until it is no longer running
    /// (at most two minutes); the job as it ended.
    pub async fn wait_for_job(&self, id: i64) -> Value {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(120);
        loop {
            let job = self.get(&format!("/api/v1/import/jobs/{id}"), Some(&self.admin)).await.expect(200);
            if job["status"] != "running" {
                return job;
            }
            assert!(std::time::Instant::now() < until, "import job {id} still running: {job:#}");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Imports a file as the admin through the page's API: 202 with a job, followed until it is
    /// done; the job's report.
    pub async fn import_file(&self, path: &str, bytes: &[u8]) -> Value {
        let r = self.upload(path, &self.admin, bytes).await;
        let location = r.headers.get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let job = r.expect(202);
        assert_eq!(location.as_deref(), job["links"]["self"].as_str(), "Location names the job");
        assert_eq!(job["status"], "running", "{job:#}");
        let done = self.wait_for_job(job["id"].as_i64().expect("the job's id")).await;
        assert_eq!(done["status"], "done", "{done:#}");
        done["report"].clone()
    }

    /// Today in the library's calendar.
    pub fn today(&self) -> chrono::NaiveDate {
        self.store.today(self.store.now())
    }

    /// The store a second replica of the service would have: its own connections to the same
    /// database, the same clock.
    pub async fn replica_store(&self) -> Store {
        let store = app::connect(&self.settings).await.expect("a second replica connects");
        store.with_clock(std::sync::Arc::new(self.clock.clone()))
    }
}

/// The migrated SQLite database every test's file is copied from: the migrations run once per
/// test process, into a file of a folder of its own, which `VACUUM INTO` turns into one
/// self-contained file (nothing left in a write-ahead log); its bytes are kept and the folder
/// removed. The app still migrates at start, which finds every migration applied.
async fn sqlite_template() -> &'static [u8] {
    static TEMPLATE: tokio::sync::OnceCell<Vec<u8>> = tokio::sync::OnceCell::const_new();
    TEMPLATE
        .get_or_init(|| async {
            let dir = tempfile::tempdir().expect("temp dir");
            let (migrated, template) = (dir.path().join("migrated.db"), dir.path().join("template.db"));
            let url = format!("sqlite://{}?mode=rwc", migrated.display());
            let db =
                Database::connect(&DatabaseSettings::from_url(&url, None).unwrap()).await.expect("open the template");
            db.migrate().await.expect("migrate the SQLite template");
            db.close().await;
            let mut conn = sqlx::SqliteConnection::connect(&url).await.expect("open the template");
            sqlx::query("VACUUM INTO ?")
                .bind(template.display().to_string())
                .execute(&mut conn)
                .await
                .expect("VACUUM INTO the template");
            conn.close().await.expect("close the template");
            std::fs::read(&template).expect("read the template")
        })
        .await
}

/// The migrated MariaDB database every test's database is copied from, made once per test
/// process: its name, and the statements that copy it into the current database (each table as
/// `SHOW CREATE TABLE` gives it, foreign keys included, then its rows, `_sqlx_migrations` too).
struct MariaDbTemplate {
    name: String,
    copy: String,
}

/// The prefix of template databases' names (`pt_` like every test database: the test user of
/// `scripts/mariadb-test-server` may create only those).
const TEMPLATE_PREFIX: &str = "pt_tmpl_";

impl MariaDbTemplate {
    /// The process's template on `server` (made by the first test that asks).
    async fn get(server: &str) -> &'static MariaDbTemplate {
        static TEMPLATE: tokio::sync::OnceCell<MariaDbTemplate> = tokio::sync::OnceCell::const_new();
        TEMPLATE.get_or_init(|| Self::make(server)).await
    }

    /// Makes the template. Its name is this process's, held by a lock of the same name for as
    /// long as the process lives (the server lets a lock go when its connection does): a
    /// template whose lock is free belongs to a test process that has ended, and is dropped here.
    async fn make(server: &str) -> MariaDbTemplate {
        let name = format!("{TEMPLATE_PREFIX}{}", uuid::Uuid::new_v4().simple());
        hold_lock_while_the_process_lives(server, &name).await;
        let mut admin = sqlx::MySqlConnection::connect(server).await.expect("connect to the test MariaDB");
        let templates: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(SCHEMA_NAME AS CHAR) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?",
        )
        .bind(format!("{}%", TEMPLATE_PREFIX.replace('_', "\\_")))
        .fetch_all(&mut admin)
        .await
        .expect("list the template databases");
        for old in templates {
            let free: Option<i64> =
                sqlx::query_scalar("SELECT IS_FREE_LOCK(?)").bind(&old).fetch_one(&mut admin).await.unwrap();
            if free == Some(1) {
                sqlx::query(&format!("DROP DATABASE IF EXISTS `{old}`")).execute(&mut admin).await.unwrap();
            }
        }
        sqlx::query(&create_database(&name)).execute(&mut admin).await.expect("create the template database");
        let db =
            Database::connect(&DatabaseSettings::from_url(&format!("{server}/{name}"), None).unwrap()).await.unwrap();
        db.migrate().await.expect("migrate the MariaDB template");
        db.close().await;

        // Tables only: a view, trigger or routine would need copying too.
        let others: i64 = sqlx::query_scalar(
            "SELECT (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_TYPE <> 'BASE TABLE') \
             + (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ?) \
             + (SELECT COUNT(*) FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = ?)",
        )
        .bind(&name)
        .bind(&name)
        .bind(&name)
        .fetch_one(&mut admin)
        .await
        .unwrap();
        assert_eq!(others, 0, "the migrations made a view, trigger or routine: copy it in MariaDbTemplate::make");
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME",
        )
        .bind(&name)
        .fetch_all(&mut admin)
        .await
        .unwrap();
        // Foreign keys are checked by the rows' inserts, not by the order the tables come in.
        let mut copy = String::from("SET foreign_key_checks = 0;\n");
        let mut rows = String::new();
        for table in &tables {
            let create: (String, String) =
                sqlx::query_as(&format!("SHOW CREATE TABLE `{name}`.`{table}`")).fetch_one(&mut admin).await.unwrap();
            copy.push_str(&create.1);
            copy.push_str(";\n");
            let filled: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM `{name}`.`{table}`"))
                .fetch_one(&mut admin)
                .await
                .unwrap();
            if filled > 0 {
                // Generated columns are computed again, never inserted.
                let columns: Vec<String> = sqlx::query_scalar(
                    "SELECT CONCAT('`', CAST(COLUMN_NAME AS CHAR), '`') FROM information_schema.COLUMNS \
                     WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND IS_GENERATED = 'NEVER' ORDER BY ORDINAL_POSITION",
                )
                .bind(&name)
                .bind(table)
                .fetch_all(&mut admin)
                .await
                .unwrap();
                let columns = columns.join(", ");
                rows.push_str(&format!(
                    "INSERT INTO `{table}` ({columns}) SELECT {columns} FROM `{name}`.`{table}`;\n"
                ));
            }
        }
        copy.push_str(&rows);
        copy.push_str("SET foreign_key_checks = 1;\n");
        admin.close().await.unwrap();
        MariaDbTemplate { name, copy }
    }
}

/// Takes the lock `name` on a connection of its own, kept open on a thread of its own until the
/// process exits (test runtimes come and go with their tests).
async fn hold_lock_while_the_process_lives(server: &str, name: &str) {
    let (server, name) = (server.to_owned(), name.to_owned());
    let (taken, locked) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let held = async {
                let mut conn = sqlx::MySqlConnection::connect(&server).await?;
                let got: Option<i64> =
                    sqlx::query_scalar("SELECT GET_LOCK(?, 0)").bind(&name).fetch_one(&mut conn).await?;
                Ok::<_, sqlx::Error>((conn, got == Some(1)))
            };
            match held.await {
                Ok((conn, true)) => {
                    let _ = taken.send(Ok(()));
                    std::future::pending::<()>().await;
                    drop(conn);
                }
                Ok((_, false)) => {
                    let _ = taken.send(Err(format!("the lock {name} is taken")));
                }
                Err(e) => {
                    let _ = taken.send(Err(e.to_string()));
                }
            }
        });
    });
    locked.await.expect("the lock's thread").expect("lock the template's name");
}

/// `CREATE DATABASE` of a test database.
fn create_database(name: &str) -> String {
    format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
}

/// The test MariaDB server's URL without a database, or `None` when `PUSTAKA_TEST_MARIADB_URL`
/// is not set.
pub fn mariadb_base_url() -> Option<String> {
    std::env::var("PUSTAKA_TEST_MARIADB_URL").ok().map(|u| u.trim_end_matches('/').to_owned())
}

/// A path and query as a client would send them: normalised and percent-encoded like a URL
/// given to reqwest.
fn uri(path: &str) -> String {
    let url = url::Url::parse("http://pustaka.test").unwrap().join(path).expect("a path and query");
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

/// A MariaDB database `pt_*` of its own on the test server, dropped when this value is: at the
/// end of the test, passed or failed (a panic drops it too while unwinding).
pub struct TestDatabase {
    /// The server's URL without a database.
    server: String,
    /// The database's name.
    pub name: String,
    /// The URL of the database.
    pub url: String,
}

impl TestDatabase {
    /// An empty one, or `None` when `PUSTAKA_TEST_MARIADB_URL` is not set.
    pub async fn create() -> Option<TestDatabase> {
        Self::make(false).await
    }

    /// A migrated one, a copy of the process's template; `None` when `PUSTAKA_TEST_MARIADB_URL`
    /// is not set.
    pub async fn migrated() -> Option<TestDatabase> {
        Self::make(true).await
    }

    async fn make(migrated: bool) -> Option<TestDatabase> {
        let server = mariadb_base_url()?;
        let template = match migrated {
            true => Some(MariaDbTemplate::get(&server).await),
            false => None,
        };
        let name = format!("pt_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::MySqlConnection::connect(&server).await.expect("connect to the test MariaDB");
        sqlx::query(&create_database(&name)).execute(&mut admin).await.expect("create the test database");
        let url = format!("{server}/{name}");
        // Dropped with its database if the copy fails.
        let database = TestDatabase { server, name, url };
        if let Some(template) = template {
            let copy = format!("USE `{}`;\n{}", database.name, template.copy);
            sqlx::raw_sql(&copy).execute(&mut admin).await.expect("copy the template database");
        }
        admin.close().await.expect("close the test MariaDB connection");
        Some(database)
    }

    /// Ends the connections still using the database (a test that panicked may leave one inside
    /// a transaction, whose locks would make `DROP DATABASE` wait), then drops it.
    async fn drop_now(server: &str, name: &str) -> Result<(), sqlx::Error> {
        use sqlx::Connection;
        let mut conn = sqlx::MySqlConnection::connect(server).await?;
        let ids: Vec<i64> =
            sqlx::query_scalar("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID()")
                .bind(name)
                .fetch_all(&mut conn)
                .await?;
        for id in ids {
            // It may have ended by itself meanwhile.
            let _ = sqlx::query(&format!("KILL CONNECTION {id}")).execute(&mut conn).await;
        }
        sqlx::query(&format!("DROP DATABASE IF EXISTS `{name}`")).execute(&mut conn).await?;
        conn.close().await
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which may be unwinding from a panic: the work is
        // done on a thread of its own with a small runtime of its own, and waited for, so the
        // database is gone before the test binary exits. Failures are reported, never panicked
        // on (a panic while unwinding would abort the whole test binary).
        let (server, name) = (self.server.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
            rt.block_on(async {
                tokio::time::timeout(std::time::Duration::from_secs(30), Self::drop_now(&server, &name))
                    .await
                    .map_err(|_| "timed out".to_owned())?
                    .map_err(|e| e.to_string())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("could not drop the test database {}: {e}", self.name),
            Err(_) => eprintln!("could not drop the test database {}: the dropping thread panicked", self.name),
        }
    }
}

/// Whether the backend is the one that was asked for (for tests of dialect-specific behaviour).
pub fn backend_of(app: &TestApp) -> Backend {
    app.store.db.backend()
}

/// The backend of a test app, to spawn another app on the same one.
pub fn db_of(app: &TestApp) -> Db {
    match backend_of(app) {
        Backend::Sqlite => Db::Sqlite,
        Backend::MariaDb => Db::MariaDb,
    }
}

/// Declares each contract test once for SQLite (always) and once for MariaDB (when configured).
/// Tests listed after `tcp:` also get the app served on a port ([`TestApp::base`],
/// [`TestApp::client`]); the others call it in-process only.
#[macro_export]
macro_rules! contract {
    ($($name:ident),+ $(,)? $(; tcp: $($tcp:ident),+ $(,)?)?) => {
        mod sqlite {
            $( $crate::contract!(@test $name, Sqlite, try_spawn); )+
            $($( $crate::contract!(@test $tcp, Sqlite, try_spawn_tcp); )+)?
        }
        mod mariadb {
            $( $crate::contract!(@test $name, MariaDb, try_spawn); )+
            $($( $crate::contract!(@test $tcp, MariaDb, try_spawn_tcp); )+)?
        }
    };
    (@test $name:ident, $db:ident, $spawn:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn $name() {
            match $crate::common::TestApp::$spawn($crate::common::Db::$db).await {
                Some(app) => super::$name(app).await,
                None => eprintln!("PUSTAKA_TEST_MARIADB_URL is not set: the MariaDB run of this test is skipped"),
            }
        }
    };
}

/// `s` percent-encoded for a query string (every byte but the unreserved ones).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
