//! The public catalogue on a phone (issue #34) on both backends: the search with facets, filters
//! and sorts (facets counted on the results narrowed by the other filters, the bound of 1000
//! matches said by `total_capped`), clear refusals of bad filters, and "most borrowed".

use crate::common;

use common::TestApp;

trait PutJson {
    async fn put_json(&self, path: &str, token: &str, body: Value) -> common::Res;
}

impl PutJson for TestApp {
    async fn put_json(&self, path: &str, token: &str, body: Value) -> common::Res {
        self.call(reqwest::Method::PUT, path, Some(token), Some(body)).await
    }
}
use serde_json::{json, Value};

contract!(
    the_catalogue_search_has_facets_filters_and_sorts,
    the_catalogue_search_refuses_bad_filters_by_field,
    most_borrowed_counts_recent_loans,
    the_page_is_gzipped_and_installable,
    a_member_sees_their_own_history_and_may_switch_it_off,
);

async fn catalogued(app: &TestApp, book: Value) -> i64 {
    app.post("/api/v1/books", Some(&app.admin), book).await.expect(201)["id"].as_i64().unwrap()
}

fn titles(list: &Value) -> Vec<&str> {
    list["items"].as_array().unwrap().iter().map(|b| b["title"].as_str().unwrap()).collect()
}

fn facet<'a>(list: &'a Value, name: &str) -> Vec<(&'a str, i64)> {
    list["facets"][name]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["value"].as_str().unwrap(), v["count"].as_i64().unwrap()))
        .collect()
}

async fn the_catalogue_search_has_facets_filters_and_sorts(app: TestApp) {
    let laskar = catalogued(
        &app,
        json!({ "title": "Laskar Pelangi", "authors": ["Andrea Hirata"], "year": 2005, "language": "id",
                "classification": "899.221", "collection_type": "fiksi" }),
    )
    .await;
    catalogued(
        &app,
        json!({ "title": "Sang Pemimpi", "authors": ["Andrea Hirata"], "year": 2006, "language": "id",
                "classification": "899.221", "collection_type": "fiksi" }),
    )
    .await;
    catalogued(
        &app,
        json!({ "title": "Atlas Pelangi Dunia", "authors": ["Tim Atlas"], "year": 2019, "language": "en",
                "classification": "912", "collection_type": "referensi" }),
    )
    .await;
    catalogued(&app, json!({ "title": "Pelangi Tanpa Kelas", "authors": ["Anonim"] })).await;
    app.copy(laskar, "OP0001").await;

    let all = app.get("/api/v1/books/search?q=pelangi", None).await.expect(200);
    assert_eq!(all["total"], 3, "{all}");
    assert_eq!(all["total_capped"], false);
    assert_eq!(facet(&all, "collection_type"), [("fiksi", 1), ("referensi", 1)]);
    assert_eq!(facet(&all, "ddc"), [("8", 1), ("9", 1)]);
    assert_eq!(facet(&all, "year"), [("2019", 1), ("2005", 1)]);
    assert_eq!(facet(&all, "language"), [("en", 1), ("id", 1)]);
    assert_eq!(all["facets"]["available"], 1);

    let fiction = app.get("/api/v1/books/search?q=pelangi&collection_type=fiksi", None).await.expect(200);
    assert_eq!(titles(&fiction), ["Laskar Pelangi"]);
    // A facet is counted without its own filter: the other types stay to choose from.
    assert_eq!(facet(&fiction, "collection_type"), [("fiksi", 1), ("referensi", 1)]);
    assert_eq!(facet(&fiction, "language"), [("id", 1)]);

    let on_shelf = app.get("/api/v1/books/search?available=true", None).await.expect(200);
    assert_eq!(titles(&on_shelf), ["Laskar Pelangi"]);
    let class9 = app.get("/api/v1/books/search?ddc=9", None).await.expect(200);
    assert_eq!(titles(&class9), ["Atlas Pelangi Dunia"]);
    let year = app.get("/api/v1/books/search?year=2006&language=id", None).await.expect(200);
    assert_eq!(titles(&year), ["Sang Pemimpi"]);

    // Without words: every book, newest first; sorts by title and by year (no year last).
    let newest = app.get("/api/v1/books/search", None).await.expect(200);
    assert_eq!(titles(&newest), ["Pelangi Tanpa Kelas", "Atlas Pelangi Dunia", "Sang Pemimpi", "Laskar Pelangi"]);
    let by_title = app.get("/api/v1/books/search?sort=title", None).await.expect(200);
    assert_eq!(titles(&by_title), ["Atlas Pelangi Dunia", "Laskar Pelangi", "Pelangi Tanpa Kelas", "Sang Pemimpi"]);
    let by_year = app.get("/api/v1/books/search?sort=year&per_page=2&page=2", None).await.expect(200);
    assert_eq!(titles(&by_year), ["Laskar Pelangi", "Pelangi Tanpa Kelas"]);
    assert_eq!(by_year["total"], 4);
    // A word being typed matches as a prefix, as the plain search does.
    let typed = app.get("/api/v1/books/search?q=pemim", None).await.expect(200);
    assert_eq!(titles(&typed), ["Sang Pemimpi"]);
    let isbn_less = app.get("/api/v1/books/search?q=zzzz", None).await.expect(200);
    assert_eq!(isbn_less["total"], 0);
    assert_eq!(isbn_less["facets"]["available"], 0);
}

async fn the_catalogue_search_refuses_bad_filters_by_field(app: TestApp) {
    for (query, field) in [
        ("ddc=10", "ddc"),
        ("year=-1", "year"),
        ("language=e1", "language"),
        ("sort=popular", "sort"),
        ("collection_type=bad%20code", "collection_type"),
    ] {
        let p = app.get(&format!("/api/v1/books/search?{query}"), None).await.problem(422, "validation");
        assert_eq!(p["errors"][0]["field"], field, "{query}: {p}");
    }
    for (query, field) in [("days=0", "days"), ("limit=51", "limit")] {
        let p = app.get(&format!("/api/v1/books/popular?{query}"), None).await.problem(422, "validation");
        assert_eq!(p["errors"][0]["field"], field, "{query}: {p}");
    }
}

async fn most_borrowed_counts_recent_loans(app: TestApp) {
    let often = app.book("Sering Dipinjam").await;
    let once = app.book("Sekali Dipinjam").await;
    let long_ago = app.book("Dulu Dipinjam").await;
    app.copy(often, "MB0001").await;
    app.copy(once, "MB0002").await;
    app.copy(long_ago, "MB0003").await;
    let (_, card) = app.member("Peminjam", "student").await;
    app.checkout_days_ago("MB0001", &card, 20).await.expect(201);
    app.checkin("MB0001").await.expect(200);
    app.checkout("MB0001", &card).await.expect(201);
    app.checkout("MB0002", &card).await.expect(201);
    app.checkout_days_ago("MB0003", &card, 60).await.expect(201);

    let popular = app.get("/api/v1/books/popular", None).await.expect(200);
    let got: Vec<(&str, i64)> = popular["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["book"]["title"].as_str().unwrap(), p["loans"].as_i64().unwrap()))
        .collect();
    assert_eq!(got, [("Sering Dipinjam", 2), ("Sekali Dipinjam", 1)]);
    let quarter = app.get("/api/v1/books/popular?days=90&limit=1", None).await.expect(200);
    assert_eq!(quarter["items"].as_array().unwrap().len(), 1);
}

async fn the_page_is_gzipped_and_installable(app: TestApp) {
    use axum::{
        body::Body,
        http::{header, Request},
    };
    let get = |path: &str, gzip: bool| {
        let mut req = Request::builder().uri(path);
        if gzip {
            req = req.header(header::ACCEPT_ENCODING, "gzip");
        }
        req.body(Body::empty()).unwrap()
    };
    let plain = app.send(get("/js/i18n.js", false)).await;
    assert_eq!(plain.status, 200);
    assert!(plain.headers.get(header::CONTENT_ENCODING).is_none());
    let zipped = app.send(get("/js/i18n.js", true)).await;
    assert_eq!(zipped.status, 200);
    assert_eq!(zipped.headers[header::CONTENT_ENCODING], "gzip");
    // The API's answers are left as they were.
    let api = app.send(get("/api/v1/books/search", true)).await;
    assert!(api.headers.get(header::CONTENT_ENCODING).is_none());

    let manifest = app.send(get("/manifest.webmanifest", false)).await;
    assert_eq!(manifest.status, 200);
    assert_eq!(manifest.body["start_url"], "/#/katalog");
    assert_eq!(manifest.body["icons"][0]["src"], "/favicon.svg");
    let index = app.send(get("/", false)).await;
    assert!(index.body.as_str().unwrap().contains(r#"<link rel="manifest" href="manifest.webmanifest">"#));
}

async fn a_member_sees_their_own_history_and_may_switch_it_off(app: TestApp) {
    let read = app.book("Buku Dibaca").await;
    let here = app.book("Buku Dibaca Di Tempat").await;
    app.copy(read, "HI0001").await;
    app.copy(here, "HI0002").await;
    let (sari, card, token) = app.member_with_login("Sari", "sari").await;
    let (other, _, other_token) = app.member_with_login("Lain", "lain").await;
    app.checkout_days_ago("HI0001", &card, 3).await.expect(201);
    app.checkin("HI0001").await.expect(200);
    app.post("/api/v1/in-library-uses", Some(&app.admin), json!({ "barcode": "HI0002", "card_number": card }))
        .await
        .expect(201);

    let history = app.get(&format!("/api/v1/members/{sari}/history"), Some(&token)).await.expect(200);
    assert_eq!(history["keep_history"], true);
    assert_eq!(history["in_popular"], true);
    let got: Vec<(&str, &str, bool)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["title"].as_str().unwrap(), e["returned_at"].is_string()))
        .collect();
    assert_eq!(got, [("in_library", "Buku Dibaca Di Tempat", false), ("loan", "Buku Dibaca", true)]);
    // Only their own: another member is refused, staff may look.
    app.get(&format!("/api/v1/members/{sari}/history"), Some(&other_token)).await.problem(403, "forbidden");
    app.put_json(
        &format!("/api/v1/members/{sari}/privacy"),
        &other_token,
        json!({ "keep_history": false, "in_popular": false }),
    )
    .await
    .problem(403, "forbidden");
    app.get(&format!("/api/v1/members/{other}/history"), Some(&app.admin)).await.expect(200);
    let popular = app.get("/api/v1/books/popular", None).await.expect(200);
    assert_eq!(popular["items"][0]["book"]["title"], "Buku Dibaca");

    // Switched off: the history is hidden, and the loans are left out of "most borrowed".
    let p = app
        .put_json(
            &format!("/api/v1/members/{sari}/privacy"),
            &token,
            json!({ "keep_history": false, "in_popular": false }),
        )
        .await
        .expect(200);
    assert_eq!(p, json!({ "keep_history": false, "in_popular": false }));
    let history = app.get(&format!("/api/v1/members/{sari}/history"), Some(&token)).await.expect(200);
    assert_eq!(history["items"], json!([]));
    let popular = app.get("/api/v1/books/popular", None).await.expect(200);
    assert_eq!(popular["items"], json!([]));
    // Switched on again: nothing was deleted.
    app.put_json(
        &format!("/api/v1/members/{sari}/privacy"),
        &token,
        json!({ "keep_history": true, "in_popular": true }),
    )
    .await
    .expect(200);
    let history = app.get(&format!("/api/v1/members/{sari}/history"), Some(&token)).await.expect(200);
    assert_eq!(history["items"].as_array().unwrap().len(), 2);
    app.put_json(&format!("/api/v1/members/{sari}/privacy"), &token, json!({ "keep_history": "ya" }))
        .await
        .problem(422, "validation");
}
