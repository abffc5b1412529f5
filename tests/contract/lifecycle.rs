//! Start-up and shutdown as an operator sees them.

use crate::common;

use std::time::Duration;

use pustaka::{app, config::Settings};

fn settings(dir: &std::path::Path, extra: &[(&str, &str)]) -> Settings {
    let db = format!("sqlite://{}?mode=rwc", dir.join("p.db").display());
    let mut vars: Vec<(String, String)> = vec![("PUSTAKA_DATABASE_URL".into(), db)];
    vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Settings::from_lookup(|k| vars.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())).unwrap()
}

#[tokio::test]
async fn shutdown_drains_before_closing() {
    let dir = tempfile::tempdir().unwrap();
    let s = settings(dir.path(), &[("PUSTAKA_ADMIN_PASSWORD", "admin-password"), ("PUSTAKA_DRAIN_SECONDS", "3")]);
    let built = app::build(&s).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app::serve(listener, built, async move {
        let _ = stopped.await;
    }));
    assert_eq!(reqwest::get(format!("{base}/readyz")).await.unwrap().status(), 200);

    stop.send(()).unwrap();
    // While draining, the replica says it is not ready but still answers.
    let mut saw_draining = false;
    for _ in 0..50 {
        let r = reqwest::get(format!("{base}/readyz")).await.unwrap();
        if r.status() == 503 {
            let body: serde_json::Value = r.json().await.unwrap();
            assert_eq!(body["code"], "draining");
            saw_draining = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(saw_draining, "readyz turns 503 as soon as shutdown starts");
    assert_eq!(reqwest::get(format!("{base}/healthz")).await.unwrap().status(), 200, "still serving while draining");
    tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops after the drain")
        .unwrap()
        .unwrap();
    assert!(reqwest::get(format!("{base}/healthz")).await.is_err(), "closed after the drain");
}

#[tokio::test]
async fn first_start_creates_one_admin_and_a_second_start_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let first = app::build(&settings(dir.path(), &[])).await.unwrap();
    let users = first.store.users().await.unwrap();
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].username, "admin");
    first.store.db.close().await;
    // Given a password now, it is not applied: the admin exists already.
    let second = app::build(&settings(dir.path(), &[("PUSTAKA_ADMIN_PASSWORD", "another-password")])).await.unwrap();
    assert_eq!(second.store.users().await.unwrap().len(), 1);
    let pw: secrecy::SecretString = "another-password".to_owned().into();
    assert!(second.store.login("admin", &pw, "127.0.0.1").await.is_err());
}

#[tokio::test]
async fn a_short_admin_password_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let err = app::build(&settings(dir.path(), &[("PUSTAKA_ADMIN_PASSWORD", "short")])).await.err().expect("refused");
    assert!(format!("{err:#}").contains("PUSTAKA_ADMIN_PASSWORD"), "{err:#}");
}

#[tokio::test]
async fn a_password_hash_cost_below_argon2s_minimum_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let err = Settings::from_lookup(|k| (k == "PUSTAKA_PASSWORD_HASH_MEMORY_KIB").then(|| "4".to_owned())).unwrap_err();
    assert!(format!("{err:#}").contains("PUSTAKA_PASSWORD_HASH_MEMORY_KIB"), "{err:#}");
    // Settings made in code are checked as well, before the database is touched.
    let mut s = settings(dir.path(), &[]);
    s.password_hash.iterations = 0;
    let err = app::build(&s).await.err().expect("refused");
    assert!(format!("{err:#}").contains("PUSTAKA_PASSWORD_HASH_ITERATIONS"), "{err:#}");
    assert!(!dir.path().join("p.db").exists(), "refused before the database is created");
}

#[tokio::test]
async fn replicas_starting_together_migrate_once() {
    // Four replicas start at the same moment on an empty database: each must come up.
    let Some(database) = common::TestDatabase::create().await else {
        eprintln!("PUSTAKA_TEST_MARIADB_URL is not set: skipped");
        return;
    };
    let (name, url) = (database.name.clone(), database.url.clone());
    let admin = sqlx::MySqlPool::connect(&url).await.unwrap();
    let starts = (0..4).map(|_| {
        let url = url.clone();
        tokio::spawn(async move {
            let s = pustaka::config::DatabaseSettings::from_url(&url, None).unwrap();
            let db = pustaka::store::db::Db::connect(&s).await.unwrap();
            db.migrate().await
        })
    });
    for r in futures::future::join_all(starts).await {
        r.unwrap().expect("every replica migrates or finds the schema ready");
    }
    let applied: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM `{name}`._sqlx_migrations WHERE success"))
        .fetch_one(&admin)
        .await
        .unwrap();
    let migrations = std::fs::read_dir("migrations/mariadb").unwrap().count() as i64;
    assert_eq!(applied, migrations, "each migration applied once");
}

#[tokio::test]
async fn every_mariadb_table_has_a_primary_key() {
    // Galera (deploy/galera) replicates row changes by primary key; a table without one is
    // replicated by whole rows and DELETE on it is unsupported.
    let Some(database) = common::TestDatabase::create().await else {
        eprintln!("PUSTAKA_TEST_MARIADB_URL is not set: skipped");
        return;
    };
    let (name, url) = (database.name.clone(), database.url.clone());
    let s = pustaka::config::DatabaseSettings::from_url(&url, None).unwrap();
    let db = pustaka::store::db::Db::connect(&s).await.unwrap();
    db.migrate().await.unwrap();
    let admin = sqlx::MySqlPool::connect(&url).await.unwrap();
    let without_key: Vec<String> = sqlx::query_scalar(
        "SELECT CAST(t.table_name AS CHAR) FROM information_schema.tables t WHERE t.table_schema = ? \
         AND t.table_type = 'BASE TABLE' AND NOT EXISTS (SELECT 1 FROM information_schema.table_constraints c \
         WHERE c.table_schema = t.table_schema AND c.table_name = t.table_name AND c.constraint_type = 'PRIMARY KEY')",
    )
    .bind(&name)
    .fetch_all(&admin)
    .await
    .unwrap();
    assert!(without_key.is_empty(), "tables without a primary key: {without_key:?}");
}
