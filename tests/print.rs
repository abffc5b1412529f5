//! Printing's contract, on both backends: call numbers, automatic barcodes (unique under 200
//! concurrent creations from two replicas), the library's identity, and PDFs of labels and member
//! cards whose every barcode decodes (rasterised by `pdftoppm` at 300 dpi, read by `zbarimg`) and
//! whose text `pdftotext` reads back.

mod common;

use std::{collections::BTreeSet, process::Command};

use axum::{body::Body, http::Request};
use common::{Res, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

contract!(
    call_numbers_are_suggested_validated_and_shown,
    copies_without_a_barcode_get_the_next_one,
    automatic_barcodes_stay_unique_under_200_concurrent_creations,
    the_library_has_one_name,
    a_logo_must_be_an_image,
    labels_for_50_copies_decode_and_read_back,
    bad_label_requests_name_their_field,
    cards_for_20_members_decode_and_read_back,
    receipts_and_loan_slips_are_small_pdfs,
);

async fn call_numbers_are_suggested_validated_and_shown(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let b = app
        .post(
            "/api/v1/books",
            admin,
            json!({"title": "Sang Pemimpi", "authors": ["Andrea Hirata"], "classification": "899.221"}),
        )
        .await
        .expect(201);
    assert_eq!(b["call_number"], "899.221 HIR p", "suggested when not given");
    let given = app
        .post(
            "/api/v1/books",
            admin,
            json!({"title": "Pemrograman Rust", "authors": ["Valentino, Ryan"], "classification": "005.13", "call_number": "R 005.13 VAL p"}),
        )
        .await
        .expect(201);
    assert_eq!(given["call_number"], "R 005.13 VAL p", "kept as typed");
    let found = app.get("/api/v1/books?q=pemimpi", None).await.expect(200);
    assert_eq!(found["items"][0]["call_number"], "899.221 HIR p", "search shows it");

    let s = app
        .post(
            "/api/v1/call-numbers/suggest",
            admin,
            json!({"classification": "823", "authors": ["Orwell, George"], "title": "The Animal Farm"}),
        )
        .await
        .expect(200);
    assert_eq!(s["call_number"], "823 ORW a");

    let bad = app.post("/api/v1/books", admin, json!({"title": "X", "authors": ["Y"], "classification": "05.1"})).await;
    let bad = bad.problem(422, "validation");
    assert_eq!(
        (bad["errors"][0]["field"].as_str(), bad["errors"][0]["code"].as_str()),
        (Some("classification"), Some("invalid_ddc"))
    );
    let id = b["id"].as_i64().unwrap();
    let bad = app.patch(&format!("/api/v1/books/{id}"), admin, json!({"call_number": "89.2 HIR p"})).await;
    assert_eq!(bad.problem(422, "validation")["errors"][0]["field"], "call_number");
    let bad = app.post("/api/v1/call-numbers/suggest", admin, json!({"classification": "abc", "title": "X"})).await;
    assert_eq!(bad.problem(422, "validation")["errors"][0]["field"], "classification");
    let ok =
        app.patch(&format!("/api/v1/books/{id}"), admin, json!({"call_number": "899.221 HIR s"})).await.expect(200);
    assert_eq!(ok["call_number"], "899.221 HIR s", "editable");
}

async fn copies_without_a_barcode_get_the_next_one(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Laskar Pelangi").await;
    let copies = format!("/api/v1/books/{book}/copies");
    let p = app
        .call(Method::PUT, "/api/v1/barcode-pattern", admin, Some(json!({"prefix": "PK-", "digits": 5})))
        .await
        .expect(200);
    assert_eq!(p["example"], "PK-00001");
    let c = app.post(&copies, admin, json!({"location": "Ruang Baca, Rak A3"})).await.expect(201);
    assert_eq!((c["barcode"].as_str(), c["location"].as_str()), (Some("PK-00001"), Some("Ruang Baca, Rak A3")));
    // A number typed by hand is skipped by the counter.
    app.post(&copies, admin, json!({"barcode": "pk-00002"})).await.expect(201);
    assert_eq!(app.post(&copies, admin, json!({"barcode": ""})).await.expect(201)["barcode"], "PK-00003");
    assert_eq!(app.get("/api/v1/barcode-pattern", admin).await.expect(200)["next_number"], 4);
    let bad =
        app.call(Method::PUT, "/api/v1/barcode-pattern", admin, Some(json!({"prefix": "P K", "digits": 5}))).await;
    assert_eq!(bad.problem(422, "validation")["errors"][0]["field"], "prefix");
    let bad = app.call(Method::PUT, "/api/v1/barcode-pattern", admin, Some(json!({"prefix": "B", "digits": 13}))).await;
    assert_eq!(bad.problem(422, "validation")["errors"][0]["field"], "digits");
    let librarian = app.add_librarian().await;
    let r = app
        .call(Method::PUT, "/api/v1/barcode-pattern", Some(&librarian), Some(json!({"prefix": "B", "digits": 6})))
        .await;
    r.problem(403, "forbidden");
}

async fn automatic_barcodes_stay_unique_under_200_concurrent_creations(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Bumi Manusia").await;
    let copies = format!("/api/v1/books/{book}/copies");
    // Half through this replica's API, half through a second replica's own connections.
    let replica = app.replica_store().await;
    let actor = pustaka::store::Actor::system();
    let http = (0..100).map(|_| async { app.post(&copies, admin, json!({})).await });
    let other = (0..100).map(|_| {
        let (replica, actor) = (replica.clone(), actor.clone());
        tokio::spawn(async move { replica.add_copy(&actor, book, None, None, None).await })
    });
    let (http, other) = tokio::join!(futures::future::join_all(http), futures::future::join_all(other));
    let mut barcodes = BTreeSet::new();
    for r in http {
        barcodes.insert(r.expect(201)["barcode"].as_str().unwrap().to_owned());
    }
    for r in other {
        barcodes.insert(r.expect("task").expect("a copy").barcode);
    }
    assert_eq!(barcodes.len(), 200, "200 copies, 200 barcodes");
    let expected: BTreeSet<String> = (1..=200).map(|n| format!("B{n:06}")).collect();
    assert_eq!(barcodes, expected, "no gaps either: every transaction that took a number committed");
    let listed = app.get(&copies, None).await.expect(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 200);
}

async fn the_library_has_one_name(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let put = app
        .call(Method::PUT, "/api/v1/library", admin, Some(json!({"name": "Perpustakaan SMA Negeri 1 Yogyakarta", "address": "Jl. HOS Cokroaminoto 10\nYogyakarta"})))
        .await
        .expect(200);
    assert_eq!(put["logo_type"], Value::Null);
    let public = app.get("/api/v1/library", None).await.expect(200);
    assert_eq!(public["name"], "Perpustakaan SMA Negeri 1 Yogyakarta");
    let notices = app.get("/api/v1/notices/settings", admin).await.expect(200);
    assert_eq!(notices["library_name"], "Perpustakaan SMA Negeri 1 Yogyakarta", "the notices sign with the same name");
    let mut settings = notices.clone();
    for k in ["enabled", "counts"] {
        settings.as_object_mut().unwrap().remove(k);
    }
    settings["library_name"] = json!("Perpustakaan Sekolah");
    app.call(Method::PUT, "/api/v1/notices/settings", admin, Some(settings)).await.expect(200);
    assert_eq!(app.get("/api/v1/library", None).await.expect(200)["name"], "Perpustakaan Sekolah");
    let bad = app.call(Method::PUT, "/api/v1/library", admin, Some(json!({"name": " ", "address": "x"}))).await;
    assert_eq!(bad.problem(422, "validation")["errors"][0]["field"], "name");
}

/// Sends `body` as the raw request body with a content type.
async fn upload(app: &TestApp, path: &str, content_type: &str, body: Vec<u8>) -> Res {
    let req = Request::builder()
        .method(Method::PUT)
        .uri(path)
        .header("authorization", format!("Bearer {}", app.admin))
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
    app.send(req).await
}

/// A 64 × 48 PNG with transparency: a green disc on nothing.
fn tiny_png() -> Vec<u8> {
    let (w, h) = (64u32, 48u32);
    let mut pixels = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            let inside = (x as i32 - 32).pow(2) + (y as i32 - 24).pow(2) < 20 * 20;
            pixels.extend_from_slice(&[20, 120, 60, if inside { 255 } else { 0 }]);
        }
    }
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, w, h);
    e.set_color(png::ColorType::Rgba);
    e.set_depth(png::BitDepth::Eight);
    e.write_header().unwrap().write_image_data(&pixels).unwrap();
    out
}

async fn a_logo_must_be_an_image(app: TestApp) {
    let bad = upload(&app, "/api/v1/library/logo", "image/png", b"GIF89a not a png".to_vec()).await;
    let bad = bad.problem(422, "validation");
    assert_eq!(
        (bad["errors"][0]["field"].as_str(), bad["errors"][0]["code"].as_str()),
        (Some("logo"), Some("invalid_image"))
    );
    let broken = upload(&app, "/api/v1/library/logo", "image/png", tiny_png()[..40].to_vec()).await;
    assert_eq!(broken.problem(422, "validation")["errors"][0]["field"], "logo");
    let script =
        upload(&app, "/api/v1/library/logo", "image/svg+xml", b"<svg><script>alert(1)</script></svg>".to_vec()).await;
    assert_eq!(script.problem(422, "validation")["errors"][0]["field"], "logo");
    let big = upload(&app, "/api/v1/library/logo", "image/png", vec![0x89; 300 * 1024]).await;
    assert_eq!(big.problem(422, "validation")["errors"][0]["code"], "too_large");
    let ok = upload(&app, "/api/v1/library/logo", "image/png", tiny_png()).await.expect(200);
    assert_eq!(ok["logo_type"], "image/png");
    let svg = upload(
        &app,
        "/api/v1/library/logo",
        "image/svg+xml",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 10 10\"><circle cx=\"5\" cy=\"5\" r=\"4\"/></svg>"
            .to_vec(),
    )
    .await
    .expect(200);
    assert_eq!(svg["logo_type"], "image/svg+xml");
    let got = app.get("/api/v1/library/logo", None).await;
    assert_eq!(got.headers["content-type"], "image/svg+xml");
}

/// Posts a print request (GET without a body) and returns the PDF's bytes.
async fn print(app: &TestApp, path: &str, body: Value) -> Vec<u8> {
    let req = Request::builder().uri(path).header("authorization", format!("Bearer {}", app.admin));
    let req = if body.is_null() {
        req.method(Method::GET).body(Body::empty()).unwrap()
    } else {
        let bytes = serde_json::to_vec(&body).unwrap();
        req.method(Method::POST).header("content-type", "application/json").body(Body::from(bytes)).unwrap()
    };
    let res = tower::ServiceExt::oneshot(app.router.clone(), req).await.unwrap();
    let status = res.status();
    let ct = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned());
    let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap().to_vec();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(ct.as_deref(), Some("application/pdf"));
    assert!(body.starts_with(b"%PDF-"));
    body
}

/// Keeps a copy of a printed PDF in `$PRINT_SAMPLES_DIR` when set (for the task docs' pictures).
fn keep(pdf: &[u8], name: &str) {
    if let Some(dir) = std::env::var_os("PRINT_SAMPLES_DIR") {
        std::fs::write(std::path::Path::new(&dir).join(name), pdf).unwrap();
    }
}

/// Every barcode on every page of the PDF (rasterised at 300 dpi), and its text.
fn decode(pdf: &[u8]) -> (Vec<String>, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("print.pdf");
    std::fs::write(&file, pdf).unwrap();
    let ok = Command::new("pdftoppm")
        .args(["-r", "300", "-gray", "-png"])
        .arg(&file)
        .arg(dir.path().join("page"))
        .status()
        .expect("pdftoppm (Debian's poppler-utils) is installed");
    assert!(ok.success(), "pdftoppm failed");
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    pages.sort();
    assert!(!pages.is_empty(), "no page rasterised");
    let mut codes = Vec::new();
    for page in &pages {
        let out = Command::new("zbarimg")
            .args(["--raw", "-q", "-Sdisable", "-Scode128.enable"])
            .arg(page)
            .output()
            .expect("zbarimg (Debian's zbar-tools) is installed");
        codes.extend(String::from_utf8(out.stdout).unwrap().lines().map(str::to_owned).filter(|l| !l.is_empty()));
    }
    let text = Command::new("pdftotext").args(["-layout"]).arg(&file).arg("-").output().expect("pdftotext runs");
    assert!(text.status.success());
    (codes, String::from_utf8(text.stdout).unwrap())
}

async fn labels_for_50_copies_decode_and_read_back(app: TestApp) {
    let admin = Some(app.admin.as_str());
    app.call(
        Method::PUT,
        "/api/v1/library",
        admin,
        Some(json!({"name": "Perpustakaan SMA Negeri 1 Yogyakarta", "address": ""})),
    )
    .await
    .expect(200);
    let mut expected = Vec::new();
    for i in 0..10 {
        let b = app
            .post(
                "/api/v1/books",
                admin,
                json!({"title": format!("Ronggeng Dukuh Paruk {i}: sebuah novel"), "authors": ["Ahmad Tohari"], "classification": "899.221"}),
            )
            .await
            .expect(201);
        for _ in 0..5 {
            let c = app.post(&format!("/api/v1/books/{}/copies", b["id"]), admin, json!({})).await.expect(201);
            expected.push(c["barcode"].as_str().unwrap().to_owned());
        }
    }
    let pdf =
        print(&app, "/api/v1/print/labels", json!({"barcodes": expected, "kind": "both", "sheet": "a4-3x8"})).await;
    keep(&pdf, "label.pdf");
    let (mut codes, text) = decode(&pdf);
    codes.sort();
    let mut want = expected.clone();
    want.sort();
    assert_eq!(codes, want, "each barcode decodes, once, to exactly its value");
    for needle in ["Perpustakaan SMA Negeri 1 Yogyakarta", "Ronggeng Dukuh Paruk 7", "899.221", "TOH", "B000050"] {
        assert!(text.contains(needle), "{needle:?} in the text:\n{text}");
    }
    assert!(!text.contains("sebuah novel"), "the short title");
    // Everything added today, on label paper 103, the first five places already used.
    let today = app.today().to_string();
    let pdf =
        print(&app, "/api/v1/print/labels", json!({"added_on": today, "kind": "barcode", "sheet": "103", "start": 6}))
            .await;
    let (codes, _) = decode(&pdf);
    assert_eq!(codes.len(), 50);
}

async fn bad_label_requests_name_their_field(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Atheis").await;
    app.copy(book, "AT-1").await;
    let field = |r: Res| r.problem(422, "validation")["errors"][0]["field"].as_str().unwrap().to_owned();
    let post = |body: Value| app.post("/api/v1/print/labels", admin, body);
    assert_eq!(field(post(json!({"barcodes": ["AT-1", "NOPE-9"]})).await), "barcodes[1]");
    let many: Vec<String> = (0..10_000).map(|i| format!("X{i}")).collect();
    assert_eq!(field(post(json!({"barcodes": many})).await), "barcodes");
    let grid =
        json!({"columns": 3, "rows": 8, "label_width": 70, "label_height": 37, "margin_top": -2, "margin_left": 0});
    assert_eq!(field(post(json!({"barcodes": ["AT-1"], "grid": grid})).await), "grid.margin_top");
    let wide =
        json!({"columns": 4, "rows": 8, "label_width": 70, "label_height": 37, "margin_top": 0, "margin_left": 0});
    assert_eq!(field(post(json!({"barcodes": ["AT-1"], "grid": wide})).await), "grid.columns");
    assert_eq!(field(post(json!({"barcodes": ["AT-1"], "sheet": "999"})).await), "sheet");
    assert_eq!(field(post(json!({"barcodes": ["AT-1"], "start": 25})).await), "start");
    assert_eq!(field(post(json!({"barcodes": []})).await), "barcodes");
    assert_eq!(field(post(json!({"barcodes": ["AT-1"], "kind": "poster"})).await), "kind");
    let day = "2001-01-01";
    assert_eq!(field(post(json!({"added_on": day})).await), "added_on");
    // A generic grid of one's own works.
    let own = json!({"columns": 2, "rows": 5, "label_width": 90, "label_height": 50, "margin_top": 10, "margin_left": 10, "gap_x": 5, "gap_y": 5});
    print(&app, "/api/v1/print/labels", json!({"barcodes": ["AT-1"], "kind": "spine", "grid": own})).await;
    let cards = app.post("/api/v1/print/cards", admin, json!({"card_numbers": ["P00000000"]})).await;
    assert_eq!(field(cards), "card_numbers[0]");
    let none = app.post("/api/v1/print/labels", None, json!({"barcodes": ["AT-1"]})).await;
    none.problem(401, "unauthenticated");
}

async fn cards_for_20_members_decode_and_read_back(app: TestApp) {
    let admin = Some(app.admin.as_str());
    app.call(
        Method::PUT,
        "/api/v1/library",
        admin,
        Some(json!({"name": "Perpustakaan Kota Bandung", "address": "Jl. Seram No. 2, Bandung"})),
    )
    .await
    .expect(200);
    upload(&app, "/api/v1/library/logo", "image/png", tiny_png()).await.expect(200);
    let names = ["Siti Nurhaliza", "Made Wiryawan", "Ni Ketut Sriwedari", "Ölçüm Çağrı", "Đặng Thị Hồng"];
    let mut cards = Vec::new();
    for i in 0..20 {
        let (id, card) =
            app.member(&format!("{} {i}", names[i % names.len()]), if i % 2 == 0 { "student" } else { "staff" }).await;
        if i == 3 {
            upload(&app, &format!("/api/v1/members/{id}/photo"), "image/png", tiny_png()).await.expect(204);
        }
        cards.push(card);
    }
    let pdf = print(&app, "/api/v1/print/cards", json!({"card_numbers": cards})).await;
    keep(&pdf, "kartu.pdf");
    let (mut codes, text) = decode(&pdf);
    codes.sort();
    let mut want = cards.clone();
    want.sort();
    assert_eq!(codes, want, "each card number decodes, once, to exactly its value");
    for needle in [
        "Perpustakaan Kota Bandung",
        "KARTU ANGGOTA",
        "Ni Ketut Sriwedari 2",
        "Ölçüm Çağrı 3",
        "Đặng Thị Hồng 4",
        "Siswa",
        "Berlaku",
    ] {
        assert!(text.contains(needle), "{needle:?} in the text:\n{text}");
    }
}

async fn receipts_and_loan_slips_are_small_pdfs(app: TestApp) {
    let admin = Some(app.admin.as_str());
    app.call(
        Method::PUT,
        "/api/v1/library",
        admin,
        Some(json!({"name": "Perpustakaan Desa Sukamaju", "address": "Jl. Mawar 1"})),
    )
    .await
    .expect(200);
    let a = app.book("Negeri 5 Menara").await;
    let b = app.book("Perahu Kertas").await;
    app.copy(a, "NM-1").await;
    app.copy(b, "PK-1").await;
    let (_, card) = app.member("Dewi Lestari", "student").await;
    let l1 = app.checkout("NM-1", &card).await.expect(201);
    let l2 = app.checkout("PK-1", &card).await.expect(201);
    let pdf = print(&app, "/api/v1/print/loan-slip", json!({"loan_ids": [l1["id"], l2["id"]]})).await;
    let (_, text) = decode(&pdf);
    for needle in [
        "Perpustakaan Desa Sukamaju",
        "BUKTI PEMINJAMAN",
        "Dewi Lestari",
        "Negeri 5 Menara",
        "Perahu Kertas",
        "NM-1",
        "kembali",
    ] {
        assert!(text.contains(needle), "{needle:?} in the slip:\n{text}");
    }
    let field = |r: Res| r.problem(422, "validation")["errors"][0]["field"].as_str().unwrap().to_owned();
    assert_eq!(field(app.post("/api/v1/print/loan-slip", admin, json!({"loan_ids": []})).await), "loan_ids");
    assert_eq!(field(app.post("/api/v1/print/loan-slip", admin, json!({"loan_ids": [999999]})).await), "loan_ids[0]");

    // A late return, a part payment, its receipt.
    app.checkin("NM-1").await.expect(200);
    app.copy(a, "NM-2").await;
    app.checkout_days_ago("NM-2", &card, 20).await.expect(201);
    let fine = app.checkin("NM-2").await.expect(200)["fine"]["id"].as_i64().unwrap();
    let paid = app.post(&format!("/api/v1/fines/{fine}/pay"), admin, json!({"amount": 1000})).await.expect(200);
    let payment = paid["payment"]["id"].as_i64().unwrap();
    let pdf = print(&app, &format!("/api/v1/print/receipts/{payment}"), Value::Null).await;
    let (_, text) = decode(&pdf);
    for needle in ["KUITANSI PEMBAYARAN DENDA", "Dewi Lestari", "Rp 1.000", "terlambat", "admin"] {
        assert!(text.contains(needle), "{needle:?} in the receipt:\n{text}");
    }
    app.get("/api/v1/print/receipts/999999", admin).await.problem(404, "not_found");
}
