//! The contract suite: black-box over HTTP, the same tests on SQLite and on MariaDB.

use crate::common;

use axum::{body::Body, http::Request};
use chrono::{Datelike, Duration, Weekday};
use common::{TestApp, ADMIN_PASSWORD};
use serde_json::json;

contract!(
    health_and_headers,
    password_change_revokes_other_sessions,
    repeated_login_failures_are_throttled,
    roles_are_enforced,
    bad_input_is_a_problem_never_a_500,
    books_crud_and_isbn_rules,
    search_finds_words_and_isbns,
    search_stays_bounded_for_very_common_words,
    catalogue_total_follows_adds_and_deletes,
    pages_of_books_say_what_each_book_says,
    copies_crud,
    members_crud_and_card_numbers,
    members_have_a_grade,
    the_class_filter_finds_kelas_7a_by_7a,
    members_see_only_their_own,
    checkout_and_return,
    checkout_refusals,
    renewals,
    overdue_fines_skip_closed_days,
    a_long_closure_moves_the_due_day,
    fines_are_paid_or_waived_never_deleted,
    holds_queue_in_order,
    uncollected_holds_expire_and_pass_the_copy_on,
    categories_and_closed_days,
    audit_log_records_changes,
    concurrent_checkouts_lend_once,
    concurrent_returns_fine_once,
    personal_responses_are_never_stored,
    members_cannot_probe_for_others_records,
    control_and_bidi_characters_are_refused,
    huge_fines_do_not_break_totals;
    // Over a real socket: the page as a browser fetches it, and cookies kept by a real client.
    tcp: page_and_docs_are_served,
    login_logout_and_sessions,
);

async fn health_and_headers(app: TestApp) {
    let r = app.get("/healthz", None).await;
    assert_eq!(r.headers["x-served-by"], "test-replica");
    assert!(r.headers.contains_key("x-request-id"));
    r.expect(200);
    app.get("/readyz", None).await.expect(200);
    let res = app.send(Request::get("/healthz").header("x-request-id", "abc-123").body(Body::empty()).unwrap()).await;
    assert_eq!(res.headers["x-request-id"], "abc-123", "the balancer's request id is echoed");
}

async fn page_and_docs_are_served(app: TestApp) {
    let res = reqwest::get(format!("{}/", app.base())).await.unwrap();
    assert_eq!(res.status(), 200);
    let csp = res.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    assert!(res.text().await.unwrap().contains("<html"));
    let spec = app.get("/api/openapi.json", None).await.expect(200);
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in ["/api/v1/books", "/api/v1/loans", "/api/v1/returns", "/api/v1/holds", "/api/v1/auth/login"] {
        assert!(spec["paths"].get(path).is_some(), "{path} in the spec");
    }
    let docs = reqwest::get(format!("{}/api/docs/", app.base())).await.unwrap();
    assert_eq!(docs.status(), 200);
    let csp = docs.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.contains("script-src 'self';"), "the docs run no inline script: {csp}");
    let page = docs.text().await.unwrap();
    // Every file the page loads is served here, with its type (nothing from elsewhere).
    for (file, kind) in [
        ("swagger-ui-bundle.js", "text/javascript"),
        ("swagger-initializer.js", "text/javascript"),
        ("swagger-ui.css", "text/css"),
        ("favicon-32x32.png", "image/png"),
    ] {
        assert!(page.contains(&format!("\"{file}\"")), "{file} in the docs page");
        let res = reqwest::get(format!("{}/api/docs/{file}", app.base())).await.unwrap();
        assert_eq!(res.status(), 200, "{file}");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with(kind), "{file}");
    }
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let bare = no_redirect.get(format!("{}/api/docs", app.base())).send().await.unwrap();
    assert_eq!((bare.status().as_u16(), bare.headers()["location"].to_str().unwrap()), (308, "/api/docs/"));
    app.get("/api/v1/nothing-here", None).await.problem(404, "not_found");
}

async fn login_logout_and_sessions(app: TestApp) {
    app.post("/api/v1/auth/login", None, json!({"username": "admin", "password": "wrong-password"}))
        .await
        .problem(401, "invalid_credentials");
    app.post("/api/v1/auth/login", None, json!({"username": "nobody", "password": "wrong-password"}))
        .await
        .problem(401, "invalid_credentials");
    app.get("/api/v1/auth/me", None).await.problem(401, "unauthenticated");
    app.get("/api/v1/auth/me", Some("not-a-token")).await.problem(401, "unauthenticated");
    let me = app.get("/api/v1/auth/me", Some(&app.admin)).await.expect(200);
    assert_eq!(me["username"], "admin");
    assert_eq!(me["role"], "admin");

    // The page's way: the HttpOnly cookie.
    let res = app
        .client()
        .post(format!("{}/api/v1/auth/login", app.base()))
        .json(&json!({"username": "ADMIN ", "password": ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"), "{cookie}");
    let me = app.client().get(format!("{}/api/v1/auth/me", app.base())).send().await.unwrap();
    assert_eq!(me.status(), 200);
    // As the page sends it (a cookie request that changes something needs the page's header).
    let out = app.client().post(format!("{}/api/v1/auth/logout", app.base())).header("X-Pustaka-Page", "1").send();
    assert_eq!(out.await.unwrap().status(), 204);
    let me = app.client().get(format!("{}/api/v1/auth/me", app.base())).send().await.unwrap();
    assert_eq!(me.status(), 401, "logout ends the cookie session");

    let token = app.login("admin", ADMIN_PASSWORD).await;
    app.post("/api/v1/auth/logout", Some(&token), json!({})).await.expect(204);
    app.get("/api/v1/auth/me", Some(&token)).await.problem(401, "unauthenticated");
}

async fn password_change_revokes_other_sessions(app: TestApp) {
    let (_, _, member) = app.member_with_login("Rina", "rina").await;
    let other = app.login("rina", "member-password").await;
    app.post(
        "/api/v1/auth/password",
        Some(&member),
        json!({"current_password": "nope-nope", "new_password": "a-new-password"}),
    )
    .await
    .problem(422, "validation");
    app.post(
        "/api/v1/auth/password",
        Some(&member),
        json!({"current_password": "member-password", "new_password": "short"}),
    )
    .await
    .problem(422, "validation");
    app.post(
        "/api/v1/auth/password",
        Some(&member),
        json!({"current_password": "member-password", "new_password": "a-new-password"}),
    )
    .await
    .expect(204);
    app.get("/api/v1/auth/me", Some(&member)).await.expect(200);
    app.get("/api/v1/auth/me", Some(&other)).await.problem(401, "unauthenticated");
    app.login("rina", "a-new-password").await;
}

async fn repeated_login_failures_are_throttled(app: TestApp) {
    app.member_with_login("Budi", "budi").await;
    for _ in 0..5 {
        app.post("/api/v1/auth/login", None, json!({"username": "admin", "password": "guess-guess"}))
            .await
            .problem(401, "invalid_credentials");
    }
    // Now even the right password waits: the account is being guessed at.
    let r = app.post("/api/v1/auth/login", None, json!({"username": "Admin", "password": ADMIN_PASSWORD})).await;
    let retry: i64 = r.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=15 * 60).contains(&retry), "Retry-After {retry}");
    r.problem(429, "too_many_attempts");
    // Others are not slowed down, and sessions already open keep working.
    app.login("budi", "member-password").await;
    app.get("/api/v1/auth/me", Some(&app.admin)).await.expect(200);
}

async fn roles_are_enforced(app: TestApp) {
    let (_, _, member) = app.member_with_login("Budi", "budi").await;
    let librarian = app.add_librarian().await;
    let book = json!({"title": "Buku", "authors": ["A"]});
    app.post("/api/v1/books", None, book.clone()).await.problem(401, "unauthenticated");
    app.post("/api/v1/books", Some(&member), book.clone()).await.problem(403, "forbidden");
    app.post("/api/v1/books", Some(&librarian), book).await.expect(201);
    app.get("/api/v1/members", Some(&member)).await.problem(403, "forbidden");
    app.get("/api/v1/members", Some(&librarian)).await.expect(200);
    // Loan rules and accounts are the admin's.
    let rules = json!({"name": "Tamu", "max_loans": 1, "loan_days": 3, "max_renewals": 0, "fine_per_day": 1000, "fine_limit": 5000, "hold_pickup_days": 2});
    app.call(reqwest::Method::PUT, "/api/v1/categories/guest", Some(&librarian), Some(rules.clone()))
        .await
        .problem(403, "forbidden");
    app.call(reqwest::Method::PUT, "/api/v1/categories/guest", Some(&app.admin), Some(rules)).await.expect(200);
    app.get("/api/v1/users", Some(&librarian)).await.problem(403, "forbidden");
    // The catalogue is public.
    app.get("/api/v1/books", None).await.expect(200);
}

async fn bad_input_is_a_problem_never_a_500(app: TestApp) {
    let admin = Some(app.admin.as_str());
    // Malformed JSON.
    let bearer = format!("Bearer {}", app.admin);
    let res = app
        .send(
            Request::post("/api/v1/books")
                .header("authorization", &bearer)
                .header("content-type", "application/json")
                .body(Body::from("{\"title\": "))
                .unwrap(),
        )
        .await;
    assert_eq!(res.status, 400);
    assert_eq!(res.headers["content-type"], "application/problem+json");
    // Not JSON at all.
    let res = app
        .send(Request::post("/api/v1/books").header("authorization", &bearer).body(Body::from("title=x")).unwrap())
        .await;
    assert_eq!(res.status, 400);
    // A missing field names itself.
    let p = app.post("/api/v1/books", admin, json!({"authors": ["A"]})).await.problem(422, "validation");
    assert_eq!(p["errors"][0]["field"], "title");
    // A wrong type names itself.
    let p = app
        .post("/api/v1/books", admin, json!({"title": "T", "authors": ["A"], "year": "soon"}))
        .await
        .problem(422, "validation");
    assert_eq!(p["errors"][0]["field"], "year");
    // Several bad fields are reported together.
    let p = app
        .post("/api/v1/books", admin, json!({"title": " ", "authors": [], "isbn": "123", "language": "indonesian"}))
        .await
        .problem(422, "validation");
    let fields: Vec<_> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for f in ["title", "authors", "isbn", "language"] {
        assert!(fields.contains(&f), "{f} in {fields:?}");
    }
    // Unknown fields are refused, not ignored.
    app.post("/api/v1/books", admin, json!({"title": "T", "authors": ["A"], "auther": "x"}))
        .await
        .problem(422, "validation");
    // Bad paging, bad ids, huge bodies, wrong methods.
    app.get("/api/v1/books?per_page=1000", None).await.problem(422, "validation");
    app.get("/api/v1/books?page=abc", None).await.problem(422, "validation");
    app.get("/api/v1/books/abc", None).await.problem(400, "bad_request");
    app.get("/api/v1/books/999999", None).await.problem(404, "not_found");
    app.get(&format!("/api/v1/books/{}", i64::MAX), None).await.problem(404, "not_found");
    let big = "x".repeat(100_000);
    let p = app.post("/api/v1/books", admin, json!({"title": big, "authors": ["A"]})).await.problem(413, "too_large");
    assert_eq!(p["detail"], "the request body is larger than 64 KiB");
    app.call(reqwest::Method::PUT, "/api/v1/books", admin, Some(json!({}))).await.problem(405, "method_not_allowed");
    // Odd text is data, not a crash: quotes, SQL, full-text operators, emoji.
    let odd = "Robert'); DROP TABLE books;-- \"*+-~<>()@ 📚";
    let id = app.post("/api/v1/books", admin, json!({"title": odd, "authors": [odd]})).await.expect(201)["id"]
        .as_i64()
        .unwrap();
    assert_eq!(app.get(&format!("/api/v1/books/{id}"), None).await.expect(200)["title"], odd);
    for q in [odd, "\"", "*", "-", "+", "()", "a*b", "%", "_", "\\", "NEAR", "AND OR NOT"] {
        let url = format!("/api/v1/books?q={}", common::urlencode(q));
        app.get(&url, None).await.expect(200);
    }
    app.get("/api/v1/members?q=%25_%5C", admin).await.expect(200);
    // Circulation with unknown things.
    let (_, card) = app.member("Ani", "student").await;
    app.checkout("NOPE-1", &card).await.problem(404, "not_found");
    app.checkout("bad barcode!", &card).await.problem(422, "validation");
    app.checkout("B1", "P00000001").await.problem(422, "validation");
    app.checkin("NOPE-1").await.problem(404, "not_found");
    app.post("/api/v1/members", admin, json!({"name": "X", "category": "alien"})).await.problem(422, "validation");
}

async fn books_crud_and_isbn_rules(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let b = app
        .post(
            "/api/v1/books",
            admin,
            json!({"isbn": "0-306-40615-2", "title": "Bumi Manusia", "authors": ["Pramoedya Ananta Toer"],
                   "subjects": ["Fiksi"], "publisher": "Hasta Mitra", "year": 1980, "language": "ID"}),
        )
        .await
        .expect(201);
    assert_eq!(b["isbn"], "9780306406157", "ISBN-10 stored as ISBN-13");
    assert_eq!(b["language"], "id");
    assert_eq!(b["copies_total"], 0);
    let id = b["id"].as_i64().unwrap();
    app.post("/api/v1/books", admin, json!({"isbn": "978-0-306-40615-7", "title": "Dup", "authors": ["A"]}))
        .await
        .problem(409, "conflict");
    let p = app
        .post("/api/v1/books", admin, json!({"isbn": "978-0-306-40615-8", "title": "Bad", "authors": ["A"]}))
        .await
        .problem(422, "validation");
    assert_eq!(p["errors"][0]["field"], "isbn");
    assert_eq!(p["errors"][0]["code"], "invalid_isbn");
    // Books without ISBN are fine, several of them.
    app.post("/api/v1/books", admin, json!({"title": "Tanpa ISBN 1", "authors": ["A"]})).await.expect(201);
    app.post("/api/v1/books", admin, json!({"title": "Tanpa ISBN 2", "authors": ["A"]})).await.expect(201);

    let got = app.get(&format!("/api/v1/books/{id}"), None).await.expect(200);
    assert_eq!(got["authors"], json!(["Pramoedya Ananta Toer"]));
    let patched = app
        .patch(
            &format!("/api/v1/books/{id}"),
            admin,
            json!({"title": "Bumi Manusia (cetak ulang)", "publisher": null, "year": 2005}),
        )
        .await
        .expect(200);
    assert_eq!(patched["title"], "Bumi Manusia (cetak ulang)");
    assert_eq!(patched["publisher"], serde_json::Value::Null);
    assert_eq!(patched["year"], 2005);
    assert_eq!(patched["isbn"], "9780306406157", "untouched fields stay");
    app.patch(&format!("/api/v1/books/{id}"), admin, json!({"title": null})).await.problem(422, "validation");
    app.patch("/api/v1/books/424242", admin, json!({"title": "x"})).await.problem(404, "not_found");

    app.delete(&format!("/api/v1/books/{id}"), admin).await.expect(204);
    app.get(&format!("/api/v1/books/{id}"), None).await.problem(404, "not_found");
    app.delete(&format!("/api/v1/books/{id}"), admin).await.problem(404, "not_found");

    // A book whose copy was lent keeps its history.
    let lent = app.book("Dipinjam").await;
    app.copy(lent, "L-1").await;
    let (_, card) = app.member("Ani", "student").await;
    app.checkout("L-1", &card).await.expect(201);
    app.delete(&format!("/api/v1/books/{lent}"), admin).await.problem(409, "has_loans");
}

async fn search_finds_words_and_isbns(app: TestApp) {
    let admin = Some(app.admin.as_str());
    for (title, author, subject, isbn) in [
        ("Laskar Pelangi", "Andrea Hirata", "Pendidikan", Some("9793062797")),
        ("Sang Pemimpi", "Andrea Hirata", "Fiksi", None),
        ("Harimau! Harimau!", "Mochtar Lubis", "Fiksi", None),
        ("Atheis", "Achdiat Karta Mihardja", "Sastra", None),
    ] {
        app.post(
            "/api/v1/books",
            admin,
            json!({"title": title, "authors": [author], "subjects": [subject], "isbn": isbn}),
        )
        .await
        .expect(201);
    }
    let titles = |v: serde_json::Value| -> Vec<String> {
        v["items"].as_array().unwrap().iter().map(|b| b["title"].as_str().unwrap().to_owned()).collect()
    };
    let r = app.get("/api/v1/books?q=hirata", None).await.expect(200);
    assert_eq!(r["total"], 2);
    assert_eq!(titles(r).len(), 2);
    let r = app.get("/api/v1/books?q=harimau", None).await.expect(200);
    assert_eq!(titles(r), vec!["Harimau! Harimau!"]);
    let r = app.get("/api/v1/books?q=laskar%20hirata", None).await.expect(200);
    assert_eq!(titles(r), vec!["Laskar Pelangi"], "every word must match");
    let r = app.get("/api/v1/books?q=pendidikan", None).await.expect(200);
    assert_eq!(titles(r), vec!["Laskar Pelangi"], "subjects are searched");
    let r = app.get("/api/v1/books?q=pelang", None).await.expect(200);
    assert_eq!(titles(r), vec!["Laskar Pelangi"], "a word prefix matches");
    let r = app.get("/api/v1/books?q=979-3062-79-7", None).await.expect(200);
    assert_eq!(titles(r), vec!["Laskar Pelangi"], "an ISBN-10 finds its ISBN-13");
    let r = app.get("/api/v1/books?q=9789793062792", None).await.expect(200);
    assert_eq!(r["total"], 1);
    // Stopwords and short words are words like any other.
    app.post("/api/v1/books", admin, json!({"title": "The Origin of Species", "authors": ["Charles Darwin"]}))
        .await
        .expect(201);
    app.post("/api/v1/books", admin, json!({"title": "Di Bawah Lindungan Ka'bah", "authors": ["Hamka"]}))
        .await
        .expect(201);
    let r = app.get("/api/v1/books?q=origin%20of%20species", None).await.expect(200);
    assert_eq!(titles(r), vec!["The Origin of Species"]);
    let r = app.get("/api/v1/books?q=lindungan%20ka%27bah", None).await.expect(200);
    assert_eq!(titles(r), vec!["Di Bawah Lindungan Ka'bah"]);
    let r = app.get("/api/v1/books?q=zzzzzz", None).await.expect(200);
    assert_eq!(r["total"], 0);
    let r = app.get("/api/v1/books?per_page=3&page=2", None).await.expect(200);
    assert_eq!(r["total"], 6);
    assert_eq!(r["items"].as_array().unwrap().len(), 3);
    assert_eq!(r["page"], 2);
    // Renamed books are found by their new title.
    let id = app.get("/api/v1/books?q=atheis", None).await.expect(200)["items"][0]["id"].as_i64().unwrap();
    app.patch(&format!("/api/v1/books/{id}"), admin, json!({"title": "Atheis: Sebuah Roman"})).await.expect(200);
    let r = app.get("/api/v1/books?q=roman", None).await.expect(200);
    assert_eq!(r["total"], 1);
    // ... and no longer by words of the old one; a deleted book is found by nothing.
    app.patch(&format!("/api/v1/books/{id}"), admin, json!({"title": "Roman Baru"})).await.expect(200);
    assert_eq!(app.get("/api/v1/books?q=atheis", None).await.expect(200)["total"], 0);
    app.delete(&format!("/api/v1/books/{id}"), admin).await.expect(204);
    assert_eq!(app.get("/api/v1/books?q=roman", None).await.expect(200)["total"], 0);
}

async fn search_stays_bounded_for_very_common_words(app: TestApp) {
    // 1,005 books share the word "umum"; inserted straight into the table for speed, then
    // indexed the way an operator would after loading books with SQL (`pustaka reindex`).
    let mut tx = app.store.db.begin().await.unwrap();
    let at = app.store.now();
    for i in 0..1005 {
        tx.exec(
            pustaka::store::db::sql(
                "INSERT INTO books (title, authors, subjects, created_at, updated_at) VALUES (?, '[\"A\"]', '[]', ?, ?)",
            )
            .bind(format!("Pengetahuan Umum {i}"))
            .bind(at)
            .bind(at),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(app.store.reindex().await.unwrap(), 1005);
    app.post("/api/v1/books", Some(&app.admin), json!({"title": "Umumnya Sejarahwan", "authors": ["B"]}))
        .await
        .expect(201);

    let all = app.get("/api/v1/books?per_page=5", None).await.expect(200);
    assert_eq!((all["total"].as_i64(), all["total_capped"].as_bool()), (Some(1006), Some(false)), "{all}");
    let r = app.get("/api/v1/books?q=umum&per_page=5", None).await.expect(200);
    assert_eq!((r["total"].as_i64(), r["total_capped"].as_bool()), (Some(1000), Some(true)), "{r}");
    assert_eq!(r["items"][0]["title"], "Pengetahuan Umum 1004", "very common words list newest first");
    let last = app.get("/api/v1/books?q=umum&per_page=20&page=50", None).await.expect(200);
    assert_eq!(last["items"].as_array().unwrap().len(), 20);
    let beyond = app.get("/api/v1/books?q=umum&per_page=20&page=51", None).await.expect(200);
    assert_eq!(beyond["items"].as_array().unwrap().len(), 0, "a search lists its first 1000 matches");
    // Whole words first: "umum" does not drag in "Umumnya"; a partial word still finds it.
    let r = app.get("/api/v1/books?q=pengetahuan%20umum%201004", None).await.expect(200);
    assert_eq!((r["total"].as_i64(), r["total_capped"].as_bool()), (Some(1), Some(false)));
    let r = app.get("/api/v1/books?q=sejarahw", None).await.expect(200);
    assert_eq!(r["items"][0]["title"], "Umumnya Sejarahwan");
}

async fn catalogue_total_follows_adds_and_deletes(app: TestApp) {
    // The front page's total is the whole catalogue, counted exactly (no cap); a server counts it
    // again after its own changes, before it answers.
    let total = |r: &serde_json::Value| (r["total"].as_i64(), r["total_capped"].as_bool());
    let r = app.get("/api/v1/books", None).await.expect(200);
    assert_eq!(total(&r), (Some(0), Some(false)), "{r}");
    let first = app.book("Laskar Pelangi").await;
    let second = app.book("Bumi Manusia").await;
    let third = app.book("Ronggeng Dukuh Paruk").await;
    let r = app.get("/api/v1/books?page=1&per_page=2", None).await.expect(200);
    assert_eq!(total(&r), (Some(3), Some(false)), "{r}");
    let ids: Vec<_> = r["items"].as_array().unwrap().iter().map(|b| b["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [third, second], "newest first");
    app.delete(&format!("/api/v1/books/{second}"), Some(&app.admin)).await.expect(204);
    let r = app.get("/api/v1/books?page=2&per_page=1", None).await.expect(200);
    assert_eq!(total(&r), (Some(2), Some(false)), "{r}");
    assert_eq!(r["items"][0]["id"].as_i64(), Some(first));
    // Books loaded with SQL (another server's, or an operator's followed by `pustaka reindex`).
    let mut tx = app.store.db.begin().await.unwrap();
    let at = app.store.now();
    for i in 0..5 {
        tx.exec(
            pustaka::store::db::sql(
                "INSERT INTO books (title, authors, subjects, created_at, updated_at) VALUES (?, '[\"A\"]', '[]', ?, ?)",
            )
            .bind(format!("Dimuat {i}"))
            .bind(at)
            .bind(at),
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    app.store.reindex().await.unwrap();
    let r = app.get("/api/v1/books", None).await.expect(200);
    assert_eq!(total(&r), (Some(7), Some(false)), "{r}");
}

/// A page of books (the front page, a search, books by id) says of each book what the book's own
/// page says, whichever way the backend reads the page (SQLite answers a page as one JSON row,
/// #36), including a book whose dates were written by hand in a form without a time zone (such a
/// page is read again row by row), and in the same order.
async fn pages_of_books_say_what_each_book_says(app: TestApp) {
    let a = app
        .post(
            "/api/v1/books",
            Some(&app.admin),
            json!({"title": "Laskar \"Pelangi\" — édition ü", "authors": ["Andrea Hirata", "Ñ"], "subjects": ["Novel"],
               "isbn": "9789793062792", "year": 2005, "publisher": "Bentang", "language": "id"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    app.copy(a, "HAL-1").await;
    app.copy(a, "HAL-2").await;
    let (_, card) = app.member("Pembaca Halaman", "staff").await;
    app.checkout("HAL-1", &card).await.expect(201);
    let b = app.book("Bumi Manusia").await;
    // A book loaded with SQL whose dates have no time zone (a file edited by hand).
    let mut tx = app.store.db.begin().await.unwrap();
    let c = tx
        .exec(pustaka::store::db::sql(
            "INSERT INTO books (title, authors, subjects, created_at, updated_at) \
                 VALUES ('Tanggal Tanpa Zona', '[\"C\"]', '[]', '2099-01-02 03:04:05', '2099-01-02 03:04:05')",
        ))
        .await
        .unwrap()
        .last_id;
    tx.commit().await.unwrap();
    app.store.reindex().await.unwrap();
    let mut own = Vec::new();
    for id in [a, b, c] {
        own.push(app.get(&format!("/api/v1/books/{id}"), None).await.expect(200));
    }
    let [own_a, own_b, own_c] = <[_; 3]>::try_from(own).unwrap();
    assert_eq!(own_a["copies_total"], 2, "{own_a}");
    assert_eq!(own_a["copies_available"], 1, "{own_a}");
    assert_eq!(own_c["created_at"], "2099-01-02T03:04:05Z", "{own_c}");
    // The front page: newest first, the hand-written book (dated 2099) on top.
    let page = app.get("/api/v1/books?per_page=10", None).await.expect(200);
    assert_eq!(page["items"], json!([own_c, own_b, own_a]), "{page:#}");
    // Without the odd book, the same page read the fast way.
    let page = app.get("/api/v1/books?per_page=2&page=2", None).await.expect(200);
    assert_eq!(page["items"], json!([own_a]), "{page:#}");
    // A search, and the OPAC's search (books by id).
    let found = app.get("/api/v1/books?q=laskar", None).await.expect(200);
    assert_eq!(found["items"], json!([own_a]), "{found:#}");
    let found = app.get("/api/v1/books?q=9789793062792", None).await.expect(200);
    assert_eq!(found["items"], json!([own_a]), "{found:#}");
    let opac = app.get("/api/v1/books/search?sort=newest", None).await.expect(200);
    let ids: Vec<_> = opac["items"].as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, [c, b, a], "{opac:#}");
}

async fn copies_crud(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Ronggeng Dukuh Paruk").await;
    let c = app
        .post(&format!("/api/v1/books/{book}/copies"), admin, json!({"barcode": "RDP-001", "location": "Rak A3"}))
        .await
        .expect(201);
    assert_eq!(c["status"], "available");
    assert_eq!(c["title"], "Ronggeng Dukuh Paruk");
    app.post(&format!("/api/v1/books/{book}/copies"), admin, json!({"barcode": "RDP-001"}))
        .await
        .problem(409, "conflict");
    app.post("/api/v1/books/99999/copies", admin, json!({"barcode": "X-1"})).await.problem(404, "not_found");
    app.post(&format!("/api/v1/books/{book}/copies"), admin, json!({"barcode": "has space"}))
        .await
        .problem(422, "validation");
    app.copy(book, "RDP-002").await;
    let list = app.get(&format!("/api/v1/books/{book}/copies"), None).await.expect(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let b = app.get(&format!("/api/v1/books/{book}"), None).await.expect(200);
    assert_eq!((b["copies_total"].as_i64(), b["copies_available"].as_i64()), (Some(2), Some(2)));

    let c = app.get("/api/v1/copies/RDP-001", None).await.expect(200);
    assert_eq!(c["location"], "Rak A3");
    let c =
        app.patch("/api/v1/copies/RDP-001", admin, json!({"location": "Rak B1", "status": "lost"})).await.expect(200);
    assert_eq!((c["location"].as_str(), c["status"].as_str()), (Some("Rak B1"), Some("lost")));
    app.patch("/api/v1/copies/RDP-001", admin, json!({"status": "on_loan"})).await.problem(422, "validation");
    app.patch("/api/v1/copies/RDP-001", admin, json!({"status": "sideways"})).await.problem(422, "validation");
    let b = app.get(&format!("/api/v1/books/{book}"), None).await.expect(200);
    assert_eq!(b["copies_available"], 1);
    // A lost copy cannot be lent.
    let (_, card) = app.member("Ani", "student").await;
    app.checkout("RDP-001", &card).await.problem(409, "copy_not_available");
    // A copy on loan cannot be marked lost by hand or deleted.
    app.checkout("RDP-002", &card).await.expect(201);
    app.patch("/api/v1/copies/RDP-002", admin, json!({"status": "withdrawn"})).await.problem(409, "copy_not_available");
    app.delete("/api/v1/copies/RDP-002", admin).await.problem(409, "has_loans");
    app.delete("/api/v1/copies/RDP-001", admin).await.expect(204);
    app.get("/api/v1/copies/RDP-001", None).await.problem(404, "not_found");
}

async fn members_crud_and_card_numbers(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let m = app
        .post(
            "/api/v1/members",
            admin,
            json!({"name": "Siti Rahmawati", "category": "student", "email": "Siti@Sekolah.sch.id", "phone": "+62 812-3456-7890", "expires_on": "2030-06-30"}),
        )
        .await
        .expect(201);
    let card = m["card_number"].as_str().unwrap();
    assert!(card.starts_with('P') && card.len() == 9, "{card}");
    assert_eq!(m["blocked"], false);
    assert_eq!(m["active_loans"], 0);
    let id = m["id"].as_i64().unwrap();
    let other = app.member("Budi", "staff").await.1;
    assert_ne!(card, other, "card numbers are unique");

    let found = app.get(&format!("/api/v1/members?q={card}"), admin).await.expect(200);
    assert_eq!(found["total"], 1);
    let found = app.get("/api/v1/members?q=rahma", admin).await.expect(200);
    assert_eq!(found["items"][0]["id"], id);

    let p = app
        .patch(
            &format!("/api/v1/members/{id}"),
            admin,
            json!({"blocked": true, "blocked_reason": "Kartu hilang", "email": null}),
        )
        .await
        .expect(200);
    assert_eq!((p["blocked"].as_bool(), p["blocked_reason"].as_str()), (Some(true), Some("Kartu hilang")));
    assert_eq!(p["email"], serde_json::Value::Null);
    let p = app.patch(&format!("/api/v1/members/{id}"), admin, json!({"blocked": false})).await.expect(200);
    assert_eq!(p["blocked_reason"], serde_json::Value::Null, "unblocking clears the reason");
    app.patch(&format!("/api/v1/members/{id}"), admin, json!({"category": "nope"})).await.problem(422, "validation");
    app.patch(&format!("/api/v1/members/{id}"), admin, json!({"email": "not-an-email"}))
        .await
        .problem(422, "validation");

    app.delete(&format!("/api/v1/members/{id}"), admin).await.expect(204);
    app.get(&format!("/api/v1/members/{id}"), admin).await.problem(404, "not_found");

    // A member with history is kept (blocked instead).
    let (bid, bcard) = app.member("Agus", "student").await;
    let book = app.book("Buku").await;
    app.copy(book, "M-1").await;
    app.checkout("M-1", &bcard).await.expect(201);
    app.delete(&format!("/api/v1/members/{bid}"), admin).await.problem(409, "has_loans");
    // Usernames are unique.
    app.member_with_login("Dewi", "dewi").await;
    app.post(
        "/api/v1/members",
        admin,
        json!({"name": "Dewi 2", "category": "student", "username": "dewi", "password": "another-pw"}),
    )
    .await
    .problem(409, "conflict");
    app.post("/api/v1/members", admin, json!({"name": "Dewi 3", "category": "student", "username": "dewi3"}))
        .await
        .problem(422, "validation");
}

/// A school member's class (kelas): kept trimmed, changed and cleared, listed and filtered by,
/// and refused with the field named when it is not a short line of text.
async fn members_have_a_grade(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let create = |name: &str, grade: serde_json::Value| {
        app.post("/api/v1/members", admin, json!({"name": name, "category": "student", "grade": grade}))
    };
    let a = create("Andi", json!("  VIII-B ")).await.expect(201);
    assert_eq!(a["grade"], "VIII-B");
    let b = create("Bunga", json!("XII  IPA   2")).await.expect(201);
    assert_eq!(b["grade"], "XII IPA 2", "runs of spaces inside are one");
    let c = create("Citra", json!("viii-b")).await.expect(201);
    // Blank or absent: no class (a teacher).
    let t = create("Pak Tono", json!("  ")).await.expect(201);
    assert_eq!(t["grade"], serde_json::Value::Null);
    let t2 = app.member("Bu Tini", "staff").await.0;
    assert_eq!(app.get(&format!("/api/v1/members/{t2}"), admin).await.expect(200)["grade"], serde_json::Value::Null);

    // Filtered by class, whatever its case; with a search too.
    let ids = |v: serde_json::Value| -> Vec<i64> {
        v["items"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect()
    };
    let in_8b = app.get("/api/v1/members?grade=viii-B", admin).await.expect(200);
    assert_eq!(ids(in_8b), [a["id"].as_i64().unwrap(), c["id"].as_i64().unwrap()]);
    let found = app.get("/api/v1/members?grade=VIII-B&q=citra", admin).await.expect(200);
    assert_eq!(ids(found), [c["id"].as_i64().unwrap()]);
    assert_eq!(app.get("/api/v1/members?grade=XII%20IPA%202", admin).await.expect(200)["total"], 1);
    assert_eq!(app.get("/api/v1/members?grade=", admin).await.expect(200)["total"], 5, "a blank filter is none");

    // Moved up a class, then cleared.
    let id = a["id"].as_i64().unwrap();
    let p = app.patch(&format!("/api/v1/members/{id}"), admin, json!({"grade": "IX-B"})).await.expect(200);
    assert_eq!(p["grade"], "IX-B");
    let p = app.patch(&format!("/api/v1/members/{id}"), admin, json!({"name": "Andi S."})).await.expect(200);
    assert_eq!(p["grade"], "IX-B", "a change of something else keeps the class");
    let p = app.patch(&format!("/api/v1/members/{id}"), admin, json!({"grade": null})).await.expect(200);
    assert_eq!(p["grade"], serde_json::Value::Null);
    let p = app.patch(&format!("/api/v1/members/{id}"), admin, json!({"grade": "7A"})).await.expect(200);
    let p2 = app.patch(&format!("/api/v1/members/{id}"), admin, json!({"grade": ""})).await.expect(200);
    assert_eq!((p["grade"].as_str(), &p2["grade"]), (Some("7A"), &serde_json::Value::Null), "blank clears it");

    // Bad input names the field and changes nothing.
    let field = |r: serde_json::Value| r["errors"][0]["field"].as_str().unwrap().to_owned();
    for bad in [json!("X".repeat(21)), json!("7\nA"), json!("7A\u{202e}"), json!(7)] {
        let r = app.post("/api/v1/members", admin, json!({"name": "Dedi", "category": "student", "grade": bad})).await;
        if bad.is_number() {
            // Not a string at all: the JSON body is refused as a whole.
            assert_eq!(r.status, 422, "{bad}");
            continue;
        }
        assert_eq!(field(r.problem(422, "validation")), "grade", "{bad}");
        let r =
            app.patch(&format!("/api/v1/members/{id}"), admin, json!({"grade": bad})).await.problem(422, "validation");
        assert_eq!(field(r), "grade", "{bad}");
    }
    let r = app.get(&format!("/api/v1/members?grade={}", "X".repeat(21)), admin).await.problem(422, "validation");
    assert_eq!(field(r), "grade");
    assert_eq!(app.get("/api/v1/members", admin).await.expect(200)["total"], 5, "nothing was added");
    assert_eq!(app.get(&format!("/api/v1/members/{id}"), admin).await.expect(200)["grade"], serde_json::Value::Null);
}

/// Schools write the same class as `Kelas 7A`, `7A` or `7 a`: the members list filtered by any of
/// them finds all (case, spaces and a leading `Kelas` left out on both sides), and no other class.
async fn the_class_filter_finds_kelas_7a_by_7a(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let mut ids = Vec::new();
    for (name, grade) in [("Ani", "Kelas 7A"), ("Budi", "7A"), ("Citra", "7 a"), ("Dodi", "kelas 7a")] {
        let m = app
            .post("/api/v1/members", admin, json!({"name": name, "category": "student", "grade": grade}))
            .await
            .expect(201);
        ids.push(m["id"].as_i64().unwrap());
    }
    for (name, grade) in [("Eko", "Kelas 7B"), ("Fitri", "17A"), ("Gita", "Kelasan")] {
        app.post("/api/v1/members", admin, json!({"name": name, "category": "student", "grade": grade}))
            .await
            .expect(201);
    }
    let found = |v: serde_json::Value| -> Vec<i64> {
        v["items"].as_array().unwrap().iter().map(|m| m["id"].as_i64().unwrap()).collect()
    };
    for asked in ["7A", "7a", "Kelas%207A", "kelas%207a", "KELAS7A", "7%20A"] {
        let list = app.get(&format!("/api/v1/members?grade={asked}&per_page=100"), admin).await.expect(200);
        assert_eq!(found(list), ids, "{asked}");
    }
    let b = app.get("/api/v1/members?grade=7b", admin).await.expect(200);
    assert_eq!(b["items"][0]["name"], "Eko");
    assert_eq!(b["total"], 1);
    let an = app.get("/api/v1/members?grade=Kelasan", admin).await.expect(200);
    assert_eq!(an["total"], 1, "a class named Kelasan is itself");
}

async fn members_see_only_their_own(app: TestApp) {
    let (me, my_card, token) = app.member_with_login("Budi", "budi").await;
    let (other, other_card, other_token) = app.member_with_login("Siti", "siti").await;
    let book = app.book("Negeri 5 Menara").await;
    app.copy(book, "N5M-1").await;
    app.copy(book, "N5M-2").await;
    let mine = app.checkout("N5M-1", &my_card).await.expect(201)["id"].as_i64().unwrap();
    let theirs = app.checkout("N5M-2", &other_card).await.expect(201)["id"].as_i64().unwrap();

    app.get(&format!("/api/v1/members/{me}"), Some(&token)).await.expect(200);
    app.get(&format!("/api/v1/members/{other}"), Some(&token)).await.problem(403, "forbidden");
    let loans = app.get(&format!("/api/v1/members/{me}/loans"), Some(&token)).await.expect(200);
    assert_eq!(loans["total"], 1);
    app.get(&format!("/api/v1/members/{other}/loans"), Some(&token)).await.problem(403, "forbidden");
    app.get(&format!("/api/v1/members/{other}/fines"), Some(&token)).await.problem(403, "forbidden");
    app.get(&format!("/api/v1/loans/{mine}"), Some(&token)).await.expect(200);
    app.get(&format!("/api/v1/loans/{theirs}"), Some(&token)).await.problem(403, "forbidden");
    app.post(&format!("/api/v1/loans/{theirs}/renew"), Some(&token), json!({})).await.problem(403, "forbidden");
    app.post(&format!("/api/v1/loans/{mine}/renew"), Some(&token), json!({})).await.expect(200);
    app.get("/api/v1/loans", Some(&token)).await.problem(403, "forbidden");
    app.post("/api/v1/returns", Some(&token), json!({"barcode": "N5M-1"})).await.problem(403, "forbidden");
    app.post("/api/v1/loans", Some(&token), json!({"barcode": "N5M-1", "card_number": my_card}))
        .await
        .problem(403, "forbidden");

    // Holds: a member places their own, and cannot cancel another's.
    let wanted = app.book("Laris").await;
    app.copy(wanted, "LRS-1").await;
    let (_, third) = app.member("Agus", "student").await;
    app.checkout("LRS-1", &third).await.expect(201);
    let h = app.post("/api/v1/holds", Some(&token), json!({"book_id": wanted})).await.expect(201);
    assert_eq!(h["member_id"], me);
    let oh = app.post("/api/v1/holds", Some(&other_token), json!({"book_id": wanted})).await.expect(201);
    app.delete(&format!("/api/v1/holds/{}", oh["id"]), Some(&token)).await.problem(403, "forbidden");
    app.post("/api/v1/holds", Some(&token), json!({"book_id": wanted, "card_number": other_card}))
        .await
        .problem(403, "forbidden");
    app.delete(&format!("/api/v1/holds/{}", h["id"]), Some(&token)).await.expect(204);
}

async fn checkout_and_return(app: TestApp) {
    let book = app.book("Laskar Pelangi").await;
    app.copy(book, "LP-1").await;
    let (member, card) = app.member("Budi", "student").await;
    let loan = app.checkout("LP-1", &card).await.expect(201);
    assert_eq!(loan["barcode"], "LP-1");
    assert_eq!(loan["member_id"], member);
    assert_eq!(loan["title"], "Laskar Pelangi");
    assert_eq!(loan["renewals"], 0);
    assert_eq!(loan["overdue"], false);
    // Student loans last 7 days; Sunday is closed, so the due day is never a Sunday.
    let due: chrono::DateTime<chrono::Utc> = serde_json::from_value(loan["due_at"].clone()).unwrap();
    let due_day = pustaka::domain::time::library_date(due, app.store.tz());
    assert!(due_day >= app.today() + Duration::days(7) && due_day <= app.today() + Duration::days(8));
    assert_ne!(due_day.weekday(), Weekday::Sun);
    assert_eq!(app.get("/api/v1/copies/LP-1", None).await.expect(200)["status"], "on_loan");
    app.checkout("LP-1", &card).await.problem(409, "copy_not_available");
    let m = app.get(&format!("/api/v1/members/{member}"), Some(&app.admin)).await.expect(200);
    assert_eq!(m["active_loans"], 1);
    let active = app.get("/api/v1/loans?status=active", Some(&app.admin)).await.expect(200);
    assert_eq!(active["total"], 1);
    // The desk answers with what was written, not a read back: it must be what is stored.
    assert_eq!(active["items"][0], loan, "the checkout's answer is the loan as stored");

    let r = app.checkin("LP-1").await.expect(200);
    assert!(r["loan"]["returned_at"].is_string());
    assert_eq!(r["fine"], serde_json::Value::Null, "returned on time");
    assert_eq!(r["hold"], serde_json::Value::Null);
    assert_eq!(app.get("/api/v1/copies/LP-1", None).await.expect(200)["status"], "available");
    app.checkin("LP-1").await.problem(409, "not_on_loan");
    let all = app.get(&format!("/api/v1/loans?status=returned&member_id={member}"), Some(&app.admin)).await.expect(200);
    assert_eq!(all["total"], 1);
    assert_eq!(all["items"][0], r["loan"], "the return's answer is the loan as stored");
    // The same copy goes out again.
    app.checkout("LP-1", &card).await.expect(201);
}

async fn checkout_refusals(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Sitti Nurbaya").await;
    for i in 1..=6 {
        app.copy(book, &format!("SN-{i}")).await;
    }
    // Loan limit: students may have 3.
    let (_, card) = app.member("Budi", "student").await;
    for i in 1..=3 {
        app.checkout(&format!("SN-{i}"), &card).await.expect(201);
    }
    let p = app.checkout("SN-4", &card).await.problem(409, "loan_limit");
    assert!(p["detail"].as_str().unwrap().contains('3'), "{p}");
    // Blocked.
    let (id, card2) = app.member("Siti", "student").await;
    app.patch(&format!("/api/v1/members/{id}"), admin, json!({"blocked": true, "blocked_reason": "Merusak buku"}))
        .await
        .expect(200);
    let p = app.checkout("SN-4", &card2).await.problem(409, "member_blocked");
    assert!(p["detail"].as_str().unwrap().contains("Merusak buku"));
    // Expired.
    let yesterday = app.today() - Duration::days(1);
    let m = app
        .post("/api/v1/members", admin, json!({"name": "Lama", "category": "public", "expires_on": yesterday}))
        .await
        .expect(201);
    app.checkout("SN-4", m["card_number"].as_str().unwrap()).await.problem(409, "member_expired");
    // Fines at the limit: a public member's limit is Rp 10.000; 11 open days late at Rp 1.000.
    let (_, card3) = app.member("Rina", "public").await;
    app.checkout_days_ago("SN-4", &card3, 40).await.expect(201);
    let r = app.checkin("SN-4").await.expect(200);
    assert!(r["fine"]["amount"].as_i64().unwrap() >= 10_000, "{r}");
    let p = app.checkout("SN-5", &card3).await.problem(409, "fines_owed");
    assert!(p["detail"].as_str().unwrap().contains("Rp"), "{p}");
    // Unknown card.
    app.checkout("SN-5", "P00000018").await.problem(404, "not_found");
    // Nothing was changed by the refusals.
    assert_eq!(app.get("/api/v1/copies/SN-5", None).await.expect(200)["status"], "available");
}

async fn renewals(app: TestApp) {
    let book = app.book("Perahu Kertas").await;
    app.copy(book, "PK-1").await;
    app.copy(book, "PK-2").await;
    let (_, card) = app.member("Budi", "student").await;
    let loan = app.checkout_days_ago("PK-1", &card, 5).await.expect(201);
    let id = loan["id"].as_i64().unwrap();
    let due_day = |v: &serde_json::Value| {
        let at: chrono::DateTime<chrono::Utc> = serde_json::from_value(v["due_at"].clone()).unwrap();
        pustaka::domain::time::library_date(at, app.store.tz())
    };
    // Renewing runs another loan period (7 days for students) from the current due date,
    // moved off closed days like any due date.
    let first_due = due_day(&loan);
    assert!(first_due >= app.today(), "lent 5 days ago for 7 days: not due yet");
    let r = app.post(&format!("/api/v1/loans/{id}/renew"), Some(&app.admin), json!({})).await.expect(200);
    assert_eq!(r["renewals"], 1);
    let calendar = pustaka::domain::Calendar::new([Weekday::Sun], []);
    assert_eq!(due_day(&r), calendar.due_date(first_due, 7));
    // Students renew once.
    app.post(&format!("/api/v1/loans/{id}/renew"), Some(&app.admin), json!({})).await.problem(409, "renew_limit");
    // Overdue loans are returned, not renewed.
    let (_, card2) = app.member("Siti", "staff").await;
    let late = app.checkout_days_ago("PK-2", &card2, 20).await.expect(201)["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/loans/{late}/renew"), Some(&app.admin), json!({})).await.problem(409, "loan_overdue");
    // Someone waiting for the book stops renewals (of a loan not yet due).
    app.checkin("PK-2").await.expect(200);
    let late = app.checkout_days_ago("PK-2", &card2, 2).await.expect(201)["id"].as_i64().unwrap();
    let (_, card3) = app.member("Agus", "student").await;
    app.post("/api/v1/holds", Some(&app.admin), json!({"book_id": book, "card_number": card3})).await.expect(201);
    app.post(&format!("/api/v1/loans/{late}/renew"), Some(&app.admin), json!({})).await.problem(409, "held_for_others");
    // A returned loan cannot be renewed.
    app.checkin("PK-1").await.expect(200);
    app.post(&format!("/api/v1/loans/{id}/renew"), Some(&app.admin), json!({})).await.problem(409, "already_returned");
    app.post("/api/v1/loans/99999/renew", Some(&app.admin), json!({})).await.problem(404, "not_found");
}

async fn overdue_fines_skip_closed_days(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Pulang").await;
    app.copy(book, "PL-1").await;
    let (member, card) = app.member("Budi", "student").await;
    // Lent 17 days ago for 7 days: due about 10 days ago (a Sunday due date moves to Monday).
    let loan = app.checkout_days_ago("PL-1", &card, 17).await.expect(201);
    let due_at: chrono::DateTime<chrono::Utc> = serde_json::from_value(loan["due_at"].clone()).unwrap();
    let today = app.today();
    let late = (today - pustaka::domain::time::library_date(due_at, app.store.tz())).num_days();
    assert!((9..=10).contains(&late), "{loan}");
    // Close three of the days since; Sundays are closed too.
    let mut closed = 0;
    for back in [2, 4, 6] {
        let day = today - Duration::days(back);
        app.post("/api/v1/closed-days", admin, json!({"date": day, "reason": "Libur"})).await.expect(201);
        if day.weekday() != Weekday::Sun {
            closed += 1;
        }
    }
    let sundays = (0..late).filter(|back| (today - Duration::days(*back)).weekday() == Weekday::Sun).count() as i64;
    let open_days = late - sundays - closed;
    let r = app.checkin("PL-1").await.expect(200);
    assert_eq!(r["fine"]["amount"], open_days * 500, "student fine Rp 500 per open day late: {r}");
    assert_eq!(r["fine"]["status"], "unpaid");
    assert_eq!(r["loan"]["overdue"], false, "a returned loan is not overdue");
    let m = app.get(&format!("/api/v1/members/{member}"), admin).await.expect(200);
    assert_eq!(m["unpaid_fines"], open_days * 500);
    let overdue = app.get("/api/v1/loans?status=overdue", admin).await.expect(200);
    assert_eq!(overdue["total"], 0);
}

/// A checkout reads the closed days in its member's statement, as one string (MariaDB cuts
/// `group_concat` at 1,024 bytes by default): a list longer than that is read again whole.
async fn a_long_closure_moves_the_due_day(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let today = app.today();
    // 120 days closed from tomorrow on: about 1,300 bytes of dates.
    for ahead in 1..=120 {
        let day = today + Duration::days(ahead);
        app.post("/api/v1/closed-days", admin, json!({"date": day, "reason": "Renovasi"})).await.expect(201);
    }
    let book = app.book("Renovasi").await;
    app.copy(book, "RN-1").await;
    let (_, card) = app.member("Budi", "student").await;
    let loan = app.checkout("RN-1", &card).await.expect(201);
    let due_at: chrono::DateTime<chrono::Utc> = serde_json::from_value(loan["due_at"].clone()).unwrap();
    let due = pustaka::domain::time::library_date(due_at, app.store.tz());
    assert!(due > today + Duration::days(120), "due on the first open day after the closure: {loan}");
    // Back by its due day: no fine, the loan closed, the copy on the shelf.
    let r = app.checkin("RN-1").await.expect(200);
    assert!(r["fine"].is_null(), "{r}");
    assert_eq!(r["loan"]["card_number"], card.as_str());
    assert_eq!(r["loan"]["member_name"], "Budi");
}

async fn fines_are_paid_or_waived_never_deleted(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Atheis").await;
    app.copy(book, "AT-1").await;
    let (member, card) = app.member("Budi", "staff").await;
    let mut fines = Vec::new();
    for _ in 0..2 {
        app.checkout_days_ago("AT-1", &card, 20).await.expect(201);
        fines.push(app.checkin("AT-1").await.expect(200)["fine"]["id"].as_i64().unwrap());
    }
    let paid = app.post(&format!("/api/v1/fines/{}/pay", fines[0]), admin, json!({})).await.expect(200);
    assert_eq!(paid["status"], "paid");
    assert!(paid["resolved_at"].is_string());
    app.post(&format!("/api/v1/fines/{}/pay", fines[0]), admin, json!({})).await.problem(409, "fine_resolved");
    app.post(&format!("/api/v1/fines/{}/waive", fines[1]), admin, json!({"reason": ""}))
        .await
        .problem(422, "validation");
    let waived =
        app.post(&format!("/api/v1/fines/{}/waive", fines[1]), admin, json!({"reason": "Sakit"})).await.expect(200);
    assert_eq!((waived["status"].as_str(), waived["note"].as_str()), (Some("waived"), Some("Sakit")));
    app.post(&format!("/api/v1/fines/{}/pay", fines[1]), admin, json!({})).await.problem(409, "fine_resolved");
    app.post("/api/v1/fines/99999/pay", admin, json!({})).await.problem(404, "not_found");
    let all = app.get(&format!("/api/v1/members/{member}/fines"), admin).await.expect(200);
    assert_eq!(all["total"], 2, "settled fines stay on record");
    let unpaid = app.get("/api/v1/fines?status=unpaid", admin).await.expect(200);
    assert_eq!(unpaid["total"], 0);
    assert_eq!(app.get(&format!("/api/v1/members/{member}"), admin).await.expect(200)["unpaid_fines"], 0);
}

async fn holds_queue_in_order(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Cantik Itu Luka").await;
    app.copy(book, "CIL-1").await;
    let (_, lender) = app.member("Peminjam", "student").await;
    let (first, first_card) = app.member("Pertama", "student").await;
    let (_, second_card) = app.member("Kedua", "student").await;
    // No hold while a copy is on the shelf.
    app.post("/api/v1/holds", admin, json!({"book_id": book, "card_number": first_card}))
        .await
        .problem(409, "copy_available");
    app.checkout("CIL-1", &lender).await.expect(201);
    app.post("/api/v1/holds", admin, json!({"book_id": book, "card_number": lender}))
        .await
        .problem(409, "already_borrowed");
    let h1 = app.post("/api/v1/holds", admin, json!({"book_id": book, "card_number": first_card})).await.expect(201);
    assert_eq!((h1["status"].as_str(), h1["position"].as_i64()), (Some("waiting"), Some(1)));
    app.post("/api/v1/holds", admin, json!({"book_id": book, "card_number": first_card}))
        .await
        .problem(409, "hold_exists");
    let h2 = app.post("/api/v1/holds", admin, json!({"book_id": book, "card_number": second_card})).await.expect(201);
    assert_eq!(h2["position"], 2);
    app.post("/api/v1/holds", admin, json!({"book_id": 99999, "card_number": second_card}))
        .await
        .problem(404, "not_found");

    // The return sends the copy to the first in line.
    let r = app.checkin("CIL-1").await.expect(200);
    assert_eq!(r["hold"]["id"], h1["id"]);
    assert_eq!(r["hold"]["status"], "ready");
    assert_eq!(r["hold"]["copy_barcode"], "CIL-1");
    assert!(r["hold"]["pickup_by"].is_string());
    assert_eq!(app.get("/api/v1/copies/CIL-1", None).await.expect(200)["status"], "on_hold_shelf");
    // Nobody else can take it; the member it waits for can.
    app.checkout("CIL-1", &second_card).await.problem(409, "copy_on_hold_for_other");
    app.checkout("CIL-1", &first_card).await.expect(201);
    let mine = app.get(&format!("/api/v1/members/{first}/holds"), admin).await.expect(200);
    assert_eq!(mine["total"], 0, "the fulfilled hold is closed");
    let waiting = app.get("/api/v1/holds?status=waiting", admin).await.expect(200);
    assert_eq!(waiting["items"][0]["position"], 1, "the second moved up");
    // Next return: the second member; they cancel, and the copy goes back on the shelf.
    let r = app.checkin("CIL-1").await.expect(200);
    assert_eq!(r["hold"]["id"], h2["id"]);
    app.delete(&format!("/api/v1/holds/{}", h2["id"]), admin).await.expect(204);
    app.delete(&format!("/api/v1/holds/{}", h2["id"]), admin).await.problem(409, "hold_closed");
    assert_eq!(app.get("/api/v1/copies/CIL-1", None).await.expect(200)["status"], "available");
}

async fn uncollected_holds_expire_and_pass_the_copy_on(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Gadis Pantai").await;
    app.copy(book, "GP-1").await;
    let (_, lender) = app.member("Peminjam", "student").await;
    let (_, first) = app.member("Pertama", "student").await;
    let (_, second) = app.member("Kedua", "student").await;
    app.checkout("GP-1", &lender).await.expect(201);
    let h1 = app.post("/api/v1/holds", admin, json!({"book_id": book, "card_number": first})).await.expect(201);
    let h2 = app.post("/api/v1/holds", admin, json!({"book_id": book, "card_number": second})).await.expect(201);
    app.checkin("GP-1").await.expect(200);
    assert_eq!(app.store.expire_holds().await.unwrap(), 0, "nothing is late yet");
    // The first member's pickup day passes (time is the one input a black-box test cannot send).
    let mut tx = app.store.db.begin().await.unwrap();
    tx.exec(
        pustaka::store::db::sql("UPDATE holds SET pickup_by = ? WHERE id = ?")
            .bind(app.today() - Duration::days(1))
            .bind(h1["id"].as_i64().unwrap()),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(app.store.expire_holds().await.unwrap(), 1);
    let all = app.get("/api/v1/holds?status=expired", admin).await.expect(200);
    assert_eq!(all["items"][0]["id"], h1["id"]);
    let ready = app.get("/api/v1/holds?status=ready", admin).await.expect(200);
    assert_eq!(ready["items"][0]["id"], h2["id"], "the copy went to the next in line");
    assert_eq!(ready["items"][0]["copy_barcode"], "GP-1");
    assert_eq!(app.get("/api/v1/copies/GP-1", None).await.expect(200)["status"], "on_hold_shelf");
    let audit = app.get("/api/v1/audit", admin).await.expect(200);
    assert!(audit["items"].as_array().unwrap().iter().any(|e| e["action"] == "hold.expire" && e["actor"] == "system"));
}

async fn categories_and_closed_days(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let cats = app.get("/api/v1/categories", admin).await.expect(200);
    let codes: Vec<_> =
        cats["items"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap().to_owned()).collect();
    assert_eq!(codes, vec!["public", "staff", "student"]);
    let rules = json!({"name": "Guru Tamu", "max_loans": 1, "loan_days": 3, "max_renewals": 0, "fine_per_day": 200, "fine_limit": 0, "hold_pickup_days": 2});
    let c = app.call(reqwest::Method::PUT, "/api/v1/categories/tamu", admin, Some(rules)).await.expect(200);
    assert_eq!(c["loan_days"], 3);
    let bad = json!({"name": "X", "max_loans": -1, "loan_days": 0, "max_renewals": 0, "fine_per_day": 0, "fine_limit": 0, "hold_pickup_days": 2});
    app.call(reqwest::Method::PUT, "/api/v1/categories/tamu", admin, Some(bad)).await.problem(422, "validation");
    let (_, card) = app.member("Tamu", "tamu").await;
    let book = app.book("Buku Tamu").await;
    app.copy(book, "BT-1").await;
    app.copy(book, "BT-2").await;
    app.checkout("BT-1", &card).await.expect(201);
    app.checkout("BT-2", &card).await.problem(409, "loan_limit");
    app.delete("/api/v1/categories/tamu", admin).await.problem(409, "category_in_use");
    app.delete("/api/v1/categories/nope", admin).await.problem(404, "not_found");

    let day = app.today() + Duration::days(30);
    let d = app.post("/api/v1/closed-days", admin, json!({"date": day, "reason": "Hari Raya"})).await.expect(201);
    assert_eq!(d["reason"], "Hari Raya");
    app.post("/api/v1/closed-days", admin, json!({"date": day, "reason": "Lagi"})).await.problem(409, "conflict");
    app.post("/api/v1/closed-days", admin, json!({"date": "2026-02-30", "reason": "x"}))
        .await
        .problem(422, "validation");
    let list = app.get("/api/v1/closed-days", None).await.expect(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    assert_eq!(list["closed_weekdays"], json!(["sun"]));
    app.delete(&format!("/api/v1/closed-days/{day}"), admin).await.expect(204);
    app.delete(&format!("/api/v1/closed-days/{day}"), admin).await.problem(404, "not_found");
    // A loan never falls due on a closed day: close the whole next fortnight but its last day.
    let (_, card2) = app.member("Budi", "student").await;
    let today = app.today();
    for d in 1..14 {
        app.post("/api/v1/closed-days", admin, json!({"date": today + Duration::days(d), "reason": "Renovasi"}))
            .await
            .expect(201);
    }
    let loan = app.checkout("BT-2", &card2).await.expect(201);
    let due: chrono::DateTime<chrono::Utc> = serde_json::from_value(loan["due_at"].clone()).unwrap();
    let due_day = pustaka::domain::time::library_date(due, app.store.tz());
    assert!(due_day >= today + Duration::days(14), "due {due_day} skips the closed fortnight");
    assert_ne!(due_day.weekday(), Weekday::Sun);
}

async fn audit_log_records_changes(app: TestApp) {
    let book = app.book("Salah Asuhan").await;
    app.copy(book, "SA-1").await;
    let (_, card) = app.member("Budi", "student").await;
    app.checkout("SA-1", &card).await.expect(201);
    app.checkin("SA-1").await.expect(200);
    let log = app.get("/api/v1/audit?per_page=100", Some(&app.admin)).await.expect(200);
    let actions: Vec<_> =
        log["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_owned()).collect();
    for a in ["book.create", "copy.create", "member.create", "loan.create", "loan.return", "user.create"] {
        assert!(actions.contains(&a.to_owned()), "{a} in {actions:?}");
    }
    assert_eq!(log["items"][0]["action"], "loan.return", "newest first");
    assert_eq!(log["items"][0]["actor"], "admin");
}

async fn concurrent_checkouts_lend_once(app: TestApp) {
    let book = app.book("Bumi Manusia").await;
    app.copy(book, "BM-1").await;
    let mut cards = Vec::new();
    for i in 0..10 {
        cards.push(app.member(&format!("Anggota {i}"), "staff").await.1);
    }
    let app = std::sync::Arc::new(app);
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let app = app.clone();
            let card = cards[i % cards.len()].clone();
            tokio::spawn(async move { app.checkout("BM-1", &card).await })
        })
        .collect();
    let mut created = 0;
    let mut refused = 0;
    for t in tasks {
        let r = t.await.unwrap();
        match r.status.as_u16() {
            201 => created += 1,
            409 => {
                assert_eq!(r.body["code"], "copy_not_available", "{}", r.body);
                refused += 1
            }
            other => panic!("unexpected {other}: {}", r.body),
        }
    }
    assert_eq!((created, refused), (1, 199));
    let loans = app.get("/api/v1/loans?status=active", Some(&app.admin)).await.expect(200);
    assert_eq!(loans["total"], 1, "exactly one loan is stored");
}

async fn concurrent_returns_fine_once(app: TestApp) {
    let book = app.book("Layar Terkembang").await;
    app.copy(book, "LT-1").await;
    let (member, card) = app.member("Budi", "staff").await;
    app.checkout_days_ago("LT-1", &card, 30).await.expect(201);
    let app = std::sync::Arc::new(app);
    let (a, b) = tokio::join!(app.checkin("LT-1"), app.checkin("LT-1"));
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "one return succeeds: {} / {}", a.body, b.body);
    let fines = app.get(&format!("/api/v1/members/{member}/fines"), Some(&app.admin)).await.expect(200);
    assert_eq!(fines["total"], 1, "one fine, not two");
}

async fn personal_responses_are_never_stored(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let (me, card, token) = app.member_with_login("Rina", "rina").await;
    let member = Some(token.as_str());
    let book = app.book("Ronggeng Dukuh Paruk").await;
    app.copy(book, "RDP-1").await;
    app.copy(book, "RDP-2").await;
    app.checkout_days_ago("RDP-2", &card, 12).await.expect(201);
    app.checkin("RDP-2").await.expect(200);
    let loan = app.checkout("RDP-1", &card).await.expect(201)["id"].as_i64().unwrap();
    let no_store = |r: &common::Res, what: &str| {
        let cc = r.headers.get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert_eq!(cc, "no-store", "{what}: Cache-Control {cc:?}");
    };
    let personal = [
        ("/api/v1/auth/me".to_owned(), member),
        (format!("/api/v1/members/{me}"), member),
        (format!("/api/v1/members/{me}/loans"), member),
        (format!("/api/v1/members/{me}/fines"), member),
        (format!("/api/v1/members/{me}/holds"), member),
        (format!("/api/v1/loans/{loan}"), member),
        ("/api/v1/members".to_owned(), admin),
        ("/api/v1/loans".to_owned(), admin),
        ("/api/v1/fines".to_owned(), admin),
        ("/api/v1/holds".to_owned(), admin),
        ("/api/v1/users".to_owned(), admin),
        ("/api/v1/audit".to_owned(), admin),
        ("/api/v1/stats".to_owned(), admin),
        ("/api/v1/categories".to_owned(), admin),
    ];
    for (path, who) in personal {
        let r = app.get(&path, who).await;
        no_store(&r, &path);
        r.expect(200);
    }
    // Changes and refusals on personal routes are not kept either.
    let r = app.post(&format!("/api/v1/loans/{loan}/renew"), member, json!({})).await;
    no_store(&r, "renew");
    r.expect(200);
    let r = app.get("/api/v1/members", member).await;
    no_store(&r, "a refused list");
    r.problem(403, "forbidden");
    // The public catalogue may still be cached.
    for path in [format!("/api/v1/books/{book}"), "/api/v1/books?q=ronggeng".into(), "/api/v1/copies/RDP-1".into()] {
        let r = app.get(&path, None).await;
        assert!(r.headers.get("cache-control").is_none_or(|v| v != "no-store"), "{path}: {:?}", r.headers);
        r.expect(200);
    }
}

async fn members_cannot_probe_for_others_records(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let (me, my_card, token) = app.member_with_login("Budi", "budi").await;
    let (other, other_card, other_token) = app.member_with_login("Siti", "siti").await;
    let book = app.book("Atheis").await;
    app.copy(book, "ATH-1").await;
    let theirs = app.checkout("ATH-1", &other_card).await.expect(201)["id"].as_i64().unwrap();
    let wanted = app.book("Tenggelamnya Kapal").await;
    app.copy(wanted, "TK-1").await;
    let (_, third) = app.member("Agus", "student").await;
    app.checkout("TK-1", &third).await.expect(201);
    let their_hold = app.post("/api/v1/holds", Some(&other_token), json!({"book_id": wanted})).await.expect(201)["id"]
        .as_i64()
        .unwrap();
    let unknown = 987_654_321_i64;
    // A well-formed card number nobody has.
    let unknown_card = "P12345674";
    assert_ne!(other_card, unknown_card);

    // Another member's record and one that does not exist get the same answer.
    let member = Some(token.as_str());
    for id in [other, unknown] {
        for path in ["", "/loans", "/holds", "/fines"] {
            app.get(&format!("/api/v1/members/{id}{path}"), member).await.problem(403, "forbidden");
        }
    }
    for id in [theirs, unknown] {
        app.get(&format!("/api/v1/loans/{id}"), member).await.problem(403, "forbidden");
        app.post(&format!("/api/v1/loans/{id}/renew"), member, json!({})).await.problem(403, "forbidden");
    }
    for id in [their_hold, unknown] {
        app.delete(&format!("/api/v1/holds/{id}"), member).await.problem(403, "forbidden");
    }
    for card in [other_card.as_str(), unknown_card] {
        app.post("/api/v1/holds", member, json!({"book_id": wanted, "card_number": card}))
            .await
            .problem(403, "forbidden");
    }
    // Their own card still works.
    let mine = app.post("/api/v1/holds", member, json!({"book_id": wanted, "card_number": my_card})).await.expect(201);
    assert_eq!(mine["member_id"], me);
    // Books are public: an unknown one is a 404 for everybody.
    app.post("/api/v1/holds", member, json!({"book_id": unknown})).await.problem(404, "not_found");

    // Staff are still told what does not exist.
    app.get(&format!("/api/v1/members/{unknown}"), admin).await.problem(404, "not_found");
    app.get(&format!("/api/v1/members/{unknown}/loans"), admin).await.problem(404, "not_found");
    app.get(&format!("/api/v1/loans/{unknown}"), admin).await.problem(404, "not_found");
    app.post(&format!("/api/v1/loans/{unknown}/renew"), admin, json!({})).await.problem(404, "not_found");
    app.delete(&format!("/api/v1/holds/{unknown}"), admin).await.problem(404, "not_found");
    app.post("/api/v1/holds", admin, json!({"book_id": wanted, "card_number": unknown_card}))
        .await
        .problem(404, "not_found");
}

/// The (field, code) pairs of a 422 problem.
fn field_errors(p: &serde_json::Value) -> Vec<(String, String)> {
    p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap().to_owned(), e["code"].as_str().unwrap().to_owned()))
        .collect()
}

async fn control_and_bidi_characters_are_refused(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let invalid = |field: &str| (field.to_owned(), "invalid_characters".to_owned());
    // A right-to-left override shows "Laporan\u{202E}fdp.exe" as "Laporanexe.pdf".
    let p = app
        .post(
            "/api/v1/books",
            admin,
            json!({"title": "Laporan\u{202E}fdp.exe", "authors": ["Ani\u{0000}Budi"], "subjects": ["\u{1b}[31mmerah"],
                   "publisher": "Gramedia\u{2066}"}),
        )
        .await
        .problem(422, "validation");
    let errors = field_errors(&p);
    for f in ["title", "authors", "subjects", "publisher"] {
        assert!(errors.contains(&invalid(f)), "{f} in {errors:?}");
    }
    let book = app.book("Sitti Nurbaya").await;
    let p = app.patch(&format!("/api/v1/books/{book}"), admin, json!({"title": "Sitti\u{200F}"})).await;
    assert_eq!(field_errors(&p.problem(422, "validation")), [invalid("title")]);
    let copy = json!({"barcode": "SN-1", "location": "Rak\u{0007}A"});
    let p = app.post(&format!("/api/v1/books/{book}/copies"), admin, copy).await;
    assert_eq!(field_errors(&p.problem(422, "validation")), [invalid("location")]);
    let p = app.post("/api/v1/members", admin, json!({"name": "Budi\u{202E}", "category": "student"})).await;
    assert_eq!(field_errors(&p.problem(422, "validation")), [invalid("name")]);
    let m = json!({"name": "Budi", "category": "student", "email": "budi\u{200E}@example.org"});
    let p = app.post("/api/v1/members", admin, m).await;
    assert_eq!(field_errors(&p.problem(422, "validation")), [invalid("email")]);
    let (member, _) = app.member("Budi", "student").await;
    let block = json!({"blocked": true, "blocked_reason": "nakal\u{061C}"});
    let p = app.patch(&format!("/api/v1/members/{member}"), admin, block).await;
    assert_eq!(field_errors(&p.problem(422, "validation")), [invalid("blocked_reason")]);
    let rules = json!({"name": "Tamu\u{2069}", "max_loans": 1, "loan_days": 3, "max_renewals": 0, "fine_per_day": 0,
                       "fine_limit": 0, "hold_pickup_days": 2});
    let p = app.call(reqwest::Method::PUT, "/api/v1/categories/tamu", admin, Some(rules)).await;
    assert_eq!(field_errors(&p.problem(422, "validation")), [invalid("name")]);
    let day = app.today() + Duration::days(40);
    let p = app.post("/api/v1/closed-days", admin, json!({"date": day, "reason": "Libur\r\nX-Injected: 1"})).await;
    assert_eq!(field_errors(&p.problem(422, "validation")), [invalid("reason")]);
    let user = json!({"username": "adm\u{202D}in", "password": "long-enough", "role": "librarian"});
    let p = app.post("/api/v1/users", admin, user).await;
    assert_eq!(field_errors(&p.problem(422, "validation")), [invalid("username")]);
    // Other scripts, right-to-left text itself, emoji, and whitespace around the text are fine.
    let ok = "  \u{0645}\u{0643}\u{062a}\u{0628}\u{0629} — Perpustakaan ꦗꦮ 📚\n";
    let b = app.post("/api/v1/books", admin, json!({"title": ok, "authors": [ok]})).await.expect(201);
    assert_eq!(b["title"], ok.trim());
}

async fn huge_fines_do_not_break_totals(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let rules = |fine_per_day: i64| {
        json!({"name": "Mahal", "max_loans": 5, "loan_days": 7, "max_renewals": 0, "fine_per_day": fine_per_day,
               "max_fine_per_loan": 0, "fine_limit": 0, "hold_pickup_days": 2})
    };
    let put = |body| app.call(reqwest::Method::PUT, "/api/v1/categories/mahal", admin, Some(body));
    // Money has a ceiling: Rp 10.000.000 per day, per loan and as a limit.
    let p = put(rules(i64::MAX)).await.problem(422, "validation");
    assert_eq!(field_errors(&p), [("rules".to_owned(), "out_of_range".to_owned())]);
    put(rules(10_000_001)).await.problem(422, "validation");
    for field in ["max_fine_per_loan", "fine_limit"] {
        let mut body = rules(0);
        body[field] = json!(10_000_001);
        put(body).await.problem(422, "validation");
    }
    assert_eq!(put(rules(10_000_000)).await.expect(200)["fine_per_day"], 10_000_000);

    let (member, card) = app.member("Boros", "mahal").await;
    let book = app.book("Harta Karun").await;
    for b in ["HK-1", "HK-2", "HK-3"] {
        app.copy(book, b).await;
    }
    for b in ["HK-1", "HK-2", "HK-3"] {
        app.checkout_days_ago(b, &card, 40).await.expect(201);
    }
    // A category stored before the ceiling, with the largest fine a database can hold.
    let mut tx = app.store.db.begin().await.unwrap();
    tx.exec(pustaka::store::db::sql("UPDATE categories SET fine_per_day = ? WHERE code = 'mahal'").bind(i64::MAX))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    app.get("/api/v1/categories", admin).await.expect(200);
    app.checkin("HK-1").await.expect(200);
    app.checkin("HK-2").await.expect(200);
    // And fines stored before the ceiling, as large as can be.
    let mut tx = app.store.db.begin().await.unwrap();
    tx.exec(pustaka::store::db::sql("UPDATE fines SET amount = ? WHERE member_id = ?").bind(i64::MAX).bind(member))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let m = app.get(&format!("/api/v1/members/{member}"), admin).await.expect(200);
    assert_eq!(m["unpaid_fines"], i64::MAX, "the total saturates");
    let list = app.get("/api/v1/members?q=Boros", admin).await.expect(200);
    assert_eq!(list["items"][0]["unpaid_fines"], i64::MAX);
    assert_eq!(app.get("/api/v1/stats", admin).await.expect(200)["unpaid_fines"], i64::MAX);
    app.get(&format!("/api/v1/members/{member}/fines"), admin).await.expect(200);
    // The desk still works for this member: the third return is charged, and the totals read.
    app.checkin("HK-3").await.expect(200);
    app.get(&format!("/api/v1/members/{member}"), admin).await.expect(200);
    app.get("/api/v1/stats", admin).await.expect(200);
}
