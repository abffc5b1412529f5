//! Copy cataloguing (issue #31): an ISBN looked up in this catalogue and in other catalogues at
//! once. No machine here reaches the internet, so each protocol is answered by a local server in
//! the test, with answers written from each format's published shape (SRU 1.2's
//! searchRetrieveResponse with MARCXML, SRU 2.0 with Dublin Core and diagnostics, SLiMS's XML
//! search result and MODS detail as SLiMS's own code writes them, Open Library's books API), and
//! their real-world faults: a slow source, a broken one, a diagnostic, an answer too large, a
//! redirect to a private address. Both backends.

use std::{
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use crate::common;

use axum::{
    extract::{Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Router,
};
use common::TestApp;
use serde_json::{json, Value};

contract!(
    every_source_is_asked_at_once_and_each_says_how_it_answered,
    answers_are_kept_and_serve_with_every_source_down,
    a_cover_found_is_kept_and_shown_for_the_book,
    hostile_sources_are_bounded,
    sources_are_checked,
    a_search_by_words_asks_every_source_and_keeps_nothing,
);

const ISBN: &str = "9789799731234";
/// Another ISBN, which no source has.
const UNKNOWN: &str = "9780306406157";

fn sru_marc(isbn: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<zs:searchRetrieveResponse xmlns:zs="http://www.loc.gov/zing/srw/"><zs:version>1.2</zs:version>
<zs:numberOfRecords>1</zs:numberOfRecords><zs:records><zs:record>
<zs:recordSchema>marcxml</zs:recordSchema><zs:recordPacking>xml</zs:recordPacking><zs:recordData>
<record xmlns="http://www.loc.gov/MARC21/slim"><leader>00000nam a2200000 i 4500</leader>
<controlfield tag="001">PN-000123</controlfield>
<datafield tag="020" ind1=" " ind2=" "><subfield code="a">{isbn}</subfield></datafield>
<datafield tag="082" ind1="0" ind2="4"><subfield code="a">899.221</subfield></datafield>
<datafield tag="100" ind1="1" ind2=" "><subfield code="a">Kurniawan, Eka,</subfield></datafield>
<datafield tag="245" ind1="1" ind2="0"><subfield code="a">Cantik itu luka /</subfield></datafield>
<datafield tag="260" ind1=" " ind2=" "><subfield code="a">Jakarta :</subfield><subfield code="b">Gramedia,</subfield><subfield code="c">2004.</subfield></datafield>
</record></zs:recordData><zs:recordPosition>1</zs:recordPosition></zs:record></zs:records></zs:searchRetrieveResponse>"#
    )
}

const SRU_EMPTY: &str = r#"<searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/"><version>1.2</version><numberOfRecords>0</numberOfRecords></searchRetrieveResponse>"#;

const SRU_DIAGNOSTIC: &str = r#"<sru:searchRetrieveResponse xmlns:sru="http://docs.oasis-open.org/ns/search-ws/sruResponse"><sru:version>2.0</sru:version>
<sru:numberOfRecords>0</sru:numberOfRecords><sru:diagnostics><diag:diagnostic xmlns:diag="http://docs.oasis-open.org/ns/search-ws/diagnostic">
<diag:uri>info:srw/diagnostic/1/16</diag:uri><diag:details>bath.isbn</diag:details><diag:message>Unsupported index</diag:message>
</diag:diagnostic></sru:diagnostics></sru:searchRetrieveResponse>"#;

fn slims_brief(isbn: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<modsCollection xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://www.loc.gov/mods/v3" xmlns:slims="http://slims.web.id" xsi:schemaLocation="http://www.loc.gov/mods/v3 http://www.loc.gov/standards/mods/v3/mods-3-3.xsd">
<slims:resultInfo><slims:modsResultNum>1</slims:modsResultNum><slims:modsResultPage>1</slims:modsResultPage><slims:modsResultShowed>10</slims:modsResultShowed></slims:resultInfo>
<mods version="3.3" ID="42"><titleInfo><title>Cantik Itu Luka</title></titleInfo>
<typeOfResource collection="yes">mixed material</typeOfResource><identifier type="isbn">{isbn}</identifier>
<originInfo><place><placeTerm type="text">Jakarta</placeTerm></place><publisher>Gramedia Pustaka Utama</publisher><dateIssued>2004</dateIssued></originInfo>
<slims:image>cantik.jpg</slims:image>
<name type="Personal Name" authority=""><namePart>Eka Kurniawan</namePart><role><roleTerm type="text">Pengarang Utama</roleTerm></role></name>
</mods></modsCollection>"#
    )
}

fn slims_detail(isbn: &str) -> String {
    format!(
        r#"<modsCollection xmlns:xlink="http://www.w3.org/1999/xlink" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns="http://www.loc.gov/mods/v3" xmlns:slims="http://slims.web.id">
<mods version="3.3" id="42"><titleInfo><title><![CDATA[Cantik Itu Luka]]></title></titleInfo>
<name type="p" authority=""><namePart>Eka Kurniawan</namePart><role><roleTerm type="text">Pengarang Utama</roleTerm></role></name>
<typeOfResource manuscript="no" collection="yes">mixed material</typeOfResource><genre authority="marcgt">bibliography</genre>
<originInfo><place><placeTerm type="text">Jakarta</placeTerm></place><publisher>Gramedia Pustaka Utama</publisher><dateIssued>2004</dateIssued></originInfo>
<language><languageTerm type="code">id</languageTerm><languageTerm type="text">Indonesia</languageTerm></language>
<physicalDescription><form authority="gmd">Text</form><extent>xii, 505 hlm. ; 21 cm</extent></physicalDescription>
<note></note><subject authority=""><topic>Novel Indonesia</topic></subject>
<classification>899.221 3</classification><identifier type="isbn">{isbn}</identifier>
<location><physicalLocation>Perpustakaan SMA</physicalLocation><shelfLocator>899.221 3 KUR c</shelfLocator></location>
<slims:image>cantik.jpg</slims:image></mods></modsCollection>"#
    )
}

fn open_library(isbn: &str, cover: &str) -> Value {
    json!({ format!("ISBN:{isbn}"): {
        "title": "Beauty Is a Wound", "authors": [{"name": "Eka Kurniawan"}],
        "identifiers": {"isbn_13": [isbn]}, "publishers": [{"name": "New Directions"}],
        "publish_date": "2015", "number_of_pages": 470, "subjects": [{"name": "Indonesian fiction"}],
        "classifications": {"dewey_decimal_class": ["899.2213"]},
        "cover": {"medium": cover}
    }})
}

/// A small JPEG (the fixture of the member photos' tests).
fn jpeg() -> Vec<u8> {
    std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/photo.jpg")).unwrap()
}

#[derive(Clone)]
struct Sources {
    base: Arc<String>,
    /// Requests answered, per kind of route.
    asked: Arc<AtomicUsize>,
}

#[derive(serde::Deserialize)]
struct Params {
    query: Option<String>,
    isbn: Option<String>,
    bibkeys: Option<String>,
    p: Option<String>,
    title: Option<String>,
    q: Option<String>,
}

/// Whether a search by words asks for "Cantik itu luka".
fn asks_for_luka(p: &Params) -> bool {
    [&p.query, &p.title, &p.q].iter().any(|v| v.as_deref().is_some_and(|v| v.to_lowercase().contains("luka")))
}

fn xml(text: String) -> Response {
    ([(header::CONTENT_TYPE, "text/xml; charset=utf-8")], text).into_response()
}

fn isbn_of(p: &Params) -> String {
    let q = p.query.clone().or_else(|| p.isbn.clone()).or_else(|| p.bibkeys.clone()).unwrap_or_default();
    q.rsplit(['=', ':']).next().unwrap_or_default().to_owned()
}

/// The local catalogues: SRU 1.2 (MARCXML), SRU 2.0 (a diagnostic), a SLiMS OPAC, Open Library,
/// a slow SRU, a broken one, one answering too much, one redirecting to a private address.
async fn sources() -> (String, Arc<AtomicUsize>, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = Sources { base: Arc::new(base.clone()), asked: Arc::new(AtomicUsize::new(0)) };
    let asked = state.asked.clone();
    let app = Router::new()
        .route(
            "/sru",
            get(|State(s): State<Sources>, Query(p): Query<Params>| async move {
                s.asked.fetch_add(1, Ordering::SeqCst);
                let isbn = isbn_of(&p);
                xml(if isbn == ISBN || asks_for_luka(&p) { sru_marc(ISBN) } else { SRU_EMPTY.to_owned() })
            }),
        )
        .route(
            "/sru2",
            get(|State(s): State<Sources>| async move {
                s.asked.fetch_add(1, Ordering::SeqCst);
                xml(SRU_DIAGNOSTIC.to_owned())
            }),
        )
        .route(
            "/slims/index.php",
            get(|State(s): State<Sources>, Query(p): Query<Params>| async move {
                s.asked.fetch_add(1, Ordering::SeqCst);
                if p.p.as_deref() == Some("show_detail") {
                    return xml(slims_detail(ISBN));
                }
                let isbn = isbn_of(&p);
                xml(if isbn == ISBN || asks_for_luka(&p) {
                    slims_brief(ISBN)
                } else {
                    r#"<modsCollection xmlns="http://www.loc.gov/mods/v3" xmlns:slims="http://slims.web.id"><slims:resultInfo><slims:modsResultNum>0</slims:modsResultNum></slims:resultInfo></modsCollection>"#.to_owned()
                })
            }),
        )
        .route(
            "/slims/lib/minigalnano/createthumb.php",
            get(|| async { ([(header::CONTENT_TYPE, "image/jpeg")], jpeg()).into_response() }),
        )
        .route(
            "/ol/api/books",
            get(|State(s): State<Sources>, Query(p): Query<Params>| async move {
                s.asked.fetch_add(1, Ordering::SeqCst);
                let isbn = isbn_of(&p);
                if isbn == ISBN {
                    axum::Json(open_library(&isbn, &format!("{}/cover.jpg", s.base))).into_response()
                } else {
                    axum::Json(json!({})).into_response()
                }
            }),
        )
        .route(
            "/ol/search.json",
            get(|State(s): State<Sources>, Query(p): Query<Params>| async move {
                s.asked.fetch_add(1, Ordering::SeqCst);
                let docs = if asks_for_luka(&p) {
                    json!([{"title": "Beauty Is a Wound", "author_name": ["Eka Kurniawan"], "first_publish_year": 2015,
                            "isbn": ["0811223639", ISBN], "publisher": ["New Directions"], "cover_i": 7}])
                } else {
                    json!([])
                };
                axum::Json(json!({"numFound": docs.as_array().unwrap().len(), "docs": docs})).into_response()
            }),
        )
        .route("/cover.jpg", get(|| async { ([(header::CONTENT_TYPE, "image/jpeg")], jpeg()).into_response() }))
        .route(
            "/slow",
            get(|State(s): State<Sources>, Query(p): Query<Params>| async move {
                s.asked.fetch_add(1, Ordering::SeqCst);
                // Longer than the source's limit; bounded, like every wait in a test.
                tokio::time::sleep(Duration::from_secs(3)).await;
                xml(sru_marc(&isbn_of(&p)))
            }),
        )
        .route(
            "/broken",
            get(|State(s): State<Sources>| async move {
                s.asked.fetch_add(1, Ordering::SeqCst);
                (StatusCode::BAD_GATEWAY, "<html><body>502 Bad Gateway</body></html>").into_response()
            }),
        )
        .route(
            "/huge",
            get(|| async {
                let mut text = String::from("<searchRetrieveResponse><records>");
                text.push_str(&" ".repeat(3 << 20));
                xml(text)
            }),
        )
        .route("/elsewhere", get(|| async { Redirect::temporary("http://10.255.255.1/sru") }))
        .route("/local-name", get(|| async { Redirect::temporary("http://localhost/sru") }))
        .route("/loop", get(|| async { Redirect::temporary("/loop") }))
        .route(
            "/moved",
            get(|Query(p): Query<Params>| async move {
                Redirect::permanent(&format!("/sru?query={}", p.query.unwrap_or_default().replace('"', "%22").replace(' ', "%20")))
            }),
        )
        .with_state(state);
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (base, asked, server)
}

async fn put_image(app: &TestApp, path: &str, bytes: &[u8]) -> common::Res {
    let req = axum::http::Request::put(path)
        .header(header::AUTHORIZATION, format!("Bearer {}", app.admin))
        .header(header::CONTENT_TYPE, "image/jpeg")
        .body(axum::body::Body::from(bytes.to_vec()))
        .unwrap();
    app.send(req).await
}

async fn add_source(app: &TestApp, name: &str, kind: &str, url: &str, timeout_ms: i64) -> i64 {
    app.post(
        "/api/v1/catalogue-sources",
        Some(&app.admin),
        json!({ "name": name, "kind": kind, "url": url, "timeout_ms": timeout_ms }),
    )
    .await
    .expect(201)["id"]
        .as_i64()
        .unwrap()
}

fn source<'a>(answer: &'a Value, name: &str) -> &'a Value {
    answer["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {answer:#}"))
}

async fn every_source_is_asked_at_once_and_each_says_how_it_answered(app: TestApp) {
    let (base, _, _server) = sources().await;
    add_source(&app, "Perpusnas", "sru", &format!("{base}/sru"), 3000).await;
    add_source(&app, "SRU 2", "sru", &format!("{base}/sru2"), 3000).await;
    add_source(&app, "SLiMS SMA 1", "slims", &format!("{base}/slims"), 3000).await;
    add_source(&app, "Open Library", "openlibrary", &format!("{base}/ol"), 3000).await;
    add_source(&app, "Lambat", "sru", &format!("{base}/slow"), 500).await;
    add_source(&app, "Rusak", "sru", &format!("{base}/broken"), 3000).await;
    // A book of this library with the ISBN already.
    app.post(
        "/api/v1/books",
        Some(&app.admin),
        json!({ "title": "Cantik Itu Luka", "authors": ["Eka Kurniawan"], "isbn": ISBN }),
    )
    .await
    .expect(201);

    let librarian = app.add_librarian().await;
    // ISBN-10 with hyphens, as typed: the same ISBN-13.
    let a = app.get("/api/v1/copy-cataloguing?isbn=979-97312-3-2", Some(&librarian)).await.expect(200);
    assert_eq!(a["isbn"], ISBN);
    assert_eq!(a["local"].as_array().unwrap().len(), 1, "{a:#}");
    assert_eq!(a["sources"].as_array().unwrap().len(), 6);

    let sru = source(&a, "Perpusnas");
    assert_eq!(sru["status"], "found", "{sru:#}");
    assert_eq!(sru["cached"], false);
    let r = &sru["records"][0];
    assert_eq!(r["title"], "Cantik itu luka");
    assert_eq!(r["authors"], json!(["Kurniawan, Eka"]));
    assert_eq!(r["year"], 2004);
    assert_eq!(r["classification"], "899.221");

    let slims = source(&a, "SLiMS SMA 1");
    assert_eq!(slims["status"], "found", "{slims:#}");
    let r = &slims["records"][0];
    assert_eq!(r["subjects"], json!(["Novel Indonesia"]), "the detail record was read: {r:#}");
    assert_eq!(r["classification"], "899.2213", "SLiMS's `899.221 3` as a DDC class");
    assert_eq!(r["call_number"], "899.221 3 KUR c");
    assert_eq!(r["collation"], "xii, 505 hlm. ; 21 cm");

    let ol = source(&a, "Open Library");
    assert_eq!(ol["status"], "found");
    assert_eq!(ol["records"][0]["title"], "Beauty Is a Wound");

    assert_eq!(source(&a, "SRU 2")["status"], "refused");
    assert!(source(&a, "SRU 2")["message"].as_str().unwrap().contains("Unsupported index"));
    let slow = source(&a, "Lambat");
    assert_eq!(slow["status"], "timed_out", "{slow:#}");
    assert!(slow["took_ms"].as_u64().unwrap() < 2900, "the slow source was cut at its limit: {slow:#}");
    let broken = source(&a, "Rusak");
    assert_eq!(broken["status"], "failed");
    assert!(broken["message"].as_str().unwrap().contains("502"), "{broken:#}");

    // An ISBN no source has: "not found", told apart from a failure.
    let none = app.get(&format!("/api/v1/copy-cataloguing?isbn={UNKNOWN}"), Some(&librarian)).await.expect(200);
    assert_eq!(source(&none, "Perpusnas")["status"], "not_found");
    assert_eq!(source(&none, "SLiMS SMA 1")["status"], "not_found");
    assert_eq!(source(&none, "Open Library")["status"], "not_found");

    // Not an ISBN: the field at fault.
    let bad = app.get("/api/v1/copy-cataloguing?isbn=12345", Some(&librarian)).await.expect(422);
    assert_eq!(bad["errors"][0]["field"], "isbn", "{bad:#}");
    // A disabled source is not asked.
    let id = source(&a, "Rusak")["source_id"].as_i64().unwrap();
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/catalogue-sources/{id}"),
        Some(&app.admin),
        Some(json!({ "name": "Rusak", "kind": "sru", "url": format!("{base}/broken"), "enabled": false })),
    )
    .await
    .expect(200);
    let again = app.get(&format!("/api/v1/copy-cataloguing?isbn={ISBN}"), Some(&librarian)).await.expect(200);
    assert_eq!(again["sources"].as_array().unwrap().len(), 5);
}

async fn answers_are_kept_and_serve_with_every_source_down(app: TestApp) {
    let (base, asked, server) = sources().await;
    add_source(&app, "Perpusnas", "sru", &format!("{base}/sru"), 3000).await;
    add_source(&app, "Open Library", "openlibrary", &format!("{base}/ol"), 3000).await;
    let first = app.get(&format!("/api/v1/copy-cataloguing?isbn={ISBN}"), Some(&app.admin)).await.expect(200);
    assert_eq!(source(&first, "Perpusnas")["cached"], false);
    let n = asked.load(Ordering::SeqCst);
    assert_eq!(n, 2);

    // Asked again: given from the database, no source asked.
    let kept = app.get(&format!("/api/v1/copy-cataloguing?isbn={ISBN}"), Some(&app.admin)).await.expect(200);
    assert_eq!(asked.load(Ordering::SeqCst), n, "no source was asked again");
    for name in ["Perpusnas", "Open Library"] {
        assert_eq!(source(&kept, name)["cached"], true);
        assert_eq!(source(&kept, name)["records"], source(&first, name)["records"]);
    }

    // Every source down: kept answers still serve, even when asked to refresh.
    server.abort();
    let _ = server.await;
    let down =
        app.get(&format!("/api/v1/copy-cataloguing?isbn={ISBN}&refresh=true"), Some(&app.admin)).await.expect(200);
    let sru = source(&down, "Perpusnas");
    assert_eq!(sru["status"], "found", "{sru:#}");
    assert_eq!(sru["cached"], true);
    assert!(sru["message"].is_string(), "why it was not asked afresh: {sru:#}");
    assert_eq!(sru["records"], source(&first, "Perpusnas")["records"]);
    // An ISBN never looked up, every source down: failures, not a 500.
    let never = app.get(&format!("/api/v1/copy-cataloguing?isbn={UNKNOWN}"), Some(&app.admin)).await.expect(200);
    assert_eq!(source(&never, "Perpusnas")["status"], "failed");
}

async fn a_cover_found_is_kept_and_shown_for_the_book(app: TestApp) {
    let (base, _, server) = sources().await;
    add_source(&app, "Open Library", "openlibrary", &format!("{base}/ol"), 3000).await;
    let a = app.get(&format!("/api/v1/copy-cataloguing?isbn={ISBN}"), Some(&app.admin)).await.expect(200);
    assert!(source(&a, "Open Library")["records"][0]["cover_url"].as_str().unwrap().ends_with("/cover.jpg"));
    // The cover is fetched in the background: there within a bounded wait.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let r = app.get(&format!("/api/v1/covers/{ISBN}"), None).await;
        if r.status == 200 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no cover kept within 10 s: {:?}", r.body);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Kept: with the source gone, the next lookup names it and the book shows it.
    server.abort();
    let _ = server.await;
    let again = app.get(&format!("/api/v1/copy-cataloguing?isbn={ISBN}"), Some(&app.admin)).await.expect(200);
    assert_eq!(again["cover"], format!("/api/v1/covers/{ISBN}"));
    let book = app
        .post(
            "/api/v1/books",
            Some(&app.admin),
            json!({ "title": "Cantik Itu Luka", "authors": ["Eka Kurniawan"], "isbn": ISBN }),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let res = app.get(&format!("/api/v1/books/{book}/cover"), None).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.headers["content-type"], "image/png", "a JPEG is kept as a plain PNG");
    assert!(res.body.as_str().unwrap().contains("PNG"));

    // The book's own cover first; removed, the ISBN's shows again. A book without either: 404.
    let own = put_image(&app, &format!("/api/v1/books/{book}/cover"), &jpeg()).await;
    assert_eq!(own.status, 204, "{:?}", own.body);
    let bad = put_image(&app, &format!("/api/v1/books/{book}/cover"), b"GIF89a not an image").await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["errors"][0]["field"], "cover");
    app.delete(&format!("/api/v1/books/{book}/cover"), Some(&app.admin)).await.expect(204);
    app.get(&format!("/api/v1/books/{book}/cover"), None).await.expect(200);
    let plain = app.book("Tanpa Sampul").await;
    app.get(&format!("/api/v1/books/{plain}/cover"), None).await.expect(404);
    app.get("/api/v1/books/999999/cover", None).await.expect(404);
}

async fn hostile_sources_are_bounded(app: TestApp) {
    let (base, _, _server) = sources().await;
    add_source(&app, "Besar", "sru", &format!("{base}/huge"), 5000).await;
    add_source(&app, "Pindah", "sru", &format!("{base}/elsewhere"), 3000).await;
    add_source(&app, "Nama lokal", "sru", &format!("{base}/local-name"), 3000).await;
    add_source(&app, "Berputar", "sru", &format!("{base}/loop"), 3000).await;
    add_source(&app, "Pindah alamat", "sru", &format!("{base}/moved"), 3000).await;
    let a = app.get(&format!("/api/v1/copy-cataloguing?isbn={ISBN}"), Some(&app.admin)).await.expect(200);
    let huge = source(&a, "Besar");
    assert_eq!(huge["status"], "failed", "{huge:#}");
    assert!(huge["message"].as_str().unwrap().contains("larger than"), "{huge:#}");
    let moved = source(&a, "Pindah");
    assert_eq!(moved["status"], "failed", "{moved:#}");
    assert!(moved["message"].as_str().unwrap().contains("private address"), "{moved:#}");
    let named = source(&a, "Nama lokal");
    assert!(named["message"].as_str().unwrap().contains("private address"), "{named:#}");
    let looping = source(&a, "Berputar");
    assert_eq!(looping["status"], "failed");
    assert!(looping["message"].as_str().unwrap().contains("more than 3"), "{looping:#}");
    // A redirect on the source's own host is followed.
    assert_eq!(source(&a, "Pindah alamat")["status"], "found", "{a:#}");
}

async fn sources_are_checked(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let post = |body: Value| app.post("/api/v1/catalogue-sources", admin, body);
    for (body, field) in [
        (json!({"name": "A", "kind": "sru", "url": "ftp://x.example/"}), "url"),
        (json!({"name": "A", "kind": "sru", "url": "not an address"}), "url"),
        (json!({"name": "A", "kind": "sru", "url": "https://user:pw@x.example/"}), "url"),
        (json!({"name": "", "kind": "sru", "url": "https://x.example/"}), "name"),
        (json!({"name": "A", "kind": "sru", "url": "https://x.example/", "timeout_ms": 50}), "timeout_ms"),
    ] {
        let p = post(body.clone()).await.expect(422);
        assert_eq!(p["errors"][0]["field"], field, "{body} → {p:#}");
    }
    // An unknown kind: the body's shape is wrong.
    let p = post(json!({"name": "A", "kind": "z3950", "url": "https://x.example/"})).await;
    assert!(matches!(p.status.as_u16(), 400 | 422), "{:?}", p.body);

    let s = post(json!({"name": "SLiMS", "kind": "slims", "url": "https://opac.example.sch.id"})).await.expect(201);
    assert_eq!(s["url"], "https://opac.example.sch.id/", "a SLiMS address ends in /");
    assert_eq!(s["enabled"], true);
    assert_eq!(s["timeout_ms"], 3000);
    post(json!({"name": "SLiMS", "kind": "sru", "url": "https://y.example/"})).await.expect(409);
    let list = app.get("/api/v1/catalogue-sources", admin).await.expect(200);
    assert_eq!(list.as_array().unwrap().len(), 1);
    let id = s["id"].as_i64().unwrap();
    app.delete(&format!("/api/v1/catalogue-sources/{id}"), admin).await.expect(204);
    app.delete(&format!("/api/v1/catalogue-sources/{id}"), admin).await.expect(404);
    // No source at all: a lookup still answers, with this catalogue only.
    let a = app.get(&format!("/api/v1/copy-cataloguing?isbn={ISBN}"), admin).await.expect(200);
    assert_eq!(a["sources"], json!([]));
}

async fn a_search_by_words_asks_every_source_and_keeps_nothing(app: TestApp) {
    let (base, asked, _server) = sources().await;
    add_source(&app, "Perpusnas", "sru", &format!("{base}/sru"), 3000).await;
    add_source(&app, "SLiMS SMA 1", "slims", &format!("{base}/slims"), 3000).await;
    add_source(&app, "Open Library", "openlibrary", &format!("{base}/ol"), 3000).await;
    app.book("Cantik Itu Luka").await;
    let a = app.get("/api/v1/copy-cataloguing?q=cantik%20%20itu%20luka", Some(&app.admin)).await.expect(200);
    assert_eq!(a["isbn"], Value::Null);
    assert_eq!(a["q"], "cantik itu luka");
    assert_eq!(a["local"][0]["title"], "Cantik Itu Luka", "{a:#}");
    for name in ["Perpusnas", "SLiMS SMA 1", "Open Library"] {
        let s = source(&a, name);
        assert_eq!(s["status"], "found", "{s:#}");
        assert_eq!(s["cached"], false);
    }
    let ol = &source(&a, "Open Library")["records"][0];
    assert_eq!(ol["isbn"], ISBN, "the ISBN-13 of the work's ISBNs");
    assert_eq!(ol["cover_url"], format!("{base}/ol/b/id/7-M.jpg"));
    let before = asked.load(Ordering::SeqCst);
    let again = app.get("/api/v1/copy-cataloguing?q=cantik%20itu%20luka", Some(&app.admin)).await.expect(200);
    assert_eq!(source(&again, "Perpusnas")["cached"], false, "words are asked again, not kept");
    assert!(asked.load(Ordering::SeqCst) > before);
    // Nothing kept for the ISBN by a search by words.
    app.get(&format!("/api/v1/covers/{ISBN}"), None).await.expect(404);

    for (query, field) in [("q=x", "q"), ("isbn=9789799731234&q=luka", "q"), ("", "isbn")] {
        let p = app.get(&format!("/api/v1/copy-cataloguing?{query}"), Some(&app.admin)).await.expect(422);
        assert_eq!(p["errors"][0]["field"], field, "{query}: {p:#}");
    }
}
