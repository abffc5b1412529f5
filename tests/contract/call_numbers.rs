//! Call numbers for every book (issue #28, point 6): a book with a DDC class and no call number
//! gets the suggested one (`899.221 HIR l`) when it is imported from a sheet or MARC, when it is
//! saved with the call number empty or left out, and when the admin fills every book still
//! missing one. Both backends (SLiMS's are in `slims.rs`).

use crate::common;

use common::TestApp;
use pustaka::{import, store::Actor};
use serde_json::{json, Value};

contract!(
    imported_books_with_a_class_get_a_call_number,
    saving_with_the_call_number_empty_suggests_one,
    the_admin_fills_every_book_still_missing_one,
);

async fn book_titled(app: &TestApp, title: &str) -> Value {
    let list = app.get("/api/v1/books?per_page=100", None).await.expect(200);
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["title"] == title)
        .unwrap_or_else(|| panic!("no book {title:?} in {list:#}"))
        .clone()
}

async fn imported_books_with_a_class_get_a_call_number(app: TestApp) {
    let sheet = "Judul Buku;Pengarang;No. Klasifikasi;Nomor Panggil;Jumlah Eks.\n\
                 Laskar Pelangi;Andrea Hirata;899.221;;2\n\
                 Bumi Manusia;Pramoedya Ananta Toer;899.221;899.221 PRA b;1\n\
                 Fikih Ibadah;;2X4.1;;1\n\
                 Kumpulan Cerpen;Tim Penyusun;FIKSI;;1\n\
                 Tanpa Kelas;Ahmad Tohari;;;1\n";
    let dry = import::books(&app.store, &Actor::system(), sheet.as_bytes(), true, |_, _| {}).await.unwrap();
    let laskar = dry.preview_books.iter().find(|b| b.title == "Laskar Pelangi").expect("in the preview");
    assert_eq!(laskar.call_number.as_deref(), Some("899.221 HIR l"), "the dry run shows it as it would be stored");
    let done = import::books(&app.store, &Actor::system(), sheet.as_bytes(), false, |_, _| {}).await.unwrap();
    assert_eq!(done.books_created, 5, "{done:#?}");
    for (title, call) in [
        ("Laskar Pelangi", Some("899.221 HIR l")),
        ("Bumi Manusia", Some("899.221 PRA b")),
        ("Fikih Ibadah", Some("2X4.1 ANO f")), // no author: Anonim
        ("Kumpulan Cerpen", None),
        ("Tanpa Kelas", None),
    ] {
        assert_eq!(book_titled(&app, title).await["call_number"].as_str(), call, "{title}");
    }

    // MARC: 082 without 090.
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<collection xmlns=\"http://www.loc.gov/MARC21/slim\">\
               <record><leader>00000nam a2200000 a 4500</leader>\
               <datafield tag=\"082\" ind1=\"0\" ind2=\"4\"><subfield code=\"a\">899.221</subfield></datafield>\
               <datafield tag=\"100\" ind1=\"1\" ind2=\" \"><subfield code=\"a\">Tohari, Ahmad</subfield></datafield>\
               <datafield tag=\"245\" ind1=\"1\" ind2=\"0\"><subfield code=\"a\">Ronggeng Dukuh Paruk</subfield></datafield>\
               </record></collection>";
    let r = import::marc(&app.store, &Actor::system(), xml.as_bytes(), false, |_, _| {}).await.unwrap();
    assert_eq!(r.books_created, 1, "{r:#?}");
    assert_eq!(book_titled(&app, "Ronggeng Dukuh Paruk").await["call_number"], "899.221 TOH r");
}

async fn saving_with_the_call_number_empty_suggests_one(app: TestApp) {
    let admin = Some(app.admin.as_str());
    // Created with the field empty (the form sends what was typed) or left out.
    let empty = app
        .post(
            "/api/v1/books",
            admin,
            json!({ "title": "Sang Pemimpi", "authors": ["Andrea Hirata"], "classification": "899.221", "call_number": " " }),
        )
        .await
        .expect(201);
    assert_eq!(empty["call_number"], "899.221 HIR p", "Sang is an article");
    let id = empty["id"].as_i64().unwrap();

    // Cleared on update (null or empty): suggested again, from the fields as they are now.
    let patched =
        app.patch(&format!("/api/v1/books/{id}"), admin, json!({ "call_number": "899.221 X y" })).await.expect(200);
    assert_eq!(patched["call_number"], "899.221 X y", "a call number typed by hand is kept");
    let patched = app
        .patch(&format!("/api/v1/books/{id}"), admin, json!({ "call_number": "", "title": "Edensor" }))
        .await
        .expect(200);
    assert_eq!(patched["call_number"], "899.221 HIR e");
    let patched =
        app.patch(&format!("/api/v1/books/{id}"), admin, json!({ "call_number": null, "classification": "813" })).await;
    assert_eq!(patched.expect(200)["call_number"], "813 HIR e");

    // A book without a call number saved without touching it (the page sends only what changed).
    let plain = app.book("Ronggeng Dukuh Paruk").await;
    let got = app.get(&format!("/api/v1/books/{plain}"), None).await.expect(200);
    assert!(got["call_number"].is_null(), "no class, no call number: {got}");
    let got = app.patch(&format!("/api/v1/books/{plain}"), admin, json!({ "classification": "899.221" })).await;
    assert_eq!(got.expect(200)["call_number"].as_str().map(|c| c.ends_with(" r")), Some(true));

    // No DDC class: nothing to suggest, the call number stays empty; a bad one is still a 422.
    let none = app
        .patch(&format!("/api/v1/books/{id}"), admin, json!({ "call_number": null, "classification": null }))
        .await
        .expect(200);
    assert!(none["call_number"].is_null(), "{none}");
    let bad = app.patch(&format!("/api/v1/books/{id}"), admin, json!({ "call_number": "12 AB c" })).await;
    assert_eq!(bad.problem(422, "validation")["errors"][0]["field"], "call_number");
}

async fn the_admin_fills_every_book_still_missing_one(app: TestApp) {
    let sheet = "Judul;Pengarang;Klasifikasi;Nomor Panggil\n\
                 Laskar Pelangi;Andrea Hirata;899.221;\n\
                 Bumi Manusia;Pramoedya Ananta Toer;899.221;899.221 PRA b\n\
                 Kumpulan Cerpen;Tim Penyusun;FIKSI;\n";
    import::books(&app.store, &Actor::system(), sheet.as_bytes(), false, |_, _| {}).await.unwrap();
    // Books catalogued before this rule (or given a class in the database) have none: take it away.
    let laskar = book_titled(&app, "Laskar Pelangi").await;
    let mut tx = app.store.db.begin().await.unwrap();
    let q = pustaka::store::db::sql("UPDATE books SET call_number = NULL WHERE id = ?")
        .bind(laskar["id"].as_i64().unwrap());
    tx.exec(q).await.unwrap();
    tx.commit().await.unwrap();
    assert!(book_titled(&app, "Laskar Pelangi").await["call_number"].is_null());

    let librarian = app.add_librarian().await;
    app.post("/api/v1/books/call-numbers", Some(&librarian), json!({})).await.problem(403, "forbidden");
    let r = app.post("/api/v1/books/call-numbers", Some(&app.admin), json!({})).await.expect(200);
    assert_eq!(r, json!({ "filled": 1 }));
    assert_eq!(book_titled(&app, "Laskar Pelangi").await["call_number"], "899.221 HIR l");
    assert_eq!(book_titled(&app, "Bumi Manusia").await["call_number"], "899.221 PRA b", "kept");
    assert!(book_titled(&app, "Kumpulan Cerpen").await["call_number"].is_null(), "not a DDC class");
    // Again: nothing left to fill.
    let r = app.post("/api/v1/books/call-numbers", Some(&app.admin), json!({})).await.expect(200);
    assert_eq!(r, json!({ "filled": 0 }));
    let audit = app.get("/api/v1/audit?per_page=100", Some(&app.admin)).await.expect(200);
    assert!(audit["items"].as_array().unwrap().iter().any(|e| e["action"] == "book.call_numbers"), "{audit:#}");
}
