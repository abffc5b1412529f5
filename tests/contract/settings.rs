//! Settings in the page (issue #32): read and changed through `/api/v1/settings`, checked field
//! by field, pinned by the environment, the SMTP password never answered, a test mail delivered
//! to a real SMTP server (Debian's aiosmtpd, as in notices.rs), a change seen by another replica,
//! and the notices scheduler sending through the server set in the page.

use crate::{
    common,
    notices::{free_port, member_with_email, SmtpSink},
};

use common::{db_of, TestApp};
use pustaka::notices::Scheduler;
use reqwest::Method;
use serde_json::{json, Value};

contract!(
    settings_are_read_changed_and_checked,
    the_smtp_password_is_never_answered,
    pinned_settings_are_shown_and_refused,
    a_test_mail_is_delivered_or_the_smtp_error_answered,
    notices_go_through_the_smtp_server_set_in_the_page
);

async fn put(app: &TestApp, body: Value) -> common::Res {
    app.call(Method::PUT, "/api/v1/settings", Some(&app.admin), Some(body)).await
}

/// The one field error of a 422.
#[track_caller]
fn field_error(res: common::Res, field: &str, code: &str) {
    let body = res.problem(422, "validation");
    let errors = body["errors"].as_array().unwrap();
    assert!(errors.iter().any(|e| e["field"] == field && e["code"] == code), "{body:#}");
}

async fn settings_are_read_changed_and_checked(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let s = app.get("/api/v1/settings", admin).await.expect(200);
    assert_eq!(s["timezone"], json!({"value": "Asia/Jakarta", "pinned_by": null}));
    assert_eq!(s["language"], json!({"value": "id", "pinned_by": null}));
    assert_eq!(s["smtp_url"], json!({"value": null, "pinned_by": null}));
    assert_eq!(s["smtp_password"], json!({"set": false, "pinned_by": null}));
    // Anyone may read what the page needs before a login.
    assert_eq!(
        app.get("/api/v1/settings/page", None).await.expect(200),
        json!({"language": "id", "timezone": "Asia/Jakarta"})
    );

    let s = put(&app, json!({"timezone": "Asia/Makassar", "language": "en"})).await.expect(200);
    assert_eq!(s["timezone"]["value"], "Asia/Makassar");
    assert_eq!(s["language"]["value"], "en");
    assert_eq!(app.store.tz(), chrono_tz::Asia::Makassar, "taken at once on this replica");
    assert_eq!(app.get("/api/v1/settings/page", None).await.expect(200)["language"], "en");
    // Another replica reads it when it starts and on every refresh (app::SETTINGS_EVERY).
    let other = app.replica_store().await;
    assert_eq!(other.tz(), chrono_tz::Asia::Makassar);
    put(&app, json!({"timezone": "Asia/Jayapura"})).await.expect(200);
    assert_eq!(other.tz(), chrono_tz::Asia::Makassar, "not yet refreshed");
    other.refresh_settings().await.unwrap();
    assert_eq!(other.tz(), chrono_tz::Asia::Jayapura);
    // A left-out field stays; an empty one goes back to its default.
    let s = put(&app, json!({"language": ""})).await.expect(200);
    assert_eq!(s["language"]["value"], "id");
    assert_eq!(s["timezone"]["value"], "Asia/Jayapura");
    let s = put(&app, json!({"timezone": ""})).await.expect(200);
    assert_eq!(s["timezone"]["value"], "Asia/Jakarta");

    // Each bad value is named by its field; nothing of a refused request is stored.
    field_error(put(&app, json!({"timezone": "Mars/Olympus", "language": "en"})).await, "timezone", "invalid_timezone");
    field_error(put(&app, json!({"language": "fr"})).await, "language", "invalid_language");
    field_error(put(&app, json!({"smtp_url": "http://mail.example.org"})).await, "smtp_url", "invalid_smtp_url");
    field_error(put(&app, json!({"smtp_url": "not a url"})).await, "smtp_url", "invalid_smtp_url");
    field_error(put(&app, json!({"smtp_url": "smtp://u:pw@mail.example.org"})).await, "smtp_url", "invalid_smtp_url");
    // A password needs a user in the URL.
    field_error(
        put(&app, json!({"smtp_url": "smtp://mail.example.org", "smtp_password": "x"})).await,
        "smtp_url",
        "invalid_smtp_url",
    );
    field_error(put(&app, json!({"sender": "not-an-address"})).await, "sender", "invalid_format");
    field_error(put(&app, json!({"timezone": "x".repeat(600)})).await, "timezone", "too_long");
    app.call(Method::PUT, "/api/v1/settings", Some(&app.admin), Some(json!({"colour": "red"})))
        .await
        .problem(422, "validation");
    let s = app.get("/api/v1/settings", admin).await.expect(200);
    assert_eq!(s["language"]["value"], "id");
    assert_eq!(s["timezone"]["value"], "Asia/Jakarta");
    // Only the settings permission reads or changes them.
    let librarian = app.add_librarian().await;
    app.get("/api/v1/settings", Some(&librarian)).await.problem(403, "forbidden");
    app.call(Method::PUT, "/api/v1/settings", Some(&librarian), Some(json!({"language": "en"})))
        .await
        .problem(403, "forbidden");
}

async fn the_smtp_password_is_never_answered(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let secret = "rahasia-smtp-7781";
    let s = put(
        &app,
        json!({"smtp_url": "smtps://perpus@mail.example.org:465", "smtp_password": secret, "sender": "perpus@example.org"}),
    )
    .await
    .expect(200);
    assert_eq!(s["smtp_url"]["value"], "smtps://perpus@mail.example.org:465");
    assert_eq!(s["smtp_password"]["set"], true);
    assert_eq!(s["sender"], "perpus@example.org");
    assert!(!s.to_string().contains(secret));
    let s = app.get("/api/v1/settings", admin).await.expect(200);
    assert!(!s.to_string().contains(secret), "{s:#}");
    assert_eq!(s["smtp_password"]["set"], true);
    // The sender is the notices' one.
    assert_eq!(app.get("/api/v1/notices/settings", admin).await.expect(200)["sender"], "perpus@example.org");
    assert_eq!(app.get("/api/v1/notices/settings", admin).await.expect(200)["enabled"], true);
    // The audit log says it was set, never what it is.
    let audit = app.get("/api/v1/audit?per_page=100", admin).await.expect(200);
    assert!(!audit.to_string().contains(secret), "{audit:#}");
    assert!(audit.to_string().contains("smtp_password set"), "{audit:#}");
    // A backup leaves the secrets' table out (see backup.rs NOT_BACKED_UP).
    assert!(pustaka::store::backup::NOT_BACKED_UP.iter().any(|(t, _)| *t == "library_secrets"));
    assert!(pustaka::store::backup::TABLES.iter().all(|t| t.name != "library_secrets"));
    // Changing the URL keeps the password; an empty password removes it.
    let s = put(&app, json!({"smtp_url": "smtps://perpus@mail2.example.org"})).await.expect(200);
    assert_eq!(s["smtp_password"]["set"], true);
    let s = put(&app, json!({"smtp_password": ""})).await.expect(200);
    assert_eq!(s["smtp_password"]["set"], false);
    let s = put(&app, json!({"smtp_url": ""})).await.expect(200);
    assert_eq!(s["smtp_url"]["value"], Value::Null);
    assert_eq!(app.get("/api/v1/notices/settings", admin).await.expect(200)["enabled"], false);
}

async fn pinned_settings_are_shown_and_refused(app: TestApp) {
    let pinned = TestApp::try_spawn_with(
        db_of(&app),
        &[
            ("PUSTAKA_TIMEZONE", "Asia/Jayapura"),
            ("PUSTAKA_SMTP_URL", "smtp://perpus@127.0.0.1:2525"),
            ("PUSTAKA_SMTP_PASSWORD", "env-secret-1234"),
        ],
    )
    .await
    .unwrap();
    let admin = Some(pinned.admin.as_str());
    let s = pinned.get("/api/v1/settings", admin).await.expect(200);
    assert_eq!(s["timezone"], json!({"value": "Asia/Jayapura", "pinned_by": "PUSTAKA_TIMEZONE"}));
    assert_eq!(s["smtp_url"], json!({"value": "smtp://perpus@127.0.0.1:2525", "pinned_by": "PUSTAKA_SMTP_URL"}));
    assert_eq!(s["smtp_password"], json!({"set": true, "pinned_by": "PUSTAKA_SMTP_URL"}));
    assert!(!s.to_string().contains("env-secret-1234"));
    field_error(put(&pinned, json!({"timezone": "Asia/Makassar"})).await, "timezone", "pinned");
    field_error(put(&pinned, json!({"smtp_url": "smtp://other.example.org"})).await, "smtp_url", "pinned");
    field_error(put(&pinned, json!({"smtp_password": "x"})).await, "smtp_password", "pinned");
    // What is not pinned still changes.
    assert_eq!(put(&pinned, json!({"language": "en"})).await.expect(200)["language"]["value"], "en");
    // A zone stored before the variable was set does not win over it.
    put(&app, json!({"timezone": "Asia/Makassar"})).await.expect(200);
    pinned.store.refresh_settings().await.unwrap();
    assert_eq!(pinned.store.tz(), chrono_tz::Asia::Jayapura);
}

async fn a_test_mail_is_delivered_or_the_smtp_error_answered(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let mail = |to: &str| app.post("/api/v1/settings/test-mail", admin, json!({"to": to}));
    mail("pustakawan@example.org").await.problem(409, "smtp_not_set");
    let port = free_port();
    put(&app, json!({"smtp_url": format!("smtp://127.0.0.1:{port}")})).await.expect(200);
    // No sender yet: the field to fill is named.
    field_error(mail("pustakawan@example.org").await, "sender", "required");
    put(&app, json!({"sender": "perpustakaan@sekolah.example"})).await.expect(200);
    field_error(mail("nobody").await, "to", "invalid_format");
    // Nothing listens on the port: the SMTP client's error, as a problem, never a 500.
    let p = mail("pustakawan@example.org").await.problem(409, "smtp_failed");
    assert!(!p["detail"].as_str().unwrap().is_empty());
    let smtp = SmtpSink::start(port);
    let sent = mail("pustakawan@example.org").await.expect(200);
    assert_eq!(sent["to"], "pustakawan@example.org");
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1, "{mails:#?}");
    assert!(mails[0].contains("To: pustakawan@example.org"), "{}", mails[0]);
    assert!(mails[0].contains("From: perpustakaan@sekolah.example"), "{}", mails[0]);
    assert!(mails[0].contains("test mail"), "{}", mails[0]);
}

async fn notices_go_through_the_smtp_server_set_in_the_page(app: TestApp) {
    let port = free_port();
    let smtp = SmtpSink::start(port);
    let scheduler = Scheduler::from_settings(app.store.clone(), "settings-test");
    let (_, card) = member_with_email(&app, "Sari Dewi", Some("sari@example.org"), None).await;
    let book = app.book("Bumi Manusia").await;
    app.copy(book, "SET-1").await;
    app.checkout_days_ago("SET-1", &card, 16).await.expect(201);
    app.call(
        Method::PUT,
        "/api/v1/notices/settings",
        Some(&app.admin),
        Some(json!({"sender": "perpustakaan@sekolah.example", "library_name": "Perpustakaan Uji", "language": "id",
            "due_soon_days": 3, "overdue_days": [1, 7, 14]})),
    )
    .await
    .expect(200);
    // No SMTP server set: a round does nothing.
    let round = scheduler.run_once().await.unwrap();
    assert_eq!((round.planned, round.sent), (0, 0));
    // Set in the page: the next round of the same scheduler sends through it.
    put(&app, json!({"smtp_url": format!("smtp://127.0.0.1:{port}")})).await.expect(200);
    let round = scheduler.run_once().await.unwrap();
    assert_eq!(round.sent, 1, "{round:?}");
    assert_eq!(smtp.messages().len(), 1);
}
