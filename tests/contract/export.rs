//! Moving out (issue #13): `GET /api/v1/export/{what}` and the round trip — the catalogue
//! exported (books, then copies) and imported into an empty library is the same catalogue. Both
//! backends; CSV through the API, XLSX through a real workbook read back by the import.

use crate::common;

use common::{db_of, TestApp};
use pustaka::{export::Export, import, store::Actor};
use serde_json::{json, Value};

contract!(
    round_trip_through_csv_and_xlsx,
    members_and_loans_and_refusals,
    round_trip_through_marc,
    the_page_imports_a_dry_run_then_for_real,
);

/// A small catalogue with the awkward values: a title a spreadsheet would run as a formula, notes
/// over two lines, a list of identifiers, a copy with a price and one without.
async fn catalogue(app: &TestApp) {
    let admin = Some(app.admin.as_str());
    let b1 = app
        .post(
            "/api/v1/books",
            admin,
            json!({"title": "Bumi Manusia", "authors": ["Pramoedya Ananta Toer"], "isbn": "979-97312-3-2",
                   "subjects": ["Novel", "Sastra Indonesia"], "publisher": "Hasta Mitra", "year": 1980, "language": "id",
                   "edition": "Cet. 3", "call_number": "899.221 TOE b", "classification": "899.221",
                   "collation": "535 hlm. ; 20 cm", "series": "Tetralogi Buru", "notes": "Hadiah alumni.\nRak khusus.",
                   "identifiers": ["0216-3195", "lokal-17"], "source_id": "slims:1", "collection_type": "fiksi"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let b2 = app
        .post("/api/v1/books", admin, json!({"title": "=1+1 Matematika Dasar", "authors": ["Tim Penulis", "-Anonim"]}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    app.book("Buku Tanpa Eksemplar").await;
    for (book, barcode, body) in [
        (b1, "B001", json!({"barcode": "B001", "location": "Rak A1", "price": 85000})),
        (b1, "B002", json!({"barcode": "B002"})),
        (b2, "M-01", json!({"barcode": "M-01", "location": "Rak; Matematika"})),
    ] {
        let r = app.post(&format!("/api/v1/books/{book}/copies"), admin, body).await;
        assert_eq!(r.status, 201, "{barcode}: {}", r.body);
    }
    app.patch("/api/v1/copies/B002", admin, json!({"collection_type": "referensi"})).await.expect(200);
}

/// The catalogue as comparable values: each book's fields (not its id, times or, for books made
/// in Pustaka, source id) with its copies' barcodes, locations and prices.
async fn snapshot(app: &TestApp) -> Vec<Value> {
    let list = app.get("/api/v1/books?per_page=100", None).await.expect(200);
    let mut out = Vec::new();
    for b in list["items"].as_array().unwrap() {
        let copies = app.get(&format!("/api/v1/books/{}/copies", b["id"]), None).await.expect(200);
        let mut copies: Vec<Value> = copies["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                json!([c["barcode"], c["location"], c["price"], c["collection_type"], c["collection_type_override"]])
            })
            .collect();
        copies.sort_by_key(|c| c.to_string());
        let mut b = b.clone();
        let obj = b.as_object_mut().unwrap();
        for k in ["id", "created_at", "updated_at"] {
            obj.remove(k);
        }
        if obj["source_id"].as_str().is_some_and(|s| s.starts_with("pustaka:")) || obj["source_id"].is_null() {
            obj.remove("source_id");
        }
        obj.insert("copies".into(), Value::Array(copies));
        out.push(b);
    }
    out.sort_by_key(|b| b["title"].to_string());
    out
}

async fn download(app: &TestApp, path: &str) -> String {
    let r = app.get(path, Some(&app.admin)).await;
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    assert!(r.headers["content-type"].to_str().unwrap().starts_with("text/csv"), "{:?}", r.headers);
    r.body.as_str().expect("CSV text").to_owned()
}

/// A streamed XLSX download's bytes (the helpers read bodies as text).
async fn xlsx_download(app: &TestApp, path: &str, name: &str) -> Vec<u8> {
    use tower::ServiceExt;
    let req = axum::http::Request::builder()
        .uri(path)
        .header("authorization", format!("Bearer {}", app.admin))
        .body(axum::body::Body::empty())
        .unwrap();
    let res = app.router.clone().oneshot(req).await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"].to_str().unwrap().contains(name), "{:?}", res.headers());
    let bytes = axum::body::to_bytes(res.into_body(), usize::MAX).await.expect("the whole workbook").to_vec();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    bytes
}

async fn round_trip_through_csv_and_xlsx(app: TestApp) {
    catalogue(&app).await;
    let before = snapshot(&app).await;
    assert_eq!(before.len(), 3);
    let books = download(&app, "/api/v1/export/books?format=csv").await;
    let copies = download(&app, "/api/v1/export/copies").await;
    assert!(books.starts_with('\u{feff}'), "a byte-order mark for Excel");
    assert!(books.contains("'=1+1 Matematika Dasar"), "formulas defused: {books}");

    // Into an empty library: books first, then copies.
    let other = TestApp::try_spawn(db_of(&app)).await.unwrap();
    for file in [&books, &copies] {
        let r = import::books(&other.store, &Actor::system(), file.as_bytes(), false, |_, _| {}).await.unwrap();
        assert!(r.errors.is_empty(), "{r:#?}");
    }
    assert_eq!(snapshot(&other).await, before, "the same catalogue");
    // Made in Pustaka, the book is known by its old id in the new library.
    let list = other.get("/api/v1/books?per_page=100", None).await.expect(200);
    assert!(list["items"].as_array().unwrap().iter().any(|b| b["source_id"].as_str().unwrap().starts_with("pustaka:")));

    // XLSX: a real workbook, streamed, read back by the import.
    let third = TestApp::try_spawn(db_of(&app)).await.unwrap();
    for what in ["books", "copies"] {
        let bytes = xlsx_download(&app, &format!("/api/v1/export/{what}?format=xlsx"), &format!("{what}.xlsx")).await;
        let r = import::books(&third.store, &Actor::system(), &bytes, false, |_, _| {}).await.unwrap();
        assert!(r.errors.is_empty(), "{r:#?}");
    }
    assert_eq!(snapshot(&third).await, before, "the same catalogue through XLSX");
    assert_eq!(Export::Books.count(&app.store).await.unwrap(), 3);
}

async fn members_and_loans_and_refusals(app: TestApp) {
    let book = app.book("Siti Nurbaya").await;
    app.copy(book, "SN-1").await;
    let (_, card) = app.member("Rina", "student").await;
    app.checkout("SN-1", &card).await.expect(201);
    let kelas = app
        .post("/api/v1/members", Some(&app.admin), json!({"name": "Sari", "category": "student", "grade": "XI IPS 1"}))
        .await
        .expect(201);
    let members = download(&app, "/api/v1/export/members?format=csv").await;
    let mut lines = members.lines();
    assert_eq!(
        lines.next().unwrap(),
        "\u{feff}card number,name,email,phone,category,grade,expires on,blocked,source id"
    );
    assert!(members.contains(&format!("{card},Rina,,,student,,")), "{members}");
    assert!(
        members.contains(&format!("{},Sari,,,student,XI IPS 1,", kelas["card_number"].as_str().unwrap())),
        "{members}"
    );
    let loans = download(&app, "/api/v1/export/loans").await;
    assert!(loans.contains(&format!("SN-1,Siti Nurbaya,{card},Rina,{},", app.today())), "{loans}");

    // Librarians may, members and the public may not; unknown tables and formats are refused.
    let librarian = app.add_librarian().await;
    app.get("/api/v1/export/books", Some(&librarian)).await.expect(200);
    app.get("/api/v1/export/books", None).await.problem(401, "unauthenticated");
    app.get("/api/v1/export/users", Some(&app.admin)).await.problem(404, "not_found");
    let r = app.get("/api/v1/export/books?format=pdf", Some(&app.admin)).await.problem(422, "validation");
    assert_eq!(r["errors"][0]["field"], "format");
}

/// The catalogue as MARCXML and as ISO 2709, as `pustaka export books --format marcxml|mrc` writes
/// it, imported by `pustaka import marc` into empty libraries: the same catalogue.
async fn round_trip_through_marc(app: TestApp) {
    catalogue(&app).await;
    let before = snapshot(&app).await;
    let (records, last) = pustaka::export::marc_page(&app.store, 0).await.unwrap();
    assert_eq!((records.len(), last), (3, None));
    let xml = format!(
        "{}{}{}",
        pustaka::marc::XML_HEAD,
        records.iter().map(|r| r.to_xml()).collect::<String>(),
        pustaka::marc::XML_TAIL
    );
    let mrc: Vec<u8> = records.iter().flat_map(|r| r.to_iso2709()).collect();
    for file in [xml.into_bytes(), mrc] {
        let other = TestApp::try_spawn(db_of(&app)).await.unwrap();
        let dry = import::marc(&other.store, &Actor::system(), &file, true, |_, _| {}).await.unwrap();
        assert_eq!((dry.books_created, dry.copies_created), (3, 3), "{dry:#?}");
        let r = import::marc(&other.store, &Actor::system(), &file, false, |_, _| {}).await.unwrap();
        assert!(r.errors.is_empty(), "{r:#?}");
        assert_eq!(snapshot(&other).await, before, "the same catalogue");
        let again = import::marc(&other.store, &Actor::system(), &file, false, |_, _| {}).await.unwrap();
        assert_eq!((again.books_created, again.copies_created, again.books_existing), (0, 0, 3));
    }
    // The types travel as codes, the book's in 942 $c, each copy's in 952 $y.
    assert_eq!(records[0].value("942", 'c').as_deref(), Some("fiksi"));
    assert_eq!(records[0].values("952", 'y'), ["fiksi", "referensi"]);
    // A code the library does not have (Koha's `BK`): the copy comes in with the book's type, and
    // the import says why in a warning; a name in any case is taken for its code.
    let mut odd = records[0].clone();
    odd.data("952", [' ', ' '], vec![('p', "X-1".into()), ('y', "BK".into())]);
    odd.data("952", [' ', ' '], vec![('p', "X-2".into()), ('y', "buku paket".into())]);
    let other = TestApp::try_spawn(db_of(&app)).await.unwrap();
    let r = import::marc(&other.store, &Actor::system(), &odd.to_iso2709(), false, |_, _| {}).await.unwrap();
    assert!(r.errors.is_empty(), "{r:#?}");
    assert_eq!((r.copies_created, r.warnings.len()), (4, 1), "{r:#?}");
    assert_eq!((r.warnings[0].line, r.warnings[0].field.as_str()), (1, "collection_type"));
    assert!(r.warnings[0].reason.contains("\"BK\""), "{r:#?}");
    let copy = |b: &'static str| {
        let other = &other;
        async move { other.get(&format!("/api/v1/copies/{b}"), None).await.expect(200) }
    };
    assert_eq!(copy("X-1").await["collection_type"], "fiksi");
    assert_eq!(copy("X-1").await["collection_type_override"], Value::Null);
    assert_eq!(copy("X-2").await["collection_type"], "paket");
    assert_eq!(copy("B002").await["collection_type"], "referensi");

    // A broken record is reported by its number; the others come in.
    let mut broken = b"00042nam a2209999 i 4500garbage\x1d".to_vec();
    broken.extend(records[0].to_iso2709());
    let other = TestApp::try_spawn(db_of(&app)).await.unwrap();
    let r = import::marc(&other.store, &Actor::system(), &broken, false, |_, _| {}).await.unwrap();
    assert_eq!((r.books_created, r.errors.len()), (1, 1), "{r:#?}");
    assert_eq!((r.errors[0].line, r.errors[0].field.as_str()), (1, "record"));
}

/// The page's import: the file as the body, a dry run first, then the real run (admin only),
/// each a job answered 202 at once and followed until done.
async fn the_page_imports_a_dry_run_then_for_real(app: TestApp) {
    let sheet = "judul;pengarang;isbn;barcode;harga\nBumi Manusia;Pramoedya Ananta Toer;979-97312-3-2;B1;85.000\n;Tanpa Judul;;B2;\n";
    let dry = app.import_file("/api/v1/import/books?dry_run=true", sheet.as_bytes()).await;
    assert_eq!((dry["dry_run"].as_bool(), dry["books_created"].as_i64()), (Some(true), Some(1)), "{dry:#}");
    assert_eq!(dry["errors"][0]["line"], 3);
    assert_eq!(dry["preview_books"][0]["title"], "Bumi Manusia");
    assert_eq!(app.get("/api/v1/books", None).await.expect(200)["total"], 0, "a dry run writes nothing");
    let done = app.import_file("/api/v1/import/books", sheet.as_bytes()).await;
    assert_eq!(done["copies_created"], 1);
    assert_eq!(app.get("/api/v1/copies/B1", None).await.expect(200)["price"], 85000);
    let members = "nama;kategori\nEko;Alumni\n";
    let r = app.import_file("/api/v1/import/members?categories=Alumni%3Dpublic", members.as_bytes()).await;
    assert_eq!(r["members_created"], 1, "{r:#}");
    // Refused before any job starts: a file that is no spreadsheet (422 naming the file), a
    // category map that is not OLD=CODE, an unknown kind; librarians may not import.
    let bad = app.upload("/api/v1/import/books", &app.admin, b"PK\x03\x04broken").await.problem(422, "validation");
    assert_eq!(bad["errors"][0]["field"], "file");
    let bad = app
        .upload("/api/v1/import/members?categories=Alumni", &app.admin, members.as_bytes())
        .await
        .problem(422, "validation");
    assert_eq!(bad["errors"][0]["field"], "categories");
    let librarian = app.add_librarian().await;
    app.upload("/api/v1/import/books", &librarian, sheet.as_bytes()).await.problem(403, "forbidden");
    app.get("/api/v1/import/jobs", Some(&librarian)).await.problem(403, "forbidden");
    app.upload("/api/v1/import/users", &app.admin, b"x").await.problem(404, "not_found");
    // Bigger than the API's usual 64 KiB limit, smaller than the import's.
    let mut big = String::from("judul;pengarang\n");
    for i in 0..3000 {
        big.push_str(&format!("Buku Contoh Nomor {i};Penulis Contoh\n"));
    }
    assert!(big.len() > 64 * 1024);
    let r = app.import_file("/api/v1/import/books?dry_run=true", big.as_bytes()).await;
    assert_eq!(r["books_created"], 3000);
}
