//! Moving in from SLiMS (issue #13): a SLiMS-shaped database (our own fixture below: the tables
//! and columns of SLiMS 9 Bulian's `install/senayan.sql` that the import reads, filled with the
//! messes old SLiMS databases have) is built on the test MariaDB server, then imported into a
//! Pustaka on SQLite and on MariaDB in turn. Without `PUSTAKA_TEST_MARIADB_URL` there is no server
//! to build the SLiMS database on, and these tests say so and pass without running.

use crate::common;

use common::{TestApp, TestDatabase};
use pustaka::{
    import::slims::{self, SlimsOptions},
    store::{import::Report, Actor},
};
use serde_json::{json, Value};

contract!(
    dry_run_then_import_then_nothing_changes,
    an_explicit_map_still_wins,
    an_older_slims_without_birth_dates_or_type_rules_still_comes_over,
    an_unreachable_slims_is_one_clear_error,
    a_school_slims_of_ten_years_imports_and_reconciles,
);

/// The command as a librarian types it: `pustaka import slims`, then `pustaka export`, on an
/// SQLite file of its own.
#[test]
fn the_command_line_end_to_end() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(src) = rt.block_on(Slims::create()) else { return eprintln!("{SKIPPED}") };
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display());
    let map = dir.path().join("tipe.txt");
    std::fs::write(&map, "Standard = public\n").unwrap();
    let pustaka = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pustaka"))
            .args(args)
            .env("PUSTAKA_DATABASE_URL", &db)
            .env("PUSTAKA_ADMIN_PASSWORD", "admin-test-password")
            .env("PUSTAKA_PASSWORD_HASH_MEMORY_KIB", "64")
            .env("PUSTAKA_PASSWORD_HASH_ITERATIONS", "1")
            .output()
            .expect("run pustaka")
    };
    let dry = pustaka(&["import", "slims", "--from", &src.db.url, "--dry-run", "--json"]);
    assert_eq!(dry.status.code(), Some(2), "some rows are refused: {}", String::from_utf8_lossy(&dry.stderr));
    let report: Value = serde_json::from_slice(&dry.stdout).expect("a JSON report");
    assert_eq!((report["dry_run"].as_bool(), report["books_created"].as_i64()), (Some(true), Some(6)));
    let done = pustaka(&["import", "slims", "--from", &src.db.url, "--category-map", map.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&done.stdout);
    // The report is in Bahasa Indonesia unless asked otherwise (#28).
    assert!(text.contains("pemetaan: member type Standard -> public"), "{text}");
    assert!(text.contains("anggota: 4 baru, 0 sudah ada (tidak diubah)"), "{text}");
    assert!(text.contains("rekonsiliasi, SLiMS = Pustaka + tidak diimpor + digabung:"), "{text}");
    assert!(text.lines().any(|l| l.ends_with("baris tidak diimpor")), "{text}");
    assert!(!text.contains("already there"), "{text}");
    // Not a terminal: no bar, a line at the end of each stage (and every 25 batches).
    let progress = String::from_utf8_lossy(&done.stderr);
    for line in ["importing books: 6/6 (100%)", "importing members: 4/4 (100%)"] {
        assert!(progress.lines().any(|l| l == line), "{line:?} in {progress}");
    }
    let english = pustaka(&[
        "import",
        "slims",
        "--from",
        &src.db.url,
        "--category-map",
        map.to_str().unwrap(),
        "--dry-run",
        "--lang",
        "en",
    ]);
    let english = String::from_utf8_lossy(&english.stdout);
    assert!(english.starts_with("DRY RUN, nothing was written."), "{english}");
    assert!(english.contains("members: 0 new, 4 already there (unchanged)"), "{english}");
    assert!(english.contains("mapping: member type Standard -> public"), "{english}");
    let again = pustaka(&["import", "slims", "--from", &src.db.url, "--category-map", map.to_str().unwrap(), "--json"]);
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!((again["books_created"].as_i64(), again["loans_created"].as_i64()), (Some(0), Some(0)));
    let csv = pustaka(&["export", "books"]);
    assert!(csv.status.success());
    let csv = String::from_utf8(csv.stdout).unwrap();
    assert!(
        csv.starts_with("\u{feff}source id,isbn,title") && csv.contains("slims:1,9789799731234,Bumi Manusia"),
        "{csv}"
    );
    let xml = pustaka(&["export", "books", "--format", "marcxml"]);
    let xml = String::from_utf8(xml.stdout).unwrap();
    assert_eq!(xml.matches("<record>").count(), 6, "{xml}");
    let bad = pustaka(&["export", "members", "--format", "mrc"]);
    assert_eq!(bad.status.code(), Some(1));
}

/// The SLiMS tables, as much of them as the import reads (column names and types as SLiMS has
/// them; SLiMS's own tables have more columns).
const SCHEMA: &[&str] = &[
    "CREATE TABLE biblio (biblio_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, title text NOT NULL, \
     edition varchar(50) DEFAULT NULL, isbn_issn varchar(32) DEFAULT NULL, publisher_id int(11) DEFAULT NULL, \
     publish_year varchar(20) DEFAULT NULL, collation varchar(50) DEFAULT NULL, series_title varchar(200) DEFAULT NULL, \
     call_number varchar(50) DEFAULT NULL, language_id char(5) DEFAULT 'en', publish_place_id int(11) DEFAULT NULL, \
     classification varchar(40) DEFAULT NULL, notes text, gmd_id int(11) DEFAULT NULL) \
     ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
    "CREATE TABLE mst_gmd (gmd_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, gmd_code varchar(3) DEFAULT NULL, \
     gmd_name varchar(30) NOT NULL) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
    "CREATE TABLE mst_coll_type (coll_type_id int(3) NOT NULL AUTO_INCREMENT PRIMARY KEY, coll_type_name varchar(30) NOT NULL) \
     ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
    "CREATE TABLE biblio_author (biblio_id int(11) NOT NULL DEFAULT 0, author_id int(11) NOT NULL DEFAULT 0, \
     level int(1) NOT NULL DEFAULT 1, PRIMARY KEY (biblio_id, author_id)) ENGINE=MyISAM DEFAULT CHARSET=utf8",
    "CREATE TABLE mst_author (author_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, author_name varchar(100) NOT NULL) \
     ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
    "CREATE TABLE biblio_topic (biblio_id int(11) NOT NULL DEFAULT 0, topic_id int(11) NOT NULL DEFAULT 0, \
     level int(1) NOT NULL DEFAULT 1, PRIMARY KEY (biblio_id, topic_id)) ENGINE=MyISAM DEFAULT CHARSET=utf8",
    "CREATE TABLE mst_topic (topic_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, topic varchar(50) NOT NULL) \
     ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
    "CREATE TABLE mst_publisher (publisher_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, publisher_name varchar(100) NOT NULL) \
     ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
    "CREATE TABLE mst_place (place_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, place_name varchar(30) NOT NULL) \
     ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
    "CREATE TABLE mst_language (language_id char(5) NOT NULL PRIMARY KEY, language_name varchar(20) NOT NULL) \
     ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
    "CREATE TABLE item (item_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, biblio_id int(11) DEFAULT NULL, \
     item_code varchar(20) DEFAULT NULL, location_id varchar(3) DEFAULT NULL, item_status_id char(3) DEFAULT NULL, \
     price int(11) DEFAULT NULL, coll_type_id int(3) DEFAULT NULL, UNIQUE KEY item_code (item_code)) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
    "CREATE TABLE mst_location (location_id varchar(3) NOT NULL PRIMARY KEY, location_name varchar(100) DEFAULT NULL) \
     ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
    "CREATE TABLE mst_item_status (item_status_id char(3) NOT NULL PRIMARY KEY, item_status_name varchar(30) NOT NULL) \
     ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
    "CREATE TABLE member (member_id varchar(20) NOT NULL PRIMARY KEY, member_name varchar(100) NOT NULL, \
     member_type_id int(6) DEFAULT NULL, member_email varchar(100) DEFAULT NULL, member_phone varchar(50) DEFAULT NULL, \
     expire_date date NOT NULL, birth_date date DEFAULT NULL) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
    "CREATE TABLE mst_member_type (member_type_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, \
     member_type_name varchar(50) NOT NULL, loan_limit int(11) NOT NULL, loan_periode int(11) NOT NULL, \
     enable_reserve int(1) NOT NULL DEFAULT 0, reserve_limit int(11) NOT NULL DEFAULT 0, member_periode int(11) NOT NULL, \
     reborrow_limit int(11) NOT NULL, fine_each_day int(11) NOT NULL, grace_periode int(2) DEFAULT 0, \
     UNIQUE KEY member_type_name (member_type_name)) ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
    "CREATE TABLE loan (loan_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, item_code varchar(20) DEFAULT NULL, \
     member_id varchar(20) DEFAULT NULL, loan_date date NOT NULL, due_date date NOT NULL, renewed int(11) NOT NULL DEFAULT 0, \
     is_lent int(11) NOT NULL DEFAULT 0, is_return int(11) NOT NULL DEFAULT 0, return_date date DEFAULT NULL) \
     ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
    "CREATE TABLE visitor_count (visitor_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, member_id varchar(20) DEFAULT NULL, \
     member_name varchar(255) NOT NULL, institution varchar(100) DEFAULT NULL, checkin_date datetime NOT NULL) \
     ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
    "CREATE TABLE fines (fines_id int(11) NOT NULL AUTO_INCREMENT PRIMARY KEY, fines_date date NOT NULL, \
     member_id varchar(20) NOT NULL, debet int(11) DEFAULT 0, credit int(11) DEFAULT 0, description varchar(255) DEFAULT NULL) \
     ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
];

/// A small school library's SLiMS, with the usual mess.
const ROWS: &[&str] = &[
    "INSERT INTO mst_publisher VALUES (1, 'Hasta Mitra'), (2, 'Gramedia Pustaka Utama'), (3, 'PenerbitÃ© Lama')",
    "INSERT INTO mst_place VALUES (1, 'Jakarta'), (2, 'Yogyakarta')",
    "INSERT INTO mst_language VALUES ('id', 'Indonesia'), ('en', 'English'), ('jawa', 'Jawa Kuno')",
    "INSERT INTO mst_author VALUES (1, 'Pramoedya Ananta Toer'), (2, 'Ahmad Tohari'), (3, 'Andrea Hirata'), \
     (4, 'Penyunting, Tim'), (5, 'Dinas Pendidikan')",
    "INSERT INTO mst_topic VALUES (1, 'Novel'), (2, 'Sastra Indonesia'), (3, 'Pendidikan')",
    // 1: ISBN-10 with dashes; \\r\\n in the notes. 2: ISBN-10 without dashes, mojibake title.
    // 3: a line break inside the title. 4: the same ISBN as 1 (a second record of the same book).
    // 5: an ISSN. 6: junk in isbn_issn and an odd year. 7: no title. 8: a language with no ISO code.
    "INSERT INTO biblio (biblio_id, title, edition, isbn_issn, publisher_id, publish_year, collation, series_title, \
     call_number, language_id, publish_place_id, classification, notes) VALUES \
     (1, 'Bumi Manusia', 'Cet. 3', '979-97312-3-2', 1, 'c1980', '535 hlm. ; 20 cm', 'Tetralogi Buru', '899.221 TOE b', 'id', 1, '899.221', 'Cetakan pertama.\\r\\nHadiah alumni.'), \
     (2, 'Ronggeng Dukuh Paruk: CafÃ© Edition', NULL, '9793312637', 2, '1982', NULL, NULL, '899.221 TOH r', 'id', 1, '899.221', NULL), \
     (3, 'Laskar\\r\\nPelangi', NULL, '978-602-03-1234-7', 2, '[2005]', NULL, NULL, '899.221 HIR l', 'id', 2, NULL, NULL), \
     (4, 'Bumi Manusia (cetakan ulang)', NULL, '9789799731234', 1, '2005', NULL, NULL, NULL, 'id', NULL, NULL, NULL), \
     (5, 'Jurnal Pendidikan Dasar', NULL, '0216-3195', 3, '2019', NULL, NULL, '370 JUR', 'id', NULL, '370', NULL), \
     (6, 'Modul Praktikum', NULL, 'ISBN: belum ada', NULL, 'tanpa tahun', NULL, NULL, NULL, 'en', NULL, NULL, NULL), \
     (7, '', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'id', NULL, NULL, NULL), \
     (8, 'Serat Centhini', NULL, NULL, NULL, '1814', NULL, NULL, NULL, 'jawa', NULL, NULL, NULL)",
    // Authors: level 1 first, whatever order they were entered in.
    "INSERT INTO biblio_author VALUES (1, 1, 1), (2, 2, 1), (3, 4, 2), (3, 3, 1), (5, 5, 1), (4, 1, 1)",
    "INSERT INTO biblio_topic VALUES (1, 2, 1), (1, 1, 1), (2, 1, 1), (5, 3, 1)",
    "INSERT INTO mst_location VALUES ('SL', 'Rak Sastra'), ('REF', 'Ruang Referensi')",
    // SLiMS's three statuses and a library's own (Pameran: on show at an exhibition).
    "INSERT INTO mst_item_status VALUES ('R', 'Repair'), ('NL', 'No Loan'), ('MIS', 'Missing'), ('PMR', 'Pameran')",
    // Items: 4 points at a record that is gone, 5 has no item code, 7 belongs to the record with
    // no title, 9 has a code no scanner can type; 10 and 12 have the library's own status, 11 one
    // that is not in mst_item_status at all.
    "INSERT INTO item (item_id, biblio_id, item_code, location_id, item_status_id, price) VALUES \
     (1, 1, 'B001', 'SL', NULL, 85000), (2, 1, 'B002', 'SL', 'MIS', 0), (3, 4, 'B003', 'SL', '0', NULL), \
     (4, 99, 'B099', 'SL', NULL, NULL), (5, 2, NULL, 'REF', NULL, 60000), (6, 3, 'B006', 'XX', 'R', NULL), \
     (7, 7, 'B007', NULL, NULL, NULL), (8, 5, 'J001', 'REF', 'NL', -5), (9, 2, 'B 009', NULL, NULL, NULL), \
     (10, 8, 'C010', 'SL', 'PMR', NULL), (11, 8, 'C011', NULL, 'Z', NULL), (12, 8, 'C012', NULL, 'PMR', NULL)",
    // Collection types: Bumi Manusia's items are Fiksi; Serat Centhini's first is the library's
    // own Muatan Lokal (not in Pustaka: made); the Modul is a video by its GMD.
    "INSERT INTO mst_coll_type VALUES (1, 'Fiksi'), (2, 'Referensi'), (3, 'Muatan Lokal')",
    "UPDATE item SET coll_type_id = 1 WHERE item_id IN (1, 2, 3)",
    "UPDATE item SET coll_type_id = 3 WHERE item_id = 10",
    "INSERT INTO mst_gmd VALUES (1, 'TE', 'Text'), (2, 'VR', 'Video Recording')",
    "UPDATE biblio SET gmd_id = 1",
    "UPDATE biblio SET gmd_id = 2 WHERE biblio_id = 6",
    // Siswa and Guru are Pustaka's categories by name; Standard, SLiMS's own default type, is not:
    // it becomes a category with these rules (2 loans, 10 days, 1 renewal, Rp 500 a day, 2 days' grace).
    "INSERT INTO mst_member_type (member_type_id, member_type_name, loan_limit, loan_periode, member_periode, \
     reborrow_limit, fine_each_day, grace_periode) VALUES \
     (1, 'Siswa', 3, 7, 365, 1, 500, 0), (2, 'Guru', 10, 14, 365, 2, 0, 0), (3, 'Standard', 2, 10, 365, 1, 500, 2)",
    // Members: a zero expiry date, a SLiMS id that is a valid Pustaka card, mojibake and a bad
    // email, a line break in a name, SLiMS's default type (Standard); birth dates, one of them zero.
    "INSERT INTO member VALUES \
     ('M0001', 'Siti Aminah', 1, 'siti@example.org', '0812-1111-2222', '2027-12-31', '2012-03-04'), \
     ('P12345674', 'Budi Santoso', 2, NULL, NULL, '0000-00-00', '0000-00-00'), \
     ('M0003', 'Dewi LestarÃ¯', 3, 'bukan email', NULL, '2026-01-31', NULL), \
     ('M0004', 'Rudi\\r\\nHartono', 1, '', '', '2028-06-30', '2011-12-25')",
    // Loans: 1 and 2 open (2 with a zero loan date), 3 for an item that is gone, 4 for the
    // unmapped member, 5 returned (late), 6 for a member who is gone; the history: 7 returned
    // without a return date, 8 returned for an item that is gone.
    "INSERT INTO loan (loan_id, item_code, member_id, loan_date, due_date, renewed, is_lent, is_return, return_date) VALUES \
     (1, 'B001', 'M0001', '2026-11-20', '2026-11-27', 1, 1, 0, NULL), \
     (2, 'B003', 'P12345674', '0000-00-00', '2026-12-10', 0, 1, 0, NULL), \
     (3, 'B099', 'M0001', '2026-11-25', '2026-12-02', 0, 1, 0, NULL), \
     (4, 'B006', 'M0003', '2026-11-25', '2026-12-02', 0, 1, 0, NULL), \
     (5, 'B002', 'M0001', '2026-10-01', '2026-10-08', 0, 1, 1, '2026-10-09'), \
     (6, 'J001', 'M9999', '2026-11-25', '2026-12-02', 0, 1, 0, NULL), \
     (7, 'B002', 'P12345674', '2026-09-01', '2026-09-08', 0, 1, 1, NULL), \
     (8, 'B099', 'M0001', '2026-08-01', '2026-08-08', 0, 1, 1, '2026-08-05')",
    // The visitor log: Siti at 07:15; a guest from the education office; a member who is gone
    // (a guest by the name SLiMS wrote); a visitor with no name; a zero check-in time.
    "INSERT INTO visitor_count (visitor_id, member_id, member_name, institution, checkin_date) VALUES \
     (1, 'M0001', 'Siti Rahayu', NULL, '2026-10-01 07:15:00'), \
     (2, NULL, 'Pak Tamu', 'Dinas Pendidikan', '2026-10-02 09:00:00'), \
     (3, 'M9999', 'Orang Lama', NULL, '2026-10-03 10:00:00'), \
     (4, NULL, '', NULL, '2026-10-04 10:00:00'), \
     (5, 'M0001', 'Siti Rahayu', NULL, '0000-00-00 00:00:00')",
    // Fines: Siti owes 3000 of 5000; Budi paid his; Dewi (unmapped) owes 2000.
    "INSERT INTO fines (fines_date, member_id, debet, credit, description) VALUES \
     ('2026-10-09', 'M0001', 5000, 0, 'Denda keterlambatan B002'), ('2026-10-10', 'M0001', 0, 2000, 'Bayar'), \
     ('2026-09-01', 'P12345674', 1000, 0, 'Denda'), ('2026-09-02', 'P12345674', 0, 1000, 'Lunas'), \
     ('2026-09-03', 'M0003', 2000, 0, 'Denda keterlambatan')",
];

/// A SLiMS database on the test MariaDB server, dropped with this value.
struct Slims {
    db: TestDatabase,
}

impl Slims {
    /// A SLiMS database made of `statements` (run in order on one connection).
    async fn of(statements: impl IntoIterator<Item = &str>) -> Option<Slims> {
        let db = TestDatabase::create().await?;
        let pool = sqlx::MySqlPool::connect(&db.url).await.expect("connect to the SLiMS fixture");
        let mut c = pool.acquire().await.unwrap();
        for s in statements {
            sqlx::query(s).execute(&mut *c).await.unwrap_or_else(|e| panic!("{e}: {}", &s[..s.len().min(300)]));
        }
        drop(c);
        pool.close().await;
        Some(Slims { db })
    }

    async fn create() -> Option<Slims> {
        let db = TestDatabase::create().await?;
        let pool = sqlx::MySqlPool::connect(&db.url).await.expect("connect to the SLiMS fixture");
        let mut c = pool.acquire().await.unwrap();
        // Old SLiMS servers ran without strict mode: zero dates were stored as they came.
        sqlx::query("SET SESSION sql_mode = ''").execute(&mut *c).await.unwrap();
        for s in SCHEMA.iter().chain(ROWS) {
            sqlx::query(s).execute(&mut *c).await.unwrap_or_else(|e| panic!("{e}: {s}"));
        }
        drop(c);
        pool.close().await;
        Some(Slims { db })
    }

    fn options(&self) -> SlimsOptions {
        SlimsOptions { from: self.db.url.clone(), ..Default::default() }
    }
}

const SKIPPED: &str = "PUSTAKA_TEST_MARIADB_URL is not set: there is no server to build the SLiMS database on; skipped";

async fn run(app: &TestApp, options: &SlimsOptions, dry_run: bool) -> Report {
    slims::import(&app.store, &Actor::system(), options, dry_run, |_, _, _| {}).await.expect("import")
}

fn records(r: &Report) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> =
        r.errors.iter().map(|e| (e.record.clone().unwrap_or_default(), e.field.clone())).collect();
    v.sort();
    v
}

fn strs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = v.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect();
    v.sort();
    v
}

async fn book_by_source(app: &TestApp, source: &str) -> Value {
    let list = app.get("/api/v1/books?per_page=100", None).await.expect(200);
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["source_id"] == source)
        .unwrap_or_else(|| panic!("no book {source}"))
        .clone()
}

async fn member_by_source(app: &TestApp, source: &str) -> Option<Value> {
    let list = app.get("/api/v1/members?per_page=100", Some(&app.admin)).await.expect(200);
    list["items"].as_array().unwrap().iter().find(|m| m["source_id"] == source).cloned()
}

/// The rows that cannot come over, and why; items are named by their item code.
const EXPECTED_ERRORS: &[(&str, &str)] = &[
    ("biblio 7", "title"),
    ("item B099", "biblio_id"),
    ("item B007", "biblio_id"),
    ("item B 009", "item_code"),
    ("loan 3", "item_code"),
    ("loan 6", "member_id"),
    ("loan 8", "item_code"),
    ("visit 4", "member_name"),
    ("visit 5", "checkin_date"),
];

/// What SLiMS's Standard type becomes.
const STANDARD: &str = "member type Standard -> standard (a new category with SLiMS's rules: 2 loans, 10 days, \
                        1 renewals, Rp 500 a day late, 2 days' grace)";

async fn dry_run_then_import_then_nothing_changes(app: TestApp) {
    let Some(src) = Slims::create().await else { return eprintln!("{SKIPPED}") };
    let dry = run(&app, &src.options(), true).await;
    assert!(dry.dry_run);
    assert_eq!((dry.books_created, dry.copies_created, dry.members_created), (6, 9, 4), "{dry:#?}");
    assert_eq!(
        (dry.loans_created, dry.past_loans_created, dry.fines_created, dry.visits_created),
        (3, 2, 3, 3),
        "{dry:#?}"
    );
    assert_eq!(records(&dry), strs(EXPECTED_ERRORS), "{:#?}", dry.errors);
    assert!(dry.mappings.iter().any(|m| m == "member type Siswa -> student"), "{:?}", dry.mappings);
    assert!(dry.mappings.iter().any(|m| m == STANDARD), "{:?}", dry.mappings);
    for status in [
        "MIS (Missing) -> lost",
        "R (Repair) -> withdrawn (off the shelf until it is marked available again)",
        "NL (No Loan) -> available, collection type Referensi (read in the library, never lent)",
        "PMR (Pameran) -> available (a status the import does not know: kept available)",
    ] {
        assert!(dry.mappings.iter().any(|m| *m == format!("item status {status}")), "{status} in {:?}", dry.mappings);
    }
    let pameran = dry.warnings.iter().find(|w| w.record.as_deref() == Some("item status PMR")).unwrap();
    assert!(pameran.reason.contains("on 2 items: kept available"), "{pameran:?}");
    let warned: Vec<(String, String)> =
        dry.warnings.iter().map(|w| (w.record.clone().unwrap_or_default(), w.field.clone())).collect();
    for w in [
        ("biblio 4", "isbn"),
        ("item without a code (SLiMS item_id 5)", "item_code"),
        ("item J001", "price"),
        ("loan 2", "loan_date"),
        ("loan 7", "return_date"),
        ("item status PMR", "item_status_id"),
        ("item status Z", "item_status_id"),
    ] {
        assert!(warned.contains(&(w.0.to_owned(), w.1.to_owned())), "{w:?} in {warned:?}");
    }
    let list = app.get("/api/v1/books", None).await.expect(200);
    assert_eq!(list["total"], 0, "a dry run writes nothing");
    assert_eq!(app.get("/api/v1/members", Some(&app.admin)).await.expect(200)["total"], 0);
    let codes = |c: Value| {
        c["items"].as_array().unwrap().iter().map(|k| k["code"].as_str().unwrap().to_owned()).collect::<Vec<_>>()
    };
    let categories = app.get("/api/v1/categories", Some(&app.admin)).await.expect(200);
    assert_eq!(codes(categories), ["public", "staff", "student"], "nor a category");

    let done = run(&app, &src.options(), false).await;
    assert_eq!(
        (done.books_created, done.copies_created, done.members_created, done.loans_created, done.fines_created),
        (6, 9, 4, 3, 3),
        "{done:#?}"
    );
    assert_eq!(records(&done), records(&dry), "the dry run told the truth");
    assert!(!done.new_cards.is_empty());
    assert_eq!(done.new_cards, dry.new_cards, "the dry run showed the cards the import issued");
    // The reconciliation: every kind of row SLiMS holds is in Pustaka, or listed as not
    // imported (with its reason), or merged; the dry run reconciles the same.
    let recon: Vec<(String, i64, i64, i64, i64, bool)> = done
        .reconciliation
        .iter()
        .map(|r| (r.what.clone(), r.source, r.pustaka, r.refused, r.merged, r.balanced))
        .collect();
    let want: Vec<(String, i64, i64, i64, i64, bool)> = [
        ("records", 8, 6, 1, 1),
        ("items", 12, 9, 3, 0),
        ("members", 4, 4, 0, 0),
        ("open loans", 5, 3, 2, 0),
        ("past loans", 3, 2, 1, 0),
        ("visits", 5, 3, 2, 0),
        ("unpaid fines (Rp)", 5000, 5000, 0, 0),
    ]
    .iter()
    .map(|&(w, a, b, c, d)| (w.to_owned(), a, b, c, d, true))
    .collect();
    assert_eq!(recon, want, "{:#?}", done.reconciliation);
    assert_eq!(dry.reconciliation, done.reconciliation, "the dry run reconciles the same");
    // The loan history came too, with its dates: Siti's late return of B002 and Budi's loan
    // returned without a date in SLiMS (taken as its due day).
    assert_eq!((done.past_loans_created, done.visits_created), (2, 3), "{done:#?}");
    let history = app.get("/api/v1/loans?status=all&barcode=B002", Some(&app.admin)).await.expect(200);
    let mut past: Vec<(String, String, String, String)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            let s = |k: &str| l[k].as_str().unwrap_or("").to_owned();
            (s("card_number"), s("loaned_at"), s("due_at"), s("returned_at"))
        })
        .collect();
    past.sort();
    let siti_card =
        member_by_source(&app, "slims:M0001").await.expect("Siti")["card_number"].as_str().unwrap().to_owned();
    let budi_card =
        member_by_source(&app, "slims:P12345674").await.expect("Budi")["card_number"].as_str().unwrap().to_owned();
    let mut want = vec![
        (
            siti_card,
            "2026-09-30T17:00:00Z".to_owned(),
            "2026-10-08T16:59:59Z".to_owned(),
            "2026-10-09T16:59:59Z".to_owned(),
        ),
        (
            budi_card,
            "2026-08-31T17:00:00Z".to_owned(),
            "2026-09-08T16:59:59Z".to_owned(),
            "2026-09-08T16:59:59Z".to_owned(),
        ),
    ];
    want.sort();
    assert_eq!(past, want, "{history:#}");
    assert_eq!(
        app.get("/api/v1/copies/B002", None).await.expect(200)["status"],
        "lost",
        "history leaves a copy as it is"
    );
    // The visitor log: at its time on the library's clock; Siti as herself (her name as now), the
    // others as guests by the name SLiMS wrote.
    assert_eq!(done.visits_created, 3, "{done:#?}");
    let visits = app.get("/api/v1/visits?from=2026-10-01&to=2026-10-31", Some(&app.admin)).await.expect(200);
    let mut seen: Vec<(String, String, String, String)> = visits
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or("").to_owned();
            (format!("{} {}", s("date"), s("time")), s("category"), s("name"), s("institution"))
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("2026-10-01 07:15".into(), "student".into(), "Siti Aminah".into(), String::new()),
            ("2026-10-02 09:00".into(), "guest".into(), "Pak Tamu".into(), "Dinas Pendidikan".into()),
            ("2026-10-03 10:00".into(), "guest".into(), "Orang Lama".into(), String::new()),
        ],
        "{visits:#}"
    );
    // Collection types: 7 new copies have one (their book's or their own), J001 ("No Loan") is
    // read in the library only, Muatan Lokal was made.
    assert_eq!((done.copies_typed, done.copies_not_for_loan, done.collection_types_created), (7, 1, 1), "{done:#?}");
    assert_eq!(
        (dry.copies_typed, dry.copies_not_for_loan, dry.collection_types_created),
        (7, 1, 1),
        "the dry run counts them too"
    );

    // The catalogue: ISBN-10 with or without dashes became ISBN-13, text repaired.
    let bumi = book_by_source(&app, "slims:1").await;
    assert_eq!(bumi["isbn"], "9789799731234");
    assert_eq!(bumi["authors"], json!(["Pramoedya Ananta Toer"]));
    assert_eq!(bumi["subjects"], json!(["Novel", "Sastra Indonesia"]));
    assert_eq!(bumi["publisher"], "Hasta Mitra");
    assert_eq!(bumi["year"], 1980);
    assert_eq!(bumi["language"], "id");
    assert_eq!(
        (bumi["edition"].as_str(), bumi["call_number"].as_str(), bumi["classification"].as_str()),
        (Some("Cet. 3"), Some("899.221 TOE b"), Some("899.221"))
    );
    assert_eq!(
        (bumi["collation"].as_str(), bumi["series"].as_str()),
        (Some("535 hlm. ; 20 cm"), Some("Tetralogi Buru"))
    );
    assert_eq!(bumi["notes"], "Cetakan pertama.\nHadiah alumni.\nTempat terbit: Jakarta");
    assert_eq!(bumi["copies_total"], 3, "B001, B002 (lost still counts) and the duplicate record's B003");
    let ronggeng = book_by_source(&app, "slims:2").await;
    assert_eq!(ronggeng["isbn"], "9789793312637");
    assert_eq!(ronggeng["title"], "Ronggeng Dukuh Paruk: Café Edition");
    let laskar = book_by_source(&app, "slims:3").await;
    assert_eq!(laskar["title"], "Laskar Pelangi");
    assert_eq!(laskar["authors"], json!(["Andrea Hirata", "Penyunting, Tim"]), "main entry first");
    assert_eq!(laskar["year"], 2005);
    let jurnal = book_by_source(&app, "slims:5").await;
    assert!(jurnal["isbn"].is_null());
    assert_eq!(jurnal["identifiers"], json!(["0216-3195"]), "an ISSN is kept");
    assert_eq!(jurnal["publisher"], "Penerbité Lama");
    let modul = book_by_source(&app, "slims:6").await;
    assert_eq!(modul["identifiers"], json!(["ISBN: belum ada"]), "junk is kept, never dropped");
    assert_eq!(modul["authors"], json!(["Anonim"]));
    assert!(modul["notes"].as_str().unwrap().contains("Tahun terbit: tanpa tahun"));
    let serat = book_by_source(&app, "slims:8").await;
    assert!(serat["language"].is_null());
    assert!(serat["notes"].as_str().unwrap().contains("Bahasa: Jawa Kuno"));
    assert_eq!(app.get("/api/v1/books?q=ronggeng", None).await.expect(200)["total"], 1, "searchable");

    // Items: barcode, location, status, price.
    let b001 = app.get("/api/v1/copies/B001", None).await.expect(200);
    assert_eq!(
        (b001["location"].as_str(), b001["status"].as_str(), b001["price"].as_i64()),
        (Some("Rak Sastra"), Some("on_loan"), Some(85000))
    );
    let b002 = app.get("/api/v1/copies/B002", None).await.expect(200);
    assert_eq!((b002["status"].as_str(), b002["price"].as_i64()), (Some("lost"), None));
    let b003 = app.get("/api/v1/copies/B003", None).await.expect(200);
    assert_eq!(b003["book_id"], bumi["id"]);
    let generated = app.get("/api/v1/copies/SLIMS-5", None).await.expect(200);
    assert_eq!((generated["location"].as_str(), generated["price"].as_i64()), (Some("Ruang Referensi"), Some(60000)));
    let b006 = app.get("/api/v1/copies/B006", None).await.expect(200);
    assert_eq!((b006["location"].as_str(), b006["status"].as_str()), (Some("XX"), Some("on_loan")), "lent to Dewi");
    let j001 = app.get("/api/v1/copies/J001", None).await.expect(200);
    assert_eq!(j001["status"], "available", "on the shelf");
    assert_eq!(j001["collection_type_override"], "referensi", "no loan: read in the library only");
    let (_, card) = app.member("Pembaca", "staff").await;
    app.checkout("J001", &card).await.problem(409, "not_for_loan");
    // Types by SLiMS's collection type and GMD; an item of another type than its book's has its own.
    assert_eq!(bumi["collection_type"], "fiksi");
    assert_eq!(app.get("/api/v1/copies/B003", None).await.expect(200)["collection_type"], "fiksi");
    assert_eq!(book_by_source(&app, "slims:6").await["collection_type"], "av", "a Video Recording");
    assert_eq!(book_by_source(&app, "slims:8").await["collection_type"], "muatan-lokal");
    assert!(jurnal["collection_type"].is_null(), "Text is no type of its own");
    let types = app.get("/api/v1/collection-types", Some(&app.admin)).await.expect(200);
    assert!(types["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["code"] == "muatan-lokal" && t["name"] == "Muatan Lokal"));
    for code in ["C010", "C011", "C012"] {
        assert_eq!(app.get(&format!("/api/v1/copies/{code}"), None).await.expect(200)["status"], "available");
    }
    assert_eq!(app.get("/api/v1/copies/B099", None).await.status, 404);

    // Members: SLiMS id kept; a valid Pustaka card number stays the card, others get a new one.
    let siti = member_by_source(&app, "slims:M0001").await.expect("Siti");
    assert_eq!((siti["category"].as_str(), siti["expires_on"].as_str()), (Some("student"), Some("2027-12-31")));
    assert_eq!((siti["email"].as_str(), siti["phone"].as_str()), (Some("siti@example.org"), Some("0812-1111-2222")));
    assert!(done.new_cards.iter().any(|(old, card)| old == "M0001" && siti["card_number"] == card.as_str()));
    assert_eq!(siti["birth_date"], "2012-03-04", "birth dates come along");
    // Her SLiMS card keeps working: the search (and so the desk) finds her by its number.
    assert_eq!(siti["other_numbers"], json!([{"kind": "slims", "number": "M0001"}]));
    let by_old_card = app.get("/api/v1/members?q=m0001", Some(&app.admin)).await.expect(200);
    assert_eq!(by_old_card["items"][0]["id"], siti["id"], "{by_old_card:#}");
    let budi = member_by_source(&app, "slims:P12345674").await.expect("Budi");
    assert_eq!((budi["card_number"].as_str(), budi["category"].as_str()), (Some("P12345674"), Some("staff")));
    assert!(budi["expires_on"].is_null() && budi["birth_date"].is_null(), "0000-00-00 is no date");
    let rudi = member_by_source(&app, "slims:M0004").await.expect("Rudi");
    assert_eq!(rudi["name"], "Rudi Hartono");
    // SLiMS's Standard type: a category of its own, with its SLiMS rules.
    let dewi = member_by_source(&app, "slims:M0003").await.expect("Dewi");
    assert_eq!(dewi["category"], "standard");
    let standard = app.get("/api/v1/categories", Some(&app.admin)).await.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "standard")
        .cloned()
        .expect("a category standard");
    assert_eq!(
        (&standard["name"], &standard["max_loans"], &standard["loan_days"], &standard["max_renewals"]),
        (&json!("Standard"), &json!(2), &json!(10), &json!(1))
    );
    assert_eq!((&standard["fine_per_day"], &standard["overdue_grace_days"]), (&json!(500), &json!(2)));

    // Open loans with their dates; Siti's unpaid balance.
    let loans = app.get(&format!("/api/v1/members/{}/loans", siti["id"]), Some(&app.admin)).await.expect(200);
    let loan =
        loans["items"].as_array().unwrap().iter().find(|l| l["barcode"] == "B001").expect("loan of B001").clone();
    assert!(loan["due_at"].as_str().unwrap().starts_with("2026-11-27"), "{loan}");
    assert!(loan["loaned_at"].as_str().unwrap().starts_with("2026-11-19T17:00:00"), "midnight in Jakarta: {loan}");
    assert_eq!(loan["renewals"], 1);
    let fines = app.get(&format!("/api/v1/members/{}/fines", siti["id"]), Some(&app.admin)).await.expect(200);
    let fines = fines["items"].as_array().unwrap().clone();
    // The fines ledger: Siti's charge of 5000 with her payment of 2000 in it, 3000 still owed.
    assert_eq!(fines.len(), 1, "{fines:#?}");
    let f = &fines[0];
    assert_eq!(
        (f["amount"].as_i64(), f["paid"].as_i64(), f["outstanding"].as_i64(), f["status"].as_str()),
        (Some(5000), Some(2000), Some(3000), Some("unpaid")),
        "{f:#}"
    );
    assert!(f["note"].as_str().unwrap().starts_with("SLiMS fines"), "{f:#}");
    let paid = app.get(&format!("/api/v1/fines/{}/payments", f["id"]), Some(&app.admin)).await.expect(200);
    let paid = paid["items"].as_array().unwrap();
    assert_eq!(paid.len(), 1, "{paid:#?}");
    assert_eq!((paid[0]["amount"].as_i64(), paid[0]["paid_at"].as_str()), (Some(2000), Some("2026-10-10T16:59:59Z")));
    // Budi's charge was paid in SLiMS: a paid fine with its payment, nothing owed.
    let budi_fines = app.get(&format!("/api/v1/members/{}/fines", budi["id"]), Some(&app.admin)).await.expect(200);
    let budi_fines = budi_fines["items"].as_array().unwrap();
    assert_eq!(budi_fines.len(), 1, "{budi_fines:#?}");
    assert_eq!(
        (budi_fines[0]["amount"].as_i64(), budi_fines[0]["outstanding"].as_i64(), budi_fines[0]["status"].as_str()),
        (Some(1000), Some(0), Some("paid"))
    );
    // The copy lent in SLiMS is lent in Pustaka: it comes back at the desk.
    app.checkin("B003").await.expect(200);

    // The second run changes nothing.
    let again = run(&app, &src.options(), false).await;
    assert_eq!(
        (again.books_created, again.copies_created, again.members_created, again.loans_created, again.fines_created),
        (0, 0, 0, 0, 0),
        "{again:#?}"
    );
    assert_eq!((again.books_existing, again.copies_existing, again.members_existing), (6, 9, 4));
    assert_eq!(again.collection_types_created, 0);
    assert_eq!(again.fines_existing, 3);
    assert_eq!((again.past_loans_created, again.past_loans_existing), (0, 2), "{again:#?}");
    assert_eq!((again.visits_created, again.visits_existing), (0, 3), "{again:#?}");
    // B003 was returned in Pustaka meanwhile: its SLiMS loan is known and not lent again.
    assert_eq!(again.loans_existing, 3, "{again:#?}");
    assert!(again.mappings.iter().any(|m| m == "member type Standard -> standard"), "{:?}", again.mappings);
    assert_eq!(app.get("/api/v1/copies/B003", None).await.expect(200)["status"], "available");
    assert_eq!(app.get("/api/v1/books", None).await.expect(200)["total"], 6);

    // The audit log has each run with its counts.
    let audit = app.get("/api/v1/audit?per_page=100", Some(&app.admin)).await.expect(200);
    let runs: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "import.slims")
        .map(|e| e["detail"].as_str().unwrap())
        .collect();
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs[1].contains("books 6 created") && runs[1].contains("members 4 created"), "{}", runs[1]);
}

async fn an_explicit_map_still_wins(app: TestApp) {
    let Some(src) = Slims::create().await else { return eprintln!("{SKIPPED}") };
    let (map, default) =
        slims::read_category_map("# SLiMS type = Pustaka category\nStandard = public\n\n* = student\n")
            .expect("a mapping file");
    assert_eq!(default.as_deref(), Some("student"));
    let options = SlimsOptions { categories: map, default_category: default, ..src.options() };
    let done = run(&app, &options, false).await;
    assert!(done.mappings.iter().any(|m| m == "member type Standard -> public"), "{:?}", done.mappings);
    assert_eq!((done.members_created, done.loans_created, done.fines_created), (4, 3, 3), "{done:#?}");
    let dewi = member_by_source(&app, "slims:M0003").await.expect("Dewi");
    assert_eq!((dewi["name"].as_str(), dewi["category"].as_str()), (Some("Dewi Lestarï"), Some("public")));
    assert!(dewi["email"].is_null(), "a bad email is left out, the member is not");
    let categories = app.get("/api/v1/categories", Some(&app.admin)).await.expect(200);
    assert_eq!(categories["items"].as_array().unwrap().len(), 3, "no category made: {categories:#}");

    // Bad mapping files are refused with the line at fault.
    assert!(slims::read_category_map("Standard public\n").unwrap_err().contains("line 1"));
    // A mapping to a category that does not exist stops the import before it writes anything.
    let wrong = SlimsOptions {
        categories: [("standard".to_owned(), "alumni".to_owned())].into_iter().collect(),
        ..src.options()
    };
    let e = slims::import(&app.store, &Actor::system(), &wrong, false, |_, _, _| {}).await.unwrap_err();
    assert!(e.to_string().contains("alumni"), "{e}");
}

/// A SLiMS older than the member table's `birth_date` and the member types' rule columns (or a
/// trimmed copy of one, like the benchmark's): the members come over without dates of birth, and
/// the categories made of its types get Pustaka's defaults, rather than the import failing.
async fn an_older_slims_without_birth_dates_or_type_rules_still_comes_over(app: TestApp) {
    let Some(src) = Slims::create().await else { return eprintln!("{SKIPPED}") };
    let pool = sqlx::MySqlPool::connect(&src.db.url).await.unwrap();
    for s in [
        "ALTER TABLE member DROP COLUMN birth_date",
        // Nor a loan's return date: the history comes back on the due days.
        "ALTER TABLE loan DROP COLUMN return_date",
        "DROP TABLE visitor_count",
        "ALTER TABLE mst_member_type DROP COLUMN loan_limit, DROP COLUMN loan_periode, DROP COLUMN reborrow_limit, \
         DROP COLUMN fine_each_day, DROP COLUMN grace_periode",
        // Nor collection types or GMDs.
        "DROP TABLE mst_coll_type",
        "DROP TABLE mst_gmd",
    ] {
        sqlx::query(s).execute(&pool).await.unwrap_or_else(|e| panic!("{e}: {s}"));
    }
    pool.close().await;
    let done = run(&app, &src.options(), false).await;
    assert_eq!((done.members_created, done.loans_created, done.fines_created), (4, 3, 3), "{done:#?}");
    assert_eq!((done.past_loans_created, done.visits_created), (2, 0), "{done:#?}");
    let siti = member_by_source(&app, "slims:M0001").await.expect("Siti");
    assert!(siti["birth_date"].is_null(), "{siti:#}");
    let dewi = member_by_source(&app, "slims:M0003").await.expect("Dewi, of the Standard type");
    assert_eq!(dewi["category"], "standard");
    // No collection types but "No Loan" (a status, not a table).
    assert_eq!((done.copies_typed, done.copies_not_for_loan, done.collection_types_created), (1, 1, 0), "{done:#?}");
}

async fn an_unreachable_slims_is_one_clear_error(app: TestApp) {
    for from in ["mysql://nobody:wrong@127.0.0.1:1/slims", "not a url"] {
        let options = SlimsOptions { from: from.into(), ..Default::default() };
        let e = slims::import(&app.store, &Actor::system(), &options, false, |_, _, _| {}).await.unwrap_err();
        assert!(e.to_string().contains("SLiMS") || e.to_string().contains("--from"), "{e}");
    }
    assert_eq!(app.get("/api/v1/books", None).await.expect(200)["total"], 0);
}

/// The corpus's SLiMS (`scripts/make-slims-corpus.py`, committed as tests/fixtures/slims-sekolah.sql):
/// a school's ten years, with the mess such a database has, imported with no edits. Every line of
/// the reconciliation balances, the dry run tells what the run does, a second run changes nothing.
async fn a_school_slims_of_ten_years_imports_and_reconciles(app: TestApp) {
    const SQL: &str = include_str!("../fixtures/slims-sekolah.sql");
    let statements = SQL
        .lines()
        .filter(|l| !l.starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n")
        .split(";\n")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect::<Vec<_>>();
    let Some(src) = Slims::of(statements.iter().map(String::as_str)).await else { return eprintln!("{SKIPPED}") };
    let dry = run(&app, &src.options(), true).await;
    let done = run(&app, &src.options(), false).await;
    let unbalanced: Vec<_> = done.reconciliation.iter().filter(|r| !r.balanced).collect();
    assert!(unbalanced.is_empty(), "{unbalanced:#?}");
    assert_eq!(done.reconciliation.len(), 7);
    assert_eq!(dry.reconciliation, done.reconciliation, "the dry run reconciles as the run does");
    assert_eq!(records(&dry), records(&done), "the dry run told the truth");
    let line = |what: &str| done.reconciliation.iter().find(|r| r.what == what).cloned().unwrap();
    assert_eq!(line("records").source, 400);
    assert_eq!(line("members").source, 260);
    assert!(line("past loans").pustaka > 2800, "{:?}", line("past loans"));
    assert!(line("visits").pustaka > 1700, "{:?}", line("visits"));
    assert!(line("records").merged >= 1, "two records of one book: {:?}", line("records"));
    // What came over is there: SLiMS's member types became categories with their rules.
    let categories = app.get("/api/v1/categories", Some(&app.admin)).await.expect(200);
    let codes: Vec<&str> =
        categories["items"].as_array().unwrap().iter().map(|c| c["code"].as_str().unwrap()).collect();
    assert!(codes.contains(&"standard") && codes.contains(&"alumni"), "{codes:?}");
    let books = app.get("/api/v1/books", None).await.expect(200);
    assert_eq!(books["total"].as_i64(), Some(line("records").pustaka), "{:?}", line("records"));

    let again = run(&app, &src.options(), false).await;
    assert_eq!(
        (again.books_created, again.copies_created, again.members_created, again.loans_created),
        (0, 0, 0, 0),
        "{again:#?}"
    );
    assert_eq!((again.past_loans_created, again.visits_created, again.fines_created), (0, 0, 0), "{again:#?}");
    assert_eq!(again.reconciliation, done.reconciliation, "the second run reconciles the same");
}
