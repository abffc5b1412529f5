//! Adversarial checks of logins and connections (issue 12, items 2, 3 and 6) and of the hold queue
//! (item 7), on both backends.
//! The memory check of item 1 needs a release build: `tests/security/login-burst`.

mod common;

use std::time::Duration;

use common::{TestApp, ADMIN_PASSWORD};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

contract!(
    a_strangers_failures_do_not_lock_out_the_owner,
    a_shared_address_does_not_lock_out_its_users,
    parallel_guesses_cannot_pass_the_limit,
    copies_do_not_skip_the_hold_queue;
    tcp: a_client_that_trickles_its_headers_is_cut_off,
);

const STRANGER: &str = "203.0.113.7";

async fn a_strangers_failures_do_not_lock_out_the_owner(app: TestApp) {
    for _ in 0..5 {
        app.login_from(STRANGER, "admin", "guess-guess").await.problem(401, "invalid_credentials");
    }
    // The stranger must now wait, even with the right password...
    let r = app.login_from(STRANGER, "admin", "guess-again").await;
    let retry: i64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry), "Retry-After {retry}");
    r.problem(429, "too_many_attempts");
    app.login_from(STRANGER, "Admin", ADMIN_PASSWORD).await.problem(429, "too_many_attempts");
    // ...but the owner, from their own address, logs in, again and again.
    for _ in 0..3 {
        app.login("admin", ADMIN_PASSWORD).await;
    }
    // The owner's success does not forgive the stranger.
    app.login_from(STRANGER, "admin", "guess-guess").await.problem(429, "too_many_attempts");
    // A typo by the owner, then the right password: in (a correct password takes its count back).
    app.post("/api/v1/auth/login", None, serde_json::json!({"username": "admin", "password": "typo"}))
        .await
        .problem(401, "invalid_credentials");
    app.login("admin", ADMIN_PASSWORD).await;
}

async fn a_shared_address_does_not_lock_out_its_users(app: TestApp) {
    // A school behind one address: 30 failed logins (mistyped names and passwords) from it...
    let nat = "198.51.100.9";
    app.member_with_login("Budi", "budi").await;
    for i in 0..30 {
        app.login_from(nat, &format!("murid{i}"), "wrong-password").await.problem(401, "invalid_credentials");
    }
    // ...and every user there who types their password right still gets in.
    app.login_from(nat, "budi", "member-password").await.expect(200);
    app.login_from(nat, "admin", ADMIN_PASSWORD).await.expect(200);
    // Beyond the address's limit, an account already failed from there waits...
    app.login_from(nat, "murid0", "wrong-password").await.problem(429, "too_many_attempts");
    // ...and an account not yet tried from there gets one guess only.
    app.login_from(nat, "murid99", "wrong-password").await.problem(401, "invalid_credentials");
    app.login_from(nat, "murid99", "wrong-password").await.problem(429, "too_many_attempts");
    // Another address is not affected at all.
    app.login_from(STRANGER, "murid0", "wrong-password").await.problem(401, "invalid_credentials");
}

async fn parallel_guesses_cannot_pass_the_limit(app: TestApp) {
    let app = std::sync::Arc::new(app);
    let guesses = (0..25).map(|i| {
        let app = app.clone();
        tokio::spawn(async move { app.login_from(STRANGER, "admin", &format!("guess-{i}")).await.status.as_u16() })
    });
    let mut codes: Vec<u16> = futures::future::join_all(guesses).await.into_iter().map(Result::unwrap).collect();
    codes.sort_unstable();
    let count = |code| codes.iter().filter(|c| **c == code).count();
    assert_eq!((count(401), count(429)), (5, 20), "limit 5 per account and address: {codes:?}");
    // The owner is not locked out by them.
    app.login("admin", ADMIN_PASSWORD).await;
}

async fn a_client_that_trickles_its_headers_is_cut_off(app: TestApp) {
    let addr = app.base().trim_start_matches("http://").to_owned();
    let mut slow = tokio::net::TcpStream::connect(&addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: pustaka\r\n").await.unwrap();
    // The test app's header-read timeout is 1 s; the connection must close soon after.
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match slow.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "a client that never finishes its headers is still connected after 10 s");
    // A client that sends its request whole is served as usual.
    assert_eq!(app.client().get(format!("{}/healthz", app.base())).send().await.unwrap().status(), 200);
}

/// Item 7: a copy added, or marked available again, while members wait for its book goes to the
/// first waiting member's hold shelf, never to the open shelves where anyone could take it.
async fn copies_do_not_skip_the_hold_queue(app: TestApp) {
    use serde_json::json;
    let admin = Some(app.admin.as_str());
    let book = app.book("Max Havelaar").await;
    app.copy(book, "MH-1").await;
    let (_, lender) = app.member("Peminjam", "student").await;
    let (_, waiting) = app.member("Menunggu", "student").await;
    let (_, stranger) = app.member("Penyerobot", "student").await;
    app.checkout("MH-1", &lender).await.expect(201);
    let h = app.post("/api/v1/holds", admin, json!({"book_id": book, "card_number": waiting})).await.expect(201);
    // A new copy while a member waits.
    let c = app.post(&format!("/api/v1/books/{book}/copies"), admin, json!({"barcode": "MH-2"})).await.expect(201);
    assert_eq!(c["status"], "on_hold_shelf", "a new copy skipped the queue: {c}");
    app.checkout("MH-2", &stranger).await.problem(409, "copy_on_hold_for_other");
    let ready = app.get("/api/v1/holds?status=ready", admin).await.expect(200);
    assert_eq!(
        (ready["items"][0]["id"].clone(), ready["items"][0]["copy_barcode"].clone()),
        (h["id"].clone(), json!("MH-2"))
    );
    app.checkout("MH-2", &waiting).await.expect(201);
    // A withdrawn copy marked available again while a member waits.
    app.post("/api/v1/holds", admin, json!({"book_id": book, "card_number": stranger})).await.expect(201);
    app.checkin("MH-1").await.expect(200);
    app.checkout("MH-1", &stranger).await.expect(201);
    let c = app.post(&format!("/api/v1/books/{book}/copies"), admin, json!({"barcode": "MH-3"})).await.expect(201);
    assert_eq!(c["status"], "available", "nobody waits: the open shelves");
    app.patch("/api/v1/copies/MH-3", admin, json!({"status": "withdrawn"})).await.expect(200);
    let h2 = app.post("/api/v1/holds", admin, json!({"book_id": book, "card_number": lender})).await.expect(201);
    let c = app.patch("/api/v1/copies/MH-3", admin, json!({"status": "available"})).await.expect(200);
    assert_eq!(c["status"], "on_hold_shelf", "a copy marked available skipped the queue: {c}");
    app.checkout("MH-3", &waiting).await.problem(409, "copy_on_hold_for_other");
    let ready = app.get("/api/v1/holds?status=ready", admin).await.expect(200);
    assert_eq!(ready["items"][0]["id"], h2["id"]);
}
