//! Moving in, round 2 (issue #28): a school's own files as they come. Title rows above the
//! header, the school's column names, totals rows and notes below the list, quantities written
//! `2 eks`; members' other numbers (NIS, NISN, SLiMS ids, old cards) that the desk, the kiosk and
//! the search take like the card; a corrected student list that updates the same students; a
//! wrong category told at once; row reasons in Indonesian. Both backends.
//!
//! The files of [`generated_school_files_import_with_no_edits`] are made here, in Rust, so that
//! `cargo test` needs nothing but the toolchain; `scripts/make-moving-in-files.py` writes the same
//! two files (the same rows) for trying the import by hand.

use crate::common;

use common::TestApp;
use pustaka::{
    import::{self, MemberOptions},
    store::{import::Report, Actor},
};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::{json, Value};

contract!(
    title_rows_totals_and_school_headers_are_read,
    other_numbers_work_at_the_desk_the_kiosk_and_the_search,
    a_corrected_student_list_updates_the_same_students,
    a_wrong_category_is_a_422_naming_the_field,
    row_reasons_are_in_the_library_language,
    generated_school_files_import_with_no_edits,
    a_birth_date_is_set_and_cleared_on_the_member,
);

async fn books(app: &TestApp, bytes: &[u8], dry_run: bool) -> Report {
    import::books(&app.store, &Actor::system(), bytes, dry_run, |_, _| {}).await.expect("import")
}

async fn members(app: &TestApp, bytes: &[u8], dry_run: bool) -> Report {
    let options = MemberOptions { default_category: Some("student".into()), ..Default::default() };
    import::members(&app.store, &Actor::system(), bytes, &options, dry_run, |_, _| {}).await.expect("import")
}

fn lines(r: &Report) -> Vec<(usize, &str)> {
    r.errors.iter().map(|e| (e.line, e.field.as_str())).collect()
}

async fn member_named(app: &TestApp, q: &str) -> Value {
    let r = app.get(&format!("/api/v1/members?q={q}"), Some(&app.admin)).await.expect(200);
    assert_eq!(r["total"], 1, "{q}: {r:#}");
    r["items"][0].clone()
}

async fn title_rows_totals_and_school_headers_are_read(app: TestApp) {
    let sheet = "PERPUSTAKAAN SMP NEGERI 1 CONTOH;;;;;;;;;;\n\
                 DAFTAR BUKU;;;;;;;;;;\n\
                 Per 14 Juli 2026;;;;;;;;;;\n\
                 ;;;;;;;;;;\n\
                 No.;Judul Buku;Pengarang;Penerbit;Kota Terbit;Tahun Terbit;No. Klasifikasi;Jumlah Eks.;Lokasi Rak;Sumber;Keterangan\n\
                 1;Laskar Pelangi;Andrea Hirata;Bentang Pustaka;Yogyakarta;2005;899.221;2 eks;Rak A1;BOS;\n\
                 2;Bumi Manusia;Pramoedya Ananta Toer;Hasta Mitra;Jakarta;1980;899.221;3 buah;Rak A1;Hadiah;sampul rusak\n\
                 3;Ronggeng Dukuh Paruk;Ahmad Tohari;Gramedia;Jakarta;c1982;899.221;2 (dua);Rak A2;BOS;\n\
                 4;Kamus Besar Bahasa Indonesia;Tim Penyusun;Balai Pustaka;Jakarta;2008;499.221;1;Referensi;;\n\
                 ;;;;;;;;;;\n\
                 JUMLAH;;;;;;;8;;;\n\
                 ;;;;;;;;;;\n\
                 ;;;;;;Mengetahui,;;;;\n\
                 ;;;;;;Kepala Sekolah;;;;\n\
                 ;;;;;;Drs. Ahmad Sutanto;;;;\n";
    let dry = books(&app, sheet.as_bytes(), true).await;
    assert!(dry.errors.is_empty(), "{dry:#?}");
    assert!(dry.ignored_columns.is_empty(), "{:?}", dry.ignored_columns);
    assert_eq!((dry.header_line, dry.rows, dry.rows_skipped), (5, 4, 4), "{dry:#?}");
    assert_eq!((dry.books_created, dry.copies_created), (4, 8), "the dry run counts the copies");
    assert!(
        dry.to_text(pustaka::domain::notices::Language::En).contains("copies: 8 new"),
        "{}",
        dry.to_text(pustaka::domain::notices::Language::En)
    );
    assert_eq!(app.get("/api/v1/stats", Some(&app.admin)).await.expect(200)["books"], 0);

    let done = books(&app, sheet.as_bytes(), false).await;
    assert_eq!((done.books_created, done.copies_created, done.errors.len()), (4, 8, 0), "{done:#?}");
    let stats = app.get("/api/v1/stats", Some(&app.admin)).await.expect(200);
    assert_eq!((stats["books"].as_i64(), stats["copies"].as_i64()), (Some(4), Some(8)));
    let found = app.get("/api/v1/books?q=Bumi", None).await.expect(200)["items"][0].clone();
    assert_eq!(found["classification"], "899.221");
    let notes = found["notes"].as_str().unwrap_or_default();
    assert!(notes.contains("sampul rusak") && notes.contains("Sumber: Hadiah"), "{found:#}");
    assert!(notes.contains("Tempat terbit: Jakarta"), "{found:#}");

    let again = books(&app, sheet.as_bytes(), false).await;
    assert_eq!((again.books_created, again.books_existing, again.copies_created), (0, 4, 0), "{again:#?}");

    // A bad quantity is the row's error, in words a librarian reads.
    let r = books(&app, "Judul;Eks.\nBuku Lain;dua rak\n".as_bytes(), true).await;
    assert_eq!(lines(&r), [(2, "copies")]);
    // `Eksemplar` with numbers is a number of copies; with codes, barcodes.
    let r = books(&app, "Judul;Eksemplar\nBuku Satu;2 eks\nBuku Dua;3\n".as_bytes(), true).await;
    assert_eq!((r.books_created, r.copies_created), (2, 5), "{r:#?}");
    let r = books(&app, "Judul;Eksemplar\nBuku Satu;B-0001|B-0002\n".as_bytes(), true).await;
    assert_eq!((r.books_created, r.copies_created), (1, 2), "{r:#?}");
}

async fn other_numbers_work_at_the_desk_the_kiosk_and_the_search(app: TestApp) {
    let sheet = "Nama;NIS;NISN;No. Anggota;Kelas\n\
                 Siti Aminah;2025001;0051234567;;7A\n\
                 Budi Santoso;2025002;0051234568;A-17;7B\n";
    let r = members(&app, sheet.as_bytes(), false).await;
    assert!(r.errors.is_empty(), "{r:#?}");
    assert_eq!((r.members_created, r.numbers_created), (2, 5), "{r:#?}");

    // The member's representation lists them.
    let siti = member_named(&app, "Siti").await;
    let id = siti["id"].as_i64().unwrap();
    let shown = app.get(&format!("/api/v1/members/{id}"), Some(&app.admin)).await.expect(200);
    assert_eq!(
        shown["other_numbers"],
        json!([{"kind": "nis", "number": "2025001"}, {"kind": "nisn", "number": "0051234567"}])
    );
    let budi = member_named(&app, "Budi").await;
    assert!(budi["other_numbers"].as_array().unwrap().contains(&json!({"kind": "old_card", "number": "A-17"})));

    // The search finds a member by each number, whatever its case.
    for n in ["2025001", "0051234567"] {
        assert_eq!(member_named(&app, n).await["id"], id);
    }
    assert_eq!(member_named(&app, "a-17").await["id"], budi["id"]);

    // The desk lends on the NISN; holds take it too.
    let book = app.book("Buku Pinjam").await;
    app.copy(book, "L1").await;
    let loan = app.checkout("L1", "0051234567").await.expect(201);
    assert_eq!(loan["member_id"], id);
    assert_eq!(app.checkout("L1", "0051234569").await.status, 404, "a number nobody has");
    app.checkout("L1", "P12345675").await.problem(422, "validation");
    let hold = app.post("/api/v1/holds", Some(&app.admin), json!({"book_id": book, "card_number": "A-17"})).await;
    assert_eq!(hold.expect(201)["member_id"], budi["id"]);

    // The kiosk greets a member who scans their NIS.
    app.post(
        "/api/v1/users",
        Some(&app.admin),
        json!({"username": "kios_pintu", "password": "kiosk-password", "role": "kiosk"}),
    )
    .await
    .expect(201);
    let kiosk = app.login("kios_pintu", "kiosk-password").await;
    let visit = app
        .post(
            "/api/v1/visits",
            Some(&kiosk),
            json!({"client_id": uuid::Uuid::new_v4().to_string(), "card_number": "2025002"}),
        )
        .await
        .expect(201);
    assert_eq!(visit["greeting"], "Budi");

    // Numbers given by hand: unique across members (422 naming the field), idempotent for one.
    let path = format!("/api/v1/members/{id}/numbers");
    let p = app
        .post(&path, Some(&app.admin), json!({"kind": "old_card", "number": "a-17"}))
        .await
        .problem(422, "validation");
    assert_eq!(p["errors"][0]["field"], "number", "{p:#}");
    assert_eq!(p["errors"][0]["code"], "number_taken", "{p:#}");
    let p = app.post(&path, Some(&app.admin), json!({"kind": "ktp", "number": "1 2"})).await.problem(422, "validation");
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["kind", "number"]);
    let added = app.post(&path, Some(&app.admin), json!({"kind": "old_card", "number": "k-0042"})).await.expect(201);
    assert_eq!(added["other_numbers"].as_array().unwrap().len(), 3);
    app.post(&path, Some(&app.admin), json!({"kind": "old_card", "number": "K-0042"})).await.expect(201);
    assert_eq!(member_named(&app, "K-0042").await["id"], id);
    let removed = app.delete(&format!("{path}/K-0042"), Some(&app.admin)).await.expect(200);
    assert_eq!(removed["other_numbers"].as_array().unwrap().len(), 2);
    assert_eq!(app.delete(&format!("{path}/K-0042"), Some(&app.admin)).await.status, 404);

    // A sheet row whose number another member has is that row's error, naming the field.
    let r = members(&app, "Nama;NISN\nOrang Lain;0051234567\n".as_bytes(), false).await;
    assert_eq!((r.members_created, r.members_existing), (0, 1), "the NISN's member: {r:#?}");
    let r = members(&app, "Nama;NIS;NISN\nSiti Aminah;2025001;0051234568\n".as_bytes(), false).await;
    assert_eq!(lines(&r), [(2, "nisn")], "{r:#?}");
    // Deleting a member lets their numbers go.
    let (gone, _) = app.member("Sebentar", "public").await;
    app.post(&format!("/api/v1/members/{gone}/numbers"), Some(&app.admin), json!({"kind": "nis", "number": "X1"}))
        .await
        .expect(201);
    app.delete(&format!("/api/v1/members/{gone}"), Some(&app.admin)).await.expect(204);
    app.post(&path, Some(&app.admin), json!({"kind": "nis", "number": "X1"})).await.expect(201);
}

async fn a_corrected_student_list_updates_the_same_students(app: TestApp) {
    let first = "Nama;NIPD;NISN;Tanggal Lahir;HP;Rombel Saat Ini\n\
                 Siti Aminah;2025001;0051234567;2012-03-14;;7A\n\
                 Budi Santoso;2025002;;2012-05-01;;7A\n\
                 Ani Lestari;;;2012-07-09;0812-1111-2222;7B\n\
                 Eko Prasetyo;2025004;0051234570;12/11/2011;;7B\n";
    let r = members(&app, first.as_bytes(), false).await;
    assert!(r.errors.is_empty(), "{r:#?}");
    assert_eq!(r.members_created, 4);
    assert_eq!(member_named(&app, "Eko").await["birth_date"], "2011-11-12");

    // The school sends the list again, corrected: Budi's NISN filled in and his class changed,
    // Siti's name written another way (her NIPD is hers), Eko's date of birth put right, Ani
    // (no numbers) found by her name and date of birth though her phone changed.
    let corrected = "Nama;NIPD;NISN;Tanggal Lahir;HP;Rombel Saat Ini\n\
                     SITI AMINAH;2025001;0051234567;2012-03-14;;7A\n\
                     Budi Santoso;2025002;0051234568;2012-05-01;;7C\n\
                     Ani Lestari;;;2012-07-09;0813-9999-0000;7B\n\
                     Eko Prasetyo;2025004;0051234570;2011-11-21;;7B\n";
    let dry = members(&app, corrected.as_bytes(), true).await;
    assert_eq!(
        (dry.members_created, dry.members_existing, dry.members_regraded, dry.members_corrected, dry.numbers_created),
        (0, 4, 1, 1, 1),
        "{dry:#?}"
    );
    let done = members(&app, corrected.as_bytes(), false).await;
    assert!(done.errors.is_empty(), "{done:#?}");
    assert_eq!(
        (
            done.members_created,
            done.members_existing,
            done.members_regraded,
            done.members_corrected,
            done.numbers_created
        ),
        (0, 4, 1, 1, 1)
    );
    assert_eq!(app.get("/api/v1/members", Some(&app.admin)).await.expect(200)["total"], 4, "no one twice");
    let budi = member_named(&app, "Budi").await;
    assert_eq!((budi["grade"].as_str(), budi["birth_date"].as_str()), (Some("7C"), Some("2012-05-01")));
    assert_eq!(member_named(&app, "0051234568").await["id"], budi["id"]);
    assert_eq!(member_named(&app, "Eko").await["birth_date"], "2011-11-21");

    // Once more: nothing changes.
    let again = members(&app, corrected.as_bytes(), false).await;
    assert_eq!(
        (
            again.members_created,
            again.members_existing,
            again.members_regraded,
            again.members_corrected,
            again.numbers_created
        ),
        (0, 4, 0, 0, 0)
    );
}

async fn a_wrong_category_is_a_422_naming_the_field(app: TestApp) {
    let sheet = b"Nama;NIS\nSiti;1\n";
    for dry_run in ["true", "false"] {
        let r = app
            .upload(&format!("/api/v1/import/members?dry_run={dry_run}&default_category=siswa_baru"), &app.admin, sheet)
            .await;
        let p = r.problem(422, "validation");
        assert_eq!(p["errors"][0]["field"], "default_category", "{p:#}");
        assert_eq!(p["errors"][0]["code"], "unknown_category", "{p:#}");
        assert!(p["errors"][0]["message"].as_str().unwrap().contains("student"), "lists the categories: {p:#}");
        let r = app
            .upload(&format!("/api/v1/import/members?dry_run={dry_run}&categories=Siswa=murid"), &app.admin, sheet)
            .await;
        assert_eq!(r.problem(422, "validation")["errors"][0]["field"], "categories");
    }
    let jobs = app.get("/api/v1/import/jobs", Some(&app.admin)).await.expect(200);
    assert_eq!(jobs, json!([]), "no job was started");
    assert_eq!(app.get("/api/v1/members", Some(&app.admin)).await.expect(200)["total"], 0);
}

async fn row_reasons_are_in_the_library_language(app: TestApp) {
    let sheet = "Judul;Tahun;Jumlah Eks.\nBuku Baik;2001;1\n;2002;1\nBuku Lain;abad;1\nBuku Ketiga;2003;dua rak\n";
    let report = app.import_file("/api/v1/import/books?dry_run=true", sheet.as_bytes()).await;
    let reasons: Vec<&str> =
        report["errors"].as_array().unwrap().iter().map(|e| e["reason"].as_str().unwrap()).collect();
    assert_eq!(
        reasons,
        [
            "Judul wajib diisi.",
            "\"abad\" bukan tahun",
            "jumlah eksemplar harus bilangan bulat dari 0 sampai 500 (misalnya 2 atau 2 eks)"
        ],
        "{report:#}"
    );
    assert_eq!(report["copies_created"], 1, "{report:#}");
    let report = app.import_file("/api/v1/import/books?dry_run=true&lang=en", sheet.as_bytes()).await;
    assert_eq!(report["errors"][1]["reason"], "\"abad\" is not a year");
}

/// The school's two files as `scripts/make-moving-in-files.py` writes them: the Excel book list
/// (title rows, Indonesian headers, `2 eks`, a totals row and a signature) and the
/// administration system's student export (five title rows, `NIPD`, `NISN`, `Rombel Saat Ini`,
/// dates of birth as dates).
struct SchoolFiles {
    books: Vec<u8>,
    students: Vec<u8>,
}

/// (title, author, publisher, city, year, class, copies as written, shelf, source)
type BookRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const BOOK_ROWS: &[BookRow] = &[
    ("Laskar Pelangi", "Andrea Hirata", "Bentang Pustaka", "Yogyakarta", "2005", "899.221", "2 eks", "Rak A1", "BOS"),
    (
        "Bumi Manusia",
        "Pramoedya Ananta Toer",
        "Hasta Mitra",
        "Jakarta",
        "1980",
        "899.221",
        "3 buah",
        "Rak A1",
        "Hadiah",
    ),
    (
        "Matematika SMP/MTs Kelas VII",
        "Tim Kemendikbud",
        "Kemendikbud",
        "Jakarta",
        "2017",
        "510",
        "30",
        "Rak Paket",
        "BOS",
    ),
    (
        "Ensiklopedia Sains untuk Pelajar",
        "Tim Penyusun",
        "Lentera Abadi",
        "Jakarta",
        "2010",
        "503",
        "1 eks",
        "Referensi",
        "Hadiah",
    ),
    (
        "Ronggeng Dukuh Paruk",
        "Ahmad Tohari",
        "Gramedia Pustaka Utama",
        "Jakarta",
        "c1982",
        "899.221",
        "2 (dua)",
        "Rak A2",
        "BOS",
    ),
    (
        "Negeri 5 Menara",
        "Ahmad Fuadi",
        "Gramedia Pustaka Utama",
        "Jakarta",
        "2009",
        "899.221",
        "2 eks",
        "Rak A2",
        "BOS",
    ),
    (
        "Kamus Besar Bahasa Indonesia",
        "Tim Penyusun KBBI",
        "Balai Pustaka",
        "Jakarta",
        "2008",
        "499.221 03",
        "1 eks",
        "Referensi",
        "BOS",
    ),
    ("Atlas Indonesia dan Dunia", "", "Karya Pembina Swadaya", "Jakarta", "2015", "912", "1", "Referensi", "Hadiah"),
    ("Si Kancil dan Buaya", "", "Balai Pustaka", "Jakarta", "1995", "398.2", "4 eks", "Rak B1", "Hadiah"),
    (
        "IPA Terpadu SMP Kelas VIII",
        "Tim Kemendikbud",
        "Kemendikbud",
        "Jakarta",
        "2017",
        "507",
        "25 buah",
        "Rak Paket",
        "BOS",
    ),
];

/// (name, NIPD, sex, NISN, place of birth, date of birth, class)
type StudentRow = (&'static str, &'static str, &'static str, &'static str, &'static str, (u16, u8, u8), &'static str);

const STUDENT_ROWS: &[StudentRow] = &[
    ("Adi Nugroho", "2526001", "L", "0121234501", "Sleman", (2013, 1, 5), "7A"),
    ("Bela Putri Anggraini", "2526002", "P", "0121234502", "Yogyakarta", (2012, 11, 23), "7A"),
    ("Citra Dewi", "2526003", "P", "0121234503", "Bantul", (2013, 3, 14), "7A"),
    ("Dimas Saputra", "2526004", "L", "0121234504", "Sleman", (2012, 8, 30), "7B"),
    ("Eka Rahmawati", "2526005", "P", "0121234505", "Klaten", (2013, 6, 2), "7B"),
    ("Fajar Hidayat", "2526006", "L", "0121234506", "Sleman", (2012, 12, 17), "7B"),
    ("Gita Maharani", "2526007", "P", "", "Magelang", (2013, 2, 9), "7C"),
    ("Hendra Wijaya", "2526008", "L", "0121234508", "Sleman", (2012, 10, 1), "7C"),
];

fn school_files() -> SchoolFiles {
    let bold = Format::new().set_bold();
    // The book list.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.merge_range(0, 0, 0, 10, "PERPUSTAKAAN SMP NEGERI 1 CONTOH", &bold).unwrap();
    ws.merge_range(1, 0, 1, 10, "DAFTAR INVENTARIS BUKU", &bold).unwrap();
    ws.merge_range(2, 0, 2, 10, "Per 14 Juli 2026", &Format::new()).unwrap();
    let header = [
        "No.",
        "Judul Buku",
        "Pengarang",
        "Penerbit",
        "Kota Terbit",
        "Tahun Terbit",
        "No. Klasifikasi",
        "Jumlah Eks.",
        "Lokasi Rak",
        "Sumber",
        "Keterangan",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(4, c as u16, *h, &bold).unwrap();
    }
    let mut total = 0;
    for (i, (title, author, publisher, city, year, class, copies, shelf, source)) in BOOK_ROWS.iter().enumerate() {
        let r = 5 + i as u32;
        ws.write_number(r, 0, (i + 1) as f64).unwrap();
        for (c, v) in [(1, title), (2, author), (3, publisher), (4, city), (6, class), (8, shelf), (9, source)] {
            if !v.is_empty() {
                ws.write_string(r, c, *v).unwrap();
            }
        }
        match year.parse::<f64>() {
            Ok(y) => ws.write_number(r, 5, y).unwrap(),
            Err(_) => ws.write_string(r, 5, *year).unwrap(),
        };
        match copies.parse::<f64>() {
            Ok(n) => ws.write_number(r, 7, n).unwrap(),
            Err(_) => ws.write_string(r, 7, *copies).unwrap(),
        };
        total += copies.split(' ').next().unwrap().parse::<u32>().unwrap();
    }
    let last = 5 + BOOK_ROWS.len() as u32;
    ws.merge_range(last, 0, last, 6, "JUMLAH", &bold).unwrap();
    ws.write_number_with_format(last, 7, f64::from(total), &bold).unwrap();
    ws.write_string(last + 2, 8, "Contoh, 14 Juli 2026").unwrap();
    ws.write_string(last + 3, 8, "Kepala Perpustakaan").unwrap();
    ws.write_string(last + 6, 8, "Sri Wahyuni, S.Pd.").unwrap();
    ws.write_string(last + 7, 8, "NIP. 19800101 200501 2 001").unwrap();
    let books = wb.save_to_buffer().unwrap();

    // The student export.
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.write_string_with_format(0, 0, "Daftar Peserta Didik", &bold).unwrap();
    ws.write_string(1, 0, "SMP NEGERI 1 CONTOH").unwrap();
    ws.write_string(2, 0, "Kecamatan Depok, Kabupaten Sleman, Provinsi D.I. Yogyakarta").unwrap();
    ws.write_string(3, 0, "Tanggal Unduh: 2026-07-14 08:01:22").unwrap();
    ws.write_string(4, 0, "Pengunduh: operator@smpn1contoh.sch.id").unwrap();
    let header = [
        "No",
        "Nama",
        "NIPD",
        "JK",
        "NISN",
        "Tempat Lahir",
        "Tanggal Lahir",
        "NIK",
        "Agama",
        "Alamat",
        "Rombel Saat Ini",
    ];
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(5, c as u16, *h, &bold).unwrap();
    }
    let date = Format::new().set_num_format("yyyy-mm-dd");
    for (i, (name, nipd, sex, nisn, place, (y, m, d), class)) in STUDENT_ROWS.iter().enumerate() {
        let r = 6 + i as u32;
        ws.write_number(r, 0, (i + 1) as f64).unwrap();
        for (c, v) in [(1, name), (2, nipd), (3, sex), (4, nisn), (5, place), (10, class)] {
            if !v.is_empty() {
                ws.write_string(r, c, *v).unwrap();
            }
        }
        ws.write_datetime_with_format(r, 6, ExcelDateTime::from_ymd(*y, *m, *d).unwrap(), &date).unwrap();
        ws.write_string(r, 7, format!("34040{:011}", i + 1)).unwrap();
        ws.write_string(r, 8, "Islam").unwrap();
        ws.write_string(r, 9, "Jl. Kaliurang Km 5").unwrap();
    }
    let students = wb.save_to_buffer().unwrap();
    SchoolFiles { books, students }
}

async fn generated_school_files_import_with_no_edits(app: TestApp) {
    let files = school_files();
    let copies: u64 = BOOK_ROWS.iter().map(|b| b.6.split(' ').next().unwrap().parse::<u64>().unwrap()).sum();
    let n = BOOK_ROWS.len() as u64;

    let dry = books(&app, &files.books, true).await;
    assert!(dry.errors.is_empty(), "{dry:#?}");
    assert!(dry.ignored_columns.is_empty(), "{:?}", dry.ignored_columns);
    assert_eq!((dry.header_line, dry.rows, dry.rows_skipped), (5, BOOK_ROWS.len(), 5), "{dry:#?}");
    assert_eq!((dry.books_created, dry.copies_created), (n, copies));
    let done = books(&app, &files.books, false).await;
    assert_eq!((done.books_created, done.copies_created, done.errors.len()), (n, copies, 0));
    let again = books(&app, &files.books, false).await;
    assert_eq!((again.books_created, again.books_existing, again.copies_created, again.copies_existing), (0, n, 0, 0));
    let stats = app.get("/api/v1/stats", Some(&app.admin)).await.expect(200);
    assert_eq!((stats["books"].as_u64(), stats["copies"].as_u64()), (Some(n), Some(copies)));

    let students = STUDENT_ROWS.len() as u64;
    let with_nisn = STUDENT_ROWS.iter().filter(|s| !s.3.is_empty()).count() as u64;
    let dry = members(&app, &files.students, true).await;
    assert!(dry.errors.is_empty(), "{dry:#?}");
    assert_eq!((dry.header_line, dry.rows, dry.rows_skipped), (6, STUDENT_ROWS.len(), 0), "{dry:#?}");
    assert_eq!((dry.members_created, dry.numbers_created), (students, students + with_nisn));
    let done = members(&app, &files.students, false).await;
    assert_eq!((done.members_created, done.numbers_created, done.errors.len()), (students, students + with_nisn, 0));
    let again = members(&app, &files.students, false).await;
    assert_eq!(
        (
            again.members_created,
            again.members_existing,
            again.members_regraded,
            again.members_corrected,
            again.numbers_created
        ),
        (0, students, 0, 0, 0)
    );
    assert_eq!(app.get("/api/v1/members", Some(&app.admin)).await.expect(200)["total"].as_u64(), Some(students));
    let bela = member_named(&app, "0121234502").await;
    assert_eq!(
        (bela["name"].as_str(), bela["grade"].as_str(), bela["birth_date"].as_str()),
        (Some("Bela Putri Anggraini"), Some("7A"), Some("2012-11-23"))
    );
    // Her NIPD is her card at the desk.
    let book = app.get("/api/v1/books?q=Laskar", None).await.expect(200)["items"][0]["id"].as_i64().unwrap();
    app.copy(book, "T-1").await;
    assert_eq!(app.checkout("T-1", "2526002").await.expect(201)["member_id"], bela["id"]);
}

async fn a_birth_date_is_set_and_cleared_on_the_member(app: TestApp) {
    let (id, _) = app.member("Siti Aminah", "student").await;
    let path = format!("/api/v1/members/{id}");
    let admin = Some(app.admin.as_str());
    let m = app.patch(&path, admin, json!({ "birth_date": "2012-03-04" })).await.expect(200);
    assert_eq!(m["birth_date"], "2012-03-04");
    let tomorrow = (app.today() + chrono::Duration::days(1)).to_string();
    let bad = app.patch(&path, admin, json!({ "birth_date": tomorrow })).await.problem(422, "validation");
    assert_eq!(
        (bad["errors"][0]["field"].as_str(), bad["errors"][0]["code"].as_str()),
        (Some("birth_date"), Some("out_of_range"))
    );
    let bad = app.patch(&path, admin, json!({ "birth_date": "4 Maret 2012" })).await;
    assert_eq!(bad.status, 422, "{:#}", bad.body);
    let m = app.patch(&path, admin, json!({ "name": "Siti Aminah" })).await.expect(200);
    assert_eq!(m["birth_date"], "2012-03-04", "untouched");
    let m = app.patch(&path, admin, json!({ "birth_date": null })).await.expect(200);
    assert!(m["birth_date"].is_null());
}
