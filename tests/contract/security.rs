//! Adversarial checks of logins, connections and cookie sessions (issue 12, items 2, 3, 4 and 6)
//! and of the hold queue (item 7), on both backends. The memory check of item 1 needs a release
//! build: `tests/security/login-burst`; HTTPS through the balancer is checked by `deploy/stack test`.

use crate::common;

use std::time::Duration;

use axum::{
    body::Body,
    http::{header, Method, Request},
};
use common::{db_of, Res, TestApp, ADMIN_PASSWORD, LIBRARIAN};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

contract!(
    a_strangers_failures_do_not_lock_out_the_owner,
    a_shared_address_does_not_lock_out_its_users,
    parallel_guesses_cannot_pass_the_limit,
    a_password_change_guesses_against_the_login_throttle,
    copies_do_not_skip_the_hold_queue,
    cross_site_requests_with_the_cookie_change_nothing,
    the_pages_requests_with_the_cookie_are_accepted,
    bearer_clients_are_not_affected_by_the_origin,
    over_https_the_cookie_is_secure;
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

/// Issue 29, medium 7: an open session could check 25 wrong current passwords in under a
/// second, then the right one worked.
async fn a_password_change_guesses_against_the_login_throttle(app: TestApp) {
    let token = app.add_librarian().await;
    let (username, password) = LIBRARIAN;
    let change = |current: String| {
        app.post(
            "/api/v1/auth/password",
            Some(&token),
            json!({"current_password": current, "new_password": "a-brand-new-password"}),
        )
    };
    let mut codes = Vec::new();
    for i in 0..25 {
        codes.push(change(format!("guess-{i}")).await.status.as_u16());
    }
    assert_eq!(codes.iter().filter(|c| **c == 422).count(), 5, "limit 5 per account and address: {codes:?}");
    assert!(codes[5..].iter().all(|c| *c == 429), "{codes:?}");
    // The right password now waits too, and so does a login from the same address...
    change(password.to_owned()).await.problem(429, "too_many_attempts");
    app.post("/api/v1/auth/login", None, json!({"username": username, "password": password}))
        .await
        .problem(429, "too_many_attempts");
    // ...but not the account's owner elsewhere, nor anybody else here.
    app.login_from(STRANGER, username, password).await.expect(200);
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

/// The host name the in-process requests below ask for (`Host`), so "our own origin" is
/// `http://pustaka.test`.
const HOST: &str = "pustaka.test";

/// A request as a browser sends it with the session cookie `token`: no `Authorization`, the cookie,
/// `Host`, and `headers`; a JSON body when given, else an empty one (as in the reproduction).
async fn with_cookie(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
) -> Res {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::COOKIE, format!("pustaka_session={token}"));
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let req = match body {
        Some(b) => req.header(header::CONTENT_TYPE, "application/json").body(Body::from(b.to_string())),
        None => req.body(Body::empty()),
    };
    app.send(req.unwrap()).await
}

/// What a cross-site attack might reach: an unpaid fine and a loan of one member, at the desk of a
/// librarian who is logged in on the page.
struct Desk {
    librarian: String,
    member: i64,
    fine: i64,
    loan: i64,
}

async fn desk(app: &TestApp) -> Desk {
    let librarian = app.add_librarian().await;
    let book = app.book("Ronggeng Dukuh Paruk").await;
    app.copy(book, "CS-1").await;
    app.copy(book, "CS-2").await;
    let (member, card) = app.member("Srintil", "student").await;
    app.checkout_days_ago("CS-1", &card, 20).await.expect(201);
    let fine = app.checkin("CS-1").await.expect(200)["fine"]["id"].as_i64().unwrap();
    let loan = app.checkout("CS-2", &card).await.expect(201)["id"].as_i64().unwrap();
    Desk { librarian, member, fine, loan }
}

impl Desk {
    /// The fine's status, the loan's renewals and the member's name, read with the admin's token.
    async fn state(&self, app: &TestApp) -> (Value, Value, Value) {
        let admin = Some(app.admin.as_str());
        let fines = app.get(&format!("/api/v1/members/{}/fines", self.member), admin).await.expect(200);
        let fine = fines["items"].as_array().unwrap().iter().find(|f| f["id"] == self.fine).unwrap().clone();
        let loan = app.get(&format!("/api/v1/loans/{}", self.loan), admin).await.expect(200);
        let member = app.get(&format!("/api/v1/members/{}", self.member), admin).await.expect(200);
        (fine["status"].clone(), loan["renewals"].clone(), member["name"].clone())
    }
}

async fn cross_site_requests_with_the_cookie_change_nothing(app: TestApp) {
    let d = desk(&app).await;
    let before = d.state(&app).await;
    assert_eq!(before, (json!("unpaid"), json!(0), json!("Srintil")));
    let pay = format!("/api/v1/fines/{}/pay", d.fine);
    let renew = format!("/api/v1/loans/{}/renew", d.loan);
    let member = format!("/api/v1/members/{}", d.member);
    let attacks: &[&[(&str, &str)]] = &[
        // The reproduction: a page on another port of the same host (same site).
        &[("origin", "http://127.0.0.1:9999")],
        &[("origin", "http://127.0.0.1:9999"), ("sec-fetch-site", "same-site")],
        &[("origin", "http://library.evil.example"), ("sec-fetch-site", "cross-site")],
        // The browser's word outweighs any header: a same-site page with our header is refused.
        &[("sec-fetch-site", "same-site"), ("x-pustaka-page", "1")],
        &[("sec-fetch-site", "cross-site"), ("origin", "http://pustaka.test")],
        // Origins that only look like ours.
        &[("origin", "null")],
        &[("origin", "http://pustaka.test.evil.example")],
        &[("origin", "http://pustaka.test:8081")],
        &[("origin", "https://pustaka.test")], // another scheme: Pustaka itself serves plain HTTP
        &[("origin", "pustaka.test")],
        // Nothing at all that shows our page sent it.
        &[],
        &[("sec-fetch-site", "none")],
    ];
    for headers in attacks {
        for (method, path, body) in [
            (Method::POST, pay.as_str(), None),
            (Method::POST, renew.as_str(), None),
            (Method::PATCH, member.as_str(), Some(json!({"name": "Dicuri"}))),
            (Method::POST, "/api/v1/auth/logout", None),
        ] {
            let r = with_cookie(&app, method.clone(), path, &d.librarian, headers, body).await;
            assert_eq!(r.status, 403, "{method} {path} with {headers:?}: {:#}", r.body);
            r.problem(403, "cross_site_request");
        }
    }
    // Nothing changed, and the session was not ended by the refused logouts.
    assert_eq!(d.state(&app).await, before);
    let me = with_cookie(&app, Method::GET, "/api/v1/auth/me", &d.librarian, &[("origin", "http://x:1")], None).await;
    assert_eq!(me.expect(200)["username"], LIBRARIAN.0, "reads with the cookie are not refused");
    // Without a valid session the answer stays 401 for a bearer token.
    app.post(&pay, Some("not-a-token"), json!({})).await.problem(401, "unauthenticated");
}

async fn the_pages_requests_with_the_cookie_are_accepted(app: TestApp) {
    let d = desk(&app).await;
    let pay = format!("/api/v1/fines/{}/pay", d.fine);
    let renew = format!("/api/v1/loans/{}/renew", d.loan);
    let member = format!("/api/v1/members/{}", d.member);
    // The page's own header (web/js/api.js sends it with every request).
    let paid = with_cookie(&app, Method::POST, &pay, &d.librarian, &[("x-pustaka-page", "1")], None).await;
    assert_eq!(paid.expect(200)["status"], "paid");
    // A browser that says the request is same-origin.
    let same = [("sec-fetch-site", "same-origin"), ("origin", "http://pustaka.test")];
    let renewed = with_cookie(&app, Method::POST, &renew, &d.librarian, &same, None).await;
    assert_eq!(renewed.expect(200)["renewals"], 1);
    // An older browser: no Sec-Fetch-Site, an Origin equal to ours (the default port spelt out or
    // not, any case); and `Sec-Fetch-Site: none` with it.
    for origin in [
        &[("origin", "http://pustaka.test")][..],
        &[("origin", "HTTP://Pustaka.Test:80")],
        &[("origin", "http://pustaka.test"), ("sec-fetch-site", "none")],
    ] {
        let r =
            with_cookie(&app, Method::PATCH, &member, &d.librarian, origin, Some(json!({"name": "Srintil R."}))).await;
        assert_eq!(r.expect(200)["name"], "Srintil R.", "{origin:?}");
    }
    let out = with_cookie(&app, Method::POST, "/api/v1/auth/logout", &d.librarian, &[("x-pustaka-page", "1")], None);
    out.await.expect(204);
    let me = with_cookie(&app, Method::GET, "/api/v1/auth/me", &d.librarian, &[], None).await;
    me.problem(401, "unauthenticated");
}

async fn bearer_clients_are_not_affected_by_the_origin(app: TestApp) {
    let d = desk(&app).await;
    // A program with the token: whatever Origin or Sec-Fetch-Site it sends (or a stray cookie).
    let foreign = [("origin", "http://127.0.0.1:9999"), ("sec-fetch-site", "cross-site")];
    let bearer = |method: Method, path: String| {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, HOST)
            .header(header::AUTHORIZATION, format!("Bearer {}", d.librarian))
            .header(header::COOKIE, "pustaka_session=stale");
        for (name, value) in foreign {
            req = req.header(name, value);
        }
        app.send(req.body(Body::empty()).unwrap())
    };
    assert_eq!(bearer(Method::POST, format!("/api/v1/fines/{}/pay", d.fine)).await.expect(200)["status"], "paid");
    assert_eq!(bearer(Method::POST, format!("/api/v1/loans/{}/renew", d.loan)).await.expect(200)["renewals"], 1);
    bearer(Method::POST, "/api/v1/auth/logout".into()).await.expect(204);
    app.get("/api/v1/auth/me", Some(&d.librarian)).await.problem(401, "unauthenticated");
}

/// A login request with `headers`; the `Set-Cookie` it answers.
async fn login_cookie(app: &TestApp, headers: &[(&str, &str)]) -> String {
    let body = json!({"username": "admin", "password": ADMIN_PASSWORD}).to_string();
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/auth/login")
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/json");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let r = app.send(req.body(Body::from(body)).unwrap()).await;
    let cookie = r.headers.get("set-cookie").expect("a session cookie").to_str().unwrap().to_owned();
    r.expect(200);
    cookie
}

fn is_secure(cookie: &str) -> bool {
    cookie.split(';').any(|attribute| attribute.trim().eq_ignore_ascii_case("secure"))
}

fn token_of(cookie: &str) -> String {
    cookie.split(';').next().unwrap().trim_start_matches("pustaka_session=").to_owned()
}

async fn over_https_the_cookie_is_secure(app: TestApp) {
    let https = [("x-forwarded-proto", "https"), ("x-forwarded-for", "192.0.2.10")];
    // Alone, Pustaka serves plain HTTP and trusts no client's word that it is HTTPS.
    assert!(!is_secure(&login_cookie(&app, &[]).await));
    let claimed = login_cookie(&app, &https).await;
    assert!(!is_secure(&claimed), "{claimed}");
    let same_https = [("origin", "https://pustaka.test"), ("x-forwarded-proto", "https")];
    let r = with_cookie(&app, Method::POST, "/api/v1/auth/logout", &token_of(&claimed), &same_https, None).await;
    r.problem(403, "cross_site_request");

    // Behind the stack's balancer (PUSTAKA_TRUST_FORWARDED_FOR), which says how the client came.
    let proxied = TestApp::try_spawn_with(db_of(&app), &[("PUSTAKA_TRUST_FORWARDED_FOR", "1")]).await.unwrap();
    let plain = login_cookie(&proxied, &[("x-forwarded-proto", "http"), ("x-forwarded-for", "192.0.2.10")]).await;
    assert!(!is_secure(&plain), "{plain}");
    let secure = login_cookie(&proxied, &https).await;
    assert!(is_secure(&secure), "{secure}");
    let token = token_of(&secure);
    // Our origin is https:// now: the http:// one is another origin.
    let other_scheme = [("origin", "http://pustaka.test"), ("x-forwarded-proto", "https")];
    let r = with_cookie(&proxied, Method::POST, "/api/v1/auth/logout", &token, &other_scheme, None).await;
    r.problem(403, "cross_site_request");
    let out = with_cookie(&proxied, Method::POST, "/api/v1/auth/logout", &token, &same_https, None).await;
    let cleared = out.headers.get("set-cookie").unwrap().to_str().unwrap().to_owned();
    out.expect(204);
    assert!(is_secure(&cleared) && cleared.contains("Max-Age=0"), "{cleared}");
}
