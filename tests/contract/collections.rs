//! Collection types and the loan-rule matrix (issue #30) on both backends: the seeded types, a
//! book's type and a copy's override, reference copies read in the library only, and each rule of
//! the matrix (may borrow, in-library use only, loan days, the most loans of a type, renewals, the
//! fine per day and its grace days); no row lends as before.

use crate::common;

use common::TestApp;
use serde_json::{json, Value};

contract!(
    collection_types_are_seeded_and_admin_defined,
    a_book_has_a_type_and_a_copy_may_override_it,
    a_reference_copy_is_read_in_the_library_with_the_type_named,
    the_matrix_may_keep_a_type_in_the_library_for_one_category,
    the_matrix_sets_loan_days_by_type,
    the_matrix_limits_loans_of_a_type_within_the_total,
    the_matrix_sets_renewals_by_type,
    the_matrix_sets_the_fine_per_day_and_grace_by_type,
    without_a_row_a_typed_copy_lends_as_before,
    the_matrix_is_read_and_set_by_admins_with_clear_errors,
    terms_are_kept_in_the_calendar_with_clear_errors,
    a_rule_may_lend_until_the_end_of_the_term,
    an_in_library_use_is_recorded_never_lent_and_counted,
    the_collection_is_reported_by_type,
    a_sheets_collection_type_column_maps_to_types,
);

async fn typed_book(app: &TestApp, title: &str, collection_type: &str) -> i64 {
    let body = app
        .post(
            "/api/v1/books",
            Some(&app.admin),
            json!({ "title": title, "authors": ["Penulis Uji"], "collection_type": collection_type }),
        )
        .await
        .expect(201);
    assert_eq!(body["collection_type"], collection_type, "{body}");
    body["id"].as_i64().unwrap()
}

async fn put_rule(app: &TestApp, category: &str, collection_type: &str, rule: Value) -> Value {
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/loan-rules/{category}/{collection_type}"),
        Some(&app.admin),
        Some(rule),
    )
    .await
    .expect(200)
}

fn due_day(loan: &Value) -> chrono::NaiveDate {
    let at: chrono::DateTime<chrono::Utc> = loan["due_at"].as_str().unwrap().parse().unwrap();
    // The end of the due day in Jakarta (UTC+7) is before midnight UTC of the next day.
    (at + chrono::Duration::hours(7)).date_naive()
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

async fn collection_types_are_seeded_and_admin_defined(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let types = app.get("/api/v1/collection-types", admin).await.expect(200);
    let codes: Vec<&str> = types["items"].as_array().unwrap().iter().map(|t| t["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["av", "berkala", "fiksi", "nonfiksi", "paket", "referensi"]);
    let reference = types["items"].as_array().unwrap().iter().find(|t| t["code"] == "referensi").unwrap();
    assert_eq!(reference["name"], "Referensi");
    assert_eq!(reference["loanable"], false);

    let t = app
        .call(reqwest::Method::PUT, "/api/v1/collection-types/Komik", admin, Some(json!({ "name": "Komik" })))
        .await
        .expect(200);
    assert_eq!(t, json!({ "code": "komik", "name": "Komik", "loanable": true }));
    app.call(reqwest::Method::PUT, "/api/v1/collection-types/bad code", admin, Some(json!({ "name": "X" })))
        .await
        .problem(422, "validation");
    let p = app
        .call(reqwest::Method::PUT, "/api/v1/collection-types/kosong", admin, Some(json!({ "name": "  " })))
        .await
        .problem(422, "validation");
    assert_eq!(p["errors"][0]["field"], "name", "{p}");

    // A type in use stays; an unused one goes.
    typed_book(&app, "Doraemon", "komik").await;
    app.delete("/api/v1/collection-types/komik", admin).await.problem(409, "collection_type_in_use");
    app.delete("/api/v1/collection-types/av", admin).await.expect(204);
    app.delete("/api/v1/collection-types/av", admin).await.problem(404, "not_found");

    // Only admins change them; a member may not even read them.
    let librarian = app.add_librarian().await;
    app.get("/api/v1/collection-types", Some(&librarian)).await.expect(200);
    app.call(reqwest::Method::PUT, "/api/v1/collection-types/x", Some(&librarian), Some(json!({ "name": "X" })))
        .await
        .problem(403, "forbidden");
}

async fn a_book_has_a_type_and_a_copy_may_override_it(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = typed_book(&app, "Laskar Pelangi", "fiksi").await;
    app.copy(book, "LP-1").await;
    app.copy(book, "LP-2").await;
    let c = app.get("/api/v1/copies/LP-1", admin).await.expect(200);
    assert_eq!(c["collection_type"], "fiksi");
    assert_eq!(c["collection_type_override"], Value::Null);

    let c = app.patch("/api/v1/copies/LP-2", admin, json!({ "collection_type": "referensi" })).await.expect(200);
    assert_eq!(
        (c["collection_type"].as_str(), c["collection_type_override"].as_str()),
        (Some("referensi"), Some("referensi"))
    );
    // The book's type changes; the copy's override stays.
    let b =
        app.patch(&format!("/api/v1/books/{book}"), admin, json!({ "collection_type": "nonfiksi" })).await.expect(200);
    assert_eq!(b["collection_type"], "nonfiksi");
    assert_eq!(app.get("/api/v1/copies/LP-1", admin).await.expect(200)["collection_type"], "nonfiksi");
    assert_eq!(app.get("/api/v1/copies/LP-2", admin).await.expect(200)["collection_type"], "referensi");
    // Cleared (null or empty): the book's again; the book's cleared: none.
    let c = app.patch("/api/v1/copies/LP-2", admin, json!({ "collection_type": "" })).await.expect(200);
    assert_eq!(c["collection_type"], "nonfiksi");
    let b = app.patch(&format!("/api/v1/books/{book}"), admin, json!({ "collection_type": null })).await.expect(200);
    assert_eq!(b["collection_type"], Value::Null);

    // An unknown type is the field's 422, and nothing changes.
    for r in [
        app.patch(&format!("/api/v1/books/{book}"), admin, json!({ "collection_type": "komik" })).await,
        app.patch("/api/v1/copies/LP-1", admin, json!({ "collection_type": "komik" })).await,
        app.post("/api/v1/books", admin, json!({ "title": "X", "authors": ["Y"], "collection_type": "komik" })).await,
    ] {
        let p = r.problem(422, "validation");
        assert_eq!(p["errors"][0]["field"], "collection_type", "{p}");
        assert_eq!(p["errors"][0]["code"], "unknown_collection_type", "{p}");
    }
    assert_eq!(app.get(&format!("/api/v1/books/{book}"), admin).await.expect(200)["collection_type"], Value::Null);
}

async fn a_reference_copy_is_read_in_the_library_with_the_type_named(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let kbbi = typed_book(&app, "Kamus Besar Bahasa Indonesia", "referensi").await;
    app.copy(kbbi, "KBBI-1").await;
    let novel = typed_book(&app, "Ronggeng Dukuh Paruk", "fiksi").await;
    app.copy(novel, "RDP-1").await;
    app.copy(novel, "RDP-2").await;
    app.patch("/api/v1/copies/RDP-2", admin, json!({ "collection_type": "referensi" })).await.expect(200);
    let (_, card) = app.member("Siti", "staff").await;
    for barcode in ["KBBI-1", "RDP-2"] {
        let p = app.checkout(barcode, &card).await.problem(409, "not_for_loan");
        assert_eq!(p["collection_type"], "Referensi", "{p}");
        assert!(p["detail"].as_str().unwrap().contains("read in the library"), "{p}");
        // Never lent: the copy stays on the shelf.
        assert_eq!(app.get(&format!("/api/v1/copies/{barcode}"), admin).await.expect(200)["status"], "available");
    }
    // Even a matrix row that says "may borrow" does not lend a reference type.
    put_rule(&app, "staff", "referensi", json!({ "lendable": true })).await;
    app.checkout("KBBI-1", &card).await.problem(409, "not_for_loan");
    // The other copy of the novel lends as any.
    app.checkout("RDP-1", &card).await.expect(201);
}

async fn the_matrix_may_keep_a_type_in_the_library_for_one_category(app: TestApp) {
    let book = typed_book(&app, "Majalah Bobo", "berkala").await;
    app.copy(book, "BOBO-1").await;
    app.copy(book, "BOBO-2").await;
    put_rule(&app, "student", "berkala", json!({ "lendable": false })).await;
    let (_, student) = app.member("Andi", "student").await;
    let (_, teacher) = app.member("Bu Rina", "staff").await;
    let p = app.checkout("BOBO-1", &student).await.problem(409, "not_for_loan");
    assert_eq!(p["collection_type"], "Terbitan Berkala");
    app.checkout("BOBO-1", &teacher).await.expect(201);
}

async fn the_matrix_sets_loan_days_by_type(app: TestApp) {
    let paket = typed_book(&app, "Matematika Kelas VII", "paket").await;
    app.copy(paket, "MTK-1").await;
    let novel = typed_book(&app, "Negeri 5 Menara", "fiksi").await;
    app.copy(novel, "N5M-1").await;
    put_rule(&app, "student", "paket", json!({ "lendable": true, "loan_days": 120 })).await;
    let (_, card) = app.member("Andi", "student").await;
    let today = app.today();
    let textbook = app.checkout("MTK-1", &card).await.expect(201);
    let ordinary = app.checkout("N5M-1", &card).await.expect(201);
    let (t, o) = ((due_day(&textbook) - today).num_days(), (due_day(&ordinary) - today).num_days());
    // 120 and the category's 7 days, each moved to an open day (at most a few days later).
    assert!((120..125).contains(&t), "textbook due in {t} days");
    assert!((7..12).contains(&o), "novel due in {o} days");
}

async fn the_matrix_limits_loans_of_a_type_within_the_total(app: TestApp) {
    let book = typed_book(&app, "Bahasa Indonesia Kelas VIII", "paket").await;
    for b in ["BI-1", "BI-2", "BI-3", "BI-4"] {
        app.copy(book, b).await;
    }
    let other = typed_book(&app, "Atlas Dunia Remaja", "nonfiksi").await;
    for b in ["AT-1", "AT-2", "AT-3"] {
        app.copy(other, b).await;
    }
    put_rule(&app, "student", "paket", json!({ "lendable": true, "max_loans": 1 })).await;
    put_rule(&app, "student", "nonfiksi", json!({ "lendable": true, "max_loans": 50 })).await;
    let (_, card) = app.member("Andi", "student").await;
    app.checkout("BI-1", &card).await.expect(201);
    let p = app.checkout("BI-2", &card).await.problem(409, "type_limit");
    assert_eq!(p["collection_type"], "Buku Paket");
    // Returned, another may go.
    app.checkin("BI-1").await.expect(200);
    app.checkout("BI-2", &card).await.expect(201);
    // A row's larger limit never raises the category's total (3 for a student).
    app.checkout("AT-1", &card).await.expect(201);
    app.checkout("AT-2", &card).await.expect(201);
    app.checkout("AT-3", &card).await.problem(409, "loan_limit");
}

async fn the_matrix_sets_renewals_by_type(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let paket = typed_book(&app, "IPA Kelas IX", "paket").await;
    app.copy(paket, "IPA-1").await;
    let novel = typed_book(&app, "Sang Pemimpi", "fiksi").await;
    app.copy(novel, "SP-1").await;
    put_rule(&app, "student", "paket", json!({ "lendable": true, "max_renewals": 0 })).await;
    put_rule(&app, "student", "fiksi", json!({ "lendable": true, "max_renewals": 2 })).await;
    let (member, card) = app.member("Andi", "student").await;
    let textbook = app.checkout("IPA-1", &card).await.expect(201);
    let story = app.checkout("SP-1", &card).await.expect(201);
    app.post(&format!("/api/v1/loans/{}/renew", id(&textbook)), admin, json!({})).await.problem(409, "renew_limit");
    // The category allows one; the row for fiction two.
    app.post(&format!("/api/v1/loans/{}/renew", id(&story)), admin, json!({})).await.expect(200);
    // The member's loans say the same.
    let loans = app.get(&format!("/api/v1/members/{member}/loans"), admin).await.expect(200);
    let of = |l: &Value| loans["items"].as_array().unwrap().iter().find(|x| x["id"] == l["id"]).unwrap().clone();
    assert_eq!(of(&textbook)["renew_refusal"], "renew_limit");
    assert_eq!(of(&story)["renewable"], true);
    app.post(&format!("/api/v1/loans/{}/renew", id(&story)), admin, json!({})).await.expect(200);
    app.post(&format!("/api/v1/loans/{}/renew", id(&story)), admin, json!({})).await.problem(409, "renew_limit");
}

async fn the_matrix_sets_the_fine_per_day_and_grace_by_type(app: TestApp) {
    let plain = app.book("Buku Tanpa Jenis").await;
    app.copy(plain, "PL-1").await;
    let dvd = typed_book(&app, "Film Dokumenter", "av").await;
    app.copy(dvd, "AV-1").await;
    let magazine = typed_book(&app, "Majalah Hai", "berkala").await;
    app.copy(magazine, "HAI-1").await;
    put_rule(&app, "staff", "av", json!({ "lendable": true, "fine_per_day": 2000 })).await;
    put_rule(&app, "staff", "berkala", json!({ "lendable": true, "fine_per_day": 2000, "fine_grace_days": 60 })).await;
    // A teacher borrows all three 30 days ago (14 days each): all late by the same open days.
    let (_, card) = app.member("Pak Budi", "staff").await;
    for b in ["PL-1", "AV-1", "HAI-1"] {
        app.checkout_days_ago(b, &card, 30).await.expect(201);
    }
    // Still out, the fines accruing count each loan by its type's rule, as the returns will charge.
    let member = app.get("/api/v1/members?q=Pak%20Budi", Some(&app.admin)).await.expect(200)["items"][0].clone();
    let accruing = member["accruing_fines"].as_i64().unwrap();
    let fine = |r: Value| r["fine"]["amount"].as_i64().unwrap_or(0);
    let plain_fine = fine(app.checkin("PL-1").await.expect(200));
    let av_fine = fine(app.checkin("AV-1").await.expect(200));
    let magazine_fine = fine(app.checkin("HAI-1").await.expect(200));
    assert!(plain_fine > 0, "the category's Rp 500 a day");
    assert_eq!(av_fine, plain_fine / 500 * 2000, "the row's Rp 2000 a day over the same days");
    assert_eq!(magazine_fine, 0, "within the row's 60 days of grace");
    assert_eq!(accruing, plain_fine + av_fine + magazine_fine, "{member}");
}

async fn without_a_row_a_typed_copy_lends_as_before(app: TestApp) {
    let plain = app.book("Buku Tanpa Jenis").await;
    app.copy(plain, "PL-1").await;
    let novel = typed_book(&app, "Cantik Itu Luka", "fiksi").await;
    app.copy(novel, "CIL-1").await;
    let (_, card) = app.member("Andi", "student").await;
    let a = app.checkout("PL-1", &card).await.expect(201);
    let b = app.checkout("CIL-1", &card).await.expect(201);
    assert_eq!(a["due_at"], b["due_at"]);
}

async fn the_matrix_is_read_and_set_by_admins_with_clear_errors(app: TestApp) {
    let admin = Some(app.admin.as_str());
    assert_eq!(app.get("/api/v1/loan-rules", admin).await.expect(200)["items"], json!([]));
    let row = put_rule(&app, "student", "paket", json!({ "lendable": true, "loan_days": 120, "max_loans": 10 })).await;
    assert_eq!(
        row,
        json!({ "category": "student", "collection_type": "paket", "lendable": true, "loan_days": 120,
                "max_loans": 10, "max_renewals": null, "fine_per_day": null, "fine_grace_days": 0,
                "due_end_of_term": false })
    );
    // Set again: replaced, not added.
    put_rule(&app, "student", "paket", json!({ "lendable": true, "loan_days": 90 })).await;
    let all = app.get("/api/v1/loan-rules", admin).await.expect(200);
    assert_eq!(all["items"].as_array().unwrap().len(), 1);
    assert_eq!(all["items"][0]["loan_days"], 90);

    let put = |path: &'static str, body: Value| {
        let app = &app;
        async move { app.call(reqwest::Method::PUT, path, Some(&app.admin), Some(body)).await }
    };
    let p = put("/api/v1/loan-rules/student/paket", json!({ "lendable": true, "loan_days": 0 }))
        .await
        .problem(422, "validation");
    assert_eq!(p["errors"][0]["field"], "rule", "{p}");
    put("/api/v1/loan-rules/student/paket", json!({ "loan_days": 3 })).await.problem(422, "validation");
    put("/api/v1/loan-rules/nobody/paket", json!({ "lendable": true })).await.problem(404, "not_found");
    put("/api/v1/loan-rules/student/komik", json!({ "lendable": true })).await.problem(404, "not_found");
    assert_eq!(app.get("/api/v1/loan-rules", admin).await.expect(200)["items"][0]["loan_days"], 90, "unchanged");

    let librarian = app.add_librarian().await;
    app.call(
        reqwest::Method::PUT,
        "/api/v1/loan-rules/student/paket",
        Some(&librarian),
        Some(json!({ "lendable": true })),
    )
    .await
    .problem(403, "forbidden");
    app.delete("/api/v1/loan-rules/student/paket", admin).await.expect(204);
    app.delete("/api/v1/loan-rules/student/paket", admin).await.problem(404, "not_found");
}

async fn add_term(app: &TestApp, name: &str, from: chrono::NaiveDate, to: chrono::NaiveDate) -> common::Res {
    app.post("/api/v1/terms", Some(&app.admin), json!({ "name": name, "starts_on": from, "ends_on": to })).await
}

async fn terms_are_kept_in_the_calendar_with_clear_errors(app: TestApp) {
    let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let t = add_term(&app, "Semester Ganjil 2026/2027", d("2026-07-13"), d("2026-12-19")).await.expect(201);
    assert_eq!(t["ends_on"], "2026-12-19");
    add_term(&app, "Semester Genap 2026/2027", d("2027-01-04"), d("2027-06-19")).await.expect(201);
    let p = add_term(&app, "Salah", d("2027-08-01"), d("2027-07-01")).await.problem(422, "validation");
    assert_eq!(p["errors"][0]["field"], "ends_on", "{p}");
    let p = add_term(&app, "Tumpang tindih", d("2026-12-01"), d("2027-01-10")).await.problem(422, "validation");
    assert_eq!(
        (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
        (Some("starts_on"), Some("term_overlaps"))
    );
    let p = add_term(&app, " ", d("2027-08-01"), d("2027-09-01")).await.problem(422, "validation");
    assert_eq!(p["errors"][0]["field"], "name", "{p}");
    app.post(
        "/api/v1/terms",
        Some(&app.admin),
        json!({ "name": "X", "starts_on": "2027-13-01", "ends_on": "2027-12-01" }),
    )
    .await
    .problem(422, "validation");
    // Read by anyone (the calendar is public); changed by admins only.
    let terms = app.get("/api/v1/terms", None).await.expect(200);
    assert_eq!(terms["items"].as_array().unwrap().len(), 2, "nothing refused was stored: {terms}");
    let librarian = app.add_librarian().await;
    app.post(
        "/api/v1/terms",
        Some(&librarian),
        json!({ "name": "X", "starts_on": "2028-01-01", "ends_on": "2028-02-01" }),
    )
    .await
    .problem(403, "forbidden");
    app.delete(&format!("/api/v1/terms/{}", id(&t)), Some(&app.admin)).await.expect(204);
    app.delete(&format!("/api/v1/terms/{}", id(&t)), Some(&app.admin)).await.problem(404, "not_found");
}

async fn a_rule_may_lend_until_the_end_of_the_term(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = typed_book(&app, "PPKn Kelas VII", "paket").await;
    app.copy(book, "PKN-1").await;
    app.copy(book, "PKN-2").await;
    put_rule(&app, "student", "paket", json!({ "lendable": true, "due_end_of_term": true })).await;
    let (_, card) = app.member("Andi", "student").await;
    // No term contains today: refused in words, and nothing lent.
    let p = app.checkout("PKN-1", &card).await.problem(409, "no_current_term");
    assert!(p["detail"].as_str().unwrap().contains("end of the term"), "{p}");
    assert_eq!(app.get("/api/v1/copies/PKN-1", admin).await.expect(200)["status"], "available");
    // A term from ten days ago to 60 days ahead: due on its last day (or the next open day).
    let today = app.today();
    let end = today + chrono::Duration::days(60);
    add_term(&app, "Semester ini", today - chrono::Duration::days(10), end).await.expect(201);
    let loan = app.checkout("PKN-1", &card).await.expect(201);
    let late = (due_day(&loan) - end).num_days();
    assert!((0..4).contains(&late), "due {} for a term ending {end}", due_day(&loan));
    // Renewed: still the end of the term, never later.
    let renewed = app.post(&format!("/api/v1/loans/{}/renew", id(&loan)), admin, json!({})).await.expect(200);
    assert_eq!(renewed["due_at"], loan["due_at"]);
    // Other types lend by days as before.
    let novel = typed_book(&app, "Bumi", "fiksi").await;
    app.copy(novel, "BUMI-1").await;
    let other = app.checkout("BUMI-1", &card).await.expect(201);
    assert!((due_day(&other) - today).num_days() < 12);
}

async fn an_in_library_use_is_recorded_never_lent_and_counted(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let kbbi = typed_book(&app, "Kamus Besar Bahasa Indonesia", "referensi").await;
    app.copy(kbbi, "KBBI-1").await;
    let novel = typed_book(&app, "Laut Bercerita", "fiksi").await;
    app.copy(novel, "LB-1").await;
    let (member, card) = app.member("Siti", "student").await;
    let librarian = app.add_librarian().await;

    let u = app.post("/api/v1/in-library-uses", Some(&librarian), json!({ "barcode": "KBBI-1" })).await.expect(201);
    assert_eq!((u["barcode"].as_str(), u["collection_type"].as_str()), (Some("KBBI-1"), Some("referensi")));
    assert_eq!(u["member_id"], Value::Null);
    let u = app
        .post("/api/v1/in-library-uses", admin, json!({ "barcode": "kbbi-1", "card_number": card }))
        .await
        .expect(201);
    assert_eq!(u["member_id"], member);
    // A lent copy read at a table stays lent; an available one stays on the shelf; no loan is made.
    app.checkout("LB-1", &card).await.expect(201);
    app.post("/api/v1/in-library-uses", admin, json!({ "barcode": "LB-1" })).await.expect(201);
    assert_eq!(app.get("/api/v1/copies/LB-1", admin).await.expect(200)["status"], "on_loan");
    assert_eq!(app.get("/api/v1/copies/KBBI-1", admin).await.expect(200)["status"], "available");
    let loans = app.get(&format!("/api/v1/members/{member}/loans"), admin).await.expect(200);
    assert_eq!(loans["items"].as_array().unwrap().len(), 1, "only the one loan: {loans}");

    // Clear errors, nothing recorded.
    app.post("/api/v1/in-library-uses", admin, json!({ "barcode": "NOPE-1" })).await.problem(404, "not_found");
    app.post("/api/v1/in-library-uses", admin, json!({ "barcode": "KBBI-1", "card_number": "P00000000" }))
        .await
        .problem(404, "not_found");
    let p = app.post("/api/v1/in-library-uses", admin, json!({ "barcode": "a b" })).await.problem(422, "validation");
    assert_eq!(p["errors"][0]["field"], "barcode");
    app.post("/api/v1/in-library-uses", None, json!({ "barcode": "KBBI-1" })).await.problem(401, "unauthenticated");

    // Counted by day and type.
    let today = app.today().to_string();
    let rows = app.get(&format!("/api/v1/reports/in-library-uses?from={today}&to={today}"), admin).await.expect(200);
    assert_eq!(
        rows,
        json!([
            { "date": today, "collection_type": "fiksi", "collection_type_name": "Fiksi", "uses": 1 },
            { "date": today, "collection_type": "referensi", "collection_type_name": "Referensi", "uses": 2 },
        ])
    );
}

async fn the_collection_is_reported_by_type(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let novel = typed_book(&app, "Gadis Kretek", "fiksi").await;
    for b in ["GK-1", "GK-2", "GK-3"] {
        app.copy(novel, b).await;
    }
    app.patch("/api/v1/copies/GK-3", admin, json!({ "collection_type": "referensi" })).await.expect(200);
    let other = typed_book(&app, "Ensiklopedia Nusantara", "referensi").await;
    app.copy(other, "EN-1").await;
    app.copy(other, "EN-2").await;
    app.patch("/api/v1/copies/EN-2", admin, json!({ "status": "withdrawn" })).await.expect(200);
    let plain = app.book("Tanpa Jenis").await;
    app.copy(plain, "TJ-1").await;
    let rows = app.get("/api/v1/reports/collection-by-type", admin).await.expect(200);
    let row = |code: &str| rows.as_array().unwrap().iter().find(|r| r["collection_type"] == code).unwrap().clone();
    assert_eq!((row("fiksi")["all_titles"].as_i64(), row("fiksi")["all_copies"].as_i64()), (Some(1), Some(2)));
    assert_eq!((row("referensi")["all_titles"].as_i64(), row("referensi")["all_copies"].as_i64()), (Some(2), Some(2)));
    assert_eq!(row("referensi")["collection_type_name"], "Referensi");
    assert_eq!((row("paket")["all_titles"].as_i64(), row("paket")["all_copies"].as_i64()), (Some(0), Some(0)));
    assert_eq!((row("-")["all_titles"].as_i64(), row("-")["all_copies"].as_i64()), (Some(1), Some(1)));
    // As a spreadsheet too, headed in Indonesian.
    let csv = app.get("/api/v1/reports/collection-by-type?format=csv", admin).await.expect(200);
    assert!(csv.as_str().unwrap().contains("Jenis koleksi"), "{csv}");
}

async fn a_sheets_collection_type_column_maps_to_types(app: TestApp) {
    let admin = Some(app.admin.as_str());
    // A school's list: the type in its own words, a type Pustaka does not have yet, one empty.
    let sheet = "Judul Buku;Pengarang;Barcode;Jenis Koleksi\n\
                 Kamus Inggris;Echols;K-1;referensi\n\
                 Kamus Inggris;Echols;K-2;referensi\n\
                 Matematika VII;Tim;M-1;Buku Paket\n\
                 Matematika VII;Tim;M-2;Referensi\n\
                 Peta Jawa;BIG;P-1;Peta\n\
                 Catatan;Siapa;C-1;\n";
    let dry = app.import_file("/api/v1/import/books?dry_run=true", sheet.as_bytes()).await;
    assert_eq!((dry["copies_typed"].as_i64(), dry["collection_types_created"].as_i64()), (Some(5), Some(1)), "{dry:#}");
    assert_eq!(app.get("/api/v1/collection-types", admin).await.expect(200)["items"].as_array().unwrap().len(), 6);
    let done = app.import_file("/api/v1/import/books", sheet.as_bytes()).await;
    assert_eq!(
        (done["copies_typed"].as_i64(), done["collection_types_created"].as_i64()),
        (Some(5), Some(1)),
        "{done:#}"
    );
    let ty = |barcode: &'static str| {
        let app = &app;
        async move { app.get(&format!("/api/v1/copies/{barcode}"), None).await.expect(200)["collection_type"].clone() }
    };
    assert_eq!(ty("K-2").await, "referensi");
    assert_eq!(ty("M-1").await, "paket", "by name");
    assert_eq!(ty("M-2").await, "referensi", "a later row of the book: the copy's own type");
    assert_eq!(ty("P-1").await, "peta", "made");
    assert_eq!(ty("C-1").await, Value::Null);
    let (_, card) = app.member("Andi", "student").await;
    app.checkout("K-1", &card).await.problem(409, "not_for_loan");
    app.checkout("M-1", &card).await.expect(201);
    // Again: nothing new.
    let again = app.import_file("/api/v1/import/books", sheet.as_bytes()).await;
    assert_eq!((again["copies_typed"].as_i64(), again["collection_types_created"].as_i64()), (Some(0), Some(0)));
}
