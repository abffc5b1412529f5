//! The test harness: a real Pustaka on port 0 with a fresh database, and a client that speaks to it.
//!
//! Each test gets its own SQLite file, or its own MariaDB database when
//! `PUSTAKA_TEST_MARIADB_URL` (a URL whose user may create databases, e.g.
//! `mysql://pustaka_test:pw@127.0.0.1:3306`) is set.

#![allow(dead_code)]

use pustaka::{
    app,
    config::{Backend, DatabaseSettings, Settings},
    store::{db::sql, Store},
};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

/// The admin password every test app starts with.
pub const ADMIN_PASSWORD: &str = "admin-test-password";
/// The librarian account [`TestApp::add_librarian`] creates.
pub const LIBRARIAN: (&str, &str) = ("pustakawan", "librarian-pw");

/// The low password-hashing cost of test apps (Argon2's minimum is 8 KiB and 1 pass).
pub const TEST_HASH_MEMORY_KIB: &str = "64";
pub const TEST_HASH_ITERATIONS: &str = "1";

/// Which backend a contract test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Db {
    Sqlite,
    MariaDb,
}

/// A running Pustaka for one test.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub store: Store,
    /// The admin's session token.
    pub admin: String,
    _dir: tempfile::TempDir,
}

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
    /// Starts Pustaka on the backend, or `None` for MariaDB when no test server is configured.
    pub async fn try_spawn(db: Db) -> Option<TestApp> {
        // Silent unless asked: TEST_LOG=1 shows the service's logs.
        if std::env::var_os("TEST_LOG").is_some() {
            pustaka::telemetry::init(pustaka::config::LogFormat::Text);
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let database = match db {
            Db::Sqlite => DatabaseSettings::from_url(
                &format!("sqlite://{}?mode=rwc", dir.path().join("pustaka.db").display()),
                None,
            )
            .unwrap(),
            Db::MariaDb => {
                let base = std::env::var("PUSTAKA_TEST_MARIADB_URL").ok()?;
                let base = base.trim_end_matches('/').to_owned();
                let name = format!("pt_{}", uuid::Uuid::new_v4().simple());
                let admin = sqlx::MySqlPool::connect(&base).await.expect("connect to the test MariaDB");
                sqlx::query(&format!("CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
                    .execute(&admin)
                    .await
                    .expect("create the test database");
                admin.close().await;
                let mut s = DatabaseSettings::from_url(&format!("{base}/{name}"), None).unwrap();
                s.max_connections = 20;
                s
            }
        };
        let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
        let mut settings = Settings::from_lookup(|k| match k {
            "PUSTAKA_ADMIN_PASSWORD" => Some(ADMIN_PASSWORD.into()),
            "PUSTAKA_INSTANCE" => Some("test-replica".into()),
            "PUSTAKA_PASSWORD_HASH_MEMORY_KIB" => Some(TEST_HASH_MEMORY_KIB.into()),
            "PUSTAKA_PASSWORD_HASH_ITERATIONS" => Some(TEST_HASH_ITERATIONS.into()),
            _ => None,
        })
        .unwrap();
        settings.database = database;
        settings.web_dir = web;
        let app = app::build(&settings).await.expect("build the app");
        let store = app.store.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(app::serve(listener, app, std::future::pending()));
        let client = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let mut t = TestApp { base, client, store, admin: String::new(), _dir: dir };
        t.admin = t.login("admin", ADMIN_PASSWORD).await;
        Some(t)
    }

    /// Sends a request with an optional token and JSON body.
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Res {
        // A fresh client without cookies, so only the token authenticates.
        let client = reqwest::Client::new();
        let mut req = client.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.bytes().await.unwrap();
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Res { status, headers, body }
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

    /// Moves a loan into the past as if it had been lent `days_ago` and fell due `due_days_ago`
    /// (at the end of that day in Jakarta). Time is the one input a black-box test cannot send.
    pub async fn backdate_loan(&self, loan_id: i64, days_ago: i64, due_days_ago: i64) {
        let now = pustaka::store::now();
        let today = self.store.today(now);
        let due = pustaka::domain::time::end_of_day(today - chrono::Duration::days(due_days_ago), self.store.tz);
        let mut tx = self.store.db.begin().await.unwrap();
        tx.exec(
            sql("UPDATE loans SET loaned_at = ?, due_at = ? WHERE id = ?")
                .bind(now - chrono::Duration::days(days_ago))
                .bind(due)
                .bind(loan_id),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    /// Today in the library's calendar.
    pub fn today(&self) -> chrono::NaiveDate {
        self.store.today(pustaka::store::now())
    }
}

/// Whether the backend is the one that was asked for (for tests of dialect-specific behaviour).
pub fn backend_of(app: &TestApp) -> Backend {
    app.store.db.backend()
}

/// Declares each contract test once for SQLite (always) and once for MariaDB (when configured).
#[macro_export]
macro_rules! contract {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    let app = $crate::common::TestApp::try_spawn($crate::common::Db::Sqlite).await.unwrap();
                    super::$name(app).await;
                }
            )+
        }
        mod mariadb {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    match $crate::common::TestApp::try_spawn($crate::common::Db::MariaDb).await {
                        Some(app) => super::$name(app).await,
                        None => eprintln!("PUSTAKA_TEST_MARIADB_URL is not set: the MariaDB run of this test is skipped"),
                    }
                }
            )+
        }
    };
}
