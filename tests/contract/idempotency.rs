//! `Idempotency-Key` on the API's writes (issue #33), on both backends: the same key again gives
//! the first answer and does the work once, also when two replicas get it at the same moment.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::connect_info::ConnectInfo,
    http::{header, Request},
};
use chrono::Duration;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tower::ServiceExt;

use crate::common::{self, Res, TestApp};

contract!(
    the_same_key_twice_lends_once_and_answers_the_same,
    a_key_used_for_another_request_is_refused,
    malformed_keys_are_refused,
    two_replicas_given_one_key_at_once_do_the_work_once,
    each_account_has_its_own_keys,
    keys_expire,
    a_key_at_work_elsewhere_is_waited_for_then_taken_over_when_abandoned,
);

/// A request as JSON through `router`, with a token and a key.
fn request(method: Method, path: &str, token: &str, key: Option<&str>, body: &Value) -> Request<Body> {
    let bytes = serde_json::to_vec(body).unwrap();
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::CONTENT_LENGTH, bytes.len());
    if let Some(k) = key {
        req = req.header("idempotency-key", k);
    }
    let mut req = req.body(Body::from(bytes)).unwrap();
    req.extensions_mut().insert(ConnectInfo(std::net::SocketAddr::from(([127, 0, 0, 1], 40_000))));
    req
}

/// Sends `req` through `router` as a task of its own and reads the answer.
async fn send_via(router: axum::Router, req: Request<Body>) -> Res {
    let (parts, bytes) = tokio::spawn(async move {
        let res = router.oneshot(req).await.unwrap();
        let (parts, body) = res.into_parts();
        (parts, axum::body::to_bytes(body, usize::MAX).await.unwrap())
    })
    .await
    .unwrap();
    let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap_or(Value::Null) };
    Res { status: parts.status, headers: parts.headers, body }
}

async fn post_keyed(app: &TestApp, path: &str, token: &str, key: &str, body: Value) -> Res {
    send_via(app.router.clone(), request(Method::POST, path, token, Some(key), &body)).await
}

fn replayed(res: &Res) -> bool {
    res.headers.get("idempotency-replayed").is_some_and(|v| v == "true")
}

/// How many loans the member ever had.
async fn loans_of(app: &TestApp, member: i64) -> i64 {
    let page = app.get(&format!("/api/v1/loans?status=all&member_id={member}"), Some(&app.admin)).await.expect(200);
    page["total"].as_i64().unwrap()
}

#[track_caller]
fn assert_key_field(res: Res, code: &str) {
    let body = res.problem(422, "validation");
    let errors = body["errors"].as_array().unwrap();
    assert!(errors.iter().any(|e| e["field"] == "Idempotency-Key" && e["code"] == code), "{body:#}");
}

async fn the_same_key_twice_lends_once_and_answers_the_same(app: TestApp) {
    let book = app.book("Laskar Pelangi").await;
    app.copy(book, "LP-1").await;
    let (member, card) = app.member("Ikal", "student").await;
    let body = json!({"barcode": "LP-1", "card_number": card});

    let first = post_keyed(&app, "/api/v1/loans", &app.admin, "desk-1-scan-1", body.clone()).await;
    assert!(!replayed(&first));
    let first_body = first.expect(201);
    let again = post_keyed(&app, "/api/v1/loans", &app.admin, "desk-1-scan-1", body.clone()).await;
    assert!(replayed(&again), "{:?}", again.headers);
    assert!(again.headers["content-type"].to_str().unwrap().starts_with("application/json"));
    assert_eq!(again.expect(201), first_body, "the same answer");
    assert_eq!(loans_of(&app, member).await, 1, "lent once");

    // Without the key, the same scan is a second attempt, refused by the rules.
    app.checkout("LP-1", &card).await.problem(409, "copy_not_available");

    // A refusal is an answer too: kept and given again.
    let refused = post_keyed(&app, "/api/v1/loans", &app.admin, "desk-1-scan-2", body.clone()).await;
    refused.problem(409, "copy_not_available");
    app.checkin("LP-1").await.expect(200);
    let again = post_keyed(&app, "/api/v1/loans", &app.admin, "desk-1-scan-2", body.clone()).await;
    assert!(replayed(&again));
    again.problem(409, "copy_not_available");
    assert_eq!(loans_of(&app, member).await, 1, "the copy is on the shelf, yet the kept refusal was given");

    // Returns and renewals alike.
    let loan = post_keyed(&app, "/api/v1/loans", &app.admin, "desk-1-scan-3", body.clone()).await.expect(201);
    let renew = format!("/api/v1/loans/{}/renew", loan["id"]);
    let r1 = post_keyed(&app, &renew, &app.admin, "desk-1-scan-4", json!({})).await.expect(200);
    let r2 = post_keyed(&app, &renew, &app.admin, "desk-1-scan-4", json!({})).await;
    assert!(replayed(&r2));
    assert_eq!(r2.expect(200), r1);
    assert_eq!(app.get(&format!("/api/v1/loans/{}", loan["id"]), Some(&app.admin)).await.expect(200)["renewals"], 1);
    let back = json!({"barcode": "LP-1"});
    let b1 = post_keyed(&app, "/api/v1/returns", &app.admin, "desk-1-scan-5", back.clone()).await.expect(200);
    let b2 = post_keyed(&app, "/api/v1/returns", &app.admin, "desk-1-scan-5", back.clone()).await;
    assert!(replayed(&b2));
    assert_eq!(b2.expect(200), b1);
}

async fn a_key_used_for_another_request_is_refused(app: TestApp) {
    let book = app.book("Bumi Manusia").await;
    app.copy(book, "BM-1").await;
    app.copy(book, "BM-2").await;
    let (member, card) = app.member("Minke", "student").await;
    post_keyed(&app, "/api/v1/loans", &app.admin, "k-1", json!({"barcode": "BM-1", "card_number": card}))
        .await
        .expect(201);
    // Another body, another path: 422 naming the header; nothing done.
    let other = post_keyed(&app, "/api/v1/loans", &app.admin, "k-1", json!({"barcode": "BM-2", "card_number": card}));
    assert_key_field(other.await, "key_reused");
    assert_key_field(
        post_keyed(&app, "/api/v1/returns", &app.admin, "k-1", json!({"barcode": "BM-1"})).await,
        "key_reused",
    );
    assert_eq!(loans_of(&app, member).await, 1);
    assert_eq!(app.get("/api/v1/copies/BM-1", None).await.expect(200)["status"], "on_loan", "not returned");
    assert_eq!(app.get("/api/v1/copies/BM-2", None).await.expect(200)["status"], "available", "not lent");
    // Keys are compared byte for byte: `K-1` is another key.
    let res = post_keyed(&app, "/api/v1/loans", &app.admin, "K-1", json!({"barcode": "BM-2", "card_number": card}));
    let res = res.await;
    assert!(!replayed(&res));
    res.expect(201);
}

async fn malformed_keys_are_refused(app: TestApp) {
    let book = app.book("Ronggeng Dukuh Paruk").await;
    app.copy(book, "RD-1").await;
    let (member, card) = app.member("Srintil", "student").await;
    let body = json!({"barcode": "RD-1", "card_number": card});
    let long = "k".repeat(256);
    for key in ["", "with space", long.as_str(), "tab\tkey"] {
        assert_key_field(post_keyed(&app, "/api/v1/loans", &app.admin, key, body.clone()).await, "invalid_key");
    }
    // Not ASCII (bytes a header may carry, but not a key).
    let mut req = request(Method::POST, "/api/v1/loans", &app.admin, None, &body);
    req.headers_mut().insert("idempotency-key", header::HeaderValue::from_bytes("kunci-é".as_bytes()).unwrap());
    assert_key_field(send_via(app.router.clone(), req).await, "invalid_key");
    assert_eq!(loans_of(&app, member).await, 0);
    // 255 visible characters are fine.
    let longest = "~".repeat(255);
    post_keyed(&app, "/api/v1/loans", &app.admin, &longest, body).await.expect(201);
}

async fn two_replicas_given_one_key_at_once_do_the_work_once(app: TestApp) {
    // A second replica: its own router, store and connections, on the same database.
    let second = pustaka::app::build_with_clock(&app.settings, Arc::new(app.clock.clone())).await.unwrap();
    let book = app.book("Cantik Itu Luka").await;
    let (member, card) = app.member("Dewi Ayu", "student").await;
    // The member may have three loans.
    let rounds = 3;
    for i in 0..rounds {
        let barcode = format!("CL-{i}");
        app.copy(book, &barcode).await;
        let body = json!({"barcode": barcode, "card_number": card});
        let key = format!("race-{i}");
        let a = send_via(app.router.clone(), request(Method::POST, "/api/v1/loans", &app.admin, Some(&key), &body));
        let b = send_via(second.router.clone(), request(Method::POST, "/api/v1/loans", &app.admin, Some(&key), &body));
        let (a, b) = tokio::join!(a, b);
        assert_eq!(
            u8::from(replayed(&a)) + u8::from(replayed(&b)),
            1,
            "one did the work, the other gave its answer: {:?} {:?}",
            a.headers,
            b.headers
        );
        let (a, b) = (a.expect(201), b.expect(201));
        assert_eq!(a, b, "the same answer from both replicas");
    }
    assert_eq!(loans_of(&app, member).await, rounds, "each key lent once");

    // A replica started later (a restart) knows the keys too.
    let third = pustaka::app::build_with_clock(&app.settings, Arc::new(app.clock.clone())).await.unwrap();
    let body = json!({"barcode": "CL-0", "card_number": card});
    let res = send_via(third.router.clone(), request(Method::POST, "/api/v1/loans", &app.admin, Some("race-0"), &body));
    let res = res.await;
    assert!(replayed(&res));
    res.expect(201);
}

async fn each_account_has_its_own_keys(app: TestApp) {
    let librarian = app.add_librarian().await;
    let book = app.book("Saman").await;
    app.copy(book, "SM-1").await;
    app.copy(book, "SM-2").await;
    let (member, card) = app.member("Laila", "student").await;
    let mine = json!({"barcode": "SM-1", "card_number": card});
    post_keyed(&app, "/api/v1/loans", &app.admin, "shared-key", mine.clone()).await.expect(201);
    // The same key from another account: its own request, done.
    let theirs = json!({"barcode": "SM-2", "card_number": card});
    let res = post_keyed(&app, "/api/v1/loans", &librarian, "shared-key", theirs).await;
    assert!(!replayed(&res));
    res.expect(201);
    // Even the same request: not the admin's answer, the librarian's own (the copy is out).
    let res = post_keyed(&app, "/api/v1/loans", &librarian, "shared-key-2", mine.clone()).await;
    res.problem(409, "copy_not_available");
    let res = post_keyed(&app, "/api/v1/loans", &app.admin, "shared-key-2", mine).await;
    assert!(!replayed(&res));
    res.problem(409, "copy_not_available");
    assert_eq!(loans_of(&app, member).await, 2);
}

async fn keys_expire(app: TestApp) {
    let book = app.book("Negeri 5 Menara").await;
    app.copy(book, "N5-1").await;
    let (member, card) = app.member("Alif", "student").await;
    let body = json!({"barcode": "N5-1", "card_number": card});
    let first = post_keyed(&app, "/api/v1/loans", &app.admin, "old-key", body.clone()).await.expect(201);
    app.checkin("N5-1").await.expect(200);
    app.clock.shift(Duration::hours(23));
    // A new session (the first one has ended by then): the key is the account's, not the session's.
    let admin = app.login("admin", common::ADMIN_PASSWORD).await;
    let res = post_keyed(&app, "/api/v1/loans", &admin, "old-key", body.clone()).await;
    assert!(replayed(&res), "still remembered after 23 hours");
    assert_eq!(app.store.prune_keys().await.unwrap(), 0);
    app.clock.shift(Duration::hours(2));
    // A key past its time counts as new even before the chores forget it.
    let admin = app.login("admin", common::ADMIN_PASSWORD).await;
    let res = post_keyed(&app, "/api/v1/loans", &admin, "old-key", body.clone()).await;
    assert!(!replayed(&res));
    let second = res.expect(201);
    assert_ne!(second["id"], first["id"], "lent anew after 24 hours");
    app.clock.shift(Duration::hours(25));
    assert_eq!(app.store.prune_keys().await.unwrap(), 1, "the expired key is forgotten");
    app.clock.reset();
    assert_eq!(loans_of(&app, member).await, 2);
}

async fn a_key_at_work_elsewhere_is_waited_for_then_taken_over_when_abandoned(app: TestApp) {
    let book = app.book("Perahu Kertas").await;
    app.copy(book, "PK-1").await;
    let (member, card) = app.member("Kugy", "student").await;
    let body = json!({"barcode": "PK-1", "card_number": card});
    // A replica reserved the key for this very request and died before answering.
    let bytes = serde_json::to_vec(&body).unwrap();
    let mut h = Sha256::new();
    h.update(b"POST\n/api/v1/loans\n");
    h.update(&bytes);
    let hash = hex::encode(h.finalize());
    let admin_id = app.get("/api/v1/auth/me", Some(&app.admin)).await.expect(200)["id"].as_i64().unwrap();
    let reserved = app.store.reserve_key(&format!("user:{admin_id}"), "stuck", &hash).await.unwrap();
    assert!(matches!(reserved, pustaka::store::idempotency::Reservation::Reserved { .. }), "{reserved:?}");

    let started = std::time::Instant::now();
    let res = post_keyed(&app, "/api/v1/loans", &app.admin, "stuck", body.clone()).await;
    assert_eq!(res.headers.get("retry-after").map(|v| v.to_str().unwrap()), Some("1"));
    res.problem(409, "idempotency_in_progress");
    assert!(started.elapsed() >= std::time::Duration::from_secs(4), "waited for the answer first");
    assert_eq!(loans_of(&app, member).await, 0);

    // Two minutes later the reservation is taken to be abandoned: the request runs.
    app.clock.shift(Duration::seconds(121));
    let res = post_keyed(&app, "/api/v1/loans", &app.admin, "stuck", body.clone()).await;
    assert!(!replayed(&res));
    res.expect(201);
    let res = post_keyed(&app, "/api/v1/loans", &app.admin, "stuck", body).await;
    assert!(replayed(&res));
    assert_eq!(loans_of(&app, member).await, 1);
    app.clock.reset();
}
