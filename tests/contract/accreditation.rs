//! The accreditation summary (issue #30) on both backends: a small collection counted by hand,
//! by collection type (the usual ones in the form's order, an admin-defined one, none) and by DDC
//! main class, with the loans and in-library uses of a range and the members; the same numbers in
//! the PDF (read back by `pdftotext`) and in the XLSX (read back by calamine).

use crate::common;

use std::process::Command;

use axum::{body::Body, http::Request};
use calamine::{Data, Reader, Xlsx};
use common::TestApp;
use serde_json::{json, Value};

contract!(the_accreditation_summary_counts_a_known_collection, the_accreditation_summary_is_a_pdf_and_a_workbook);

async fn book(app: &TestApp, title: &str, collection_type: Option<&str>, class: Option<&str>, barcodes: &[&str]) {
    let body = json!({ "title": title, "authors": ["Penulis Uji"], "collection_type": collection_type, "classification": class });
    let id = app.post("/api/v1/books", Some(&app.admin), body).await.expect(201)["id"].as_i64().unwrap();
    for b in barcodes {
        app.copy(id, b).await;
    }
}

/// Five titles, ten copies (one withdrawn), two types overridden or admin-defined, four loans
/// (one forty days ago), two in-library uses, three members of whom two borrowed.
async fn fixture(app: &TestApp) {
    let admin = Some(app.admin.as_str());
    app.call(reqwest::Method::PUT, "/api/v1/collection-types/komik", admin, Some(json!({ "name": "Komik" })))
        .await
        .expect(200);
    book(app, "Laskar Pelangi", Some("fiksi"), Some("899.221"), &["LP-1", "LP-2", "LP-3"]).await;
    app.patch("/api/v1/copies/LP-3", admin, json!({ "status": "withdrawn" })).await.expect(200);
    book(app, "Ensiklopedia Sains", Some("referensi"), Some("503"), &["ES-1", "ES-2"]).await;
    book(app, "Matematika VII", Some("paket"), Some("510"), &["MT-1", "MT-2", "MT-3"]).await;
    app.patch("/api/v1/copies/MT-3", admin, json!({ "collection_type": "referensi" })).await.expect(200);
    book(app, "Si Juki", Some("komik"), Some("741.5"), &["SJ-1"]).await;
    book(app, "Tanpa Jenis", None, None, &["TJ-1"]).await;
    let (_, andi) = app.member("Andi", "student").await;
    let (_, budi) = app.member("Budi", "student").await;
    app.member("Bu Sri", "staff").await;
    app.checkout("LP-1", &andi).await.expect(201);
    app.checkout("MT-1", &andi).await.expect(201);
    app.checkout("LP-2", &budi).await.expect(201);
    app.checkin("LP-2").await.expect(200);
    app.checkout_days_ago("TJ-1", &budi, 40).await.expect(201);
    for b in ["ES-1", "MT-3"] {
        app.post("/api/v1/in-library-uses", admin, json!({ "barcode": b })).await.expect(201);
    }
}

/// (titles, copies, loans, uses) of the line keyed `key`.
fn line(lines: &Value, key: &str) -> (i64, i64, i64, i64) {
    let l = lines.as_array().unwrap().iter().find(|l| l["key"] == key).unwrap_or_else(|| panic!("no {key} in {lines}"));
    let n = |f: &str| l[f].as_i64().unwrap();
    (n("titles"), n("copies"), n("loans"), n("uses"))
}

async fn the_accreditation_summary_counts_a_known_collection(app: TestApp) {
    let admin = Some(app.admin.as_str());
    fixture(&app).await;
    let today = app.today();
    let from = today - chrono::Duration::days(10);
    let a = app.get(&format!("/api/v1/reports/accreditation?from={from}&to={today}"), admin).await.expect(200);
    assert_eq!(
        (a["from"].as_str(), a["to"].as_str()),
        (Some(from.to_string().as_str()), Some(today.to_string().as_str()))
    );
    let keys: Vec<&str> = a["by_type"].as_array().unwrap().iter().map(|l| l["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["fiksi", "nonfiksi", "referensi", "paket", "berkala", "av", "komik", "-"], "the form's order");
    let t = &a["by_type"];
    assert_eq!(line(t, "fiksi"), (1, 2, 2, 0), "LP-3 withdrawn");
    assert_eq!(line(t, "nonfiksi"), (0, 0, 0, 0));
    assert_eq!(line(t, "referensi"), (2, 3, 0, 2), "ES and MT-3's override");
    assert_eq!(line(t, "paket"), (1, 2, 1, 0));
    assert_eq!(line(t, "komik"), (1, 1, 0, 0));
    assert_eq!(line(t, "-"), (1, 1, 0, 0), "TJ-1's loan is older than the range");
    assert_eq!(a["by_type"][0]["name"], "Fiksi");
    let c = &a["by_class"];
    let classes: Vec<&str> = c.as_array().unwrap().iter().map(|l| l["key"].as_str().unwrap()).collect();
    assert_eq!(classes, ["000", "100", "200", "300", "400", "500", "600", "700", "800", "900", "other"]);
    assert_eq!(line(c, "800"), (1, 2, 2, 0));
    assert_eq!(line(c, "500"), (2, 5, 1, 2));
    assert_eq!(line(c, "700"), (1, 1, 0, 0));
    assert_eq!(line(c, "other"), (1, 1, 0, 0));
    assert_eq!(line(c, "000"), (0, 0, 0, 0));
    let n = |f: &str| a[f].as_i64().unwrap();
    assert_eq!((n("titles"), n("copies"), n("loans"), n("uses")), (5, 9, 3, 2));
    assert_eq!((n("member_total"), n("borrower_total")), (3, 2));
    let members = a["members"].as_array().unwrap();
    let m = |code: &str| members.iter().find(|m| m["category"] == code).unwrap().clone();
    assert_eq!((m("student")["members"].as_i64(), m("student")["borrowers"].as_i64()), (Some(2), Some(2)));
    assert_eq!((m("staff")["members"].as_i64(), m("staff")["borrowers"].as_i64()), (Some(1), Some(0)));
    assert_eq!(m("student")["category_name"], "Siswa / Mahasiswa");

    // A longer range takes in the loan of forty days ago; the collection is as it is now.
    let from = today - chrono::Duration::days(60);
    let a = app.get(&format!("/api/v1/reports/accreditation?from={from}&to={today}"), admin).await.expect(200);
    assert_eq!(line(&a["by_type"], "-"), (1, 1, 1, 0));
    assert_eq!(line(&a["by_class"], "other"), (1, 1, 1, 0));
    assert_eq!((a["loans"].as_i64(), a["titles"].as_i64()), (Some(4), Some(5)));

    // Bad input names its field; members and strangers are kept out.
    let p = app.get("/api/v1/reports/accreditation?format=docx", admin).await.problem(422, "validation");
    assert_eq!(p["errors"][0]["field"], "format");
    let p =
        app.get("/api/v1/reports/accreditation?from=2026-02-01&to=2026-01-01", admin).await.problem(422, "validation");
    assert_eq!(p["errors"][0]["field"], "to");
    app.get("/api/v1/reports/accreditation", None).await.problem(401, "unauthenticated");
    let (_, _, member) = app.member_with_login("Citra", "citra").await;
    app.get("/api/v1/reports/accreditation", Some(&member)).await.problem(403, "forbidden");
}

async fn download(app: &TestApp, query: &str) -> (String, Vec<u8>) {
    let req = Request::builder()
        .uri(format!("/api/v1/reports/accreditation?{query}"))
        .header("authorization", format!("Bearer {}", app.admin))
        .body(Body::empty())
        .unwrap();
    let res = tower::ServiceExt::oneshot(app.router.clone(), req).await.unwrap();
    let status = res.status();
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    let body = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap().to_vec();
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    (ct, body)
}

async fn the_accreditation_summary_is_a_pdf_and_a_workbook(app: TestApp) {
    fixture(&app).await;
    let today = app.today();
    let range = format!("from={}&to={today}", today - chrono::Duration::days(10));

    let (ct, pdf) = download(&app, &format!("{range}&format=pdf")).await;
    assert_eq!(ct, "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"));
    if std::path::Path::new("/usr/bin/pdftotext").exists() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("akreditasi.pdf");
        std::fs::write(&file, &pdf).unwrap();
        let out = Command::new("/usr/bin/pdftotext").arg("-layout").arg(&file).arg("-").output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        // The last four figures of the line starting with `label` (the first such line).
        let figures = |label: &str| -> Vec<String> {
            let l =
                text.lines().map(str::trim).find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("{label}: {text}"));
            let words: Vec<&str> = l.split_whitespace().collect();
            words[words.len() - 4..].iter().map(|w| (*w).to_owned()).collect()
        };
        assert!(text.contains("RINGKASAN DATA AKREDITASI PERPUSTAKAAN"), "{text}");
        assert_eq!(figures("Fiksi"), ["1", "2", "2", "0"], "{text}");
        assert_eq!(figures("Referensi"), ["2", "3", "0", "2"], "{text}");
        assert_eq!(figures("Buku Paket"), ["1", "2", "1", "0"], "{text}");
        assert_eq!(figures("Komik"), ["1", "1", "0", "0"], "{text}");
        assert_eq!(figures("500"), ["2", "5", "1", "2"], "{text}");
        assert_eq!(figures("Jumlah"), ["5", "9", "3", "2"], "{text}");
        assert!(text.contains("Siswa / Mahasiswa"), "{text}");
    }
    let (_, en) = download(&app, &format!("{range}&format=pdf&lang=en")).await;
    assert!(en.starts_with(b"%PDF-"));

    let (ct, xlsx) = download(&app, &format!("{range}&format=xlsx")).await;
    assert_eq!(ct, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
    assert_eq!(book.sheet_names(), ["Jenis koleksi", "Kelas DDC", "Anggota"]);
    let rows = |book: &mut Xlsx<_>, name: &str| -> Vec<Vec<String>> {
        let range = book.worksheet_range(name).unwrap();
        range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::Float(f) => format!("{f}"),
                        other => other.to_string(),
                    })
                    .collect()
            })
            .collect()
    };
    let types = rows(&mut book, "Jenis koleksi");
    assert_eq!(types[0], ["Jenis koleksi", "Judul", "Eksemplar", "Peminjaman", "Baca di tempat"]);
    assert_eq!(types[1], ["Fiksi", "1", "2", "2", "0"]);
    assert_eq!(types[3], ["Referensi", "2", "3", "0", "2"]);
    assert_eq!(types[8], ["Tanpa jenis", "1", "1", "0", "0"]);
    assert_eq!(types[9], ["Jumlah", "5", "9", "3", "2"]);
    let classes = rows(&mut book, "Kelas DDC");
    assert_eq!(classes[6], ["500", "2", "5", "1", "2"]);
    assert_eq!(classes[11], ["Tanpa kelas", "1", "1", "0", "0"]);
    let members = rows(&mut book, "Anggota");
    assert_eq!(members.last().unwrap(), &["Jumlah", "3", "2"]);
}
