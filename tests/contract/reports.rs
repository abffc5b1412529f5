//! The reports of issue 15 on both backends, against a fixture counted by hand: seven loans made
//! over 70 days by four members of three categories, from three books of two DDC classes and one
//! with no class, one loan still out and overdue, one late return fined, paid in part and waived,
//! and four visits (one a guest).
//! Every figure of every report is asserted; so are the downloads and the refusals.

use crate::common;

use chrono::{Duration, NaiveDate};
use common::TestApp;
use serde_json::{json, Value};

contract!(
    reports_agree_with_a_hand_counted_fixture,
    a_loan_is_reported_as_things_were_when_it_was_made;
    tcp: reports_download_and_refuse
);

/// `f` with the store's clock set `days` back.
async fn days_ago<T>(app: &TestApp, days: i64, f: impl std::future::Future<Output = T>) -> T {
    app.clock.shift(-Duration::days(days));
    let out = f.await;
    app.clock.reset();
    out
}

async fn book(app: &TestApp, title: &str, class: Option<&str>, barcodes: &[&str]) {
    let body = json!({"title": title, "authors": ["Penulis Uji"], "classification": class});
    let id = app.post("/api/v1/books", Some(&app.admin), body).await.expect(201)["id"].as_i64().unwrap();
    for b in barcodes {
        app.copy(id, b).await;
    }
}

async fn report(app: &TestApp, name: &str, query: &str) -> Vec<Value> {
    let v = app.get(&format!("/api/v1/reports/{name}?{query}"), Some(&app.admin)).await.expect(200);
    v.as_array().unwrap_or_else(|| panic!("{name}: {v}")).clone()
}

/// The row whose `key` column is `value`.
fn row<'a>(rows: &'a [Value], key: &str, value: &str) -> &'a Value {
    rows.iter().find(|r| r[key] == value).unwrap_or_else(|| panic!("no row {key}={value} in {rows:?}"))
}

async fn reports_agree_with_a_hand_counted_fixture(app: TestApp) {
    let admin = Some(app.admin.as_str());
    book(&app, "Serangga Nusantara", Some("595.7"), &["SN-1", "SN-2"]).await; // class 500
    book(&app, "Belajar Rust", Some("005.13"), &["BR-1"]).await; // class 000
    book(&app, "Cantik Itu Luka", None, &["CL-1"]).await; // no class
    let (_, s1) = app.member("Siswa Satu", "student").await;
    let (_, s2) = app.member("Siswa Dua", "student").await;
    let (_, t1) = app.member("Guru Satu", "staff").await;
    let (_, p1) = app.member("Tamu Satu", "public").await;

    // (days ago lent, barcode, card, days ago returned or None)
    let loans: [(i64, &str, &str, Option<i64>); 8] = [
        (70, "CL-1", &s1, Some(65)), // before the range
        (40, "SN-1", &s1, Some(38)),
        (40, "BR-1", &t1, Some(35)),
        (30, "BR-1", &p1, Some(10)), // late: fined on return
        (20, "SN-1", &s1, Some(18)),
        (20, "CL-1", &s2, None), // still out, overdue
        (5, "SN-2", &t1, None),  // still out, not due
        (2, "BR-1", &s1, Some(0)),
    ];
    let mut events: Vec<(i64, bool, usize)> = Vec::new(); // (days ago, is return, loan)
    for (i, (lent, _, _, back)) in loans.iter().enumerate() {
        events.push((*lent, false, i));
        if let Some(b) = back {
            events.push((*b, true, i));
        }
    }
    events.sort_by_key(|(d, is_return, _)| (-d, !is_return));
    let mut fine = Value::Null;
    for (d, is_return, i) in events {
        let (_, barcode, card, _) = loans[i];
        if is_return {
            let r = days_ago(&app, d, app.checkin(barcode)).await.expect(200);
            if barcode == "BR-1" && d == 10 {
                fine = r["fine"].clone();
            }
        } else {
            days_ago(&app, d, app.checkout(barcode, card)).await.expect(201);
        }
    }
    let charged = fine["amount"].as_i64().unwrap_or_else(|| panic!("the late return was not fined: {fine}"));
    let fine_id = fine["id"].as_i64().unwrap();
    app.post(&format!("/api/v1/fines/{fine_id}/pay"), admin, json!({"amount": 1_000})).await.expect(200);
    app.post(&format!("/api/v1/fines/{fine_id}/waive"), admin, json!({"reason": "keringanan"})).await.expect(200);

    // Visits: two members and a guest 40 days ago, one member today (the visitor log).
    for (i, (days, who)) in [(40, Some(&s1)), (40, Some(&t1)), (40, None), (0, Some(&s2))].into_iter().enumerate() {
        let body = match who {
            Some(card) => json!({"client_id": format!("report-visit-{i}"), "card_number": card}),
            None => {
                json!({"client_id": format!("report-visit-{i}"), "guest_name": "Tamu Sekolah", "institution": "SMP 2"})
            }
        };
        days_ago(&app, days, app.post("/api/v1/visits", admin, body)).await.expect(201);
    }

    let today = app.today();
    let from = today - Duration::days(60);
    let range = format!("from={from}&to={today}");
    let month = |days: i64| (today - Duration::days(days)).format("%Y-%m").to_string();
    let in_range = [40, 40, 30, 20, 20, 5, 2];

    // Loans per month: every month of the range, zeros included, the seven loans in their months.
    let rows = report(&app, "loans-per-month", &range).await;
    let mut expected_months: Vec<String> = Vec::new();
    let mut m = from.format("%Y-%m").to_string();
    let mut d = from;
    while d <= today {
        if expected_months.last() != Some(&m) {
            expected_months.push(m.clone());
        }
        d += Duration::days(1);
        m = d.format("%Y-%m").to_string();
    }
    assert_eq!(rows.iter().map(|r| r["month"].as_str().unwrap().to_owned()).collect::<Vec<_>>(), expected_months);
    for r in &rows {
        let key = r["month"].as_str().unwrap();
        let n = in_range.iter().filter(|d| month(**d) == key).count() as i64;
        assert_eq!(r["loans"], n, "{key}: {rows:?}");
    }

    // Loans per day: one row per day, 61 days, the same seven loans.
    let rows = report(&app, "loans-per-day", &range).await;
    assert_eq!(rows.len(), 61);
    assert_eq!(rows.iter().map(|r| r["loans"].as_i64().unwrap()).sum::<i64>(), 7);
    assert_eq!(row(&rows, "date", &(today - Duration::days(20)).to_string())["loans"], 2);
    assert_eq!(row(&rows, "date", &(today - Duration::days(2)).to_string())["loans"], 1);
    assert_eq!(row(&rows, "date", &(today - Duration::days(3)).to_string())["loans"], 0);

    // By category: students lent 4 times to 2 members, staff 2 times to 1, public once.
    let rows = report(&app, "loans-by-category", &range).await;
    for (code, loans, borrowers) in [("student", 4, 2), ("staff", 2, 1), ("public", 1, 1)] {
        let r = row(&rows, "category", code);
        assert_eq!((r["loans"].as_i64(), r["borrowers"].as_i64()), (Some(loans), Some(borrowers)), "{code}");
    }

    // By DDC class: 500 (SN) 3, 000 (BR) 3, no class (CL) 1, every other class 0.
    let rows = report(&app, "loans-by-class", &range).await;
    assert_eq!(rows.len(), 11);
    for r in &rows {
        let expected = match r["class"].as_str().unwrap() {
            "500" | "000" => 3,
            "other" => 1,
            _ => 0,
        };
        assert_eq!(r["loans"], expected, "{r}");
    }

    // The most borrowed: ties broken by the book's id (the older record first).
    let rows = report(&app, "top-titles", &range).await;
    let top: Vec<(i64, &str, i64)> = rows
        .iter()
        .map(|r| (r["rank"].as_i64().unwrap(), r["title"].as_str().unwrap(), r["loans"].as_i64().unwrap()))
        .collect();
    assert_eq!(top, [(1, "Serangga Nusantara", 3), (2, "Belajar Rust", 3), (3, "Cantik Itu Luka", 1)]);

    // Active members: everyone who borrowed in the range, against all members of the category.
    let rows = report(&app, "active-members", &range).await;
    for (code, active, all) in [("student", 2, 2), ("staff", 1, 1), ("public", 1, 1)] {
        let r = row(&rows, "category", code);
        assert_eq!((r["active_members"].as_i64(), r["members"].as_i64()), (Some(active), Some(all)), "{code}");
    }
    // A range that holds only the loan before it: one active student.
    let early = format!("from={}&to={}", today - Duration::days(75), today - Duration::days(61));
    let rows = report(&app, "active-members", &early).await;
    assert_eq!(row(&rows, "category", "student")["active_members"], 1);
    assert_eq!(row(&rows, "category", "staff")["active_members"], 0);

    // Acquisitions: all three titles and four copies were catalogued today.
    let rows = report(&app, "acquisitions", &range).await;
    for r in &rows {
        let this_month = r["month"] == month(0);
        assert_eq!(r["titles"], if this_month { 3 } else { 0 }, "{r}");
        assert_eq!(r["copies"], if this_month { 4 } else { 0 }, "{r}");
    }

    // The collection as it stands: SN-2 and CL-1 are out.
    let rows = report(&app, "collection", "").await;
    let class = |c: &str| row(&rows, "class", c).clone();
    let (c500, c000, other) = (class("500"), class("000"), class("other"));
    assert_eq!(
        (c500["available"].as_i64(), c500["on_loan"].as_i64(), c500["total"].as_i64()),
        (Some(1), Some(1), Some(2))
    );
    assert_eq!((c000["available"].as_i64(), c000["total"].as_i64()), (Some(1), Some(1)));
    assert_eq!((other["on_loan"].as_i64(), other["total"].as_i64()), (Some(1), Some(1)));
    assert_eq!(rows.iter().map(|r| r["total"].as_i64().unwrap()).sum::<i64>(), 4);

    // Overdue now: CL-1 with Siswa Dua, due as the loan said.
    let rows = report(&app, "overdue", "").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0]["barcode"].as_str(), rows[0]["member_name"].as_str()), (Some("CL-1"), Some("Siswa Dua")));
    let due: NaiveDate = rows[0]["due_date"].as_str().unwrap().parse().unwrap();
    assert_eq!(rows[0]["days_late"], (today - due).num_days());

    // Fines: charged in the month of the late return; 1,000 paid and the rest waived today.
    let rows = report(&app, "fines", &range).await;
    for r in &rows {
        let key = r["month"].as_str().unwrap();
        let charged_here = if key == month(10) { charged } else { 0 };
        let (paid, waived) = if key == month(0) { (1_000, charged - 1_000) } else { (0, 0) };
        assert_eq!(
            (r["charged"].as_i64(), r["paid"].as_i64(), r["waived"].as_i64()),
            (Some(charged_here), Some(paid), Some(waived)),
            "{key}: {rows:?}"
        );
    }

    // Visits per month: 3 (one a guest) 40 days ago, 1 today; the same month when both are.
    let rows = report(&app, "visitors", &range).await;
    for r in &rows {
        let key = r["month"].as_str().unwrap();
        let (mut visits, mut guests) = (0, 0);
        if key == month(40) {
            (visits, guests) = (visits + 3, guests + 1);
        }
        if key == month(0) {
            visits += 1;
        }
        let got = (r["visits"].as_i64(), r["member_visits"].as_i64(), r["guest_visits"].as_i64());
        assert_eq!(got, (Some(visits), Some(visits - guests), Some(guests)), "{key}: {rows:?}");
    }
}

/// A loan counts under its borrower's category and its book's DDC class at the time it was made;
/// the collection and the active members go by how things are now.
async fn a_loan_is_reported_as_things_were_when_it_was_made(app: TestApp) {
    let admin = Some(app.admin.as_str());
    book(&app, "Serangga Nusantara", Some("595.7"), &["SN-1"]).await;
    let (member, card) = app.member("Siswa Satu", "student").await;
    app.checkout("SN-1", &card).await.expect(201);
    // The student becomes staff; the book is reclassified, then gets a second copy.
    app.patch(&format!("/api/v1/members/{member}"), admin, json!({"category": "staff"})).await.expect(200);
    let id = app.get("/api/v1/copies/SN-1", admin).await.expect(200)["book_id"].as_i64().unwrap();
    app.patch(&format!("/api/v1/books/{id}"), admin, json!({"classification": "005.13"})).await.expect(200);
    app.copy(id, "SN-2").await;

    let today = app.today();
    let range = format!("from={today}&to={today}");
    let rows = report(&app, "loans-by-category", &range).await;
    assert_eq!(row(&rows, "category", "student")["loans"], 1, "{rows:?}");
    assert_eq!(row(&rows, "category", "staff")["loans"], 0, "{rows:?}");
    let rows = report(&app, "loans-by-class", &range).await;
    assert_eq!(row(&rows, "class", "500")["loans"], 1, "{rows:?}");
    assert_eq!(row(&rows, "class", "000")["loans"], 0, "{rows:?}");
    let rows = report(&app, "active-members", &range).await;
    assert_eq!(row(&rows, "category", "staff")["active_members"], 1, "{rows:?}");
    assert_eq!(row(&rows, "category", "student")["active_members"], 0, "{rows:?}");
    // Both copies are counted under the book's class now; none under the old one.
    let rows = report(&app, "collection", &range).await;
    assert_eq!(row(&rows, "class", "000")["on_loan"], 1, "{rows:?}");
    assert_eq!(row(&rows, "class", "000")["available"], 1, "{rows:?}");
    assert_eq!(row(&rows, "class", "500")["total"], 0, "{rows:?}");
    // No classification any more: "other".
    app.patch(&format!("/api/v1/books/{id}"), admin, json!({"classification": null})).await.expect(200);
    let rows = report(&app, "collection", &range).await;
    assert_eq!(row(&rows, "class", "other")["total"], 2, "{rows:?}");
    assert_eq!(row(&rows, "class", "000")["total"], 0, "{rows:?}");
}

async fn reports_download_and_refuse(app: TestApp) {
    let admin = Some(app.admin.as_str());
    book(&app, "Laskar Pelangi", Some("899.221"), &["LP-1"]).await;
    let (_, card, token) = app.member_with_login("Budi", "budi").await;
    app.checkout("LP-1", &card).await.expect(201);
    let today = app.today();

    // The list of reports names each one's columns.
    let list = app.get("/api/v1/reports", admin).await.expect(200);
    assert!(list.as_array().unwrap().iter().any(|r| r["name"] == "loans-per-month" && r["columns"][1] == "loans"));

    // CSV with Indonesian headers by default, English on request; XLSX is a workbook.
    let res = app
        .client()
        .get(format!("{}/api/v1/reports/loans-by-class?from={today}&to={today}&format=csv", app.base()))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = res.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert_eq!(disposition, format!("attachment; filename=\"laporan-loans-by-class-{today}-{today}.csv\""));
    let text = res.text().await.unwrap();
    assert!(
        text.starts_with("\u{feff}Kelas DDC,Peminjaman\r\n") || text.starts_with("\u{feff}Kelas DDC,Peminjaman\n"),
        "{text}"
    );
    assert!(text.contains("800,1"), "{text}");
    let res = app
        .client()
        .get(format!("{}/api/v1/reports/loans-by-class?format=csv&lang=en", app.base()))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert!(res.text().await.unwrap().starts_with("\u{feff}DDC class,Loans"));
    let res = app
        .client()
        .get(format!("{}/api/v1/reports/top-titles?format=xlsx", app.base()))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    assert!(res.bytes().await.unwrap().starts_with(b"PK"));

    // Bad input: the field at fault; an unknown report; members and strangers.
    let p = app.get("/api/v1/reports/fines?from=kemarin", admin).await.problem(422, "validation");
    assert_eq!(
        (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
        (Some("from"), Some("invalid_date"))
    );
    let p = app.get("/api/v1/reports/fines?from=2026-02-01&to=2026-01-01", admin).await.problem(422, "validation");
    assert_eq!(
        (p["errors"][0]["field"].as_str(), p["errors"][0]["code"].as_str()),
        (Some("to"), Some("range_reversed"))
    );
    let p =
        app.get("/api/v1/reports/loans-per-day?from=2020-01-01&to=2026-01-01", admin).await.problem(422, "validation");
    assert_eq!(p["errors"][0]["code"], "range_too_long");
    let p = app.get("/api/v1/reports/fines?format=pdf", admin).await.problem(422, "validation");
    assert_eq!(p["errors"][0]["field"], "format", "{p}");
    app.get("/api/v1/reports/nothing", admin).await.problem(404, "not_found");
    app.get("/api/v1/reports/fines", Some(&token)).await.problem(403, "forbidden");
    app.get("/api/v1/reports/fines", None).await.problem(401, "unauthenticated");
}
