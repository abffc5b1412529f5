//! The stock take's contract, on both backends: many librarians scanning one stock take at once
//! count each copy once; it can be left and resumed; the report's lists say what was seen, what
//! is missing, what was seen although lent, which barcodes are unknown and what stands in the
//! wrong place; missing copies can be marked lost and come back (honouring holds) when found.

use crate::common;

use std::collections::BTreeSet;

use common::TestApp;
use serde_json::{json, Value};

contract!(
    many_scanners_count_each_copy_once,
    a_stock_take_resumes_and_its_report_lists_everything,
    missing_copies_marked_lost_come_back_to_waiting_holds,
    a_copy_back_through_the_desk_is_not_missing,
    a_scope_limits_what_is_expected,
    bad_stock_take_input_names_its_field,
);

async fn start(app: &TestApp, body: Value) -> i64 {
    app.post("/api/v1/stocktakes", Some(&app.admin), body).await.expect(201)["id"].as_i64().unwrap()
}

async fn scan(app: &TestApp, token: &str, id: i64, barcode: &str, location: Option<&str>) -> Value {
    let mut body = json!({ "barcode": barcode });
    if let Some(l) = location {
        body["location"] = l.into();
    }
    app.post(&format!("/api/v1/stocktakes/{id}/scans"), Some(token), body).await.expect(200)
}

async fn counts(app: &TestApp, id: i64) -> Value {
    app.get(&format!("/api/v1/stocktakes/{id}"), Some(&app.admin)).await.expect(200)["counts"].clone()
}

async fn report(app: &TestApp, id: i64, list: &str) -> Vec<Value> {
    let r = app.get(&format!("/api/v1/stocktakes/{id}/report?list={list}"), Some(&app.admin)).await.expect(200);
    r.as_array().unwrap().clone()
}

fn barcodes(rows: &[Value]) -> BTreeSet<String> {
    rows.iter().map(|r| r["barcode"].as_str().unwrap().to_owned()).collect()
}

/// Adds `n` copies `PREFIX-001`… of one book at `location` (through the API).
async fn shelf(app: &TestApp, title: &str, prefix: &str, n: usize, location: &str) -> Vec<String> {
    let book = app.book(title).await;
    let mut out = Vec::new();
    for i in 1..=n {
        let code = format!("{prefix}-{i:03}");
        app.post(
            &format!("/api/v1/books/{book}/copies"),
            Some(&app.admin),
            json!({"barcode": code, "location": location}),
        )
        .await
        .expect(201);
        out.push(code);
    }
    out
}

async fn many_scanners_count_each_copy_once(app: TestApp) {
    let codes = shelf(&app, "Laskar Pelangi", "LP", 30, "Rak A1").await;
    let id = start(&app, json!({"name": "Stock opname 2026"})).await;
    // Six librarians on six devices, each scanning every copy (in their own order), all at once:
    // 180 scans of 30 copies.
    let mut tokens = vec![app.admin.clone()];
    for n in 0..5 {
        let user = format!("pustakawan_{n}");
        app.post(
            "/api/v1/users",
            Some(&app.admin),
            json!({"username": user, "password": "librarian-pw", "role": "librarian"}),
        )
        .await
        .expect(201);
        tokens.push(app.login(&user, "librarian-pw").await);
    }
    let scanners = tokens.iter().enumerate().map(|(n, token)| {
        let app = &app;
        let mut mine = codes.clone();
        mine.rotate_left(n * 5);
        async move {
            let mut counted = Vec::new();
            for code in mine {
                let r = scan(app, token, id, &code, Some("Rak A1")).await;
                match r["result"].as_str().unwrap() {
                    "seen" => counted.push(code),
                    "already_seen" => {}
                    other => panic!("{code}: {other} {r}"),
                }
            }
            counted
        }
    });
    let counted: Vec<String> = futures::future::join_all(scanners).await.into_iter().flatten().collect();
    assert_eq!(counted.len(), 30, "each copy counted by exactly one scan");
    assert_eq!(counted.iter().cloned().collect::<BTreeSet<_>>(), codes.iter().cloned().collect());
    let c = counts(&app, id).await;
    assert_eq!(
        (c["expected"].as_i64(), c["seen"].as_i64(), c["not_seen"].as_i64()),
        (Some(30), Some(30), Some(0)),
        "{c}"
    );
    assert_eq!(report(&app, id, "seen").await.len(), 30);
}

async fn a_stock_take_resumes_and_its_report_lists_everything(app: TestApp) {
    let a = shelf(&app, "Bumi Manusia", "BM", 4, "Rak A1").await;
    let b = shelf(&app, "Ronggeng Dukuh Paruk", "RD", 3, "Rak B2").await;
    let (_, card) = app.member("Budi Santoso", "student").await;
    app.checkout(&a[3], &card).await.expect(201); // BM-004 is lent
    app.checkout(&b[2], &card).await.expect(201); // RD-003 is lent and stays out
    let id = start(&app, json!({"name": "Semester 1"})).await;
    let librarian = app.add_librarian().await;

    // Day one: shelf A1, one copy scanned twice, one lent copy found on the shelf, an unknown
    // barcode (twice), and a B2 copy standing on A1.
    for code in [&a[0], &a[1], &a[1]] {
        scan(&app, &app.admin, id, code, Some("Rak A1")).await;
    }
    let lent = scan(&app, &app.admin, id, &a[3].to_lowercase(), Some("rak a1")).await;
    assert_eq!((lent["result"].as_str(), lent["barcode"].as_str()), (Some("seen"), Some(a[3].as_str())));
    assert_eq!(lent["loan"]["card_number"], card.as_str());
    assert_eq!(lent["loan"]["member_name"], "Budi Santoso");
    assert_eq!(lent["wrong_location"], false);
    let unknown = scan(&app, &app.admin, id, "XX-999", Some("Rak A1")).await;
    assert_eq!(unknown["result"], "unknown");
    scan(&app, &librarian, id, "xx-999", Some("Rak A1")).await;
    let misplaced = scan(&app, &librarian, id, &b[0], Some("Rak A1")).await;
    assert_eq!((misplaced["result"].as_str(), misplaced["wrong_location"].as_bool()), (Some("seen"), Some(true)));

    // Left for the night; the next day another librarian resumes it where it was.
    let list = app.get("/api/v1/stocktakes", Some(&librarian)).await.expect(200);
    assert_eq!(list["items"][0]["status"], "open");
    let c = counts(&app, id).await;
    assert_eq!(c["seen"], 4);
    scan(&app, &librarian, id, &b[1], Some("Rak B2")).await;
    let again = scan(&app, &librarian, id, &a[0], None).await;
    assert_eq!(again["result"], "already_seen");

    let c = counts(&app, id).await;
    assert_eq!(
        c,
        json!({"expected": 7, "seen": 5, "not_seen": 1, "on_loan_not_seen": 1, "at_desk_not_seen": 0, "seen_on_loan": 1,
               "unknown": 1, "wrong_location": 1, "unexpected": 0, "marked_lost": 0})
    );
    let set = |v: &[&String]| v.iter().map(|s| (*s).clone()).collect::<BTreeSet<_>>();
    assert_eq!(barcodes(&report(&app, id, "seen").await), set(&[&a[0], &a[1], &a[3], &b[0], &b[1]]));
    assert_eq!(barcodes(&report(&app, id, "not_seen").await), set(&[&a[2]]), "RD-003 is out on loan, not missing");
    let on_loan = report(&app, id, "on_loan").await;
    assert_eq!(barcodes(&on_loan), set(&[&a[3]]));
    assert_eq!(
        (on_loan[0]["member_name"].as_str(), on_loan[0]["card_number"].as_str()),
        (Some("Budi Santoso"), Some(card.as_str()))
    );
    let unknown = report(&app, id, "unknown").await;
    assert_eq!(
        unknown,
        vec![
            json!({"barcode": "XX-999", "scans": 2, "seen_location": "Rak A1", "seen_at": unknown[0]["seen_at"], "seen_by": "admin"})
        ]
    );
    let wrong = report(&app, id, "wrong_location").await;
    assert_eq!(barcodes(&wrong), set(&[&b[0]]));
    assert_eq!((wrong[0]["location"].as_str(), wrong[0]["seen_location"].as_str()), (Some("Rak B2"), Some("Rak A1")));

    // The report downloads as CSV and XLSX.
    let csv = app.get(&format!("/api/v1/stocktakes/{id}/report?list=not_seen&format=csv"), Some(&app.admin)).await;
    assert_eq!(csv.status, 200);
    let text = csv.body.as_str().unwrap();
    assert!(
        text.contains("barcode,title,call_number,location,status,marked_lost_at")
            && text.contains("BM-003,Bumi Manusia"),
        "{text}"
    );
    let xlsx = app.get(&format!("/api/v1/stocktakes/{id}/report?list=seen&format=xlsx"), Some(&app.admin)).await;
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.headers["content-disposition"].to_str().unwrap().ends_with(".xlsx\""));

    // Finished: no more scans, and not twice.
    let done = app.post(&format!("/api/v1/stocktakes/{id}/finish"), Some(&librarian), json!({})).await.expect(200);
    assert_eq!((done["status"].as_str(), done["finished_by"].as_str()), (Some("finished"), Some("pustakawan")));
    app.post(&format!("/api/v1/stocktakes/{id}/scans"), Some(&app.admin), json!({"barcode": a[2]}))
        .await
        .problem(409, "stocktake_finished");
    app.post(&format!("/api/v1/stocktakes/{id}/finish"), Some(&app.admin), json!({}))
        .await
        .problem(409, "stocktake_finished");
    assert_eq!(counts(&app, id).await["seen"], 5);
}

async fn missing_copies_marked_lost_come_back_to_waiting_holds(app: TestApp) {
    let codes = shelf(&app, "Cantik Itu Luka", "CL", 3, "Rak C1").await;
    let id = start(&app, json!({"name": "Rak C"})).await;
    scan(&app, &app.admin, id, &codes[0], None).await;
    // Not before it is finished.
    app.post(&format!("/api/v1/stocktakes/{id}/lost"), Some(&app.admin), json!({}))
        .await
        .problem(409, "stocktake_open");
    app.post(&format!("/api/v1/stocktakes/{id}/finish"), Some(&app.admin), json!({})).await.expect(200);
    // One of the two missing copies first, then the rest.
    let one = app
        .post(
            &format!("/api/v1/stocktakes/{id}/lost"),
            Some(&app.admin),
            json!({"barcodes": [codes[1].to_lowercase()]}),
        )
        .await
        .expect(200);
    assert_eq!(one, json!({"marked": 1, "barcodes": [codes[1]]}));
    let rest = app.post(&format!("/api/v1/stocktakes/{id}/lost"), Some(&app.admin), json!({})).await.expect(200);
    assert_eq!(rest, json!({"marked": 1, "barcodes": [codes[2]]}));
    // Nothing twice.
    let none = app.post(&format!("/api/v1/stocktakes/{id}/lost"), Some(&app.admin), json!({})).await.expect(200);
    assert_eq!(none["marked"], 0);
    for code in &codes[1..] {
        assert_eq!(app.get(&format!("/api/v1/copies/{code}"), None).await.expect(200)["status"], "lost");
    }
    assert_eq!(counts(&app, id).await["marked_lost"], 2);
    let log = app.get("/api/v1/audit?per_page=100", Some(&app.admin)).await.expect(200);
    let lost_lines = log["items"].as_array().unwrap().iter().filter(|e| {
        e["action"] == "copy.update" && e["detail"].as_str().unwrap().contains(&format!("lost (stock take {id})"))
    });
    assert_eq!(lost_lines.count(), 2, "one audit line per copy");

    // A member queues for the book (its only copy on the shelf is lent meanwhile).
    let (_, card_a) = app.member("Ani", "student").await;
    let (_, card_b) = app.member("Bayu", "student").await;
    app.checkout(&codes[0], &card_a).await.expect(201);
    let book = app.get(&format!("/api/v1/copies/{}", codes[0]), None).await.expect(200)["book_id"].as_i64().unwrap();
    app.post("/api/v1/holds", Some(&app.admin), json!({"book_id": book, "card_number": card_b})).await.expect(201);

    // A lost copy turns up in the next stock take: it goes to the hold shelf for Bayu, not the shelf.
    let next = start(&app, json!({"name": "Rak C, lagi"})).await;
    assert_eq!(counts(&app, next).await["expected"], 1, "lost copies are not expected");
    let found = scan(&app, &app.admin, next, &codes[1], Some("Rak C1")).await;
    assert_eq!((found["result"].as_str(), found["found"].as_bool()), (Some("unexpected"), Some(true)));
    assert_eq!(found["hold"]["member_name"], "Bayu");
    assert_eq!(found["copy"]["status"], "on_hold_shelf");
    // The other one turns up with nobody waiting: back on the shelf.
    let found = scan(&app, &app.admin, next, &codes[2], Some("Rak C1")).await;
    assert_eq!((found["found"].as_bool(), found["copy"]["status"].as_str()), (Some(true), Some("available")));
    assert!(found["hold"].is_null());
    // Scanned again: counted once, found once.
    let again = scan(&app, &app.admin, next, &codes[2], Some("Rak C1")).await;
    assert_eq!((again["result"].as_str(), again["found"].as_bool()), (Some("already_seen"), Some(false)));
}

/// A stock take runs for days while the desk lends and takes back. A copy out on loan when it
/// started and returned after its shelf was scanned, or lent and returned meanwhile, was never on
/// the shelf to be scanned, yet it is plainly not missing: it is neither listed as not seen nor
/// marked lost.
async fn a_copy_back_through_the_desk_is_not_missing(app: TestApp) {
    let codes = shelf(&app, "Laskar Pelangi", "LP", 4, "Rak D1").await;
    let (_, card) = app.member("Ani", "student").await;
    app.checkout(&codes[1], &card).await.expect(201); // LP-002: out when the stock take starts
    let id = start(&app, json!({"name": "Rak D"})).await;
    assert_eq!(counts(&app, id).await["expected"], 4);
    scan(&app, &app.admin, id, &codes[0], Some("Rak D1")).await;
    // Shelf D1 is done. Then LP-002 comes back at the desk and is shelved; LP-003 is lent and
    // returned the same day; LP-004 really is gone.
    app.checkin(&codes[1]).await.expect(200);
    app.checkout(&codes[2], &card).await.expect(201);
    app.checkin(&codes[2]).await.expect(200);
    let c = counts(&app, id).await;
    assert_eq!(
        (c["seen"].as_i64(), c["not_seen"].as_i64(), c["at_desk_not_seen"].as_i64()),
        (Some(1), Some(1), Some(2)),
        "{c}"
    );
    assert_eq!(barcodes(&report(&app, id, "not_seen").await), BTreeSet::from([codes[3].clone()]));
    app.post(&format!("/api/v1/stocktakes/{id}/finish"), Some(&app.admin), json!({})).await.expect(200);
    let lost = app.post(&format!("/api/v1/stocktakes/{id}/lost"), Some(&app.admin), json!({})).await.expect(200);
    assert_eq!(lost, json!({"marked": 1, "barcodes": [codes[3]]}));
    // Named one by one, they are not marked either.
    let named = app
        .post(&format!("/api/v1/stocktakes/{id}/lost"), Some(&app.admin), json!({"barcodes": [codes[1], codes[2]]}))
        .await
        .expect(200);
    assert_eq!(named["marked"], 0);
    for code in &codes[..3] {
        assert_eq!(app.get(&format!("/api/v1/copies/{code}"), None).await.expect(200)["status"], "available", "{code}");
    }
}

async fn a_scope_limits_what_is_expected(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let sains = app
        .post("/api/v1/books", admin, json!({"title": "Fisika Dasar", "authors": ["A"], "classification": "530.1"}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let sastra = app
        .post(
            "/api/v1/books",
            admin,
            json!({"title": "Laut Bercerita", "authors": ["B"], "call_number": "899.221 CHU l"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    for (book, code, loc) in
        [(sains, "FD-1", "Rak A1"), (sains, "FD-2", "Rak B1"), (sastra, "LB-1", "Rak A1"), (sastra, "LB-2", "Rak B1")]
    {
        app.post(&format!("/api/v1/books/{book}/copies"), admin, json!({"barcode": code, "location": loc}))
            .await
            .expect(201);
    }
    let withdrawn =
        app.post(&format!("/api/v1/books/{sastra}/copies"), admin, json!({"barcode": "LB-3"})).await.expect(201);
    assert_eq!(withdrawn["status"], "available");
    app.patch("/api/v1/copies/LB-3", admin, json!({"status": "withdrawn"})).await.expect(200);

    let all = start(&app, json!({"name": "Semua"})).await;
    assert_eq!(counts(&app, all).await["expected"], 4, "withdrawn copies are not expected");
    let by_class = start(&app, json!({"name": "Kelas 5", "classes": ["5"]})).await;
    assert_eq!(barcodes(&report(&app, by_class, "not_seen").await), ["FD-1", "FD-2"].map(String::from).into());
    let by_call_number = start(&app, json!({"name": "Sastra", "classes": ["899.2"]})).await;
    assert_eq!(barcodes(&report(&app, by_call_number, "not_seen").await), ["LB-1", "LB-2"].map(String::from).into());
    let by_location = start(&app, json!({"name": "Rak A1", "locations": ["rak a1"]})).await;
    assert_eq!(barcodes(&report(&app, by_location, "not_seen").await), ["FD-1", "LB-1"].map(String::from).into());
    let both = start(&app, json!({"name": "Sains di B1", "locations": ["Rak B1"], "classes": ["530"]})).await;
    assert_eq!(barcodes(&report(&app, both, "not_seen").await), ["FD-2"].map(String::from).into());
    // A copy outside the scope scanned: counted as unexpected.
    let r = scan(&app, &app.admin, both, "LB-1", Some("Rak B1")).await;
    assert_eq!((r["result"].as_str(), r["wrong_location"].as_bool()), (Some("unexpected"), Some(true)));
    assert_eq!(counts(&app, both).await["unexpected"], 1);
}

async fn bad_stock_take_input_names_its_field(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let field = |path: String, body: Value| {
        let app = &app;
        async move {
            let r = app.post(&path, Some(&app.admin), body).await.problem(422, "validation");
            r["errors"][0]["field"].as_str().unwrap().to_owned()
        }
    };
    let st = "/api/v1/stocktakes".to_owned();
    assert_eq!(field(st.clone(), json!({"name": ""})).await, "name");
    assert_eq!(field(st.clone(), json!({"name": "x", "classes": ["5", "abc"]})).await, "classes[1]");
    assert_eq!(field(st.clone(), json!({"name": "x", "locations": [""]})).await, "locations[0]");
    assert_eq!(field(st.clone(), json!({"name": "x", "locations": vec!["Rak"; 51]})).await, "locations");
    assert_eq!(field(st.clone(), json!({"name": "x", "scope": "all"})).await, "scope");
    assert_eq!(
        app.get("/api/v1/stocktakes", admin).await.expect(200)["items"].as_array().unwrap().len(),
        0,
        "none was started"
    );
    let id = start(&app, json!({"name": "Uji"})).await;
    assert_eq!(field(format!("/api/v1/stocktakes/{id}/scans"), json!({"barcode": "bad barcode!"})).await, "barcode");
    assert_eq!(
        field(format!("/api/v1/stocktakes/{id}/scans"), json!({"barcode": "OK-1", "location": "x".repeat(300)})).await,
        "location"
    );
    assert_eq!(
        field(format!("/api/v1/stocktakes/{id}/lost"), json!({"barcodes": ["ok", "no way"]})).await,
        "barcodes[1]"
    );
    let r = app.get(&format!("/api/v1/stocktakes/{id}/report?list=everything"), admin).await.problem(422, "validation");
    assert_eq!(r["errors"][0]["field"], "list");
    app.post("/api/v1/stocktakes/999999/scans", admin, json!({"barcode": "OK-1"})).await.problem(404, "not_found");
    app.get("/api/v1/stocktakes/999999", admin).await.problem(404, "not_found");
    assert_eq!(counts(&app, id).await["unknown"], 0, "no scan was recorded");
}
