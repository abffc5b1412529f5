//! Textbook class sets (buku paket per kelas, issue #30) on both backends: a class receives one
//! copy of a title each in one request, due at the end of the term by the matrix; all or nothing
//! (a blocked student, a copy of another title, too few copies: nothing lent, every fault named);
//! a class set racing an ordinary checkout of one of its copies never lends it twice; returns by
//! class show who has not returned what; the list prints to sign.

use crate::common;

use std::process::Command;

use axum::{body::Body, http::Request};
use common::TestApp;
use serde_json::{json, Value};

contract!(
    a_class_receives_its_scanned_set_due_at_the_end_of_the_term,
    auto_assign_picks_available_copies_for_several_titles,
    a_blocked_student_refuses_the_whole_set_with_every_fault_named,
    not_enough_or_wrong_copies_lend_nothing,
    a_class_set_racing_a_checkout_never_lends_a_copy_twice,
    a_class_returns_by_scanning_and_sees_who_has_not,
    the_class_list_prints_to_sign,
);

/// A term around today, a textbook title with `copies` copies `PREFIX-01`..., and `students`
/// students of class `grade` named so that the class list is their order of creation.
async fn class(app: &TestApp, grade: &str, students: usize) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for i in 0..students {
        let m = app
            .post(
                "/api/v1/members",
                Some(&app.admin),
                json!({ "name": format!("Siswa {grade} {i:02}"), "category": "student", "grade": grade }),
            )
            .await
            .expect(201);
        out.push((m["id"].as_i64().unwrap(), m["card_number"].as_str().unwrap().to_owned()));
    }
    out
}

async fn textbook(app: &TestApp, title: &str, prefix: &str, copies: usize) -> i64 {
    let b = app
        .post(
            "/api/v1/books",
            Some(&app.admin),
            json!({ "title": title, "authors": ["Kemendikbud"], "collection_type": "paket" }),
        )
        .await
        .expect(201);
    let id = b["id"].as_i64().unwrap();
    for i in 1..=copies {
        app.copy(id, &format!("{prefix}-{i:02}")).await;
    }
    id
}

/// The matrix row for textbooks (due at the end of the term, at most 12 of them) and a term
/// ending 60 days from today; returns its last day.
async fn term_and_rule(app: &TestApp) -> chrono::NaiveDate {
    app.call(
        reqwest::Method::PUT,
        "/api/v1/loan-rules/student/paket",
        Some(&app.admin),
        Some(json!({ "lendable": true, "due_end_of_term": true, "max_loans": 12 })),
    )
    .await
    .expect(200);
    let today = app.today();
    let end = today + chrono::Duration::days(60);
    app.post(
        "/api/v1/terms",
        Some(&app.admin),
        json!({ "name": "Semester Ganjil", "starts_on": today - chrono::Duration::days(10), "ends_on": end }),
    )
    .await
    .expect(201);
    end
}

fn due_day(loan: &Value) -> chrono::NaiveDate {
    let at: chrono::DateTime<chrono::Utc> = loan["due_at"].as_str().unwrap().parse().unwrap();
    (at + chrono::Duration::hours(7)).date_naive()
}

async fn active_loans(app: &TestApp) -> i64 {
    app.get("/api/v1/loans?status=active", Some(&app.admin)).await.expect(200)["total"].as_i64().unwrap()
}

async fn a_class_receives_its_scanned_set_due_at_the_end_of_the_term(app: TestApp) {
    let end = term_and_rule(&app).await;
    let students = class(&app, "7A", 5).await;
    class(&app, "7B", 2).await;
    let book = textbook(&app, "Matematika SMP Kelas VII", "MTK7", 6).await;
    let librarian = app.add_librarian().await;
    // Scanned in any order: matched to the class list in scan order.
    let scanned = ["MTK7-05", "mtk7-01", "MTK7-03", "MTK7-02", "MTK7-04"];
    let r = app
        .post("/api/v1/class-sets", Some(&librarian), json!({ "grade": "7a", "book_id": book, "barcodes": scanned }))
        .await
        .expect(201);
    let loans = r["items"].as_array().unwrap();
    assert_eq!(loans.len(), 5, "{r}");
    for (i, loan) in loans.iter().enumerate() {
        assert_eq!(loan["member_id"], students[i].0, "{loan}");
        assert_eq!(loan["barcode"].as_str().unwrap().to_uppercase(), scanned[i].to_uppercase());
        let late = (due_day(loan) - end).num_days();
        assert!((0..4).contains(&late), "due {} for a term ending {end}", due_day(loan));
    }
    assert_eq!(active_loans(&app).await, 5);
    // The class's list: who has which copy.
    let list = app.get(&format!("/api/v1/class-sets?grade=7A&book_id={book}"), Some(&librarian)).await.expect(200);
    assert_eq!((list["students"].as_i64(), list["out"].as_i64(), list["none"].as_i64()), (Some(5), Some(5), Some(0)));
    assert_eq!(list["lines"][0]["barcode"], "MTK7-05");
    assert_eq!(list["lines"][0]["number"], 1);
    // Lent again to the same class: every student has the title already, nothing more is lent.
    let p = app
        .post("/api/v1/class-sets", Some(&librarian), json!({ "grade": "7A", "book_id": book, "assign": true }))
        .await
        .problem(422, "validation");
    let errors = p["errors"].as_array().unwrap();
    assert!(errors.iter().any(|e| e["code"] == "not_enough_copies"), "{p}");
    assert_eq!(active_loans(&app).await, 5);
    // Bad input: the fields at fault.
    let p = app
        .post("/api/v1/class-sets", Some(&librarian), json!({ "grade": "", "book_id": book }))
        .await
        .problem(422, "validation");
    let fields: Vec<&str> = p["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["grade", "barcodes"], "{p}");
    let p = app
        .post("/api/v1/class-sets", Some(&librarian), json!({ "grade": "9Z", "book_id": book, "assign": true }))
        .await
        .problem(422, "validation");
    assert_eq!(
        (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
        (Some("grade"), Some("empty_class"))
    );
    // A member may not.
    let (_, _, member) = app.member_with_login("Murid", "murid").await;
    app.post("/api/v1/class-sets", Some(&member), json!({ "grade": "7B", "book_id": book, "assign": true }))
        .await
        .problem(403, "forbidden");
}

async fn auto_assign_picks_available_copies_for_several_titles(app: TestApp) {
    term_and_rule(&app).await;
    let students = class(&app, "8C", 4).await;
    let ipa = textbook(&app, "IPA Kelas VIII", "IPA8", 5).await;
    let ips = textbook(&app, "IPS Kelas VIII", "IPS8", 4).await;
    // One copy of IPA is out already: the assignment skips it.
    let (_, other) = app.member("Guru", "staff").await;
    app.checkout("IPA8-01", &other).await.expect(201);
    let r = app
        .post("/api/v1/class-sets", Some(&app.admin), json!({ "grade": "8C", "book_ids": [ipa, ips], "assign": true }))
        .await
        .expect(201);
    let loans = r["items"].as_array().unwrap();
    assert_eq!(loans.len(), 8, "{r}");
    let barcodes: Vec<&str> = loans.iter().map(|l| l["barcode"].as_str().unwrap()).collect();
    assert_eq!(barcodes, ["IPA8-02", "IPA8-03", "IPA8-04", "IPA8-05", "IPS8-01", "IPS8-02", "IPS8-03", "IPS8-04"]);
    let whom: Vec<i64> = loans.iter().map(|l| l["member_id"].as_i64().unwrap()).collect();
    let ids: Vec<i64> = students.iter().map(|s| s.0).collect();
    assert_eq!(whom, [ids.clone(), ids].concat());
    // Both titles on the class's list when no title is named.
    let list = app.get("/api/v1/class-sets?grade=8c", Some(&app.admin)).await.expect(200);
    assert_eq!((list["lines"].as_array().unwrap().len(), list["out"].as_i64()), (8, Some(8)));
}

async fn a_blocked_student_refuses_the_whole_set_with_every_fault_named(app: TestApp) {
    term_and_rule(&app).await;
    let students = class(&app, "9A", 4).await;
    let book = textbook(&app, "Bahasa Indonesia IX", "BI9", 4).await;
    app.patch(
        &format!("/api/v1/members/{}", students[1].0),
        Some(&app.admin),
        json!({ "blocked": true, "blocked_reason": "kartu hilang" }),
    )
    .await
    .expect(200);
    app.patch(&format!("/api/v1/members/{}", students[3].0), Some(&app.admin), json!({ "blocked": true }))
        .await
        .expect(200);
    let p = app
        .post("/api/v1/class-sets", Some(&app.admin), json!({ "grade": "9A", "book_id": book, "assign": true }))
        .await
        .problem(422, "validation");
    let faults: Vec<(&str, &str)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(faults, [("students[1]", "member_blocked"), ("students[3]", "member_blocked")], "{p}");
    assert_eq!(active_loans(&app).await, 0, "nothing is lent");
    assert_eq!(app.get("/api/v1/copies/BI9-01", Some(&app.admin)).await.expect(200)["status"], "available");

    // The matrix's limit for textbooks applies per student too: with at most 0 textbooks,
    // everyone is refused by `type_limit`.
    app.patch(&format!("/api/v1/members/{}", students[1].0), Some(&app.admin), json!({ "blocked": false }))
        .await
        .expect(200);
    app.patch(&format!("/api/v1/members/{}", students[3].0), Some(&app.admin), json!({ "blocked": false }))
        .await
        .expect(200);
    app.call(
        reqwest::Method::PUT,
        "/api/v1/loan-rules/student/paket",
        Some(&app.admin),
        Some(json!({ "lendable": true, "due_end_of_term": true, "max_loans": 0 })),
    )
    .await
    .expect(200);
    let p = app
        .post("/api/v1/class-sets", Some(&app.admin), json!({ "grade": "9A", "book_id": book, "assign": true }))
        .await
        .problem(422, "validation");
    assert_eq!(p["errors"].as_array().unwrap().len(), 4, "{p}");
    assert!(p["errors"].as_array().unwrap().iter().all(|e| e["code"] == "type_limit"), "{p}");
    assert_eq!(active_loans(&app).await, 0);
}

async fn not_enough_or_wrong_copies_lend_nothing(app: TestApp) {
    term_and_rule(&app).await;
    class(&app, "7C", 3).await;
    let book = textbook(&app, "PPKn VII", "PKN7", 3).await;
    let other = textbook(&app, "Seni Budaya VII", "SB7", 1).await;
    let _ = other;
    // A copy of another title, one unknown, one twice, and one short.
    let p = app
        .post(
            "/api/v1/class-sets",
            Some(&app.admin),
            json!({ "grade": "7C", "book_id": book, "barcodes": ["PKN7-01", "SB7-01", "NOPE-1", "pkn7-01"] }),
        )
        .await
        .problem(422, "validation");
    let faults: Vec<(&str, &str)> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        faults,
        [
            ("barcodes[1]", "wrong_title"),
            ("barcodes[2]", "not_found"),
            ("barcodes[3]", "duplicate"),
            ("barcodes", "not_enough_copies")
        ],
        "{p}"
    );
    assert_eq!(active_loans(&app).await, 0);
    // Not enough available copies to assign: named on the title.
    app.checkout("PKN7-02", &app.member("Guru", "staff").await.1).await.expect(201);
    let p = app
        .post("/api/v1/class-sets", Some(&app.admin), json!({ "grade": "7C", "book_ids": [book], "assign": true }))
        .await
        .problem(422, "validation");
    assert_eq!(
        (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
        (Some("book_ids[0]"), Some("not_enough_copies"))
    );
    assert!(p["errors"][0]["message"].as_str().unwrap().contains("Siswa 7C 02"), "{p}");
    assert_eq!(active_loans(&app).await, 1);
    // A title that does not exist.
    let p = app
        .post("/api/v1/class-sets", Some(&app.admin), json!({ "grade": "7C", "book_id": 999_999, "assign": true }))
        .await
        .problem(422, "validation");
    assert_eq!(p["errors"][0]["field"], "book_ids[0]", "{p}");
    // Without a term, the end-of-term rule refuses every student and lends nothing.
    let fresh = textbook(&app, "Informatika VII", "INF7", 3).await;
    let terms = app.get("/api/v1/terms", Some(&app.admin)).await.expect(200);
    let term = terms["items"][0]["id"].as_i64().unwrap();
    app.delete(&format!("/api/v1/terms/{term}"), Some(&app.admin)).await.expect(204);
    let p = app
        .post("/api/v1/class-sets", Some(&app.admin), json!({ "grade": "7C", "book_id": fresh, "assign": true }))
        .await
        .problem(422, "validation");
    assert!(p["errors"].as_array().unwrap().iter().all(|e| e["code"] == "no_current_term"), "{p}");
    assert_eq!(active_loans(&app).await, 1);
}

async fn a_class_set_racing_a_checkout_never_lends_a_copy_twice(app: TestApp) {
    term_and_rule(&app).await;
    class(&app, "8A", 10).await;
    let (_, teacher) = app.member("Guru", "staff").await;
    let app = std::sync::Arc::new(app);
    // Three rounds: a student's three loans stay within the category's total (3).
    for round in 0..3 {
        let prefix = format!("R{round}");
        let book = textbook(&app, &format!("Matematika VIII ({round})"), &prefix, 10).await;
        // Copy 07 is scanned for the class and, at once, at another desk for a teacher.
        let barcodes: Vec<String> = (1..=10).map(|i| format!("{prefix}-{i:02}")).collect();
        let set = {
            let app = app.clone();
            let body = if round % 2 == 0 {
                json!({ "grade": "8A", "book_id": book, "barcodes": barcodes })
            } else {
                json!({ "grade": "8A", "book_id": book, "assign": true })
            };
            tokio::spawn(async move { app.post("/api/v1/class-sets", Some(&app.admin), body).await })
        };
        let desk = {
            let (app, teacher, copy) = (app.clone(), teacher.clone(), format!("{prefix}-07"));
            tokio::spawn(async move { app.checkout(&copy, &teacher).await })
        };
        let (set, desk) = (set.await.unwrap(), desk.await.unwrap());
        let lent_by_set = match set.status.as_u16() {
            201 => set.body["items"].as_array().unwrap().len(),
            422 => {
                assert!(
                    set.body["errors"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .all(|e| e["code"] == "copy_not_available" || e["code"] == "not_enough_copies"),
                    "{}",
                    set.body
                );
                0
            }
            other => panic!("unexpected {other}: {}", set.body),
        };
        let lent_by_desk = match desk.status.as_u16() {
            201 => 1,
            409 => 0,
            other => panic!("unexpected {other}: {}", desk.body),
        };
        // Exactly one of them has the copy; never both, never a partial set.
        assert!(lent_by_set == 10 || lent_by_set == 0, "{}", set.body);
        assert_eq!(
            (lent_by_set == 10
                && set.body["items"].as_array().unwrap().iter().any(|l| l["barcode"] == format!("{prefix}-07")))
                as usize
                + lent_by_desk,
            1
        );
        let list =
            app.get(&format!("/api/v1/loans?status=active&barcode={prefix}-07"), Some(&app.admin)).await.expect(200);
        assert_eq!(list["total"], 1, "one open loan of the copy");
        let all = app.get(&format!("/api/v1/class-sets?grade=8A&book_id={book}"), Some(&app.admin)).await.expect(200);
        assert!(all["out"] == 10 || all["out"] == 0, "{all}");
    }
}

async fn a_class_returns_by_scanning_and_sees_who_has_not(app: TestApp) {
    term_and_rule(&app).await;
    let students = class(&app, "9B", 4).await;
    let book = textbook(&app, "Bahasa Inggris IX", "BE9", 4).await;
    app.post("/api/v1/class-sets", Some(&app.admin), json!({ "grade": "9B", "book_id": book, "assign": true }))
        .await
        .expect(201);
    let r = app
        .post(
            "/api/v1/class-sets/return",
            Some(&app.admin),
            json!({ "grade": "9B", "book_id": book, "barcodes": ["BE9-01", "be9-03", "BE9-01", "XX-1"] }),
        )
        .await
        .expect(200);
    assert_eq!(r["returned"].as_array().unwrap().len(), 2, "{r}");
    let problems: Vec<(&str, &str)> = r["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect();
    assert_eq!(problems, [("barcodes[2]", "not_on_loan"), ("barcodes[3]", "not_found")], "{r}");
    let list = &r["list"];
    assert_eq!((list["out"].as_i64(), list["returned"].as_i64()), (Some(2), Some(2)), "{list}");
    let outstanding: Vec<(i64, &str)> = list["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["state"] == "out")
        .map(|l| (l["member_id"].as_i64().unwrap(), l["barcode"].as_str().unwrap()))
        .collect();
    assert_eq!(outstanding, [(students[1].0, "BE9-02"), (students[3].0, "BE9-04")]);
    assert_eq!(active_loans(&app).await, 2);
    app.post("/api/v1/class-sets/return", Some(&app.admin), json!({ "grade": "9B", "barcodes": [] }))
        .await
        .problem(422, "validation");
}

async fn the_class_list_prints_to_sign(app: TestApp) {
    term_and_rule(&app).await;
    class(&app, "7D", 3).await;
    let book = textbook(&app, "Pendidikan Agama VII", "PA7", 3).await;
    app.post("/api/v1/class-sets", Some(&app.admin), json!({ "grade": "7D", "book_id": book, "assign": true }))
        .await
        .expect(201);
    for (lang, words) in [
        ("id", ["DAFTAR BUKU PAKET KELAS", "Tanda tangan", "Kelas 7D"]),
        ("en", ["CLASS TEXTBOOK LIST", "Signature", "Class 7D"]),
    ] {
        let req = Request::builder()
            .uri(format!("/api/v1/class-sets/print?grade=7D&book_id={book}&lang={lang}"))
            .header("authorization", format!("Bearer {}", app.admin))
            .body(Body::empty())
            .unwrap();
        let res = tower::ServiceExt::oneshot(app.router.clone(), req).await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/pdf");
        let pdf = axum::body::to_bytes(res.into_body(), usize::MAX).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("list.pdf");
        std::fs::write(&file, &pdf).unwrap();
        let out = Command::new("pdftotext").args(["-layout"]).arg(&file).arg("-").output().expect("pdftotext runs");
        let text = String::from_utf8(out.stdout).unwrap();
        for w in words.iter().chain(&["Pendidikan Agama VII", "Siswa 7D 00", "Siswa 7D 02", "PA7-01", "PA7-03"]) {
            assert!(text.contains(w), "{w:?} not in {text}");
        }
    }
    // A class with nothing on loan and no title named: nothing to print, said so.
    class(&app, "7E", 1).await;
    let p = app.get("/api/v1/class-sets/print?grade=7E", Some(&app.admin)).await.problem(422, "validation");
    assert_eq!(p["errors"][0]["code"], "nothing_to_print");
}
