//! Moving a library in (issue #13): the catalogue fields imports carry, and spreadsheet imports
//! of books and members. The imports are called as `pustaka import` calls them, into the test's
//! Pustaka; what they stored is read back through the API. Both backends.

use crate::common;

use common::TestApp;
use pustaka::{
    import::{self, ImportError, MemberOptions},
    store::{import::Report, Actor},
};
use serde_json::{json, Value};

contract!(
    book_fields_are_settable_and_shown,
    spreadsheet_books_dry_run_then_import_then_nothing_changes,
    copies_columns_and_clashing_barcodes,
    an_interrupted_import_is_finished_by_running_it_again,
    rows_the_database_refuses_in_a_batch_lose_none_around_them,
    unreadable_files_are_refused_whole,
    spreadsheet_members_cards_categories_and_rerun,
    spreadsheet_members_have_a_class_and_move_up,
    the_mapping_step_shows_columns_and_the_librarians_choice_is_imported,
);

async fn books(app: &TestApp, bytes: &[u8], dry_run: bool) -> Report {
    let mut last = (0, 0);
    let r = import::books(&app.store, &Actor::system(), bytes, dry_run, |d, t| last = (d, t)).await.expect("import");
    assert_eq!(last.0, last.1, "progress ends at the total");
    r
}

async fn members(app: &TestApp, bytes: &[u8], options: &MemberOptions, dry_run: bool) -> Report {
    import::members(&app.store, &Actor::system(), bytes, options, dry_run, |_, _| {}).await.expect("import")
}

async fn all_books(app: &TestApp) -> Vec<Value> {
    let body = app.get("/api/v1/books?per_page=100", None).await.expect(200);
    body["items"].as_array().unwrap().clone()
}

fn lines(r: &Report) -> Vec<(usize, &str)> {
    r.errors.iter().map(|e| (e.line, e.field.as_str())).collect()
}

async fn book_fields_are_settable_and_shown(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let created = app
        .post(
            "/api/v1/books",
            admin,
            json!({
                "title": "Bumi Manusia", "authors": ["Pramoedya Ananta Toer"], "isbn": "979-97312-3-2",
                "edition": "Cet. 3", "call_number": "899.221 TOE b", "classification": "899.221",
                "collation": "535 hlm. ; 20 cm", "series": "Tetralogi Buru",
                "notes": "Hadiah alumni.\r\nRak khusus.", "identifiers": ["0216-3195", " 0216-3195 "],
                "source_id": "slims:42"
            }),
        )
        .await
        .expect(201);
    let id = created["id"].as_i64().unwrap();
    let got = app.get(&format!("/api/v1/books/{id}"), None).await.expect(200);
    assert_eq!(got["edition"], "Cet. 3");
    assert_eq!(got["call_number"], "899.221 TOE b");
    assert_eq!(got["classification"], "899.221");
    assert_eq!(got["collation"], "535 hlm. ; 20 cm");
    assert_eq!(got["series"], "Tetralogi Buru");
    assert_eq!(got["notes"], "Hadiah alumni.\nRak khusus.", "line ends are stored as \\n");
    assert_eq!(got["identifiers"], json!(["0216-3195"]), "kept once");
    assert_eq!(got["source_id"], "slims:42");

    // A plain book has them empty.
    let plain = app.book("Tanpa Keterangan").await;
    let plain = app.get(&format!("/api/v1/books/{plain}"), None).await.expect(200);
    assert_eq!(plain["identifiers"], json!([]));
    assert!(plain["call_number"].is_null() && plain["source_id"].is_null());

    // Patch: change some, clear others; the list is replaced whole.
    let patched = app
        .patch(
            &format!("/api/v1/books/{id}"),
            admin,
            json!({ "call_number": "899.221 TOE b c.2", "series": null, "notes": null, "identifiers": ["ISSN 0216-3195"] }),
        )
        .await
        .expect(200);
    assert_eq!(patched["call_number"], "899.221 TOE b c.2");
    assert!(patched["series"].is_null() && patched["notes"].is_null());
    assert_eq!(patched["identifiers"], json!(["ISSN 0216-3195"]));
    assert_eq!(patched["edition"], "Cet. 3", "untouched fields stay");

    // Another book may not take the same source id: 409 naming the field, nothing changed.
    let other = app.book("Anak Semua Bangsa").await;
    let p = app.patch(&format!("/api/v1/books/{other}"), admin, json!({ "source_id": "slims:42" })).await;
    assert!(p.problem(409, "conflict")["detail"].as_str().unwrap().ends_with("(source_id)"));
    let p = app.post("/api/v1/books", admin, json!({ "title": "X", "authors": ["Y"], "source_id": "slims:42" })).await;
    assert!(p.problem(409, "conflict")["detail"].as_str().unwrap().ends_with("(source_id)"));
    // The same book may keep its own.
    app.patch(&format!("/api/v1/books/{id}"), admin, json!({ "source_id": "slims:42" })).await.expect(200);

    // Bad values: 422 with each field at fault.
    let bad = app
        .post(
            "/api/v1/books",
            admin,
            json!({ "title": "Z", "authors": ["Y"], "call_number": "12", "notes": "a\u{7}b", "edition": "x".repeat(201),
                    "identifiers": ["ok", "a\u{202E}b"] }),
        )
        .await
        .problem(422, "validation");
    let fields: Vec<&str> = bad["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    for f in ["call_number", "notes", "edition", "identifiers"] {
        assert!(fields.contains(&f), "{f} in {bad:#}");
    }
    let bad = app.patch(&format!("/api/v1/books/{id}"), admin, json!({ "notes": "x".repeat(2001) })).await;
    bad.problem(422, "validation");
    assert_eq!(app.get(&format!("/api/v1/books/{id}"), None).await.expect(200)["call_number"], "899.221 TOE b c.2");
    // Members of the public cannot change them.
    app.patch(&format!("/api/v1/books/{id}"), None, json!({ "call_number": "1" }))
        .await
        .problem(401, "unauthenticated");
}

/// A messy Windows-1252, semicolon-separated sheet, one row per copy.
const MESSY_SHEET: &[u8] = b"Judul;Pengarang;ISBN;Penerbit;Tahun;Nomor Panggil;Barcode;Lokasi;Warna\n\
\"Bumi\r\nManusia\";Pramoedya Ananta Toer;979-97312-3-2;Hasta Mitra;c1980;899.221 TOE b;B001;Rak A1;merah\r\n\
Bumi Manusia;Pramoedya Ananta Toer;9789799731234;Hasta Mitra;1980;899.221 TOE b;B002;Rak A1;\n\
Ronggeng Dukuh Paruk;Ahmad Tohari;1234567890;Gramedia;1982;899.221 TOH r;B003;;\n\
;Tanpa Judul;;;;;B004;;\n\
Caf\xe9 Tempo Dulu;Anonim;;;abad 20;;B005;;\n\
Jurnal Pendidikan;Dinas Pendidikan;0216-3195;;2019;;B006 | B007;Rak Jurnal;\n";

async fn spreadsheet_books_dry_run_then_import_then_nothing_changes(app: TestApp) {
    // The dry run reports what would happen and writes nothing.
    let dry = books(&app, MESSY_SHEET, true).await;
    assert!(dry.dry_run);
    assert_eq!(dry.rows, 6);
    assert_eq!((dry.books_created, dry.copies_created), (3, 5), "{dry:#?}");
    assert_eq!(lines(&dry), [(6, "title"), (7, "year")]);
    assert_eq!(dry.ignored_columns, ["Warna"]);
    assert_eq!(dry.preview_books.len(), 3);
    assert_eq!(dry.preview_books[0].title, "Bumi Manusia", "a line break inside a field becomes a space");
    assert!(all_books(&app).await.is_empty(), "a dry run writes nothing");
    assert_eq!(app.get("/api/v1/copies/B001", None).await.status, 404);

    let done = books(&app, MESSY_SHEET, false).await;
    assert!(!done.dry_run);
    assert_eq!((done.books_created, done.books_existing, done.copies_created), (3, 0, 5));
    assert_eq!(lines(&done), lines(&dry), "the dry run told the truth");
    let list = all_books(&app).await;
    assert_eq!(list.len(), 3);
    let bumi = list.iter().find(|b| b["title"] == "Bumi Manusia").unwrap();
    assert_eq!(bumi["isbn"], "9789799731234");
    assert_eq!(bumi["year"], 1980);
    assert_eq!(bumi["call_number"], "899.221 TOE b");
    assert_eq!(bumi["copies_total"], 2);
    // An "ISBN" that is not one is kept as an identifier, never dropped.
    let ronggeng = list.iter().find(|b| b["title"] == "Ronggeng Dukuh Paruk").unwrap();
    assert!(ronggeng["isbn"].is_null());
    assert_eq!(ronggeng["identifiers"], json!(["1234567890"]));
    assert!(ronggeng["source_id"].as_str().unwrap().starts_with("sheet:"));
    let jurnal = list.iter().find(|b| b["title"] == "Jurnal Pendidikan").unwrap();
    assert_eq!(jurnal["identifiers"], json!(["0216-3195"]));
    let copy = app.get("/api/v1/copies/B007", None).await.expect(200);
    assert_eq!((copy["location"].as_str(), copy["status"].as_str()), (Some("Rak Jurnal"), Some("available")));
    // Found by search like any book (the MariaDB word index was kept in the same transaction).
    let found = app.get("/api/v1/books?q=ronggeng", None).await.expect(200);
    assert_eq!(found["total"], 1);

    // The second run changes nothing.
    let again = books(&app, MESSY_SHEET, false).await;
    assert_eq!((again.books_created, again.books_existing), (0, 3));
    assert_eq!((again.copies_created, again.copies_existing), (0, 5));
    assert_eq!(all_books(&app).await.len(), 3);

    // Each run is in the audit log with its counts (and each committed batch with its own).
    let audit = app.get("/api/v1/audit?per_page=100", Some(&app.admin)).await.expect(200);
    let details = |action: &str| -> Vec<String> {
        audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["action"] == action)
            .map(|e| e["detail"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        details("import.books"),
        [
            "rows 6; books 0 created, 3 existing; copies 0 created, 5 existing; members 0 created, 0 existing; 2 rows not imported",
            "rows 6; books 3 created, 0 existing; copies 5 created, 0 existing; members 0 created, 0 existing; 2 rows not imported",
        ],
        "newest first; the dry run is not logged"
    );
    assert_eq!(details("import.books.batch").len(), 2);
}

async fn copies_columns_and_clashing_barcodes(app: TestApp) {
    // A barcode already in the library on another book.
    let other = app.book("Buku Lain").await;
    app.copy(other, "X1").await;
    let sheet = "title,author,isbn,copies,barcode,location\n\
                 Laskar Pelangi,Andrea Hirata,978-979-3062-79-1,3,,Rak B\n\
                 Sang Pemimpi,Andrea Hirata,,,X1,\n\
                 Edensor,Andrea Hirata,,1,E1,\n\
                 Maryamah Karpov,Andrea Hirata,,banyak,,\n\
                 Padang Bulan,Andrea Hirata,,501,,\n";
    let r = books(&app, sheet.as_bytes(), false).await;
    assert_eq!(lines(&r), [(3, "barcode"), (5, "copies"), (6, "copies")], "{r:#?}");
    assert!(r.errors[0].reason.contains("another book"), "{:?}", r.errors[0]);
    // The clash loses nothing: X1 stays on its book.
    assert_eq!(app.get("/api/v1/copies/X1", None).await.expect(200)["book_id"], other);
    let list = all_books(&app).await;
    let laskar = list.iter().find(|b| b["title"] == "Laskar Pelangi").unwrap();
    assert_eq!(laskar["copies_total"], 3, "a copies column makes that many copies");
    let copies = app.get(&format!("/api/v1/books/{}/copies", laskar["id"]), None).await.expect(200);
    assert!(copies["items"].as_array().unwrap().iter().all(|c| c["location"] == "Rak B"));
    // Edensor: one barcode and a count of 1 is one copy, not two.
    let edensor = list.iter().find(|b| b["title"] == "Edensor").unwrap();
    assert_eq!(edensor["copies_total"], 1);
    let again = books(&app, sheet.as_bytes(), false).await;
    assert_eq!((again.books_created, again.copies_created), (0, 0), "{again:#?}");
    // Sang Pemimpi was catalogued (its only copy clashed), so the second run finds it.
    assert_eq!(again.books_existing, 3);
}

async fn an_interrupted_import_is_finished_by_running_it_again(app: TestApp) {
    // 450 books. The first run is cut off after the first 250 rows (as if the
    // machine stopped); the full run afterwards adds only the rest.
    let mut sheet = String::from("judul;pengarang;tahun;eksemplar\n");
    for i in 0..450 {
        sheet.push_str(&format!("Buku {i};Penulis {};{};C{i:04}\n", i % 7, 1990 + i % 30));
    }
    let cut: String = sheet.lines().take(251).map(|l| format!("{l}\n")).collect();
    let first = books(&app, cut.as_bytes(), false).await;
    assert_eq!(first.books_created, 250);
    let rest = books(&app, sheet.as_bytes(), false).await;
    assert_eq!(
        (rest.books_created, rest.books_existing, rest.copies_created, rest.copies_existing),
        (200, 250, 200, 250)
    );
    let stats = app.get("/api/v1/stats", Some(&app.admin)).await.expect(200);
    assert_eq!((stats["books"].as_i64(), stats["copies"].as_i64()), (Some(450), Some(450)));
}

async fn rows_the_database_refuses_in_a_batch_lose_none_around_them(app: TestApp) {
    // A batch written in bulk, with a row whose barcode is on another book and one whose ISBN is
    // catalogued already, among new books: the good rows around them are stored, the barcode's
    // row is reported with its line and field, the ISBN's row adds its copy to that book.
    let other = app.book("Buku Lain").await;
    app.copy(other, "X1").await;
    let known = app
        .post(
            "/api/v1/books",
            Some(&app.admin),
            json!({"title": "Laskar Pelangi", "authors": ["Andrea Hirata"], "isbn": "979-97312-3-2"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let mut sheet = String::from("judul,pengarang,isbn,barcode,jenis koleksi\n");
    for i in 0..120 {
        sheet.push_str(&format!("Buku Awal {i},Penulis {},,A{i:03},\n", i % 5));
    }
    sheet.push_str("Sang Pemimpi,Andrea Hirata,,X1,\n"); // line 122: X1 is on another book
    sheet.push_str("Laskar Pelangi,Andrea Hirata,9789799731234,L1,Fiksi\n"); // line 123: the known ISBN
    for i in 0..120 {
        sheet.push_str(&format!("Buku Akhir {i},Penulis {},,Z{i:03},Komik\n", i % 5));
    }
    let r = books(&app, sheet.as_bytes(), false).await;
    assert_eq!(lines(&r), [(122, "barcode")], "{:?}", r.errors);
    assert!(r.errors[0].reason.contains(&format!("another book (id {other})")), "{:?}", r.errors[0]);
    assert_eq!((r.books_created, r.books_existing), (241, 1));
    assert_eq!((r.copies_created, r.copies_existing), (241, 0));
    assert_eq!(r.collection_types_created, 1, "Komik made once; Fiksi is there");
    assert_eq!(r.copies_typed, 121, "L1 (its own type) and the 120 Komik copies");
    assert_eq!(
        r.preview_books.iter().map(|b| b.title.as_str()).collect::<Vec<_>>()[..2],
        ["Buku Awal 0", "Buku Awal 1"]
    );
    assert_eq!(app.get("/api/v1/copies/X1", None).await.expect(200)["book_id"], other, "X1 stays on its book");
    assert_eq!(app.get("/api/v1/copies/L1", None).await.expect(200)["book_id"], known);
    let last = app.get("/api/v1/copies/Z119", None).await.expect(200);
    assert_eq!(last["title"], "Buku Akhir 119");
    assert_eq!(last["collection_type"], "komik");
    let found = app.get("/api/v1/books?q=pemimpi", None).await.expect(200);
    assert_eq!(found["total"], 1, "a book whose copy was refused is still catalogued and found");
    let found = app.get("/api/v1/books?q=akhir", None).await.expect(200);
    assert_eq!(found["total"], 120, "every new book is in the search index");
    let stats = app.get("/api/v1/stats", Some(&app.admin)).await.expect(200);
    assert_eq!((stats["books"].as_i64(), stats["copies"].as_i64()), (Some(243), Some(242)));

    // Again: everything is found, nothing written, the same row refused.
    let again = books(&app, sheet.as_bytes(), false).await;
    assert_eq!((again.books_created, again.books_existing), (0, 242));
    assert_eq!((again.copies_created, again.copies_existing), (0, 241));
    assert_eq!(lines(&again), [(122, "barcode")]);

    // A batch the bulk path leaves to the row-by-row one (a given barcode shaped like a generated
    // one beside a copies column): the same rules.
    let sheet = "judul,pengarang,barcode,copies\nBuku Hitung,Penulis,,2\nBuku Kode,Penulis,I999999-001,\nBuku Lagi,Penulis,X1,\n";
    let r = books(&app, sheet.as_bytes(), false).await;
    assert_eq!((r.books_created, r.copies_created), (3, 3), "{r:#?}");
    assert_eq!(lines(&r), [(4, "barcode")]);
}

async fn unreadable_files_are_refused_whole(app: TestApp) {
    for bad in [&b""[..], b" \r\n", b"PK\x03\x04not really a zip"] {
        let e = import::books(&app.store, &Actor::system(), bad, false, |_, _| {}).await.unwrap_err();
        assert!(matches!(e, ImportError::Sheet(_)), "{e:?}");
    }
    let r = books(&app, b"isbn;barcode\n9789799731234;B1\n", false).await;
    assert_eq!(lines(&r), [(1, "title")]);
    assert!(all_books(&app).await.is_empty());
    // A header and no rows is an empty import, not an error.
    let r = books(&app, b"judul;pengarang\n", false).await;
    assert_eq!((r.rows, r.books_created, r.errors.len()), (0, 0, 0));
}

async fn spreadsheet_members_cards_categories_and_rerun(app: TestApp) {
    let sheet = "Nama,No Anggota,Jenis Anggota,Email,Telepon,Berlaku Hingga\n\
                 Siti Aminah,P12345674,Siswa,siti@example.org,0812-1111-2222,31/12/2027\n\
                 Budi Santoso,2024-0117,Guru,,,0000-00-00\n\
                 Dewi Lestari,2024-0118,Alumni,,,\n\
                 Ani,2024-0119,Dosen,bukan-email,,\n\
                 Rudi,,,,,\n";
    let options = MemberOptions {
        categories: import::category_map(&["Dosen=staff".into(), "Alumni=public".into()]).unwrap(),
        default_category: Some("public".into()),
    };
    let dry = members(&app, sheet.as_bytes(), &options, true).await;
    assert_eq!(dry.members_created, 4, "{dry:#?}");
    assert_eq!(lines(&dry), [(5, "email")]);
    assert_eq!(dry.preview_members.len(), 4);
    assert_eq!(dry.preview_members[1].category, "staff", "Guru is a part of the name 'Guru / Staf'");
    assert_eq!(app.get("/api/v1/members", Some(&app.admin)).await.expect(200)["total"], 0);

    let done = members(&app, sheet.as_bytes(), &options, false).await;
    assert_eq!((done.members_created, done.members_existing), (4, 0));
    // The dry run showed the very cards the import issued (#28): a card is not drawn at random
    // but derived from who the member is, so the rolled-back run and the real one agree.
    assert_eq!(done.new_cards.len(), 2, "{:?}", done.new_cards);
    assert_eq!(dry.new_cards, done.new_cards);
    // A valid Pustaka card number stays the card; other numbers get a new card and are kept.
    let siti = app.get("/api/v1/members?q=Siti", Some(&app.admin)).await.expect(200)["items"][0].clone();
    assert_eq!(siti["card_number"], "P12345674");
    assert_eq!(siti["category"], "student");
    assert_eq!(siti["expires_on"], "2027-12-31");
    assert_eq!(siti["phone"], "0812-1111-2222");
    let budi = app.get("/api/v1/members?q=Budi", Some(&app.admin)).await.expect(200)["items"][0].clone();
    assert_eq!(budi["source_id"], "sheet:2024-0117");
    assert!(budi["expires_on"].is_null(), "0000-00-00 is no date");
    let (old, card) = done.new_cards.iter().find(|(old, _)| old == "2024-0117").unwrap();
    assert_eq!((old.as_str(), budi["card_number"].as_str().unwrap()), ("2024-0117", card.as_str()));
    // The new card works at the desk.
    let book = app.book("Buku Pinjam").await;
    app.copy(book, "L1").await;
    app.checkout("L1", card).await.expect(201);
    let rudi = app.get("/api/v1/members?q=Rudi", Some(&app.admin)).await.expect(200)["items"][0].clone();
    assert_eq!(rudi["category"], "public", "the default category");

    let again = members(&app, sheet.as_bytes(), &options, false).await;
    assert_eq!((again.members_created, again.members_existing), (0, 4));
    assert_eq!(app.get("/api/v1/members", Some(&app.admin)).await.expect(200)["total"], 4);

    // Without a mapping an unknown category is the row's error, the others go in.
    let r = members(&app, b"nama;kategori\nEko;Alumni\nFitri;siswa\n", &MemberOptions::default(), false).await;
    assert_eq!(lines(&r), [(2, "category")]);
    assert!(r.errors[0].reason.contains("--category"));
    assert_eq!(r.members_created, 1);
    // A mapping to a category that does not exist stops the import before it writes anything.
    let wrong =
        MemberOptions { categories: import::category_map(&["Alumni=alumni".into()]).unwrap(), ..Default::default() };
    let e = import::members(&app.store, &Actor::system(), b"nama;kategori\nGita;Alumni\n", &wrong, false, |_, _| {})
        .await
        .unwrap_err();
    assert!(e.to_string().contains("alumni"), "{e}");
    assert_eq!(app.get("/api/v1/members", Some(&app.admin)).await.expect(200)["total"], 5);
}

/// A `kelas` (or `rombel`, `class`, `grade`) column: each member's class; the next year's class
/// lists imported again move the members already there (and only their class), a blank class
/// changes nothing, a bad one is that row's error.
async fn spreadsheet_members_have_a_class_and_move_up(app: TestApp) {
    let options = MemberOptions { default_category: Some("student".into()), ..Default::default() };
    let grade_of = |name: &'static str| {
        let app = &app;
        async move {
            let r = app.get(&format!("/api/v1/members?q={name}"), Some(&app.admin)).await.expect(200);
            r["items"][0]["grade"].clone()
        }
    };
    let sheet = "Nama;NIS;Kelas\nSiti;2025-001;7A\nBudi;2025-002;\nAni;2025-003; VIII  B \nEko;2025-004;Kelas tujuh A yang sangat panjang\n";
    let r = members(&app, sheet.as_bytes(), &options, false).await;
    assert_eq!(r.members_created, 3, "{r:#?}");
    assert_eq!(lines(&r), [(5, "grade")]);
    assert!(r.ignored_columns.is_empty(), "{:?}", r.ignored_columns);
    assert_eq!(
        (grade_of("Siti").await, grade_of("Budi").await, grade_of("Ani").await),
        (json!("7A"), Value::Null, json!("VIII B"))
    );

    // A year later: the class lists again, under another of the column's names.
    for (header, name) in [("Rombel", "rombel"), ("Class", "class"), ("grade", "grade")] {
        let sheet = format!("Nama,NIS,{header}\nSiti,2025-001,8A\nBudi,2025-002,8B\nAni,2025-003,\n");
        let dry = members(&app, sheet.as_bytes(), &options, true).await;
        assert_eq!((dry.members_existing, dry.members_regraded), (3, 2), "{name}: {dry:#?}");
        assert_eq!(grade_of("Siti").await, json!("7A"), "a dry run changes nothing");
        if name != "grade" {
            continue;
        }
        let done = members(&app, sheet.as_bytes(), &options, false).await;
        assert_eq!((done.members_created, done.members_existing, done.members_regraded), (0, 3, 2));
        assert!(
            done.to_text(pustaka::domain::notices::Language::En).contains("moved to the class the file names: 2"),
            "{}",
            done.to_text(pustaka::domain::notices::Language::En)
        );
    }
    // Siti and Budi moved up; Ani's blank cell left her class alone.
    assert_eq!(
        (grade_of("Siti").await, grade_of("Budi").await, grade_of("Ani").await),
        (json!("8A"), json!("8B"), json!("VIII B"))
    );
    // The same lists once more: nothing to move.
    let sheet = "Nama,NIS,Kelas\nSiti,2025-001,8A\nBudi,2025-002,8b\n";
    let again = members(&app, sheet.as_bytes(), &options, false).await;
    assert_eq!((again.members_existing, again.members_regraded), (2, 1), "8b is a change of how it is written");

    // What the members export writes, the members import reads back (the class included).
    let export = app.get("/api/v1/export/members?format=csv", Some(&app.admin)).await;
    let text = export.body.as_str().unwrap().to_owned();
    assert!(text.contains(",student,8A,"), "{text}");
    let moved = text.replace(",student,8A,", ",student,9A,");
    let r = members(&app, moved.as_bytes(), &options, false).await;
    assert!(r.errors.is_empty(), "{r:#?}");
    assert_eq!((r.members_created, r.members_regraded), (0, 1));
    assert_eq!(grade_of("Siti").await, json!("9A"));
}

/// The page's mapping step (#28): the file's columns as Pustaka matched them, with a few values
/// each; then the librarian's choice (a column of titles Pustaka did not know, a column left out)
/// is what the dry run and the import read; a wrong choice is a 422 on `columns`.
async fn the_mapping_step_shows_columns_and_the_librarians_choice_is_imported(app: TestApp) {
    let sheet = "DAFTAR BUKU PERPUSTAKAAN SMPN 3\n\nKode;Nama Koleksi;Pengarang;Warna Sampul\n\
                 X1;Laskar Pelangi;Andrea Hirata;biru\nX2;Bumi Manusia;Pramoedya;merah\n";
    let seen = app.upload("/api/v1/import/books/columns", &app.admin, sheet.as_bytes()).await.expect(200);
    assert_eq!(seen["header_line"], 3, "{seen}");
    let cols = seen["columns"].as_array().unwrap();
    let shown: Vec<(&str, &Value)> = cols.iter().map(|c| (c["header"].as_str().unwrap(), &c["field"])).collect();
    assert_eq!(
        shown,
        [
            ("Kode", &Value::Null),
            ("Nama Koleksi", &Value::Null),
            ("Pengarang", &json!("authors")),
            ("Warna Sampul", &Value::Null)
        ]
    );
    assert_eq!(cols[1]["samples"], json!(["Laskar Pelangi", "Bumi Manusia"]));
    assert!(seen["fields"].as_array().unwrap().contains(&json!("title")));
    assert_eq!(all_books(&app).await.len(), 0, "reading the columns stores nothing");

    // Without a choice the file has no title column; with one, "Nama Koleksi" is the title, "Kode"
    // the copy's barcode, and the colour is left out.
    let plain = app.import_file("/api/v1/import/books?dry_run=true", sheet.as_bytes()).await;
    assert_eq!(plain["errors"][0]["field"], "title", "{plain}");
    let choice = r#"{"Nama Koleksi":"title","Kode":"barcode","Warna Sampul":null}"#;
    let query = format!("columns={}", common::urlencode(choice));
    let dry = app.import_file(&format!("/api/v1/import/books?dry_run=true&{query}"), sheet.as_bytes()).await;
    assert_eq!((dry["books_created"].as_u64(), dry["copies_created"].as_u64()), (Some(2), Some(2)), "{dry}");
    assert_eq!(dry["errors"], json!([]), "{dry}");
    let done = app.import_file(&format!("/api/v1/import/books?{query}"), sheet.as_bytes()).await;
    assert_eq!((done["books_created"].as_u64(), done["copies_created"].as_u64()), (Some(2), Some(2)), "{done}");
    let titles: Vec<String> = all_books(&app).await.iter().map(|b| b["title"].as_str().unwrap().to_owned()).collect();
    assert_eq!(titles.len(), 2);
    assert!(titles.contains(&"Laskar Pelangi".to_owned()) && titles.contains(&"Bumi Manusia".to_owned()), "{titles:?}");
    assert_eq!(app.get("/api/v1/copies/X2", None).await.expect(200)["status"], "available");

    // A field there is not, or not JSON: refused before anything runs, naming `columns`.
    for bad in [r#"{"Nama Koleksi":"judulnya"}"#, "[1,2]"] {
        let r = app
            .upload(&format!("/api/v1/import/books?columns={}", common::urlencode(bad)), &app.admin, sheet.as_bytes())
            .await;
        let problem = r.problem(422, "validation");
        assert_eq!(problem["errors"][0]["field"], "columns", "{problem}");
    }
    app.upload("/api/v1/import/marc/columns", &app.admin, b"x").await.problem(404, "not_found");
}
