//! The loan rules of issue 11 on both backends: overdue loans block borrowing and renewing (with a
//! grace per category), fines accruing on loans still out count towards the fine limit, a member's
//! loans say whether they can be renewed, holds are honoured on every path by which a copy becomes
//! available, lost and damaged charges, part payments and their receipts.

use crate::common;

use chrono::Duration;
use common::TestApp;
use serde_json::{json, Value};

contract!(
    an_overdue_loan_blocks_borrowing_and_renewing_until_returned,
    a_members_loans_are_read_without_locking_the_member,
    a_category_can_allow_days_of_grace,
    fines_accruing_on_loans_still_out_count_towards_the_limit,
    a_new_copy_goes_to_the_first_waiting_member,
    a_copy_found_again_goes_to_the_first_waiting_member,
    a_cancelled_ready_hold_passes_its_copy_to_the_next_member,
    an_expired_hold_passes_its_copy_to_the_next_member,
    a_lost_copy_is_charged_at_its_price_or_the_category_charge,
    a_damaged_return_is_charged,
    copy_prices_are_bounded_money,
    fines_can_be_paid_in_parts_with_a_receipt_for_each,
);

/// A category's rules with some fields changed (the admin's PUT takes the whole set).
async fn set_rules(app: &TestApp, code: &str, changes: Value) -> Value {
    let admin = Some(app.admin.as_str());
    let all = app.get("/api/v1/categories", admin).await.expect(200);
    let mut c = all["items"].as_array().unwrap().iter().find(|c| c["code"] == code).unwrap().clone();
    for (k, v) in changes.as_object().unwrap() {
        c[k] = v.clone();
    }
    c.as_object_mut().unwrap().remove("code");
    app.call(reqwest::Method::PUT, &format!("/api/v1/categories/{code}"), admin, Some(c)).await.expect(200)
}

fn id(v: &Value) -> i64 {
    v["id"].as_i64().unwrap()
}

async fn an_overdue_loan_blocks_borrowing_and_renewing_until_returned(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Bumi Manusia").await;
    for b in ["BM-1", "BM-2", "BM-3"] {
        app.copy(book, b).await;
    }
    let other = app.book("Anak Semua Bangsa").await;
    app.copy(other, "ASB-1").await;
    let (member, card, token) = app.member_with_login("Budi", "budi").await;
    // One loan due next week, one lent ten days ago for seven: overdue.
    let fresh = app.checkout("ASB-1", &card).await.expect(201);
    let late = app.checkout_days_ago("BM-1", &card, 10).await.expect(201);
    assert_eq!(app.get(&format!("/api/v1/loans/{}", id(&late)), admin).await.expect(200)["overdue"], true);

    let p = app.checkout("BM-2", &card).await.problem(409, "overdue_loans");
    assert!(p["detail"].as_str().unwrap().contains("overdue since"), "{p}");
    app.post(&format!("/api/v1/loans/{}/renew", id(&fresh)), Some(&token), json!({}))
        .await
        .problem(409, "overdue_loans");
    app.post(&format!("/api/v1/loans/{}/renew", id(&late)), admin, json!({})).await.problem(409, "loan_overdue");

    // The member's standing says so, with the fine accruing on the late loan...
    let m = app.get(&format!("/api/v1/members/{member}"), Some(&token)).await.expect(200);
    assert_eq!(m["unpaid_fines"], 0);
    let accruing = m["accruing_fines"].as_i64().unwrap();
    assert!(accruing > 0, "{m}");
    assert!(m["overdue_since"].is_string(), "{m}");
    let listed = app.get("/api/v1/members?q=Budi", admin).await.expect(200);
    assert_eq!(listed["items"][0]["accruing_fines"], accruing, "the list shows the same standing");
    // ...and the member's own loans say which can be renewed, and why not.
    let loans = app.get(&format!("/api/v1/members/{member}/loans"), Some(&token)).await.expect(200);
    let by_id = |l: &Value, want: &Value| {
        l["items"].as_array().unwrap().iter().find(|x| x["id"] == want["id"]).unwrap().clone()
    };
    assert_eq!(by_id(&loans, &fresh)["renewable"], false);
    assert_eq!(by_id(&loans, &fresh)["renew_refusal"], "overdue_loans");
    assert_eq!(by_id(&loans, &late)["renew_refusal"], "loan_overdue");

    // Nothing changed by the refusals.
    assert_eq!(app.get("/api/v1/copies/BM-2", None).await.expect(200)["status"], "available");
    assert_eq!(app.get(&format!("/api/v1/loans/{}", id(&fresh)), admin).await.expect(200)["renewals"], 0);

    // Returned, the late loan is charged exactly what was shown accruing; then the member may go on.
    let r = app.checkin("BM-1").await.expect(200);
    assert_eq!(r["fine"]["amount"], accruing);
    let m = app.get(&format!("/api/v1/members/{member}"), admin).await.expect(200);
    assert_eq!((m["accruing_fines"].as_i64(), m["unpaid_fines"].as_i64()), (Some(0), Some(accruing)));
    assert!(m["overdue_since"].is_null());
    let loans = app.get(&format!("/api/v1/members/{member}/loans"), Some(&token)).await.expect(200);
    assert_eq!(by_id(&loans, &fresh)["renewable"], true);
    assert!(by_id(&loans, &fresh)["renew_refusal"].is_null());
    app.post(&format!("/api/v1/loans/{}/renew", id(&fresh)), Some(&token), json!({})).await.expect(200);
    app.checkout("BM-2", &card).await.expect(201);
    // Returned loans carry no renewal advice.
    let all = app.get(&format!("/api/v1/members/{member}/loans?status=returned"), Some(&token)).await.expect(200);
    assert!(all["items"][0]["renewable"].is_null(), "{all}");
}

async fn a_members_loans_are_read_without_locking_the_member(app: TestApp) {
    let book = app.book("Bumi Manusia").await;
    app.copy(book, "BM-1").await;
    let (member, card, token) = app.member_with_login("Budi", "budi").await;
    app.checkout("BM-1", &card).await.expect(201);
    // A desk's transaction holds the member's row (on SQLite: the write lock). Saying whether
    // each loan can be renewed is a read: it answers at once instead of waiting for that.
    let mut desk = app.store.db.begin().await.unwrap();
    let lock = desk.for_update();
    desk.opt(pustaka::store::db::sql(format!("SELECT id FROM members WHERE id = ?{lock}")).bind(member)).await.unwrap();
    let loans = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        app.get(&format!("/api/v1/members/{member}/loans"), Some(&token)),
    )
    .await
    .expect("the member's loans are read without waiting for the desk")
    .expect(200);
    assert_eq!(loans["items"][0]["renewable"], true, "{loans}");
    desk.commit().await.unwrap();
}

async fn a_category_can_allow_days_of_grace(app: TestApp) {
    let book = app.book("Ronggeng Dukuh Paruk").await;
    for b in ["RDP-1", "RDP-2", "RDP-3"] {
        app.copy(book, b).await;
    }
    let (_, card) = app.member("Siti", "staff").await;
    // Staff lend for 14 days: lent 17 days ago, the loan is 2 or 3 days late (a Sunday due day moves on).
    app.checkout_days_ago("RDP-1", &card, 17).await.expect(201);
    app.checkout("RDP-2", &card).await.problem(409, "overdue_loans");
    let c = set_rules(&app, "staff", json!({"overdue_grace_days": 5})).await;
    assert_eq!(c["overdue_grace_days"], 5);
    app.checkout("RDP-2", &card).await.expect(201);
    set_rules(&app, "staff", json!({"overdue_grace_days": 1})).await;
    app.checkout("RDP-3", &card).await.problem(409, "overdue_loans");
    // The grace is validated like the other rules, and a refusal changes nothing.
    for bad in [json!(-1), json!(366)] {
        let admin = Some(app.admin.as_str());
        let all = app.get("/api/v1/categories", admin).await.expect(200);
        let mut c = all["items"].as_array().unwrap().iter().find(|c| c["code"] == "staff").unwrap().clone();
        c["overdue_grace_days"] = bad.clone();
        c.as_object_mut().unwrap().remove("code");
        let r = app.call(reqwest::Method::PUT, "/api/v1/categories/staff", admin, Some(c)).await;
        assert_eq!(r.status, 422, "{bad}: {:?}", r.body);
        let e = &r.body["errors"][0];
        assert!(e["field"] == "overdue_grace_days" || e["message"].as_str().unwrap().contains("grace"), "{:?}", r.body);
    }
    let all = app.get("/api/v1/categories", Some(&app.admin)).await.expect(200);
    let staff = all["items"].as_array().unwrap().iter().find(|c| c["code"] == "staff").unwrap().clone();
    assert_eq!(staff["overdue_grace_days"], 1);
}

async fn fines_accruing_on_loans_still_out_count_towards_the_limit(app: TestApp) {
    let book = app.book("Negeri 5 Menara").await;
    app.copy(book, "N5M-1").await;
    app.copy(book, "N5M-2").await;
    let (member, card) = app.member("Rina", "public").await;
    // Public members: Rp 1.000 a day, blocked from Rp 10.000 owed. Let the overdue rule not be what stops her.
    set_rules(&app, "public", json!({"overdue_grace_days": 365})).await;
    app.checkout_days_ago("N5M-1", &card, 7 + 14).await.expect(201);
    let m = app.get(&format!("/api/v1/members/{member}"), Some(&app.admin)).await.expect(200);
    assert_eq!(m["unpaid_fines"], 0, "nothing charged yet");
    assert!(m["accruing_fines"].as_i64().unwrap() >= 10_000, "{m}");
    let p = app.checkout("N5M-2", &card).await.problem(409, "fines_owed");
    assert!(p["detail"].as_str().unwrap().contains("Rp"), "{p}");
    // A cap per loan caps what accrues, as it caps the fine on return.
    set_rules(&app, "public", json!({"max_fine_per_loan": 3_000})).await;
    let m = app.get(&format!("/api/v1/members/{member}"), Some(&app.admin)).await.expect(200);
    assert_eq!(m["accruing_fines"], 3_000);
    app.checkout("N5M-2", &card).await.expect(201);
}

/// A book whose one copy is lent, and two members waiting for it (in order).
async fn book_with_queue(app: &TestApp, title: &str, barcode: &str) -> (i64, [(i64, String, Value); 2]) {
    let admin = Some(app.admin.as_str());
    let book = app.book(title).await;
    app.copy(book, barcode).await;
    let (_, lender) = app.member("Peminjam", "student").await;
    app.checkout(barcode, &lender).await.expect(201);
    let mut queue = Vec::new();
    for name in ["Pertama", "Kedua"] {
        let (id, card) = app.member(name, "student").await;
        let h = app.post("/api/v1/holds", admin, json!({"book_id": book, "card_number": card})).await.expect(201);
        queue.push((id, card, h));
    }
    let [a, b]: [_; 2] = queue.try_into().unwrap();
    (book, [a, b])
}

async fn hold(app: &TestApp, h: &Value) -> Value {
    let all = app.get("/api/v1/holds?status=ready", Some(&app.admin)).await.expect(200);
    let ready = all["items"].as_array().unwrap().iter().find(|x| x["id"] == h["id"]).cloned();
    match ready {
        Some(r) => r,
        None => {
            let w = app.get("/api/v1/holds?status=waiting", Some(&app.admin)).await.expect(200);
            w["items"].as_array().unwrap().iter().find(|x| x["id"] == h["id"]).cloned().unwrap_or(Value::Null)
        }
    }
}

async fn a_new_copy_goes_to_the_first_waiting_member(app: TestApp) {
    let (book, [(_, first, h1), (_, second, h2)]) = book_with_queue(&app, "Laut Bercerita", "LB-1").await;
    let c = app
        .post(&format!("/api/v1/books/{book}/copies"), Some(&app.admin), json!({"barcode": "LB-2"}))
        .await
        .expect(201);
    assert_eq!(c["status"], "on_hold_shelf", "{c}");
    let r1 = hold(&app, &h1).await;
    assert_eq!((r1["status"].as_str(), r1["copy_barcode"].as_str()), (Some("ready"), Some("LB-2")), "{r1}");
    assert!(r1["pickup_by"].is_string());
    assert_eq!(hold(&app, &h2).await["position"], 1, "the second still waits, now first in line");
    assert_eq!(app.get(&format!("/api/v1/books/{book}"), None).await.expect(200)["copies_available"], 0);
    app.checkout("LB-2", &second).await.problem(409, "copy_on_hold_for_other");
    app.checkout("LB-2", &first).await.expect(201);
    // With nobody waiting, a new copy goes on the open shelves.
    app.post("/api/v1/holds", Some(&app.admin), json!({"book_id": book, "card_number": second}))
        .await
        .problem(409, "hold_exists");
    app.delete(&format!("/api/v1/holds/{}", h2["id"]), Some(&app.admin)).await.expect(204);
    let c = app
        .post(&format!("/api/v1/books/{book}/copies"), Some(&app.admin), json!({"barcode": "LB-3"}))
        .await
        .expect(201);
    assert_eq!(c["status"], "available");
}

async fn a_copy_found_again_goes_to_the_first_waiting_member(app: TestApp) {
    let admin = Some(app.admin.as_str());
    for (status, n) in [("lost", 1), ("withdrawn", 2)] {
        let book = app.book(&format!("Saman {n}")).await;
        let barcode = format!("SM-{n}");
        app.copy(book, &barcode).await;
        app.patch(&format!("/api/v1/copies/{barcode}"), admin, json!({"status": status})).await.expect(200);
        let (_, first) = app.member("Pertama", "student").await;
        let (_, second) = app.member("Kedua", "student").await;
        let h1 = app.post("/api/v1/holds", admin, json!({"book_id": book, "card_number": first})).await.expect(201);
        let h2 = app.post("/api/v1/holds", admin, json!({"book_id": book, "card_number": second})).await.expect(201);
        let c =
            app.patch(&format!("/api/v1/copies/{barcode}"), admin, json!({"status": "available"})).await.expect(200);
        assert_eq!(c["status"], "on_hold_shelf", "{status}: {c}");
        let r1 = hold(&app, &h1).await;
        assert_eq!((r1["status"].as_str(), r1["copy_barcode"].as_str()), (Some("ready"), Some(barcode.as_str())));
        assert_eq!(hold(&app, &h2).await["status"], "waiting");
        // Marking it available again while it waits on the hold shelf is refused, and changes nothing.
        app.patch(&format!("/api/v1/copies/{barcode}"), admin, json!({"status": "available"}))
            .await
            .problem(409, "copy_not_available");
        assert_eq!(hold(&app, &h1).await["status"], "ready");
    }
    // A lent copy declared lost, found again: to the hold shelf, not the open shelves.
    let (_, [(_, _, h1), _]) = book_with_queue(&app, "Amba", "AM-1").await;
    let loan = app.get("/api/v1/loans?barcode=AM-1", admin).await.expect(200)["items"][0].clone();
    app.post(&format!("/api/v1/loans/{}/lost", id(&loan)), admin, json!({})).await.expect(200);
    assert_eq!(app.get("/api/v1/copies/AM-1", None).await.expect(200)["status"], "lost");
    assert_eq!(hold(&app, &h1).await["status"], "waiting");
    let c = app.patch("/api/v1/copies/AM-1", admin, json!({"status": "available"})).await.expect(200);
    assert_eq!(c["status"], "on_hold_shelf");
    assert_eq!(hold(&app, &h1).await["copy_barcode"], "AM-1");
}

async fn a_cancelled_ready_hold_passes_its_copy_to_the_next_member(app: TestApp) {
    let (_, [(_, _, h1), (_, second, h2)]) = book_with_queue(&app, "Pulang", "PU-1").await;
    app.checkin("PU-1").await.expect(200);
    assert_eq!(hold(&app, &h1).await["status"], "ready");
    app.delete(&format!("/api/v1/holds/{}", h1["id"]), Some(&app.admin)).await.expect(204);
    let r2 = hold(&app, &h2).await;
    assert_eq!((r2["status"].as_str(), r2["copy_barcode"].as_str()), (Some("ready"), Some("PU-1")), "{r2}");
    assert_eq!(app.get("/api/v1/copies/PU-1", None).await.expect(200)["status"], "on_hold_shelf");
    app.checkout("PU-1", &second).await.expect(201);
}

async fn an_expired_hold_passes_its_copy_to_the_next_member(app: TestApp) {
    let (_, [(_, _, h1), (_, _, h2)]) = book_with_queue(&app, "Orang-Orang Biasa", "OOB-1").await;
    app.checkin("OOB-1").await.expect(200);
    let pickup_by: chrono::NaiveDate = serde_json::from_value(hold(&app, &h1).await["pickup_by"].clone()).unwrap();
    // The pickup day passes uncollected.
    app.clock.shift(Duration::days((pickup_by - app.today()).num_days() + 1));
    let expired = app.store.expire_holds().await.unwrap();
    app.clock.reset();
    assert_eq!(expired, 1);
    let r2 = hold(&app, &h2).await;
    assert_eq!((r2["status"].as_str(), r2["copy_barcode"].as_str()), (Some("ready"), Some("OOB-1")), "{r2}");
    let pickup2: chrono::NaiveDate = serde_json::from_value(r2["pickup_by"].clone()).unwrap();
    assert!(pickup2 > pickup_by, "the next member gets their own days to collect it");
}

async fn a_lost_copy_is_charged_at_its_price_or_the_category_charge(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Lelaki Harimau").await;
    app.post(&format!("/api/v1/books/{book}/copies"), admin, json!({"barcode": "LH-1", "price": 85_000}))
        .await
        .expect(201);
    app.copy(book, "LH-2").await;
    app.copy(book, "LH-3").await;
    let (member, card, token) = app.member_with_login("Budi", "budi").await;
    // A late copy with a price: the overdue fine so far and the price.
    let loan = app.checkout_days_ago("LH-1", &card, 9).await.expect(201);
    app.post(&format!("/api/v1/loans/{}/lost", id(&loan)), Some(&token), json!({})).await.problem(403, "forbidden");
    let r = app.post(&format!("/api/v1/loans/{}/lost", id(&loan)), admin, json!({})).await.expect(200);
    assert!(r["loan"]["returned_at"].is_string(), "the loan ends: {r}");
    assert_eq!((r["lost_fine"]["amount"].as_i64(), r["lost_fine"]["reason"].as_str()), (Some(85_000), Some("lost")));
    let overdue = r["fine"]["amount"].as_i64().unwrap();
    assert!(overdue > 0, "{r}");
    assert_eq!(app.get("/api/v1/copies/LH-1", None).await.expect(200)["status"], "lost");
    let m = app.get(&format!("/api/v1/members/{member}"), admin).await.expect(200);
    assert_eq!(m["unpaid_fines"], 85_000 + overdue);
    assert_eq!(m["active_loans"], 0);
    // Declared twice, or a loan already returned: refused, nothing charged again.
    app.post(&format!("/api/v1/loans/{}/lost", id(&loan)), admin, json!({})).await.problem(409, "already_returned");
    app.post("/api/v1/loans/99999/lost", admin, json!({})).await.problem(404, "not_found");
    let fines = app.get(&format!("/api/v1/members/{member}/fines"), admin).await.expect(200);
    assert_eq!(fines["total"], 2);
    // No price: the category's lost charge; none set: no charge at all.
    let (_, card2) = app.member("Siti", "staff").await;
    let loan = app.checkout("LH-2", &card2).await.expect(201);
    let r = app.post(&format!("/api/v1/loans/{}/lost", id(&loan)), admin, json!({})).await.expect(200);
    assert!(r["lost_fine"].is_null() && r["fine"].is_null(), "{r}");
    set_rules(&app, "staff", json!({"lost_charge": 40_000})).await;
    let loan = app.checkout("LH-3", &card2).await.expect(201);
    let r = app.post(&format!("/api/v1/loans/{}/lost", id(&loan)), admin, json!({})).await.expect(200);
    assert_eq!(r["lost_fine"]["amount"], 40_000);
}

async fn a_damaged_return_is_charged(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Sang Pemimpi").await;
    app.post(&format!("/api/v1/books/{book}/copies"), admin, json!({"barcode": "SP-1", "price": 12_000}))
        .await
        .expect(201);
    app.copy(book, "SP-2").await;
    let (member, card) = app.member("Budi", "student").await;
    set_rules(&app, "student", json!({"damage_charge": 20_000})).await;
    // No damage: no charge.
    app.checkout("SP-2", &card).await.expect(201);
    let r = app.post("/api/v1/returns", admin, json!({"barcode": "SP-2", "damaged": false})).await.expect(200);
    assert!(r["damage_fine"].is_null());
    // Damaged: the category's charge, but never more than the copy cost.
    app.checkout("SP-2", &card).await.expect(201);
    let r = app.post("/api/v1/returns", admin, json!({"barcode": "SP-2", "damaged": true})).await.expect(200);
    assert_eq!(
        (r["damage_fine"]["amount"].as_i64(), r["damage_fine"]["reason"].as_str()),
        (Some(20_000), Some("damaged"))
    );
    app.checkout("SP-1", &card).await.problem(409, "fines_owed");
    app.post(&format!("/api/v1/fines/{}/waive", r["damage_fine"]["id"]), admin, json!({"reason": "Sampul saja"}))
        .await
        .expect(200);
    app.checkout("SP-1", &card).await.expect(201);
    let r = app.post("/api/v1/returns", admin, json!({"barcode": "SP-1", "damaged": true})).await.expect(200);
    assert_eq!(r["damage_fine"]["amount"], 12_000);
    // A copy not on loan cannot come back damaged; a wrong flag is refused whole.
    app.post("/api/v1/returns", admin, json!({"barcode": "SP-1", "damaged": true})).await.problem(409, "not_on_loan");
    let p = app
        .post("/api/v1/returns", admin, json!({"barcode": "SP-2", "damaged": "yes"}))
        .await
        .problem(422, "validation");
    assert_eq!(p["errors"][0]["field"], "damaged", "{p}");
    let m = app.get(&format!("/api/v1/members/{member}"), admin).await.expect(200);
    assert_eq!(m["unpaid_fines"], 12_000);
}

async fn copy_prices_are_bounded_money(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Tenggelamnya Kapal").await;
    for bad in [json!(-1), json!(10_000_001), json!(i64::MAX)] {
        let p = app
            .post(&format!("/api/v1/books/{book}/copies"), admin, json!({"barcode": "TK-1", "price": bad}))
            .await
            .problem(422, "validation");
        assert_eq!(p["errors"][0]["field"], "price", "{p}");
    }
    app.get("/api/v1/copies/TK-1", None).await.problem(404, "not_found");
    let c = app
        .post(&format!("/api/v1/books/{book}/copies"), admin, json!({"barcode": "TK-1", "price": 10_000_000}))
        .await
        .expect(201);
    assert_eq!(c["price"], 10_000_000);
    let p = app.patch("/api/v1/copies/TK-1", admin, json!({"price": -5})).await.problem(422, "validation");
    assert_eq!(p["errors"][0]["field"], "price");
    assert_eq!(app.get("/api/v1/copies/TK-1", None).await.expect(200)["price"], 10_000_000);
    let c = app.patch("/api/v1/copies/TK-1", admin, json!({"price": 45_000})).await.expect(200);
    assert_eq!(c["price"], 45_000);
    let c = app.patch("/api/v1/copies/TK-1", admin, json!({"price": null})).await.expect(200);
    assert!(c["price"].is_null());
    let c = app.patch("/api/v1/copies/TK-1", admin, json!({"location": "Rak B"})).await.expect(200);
    assert!(c["price"].is_null());
    // Category charges are bounded like the other money.
    let app = &app;
    let admin_put = |v: Value| async move {
        let all = app.get("/api/v1/categories", Some(&app.admin)).await.expect(200);
        let mut c = all["items"][0].clone();
        for (k, x) in v.as_object().unwrap() {
            c[k] = x.clone();
        }
        let code = c["code"].as_str().unwrap().to_owned();
        c.as_object_mut().unwrap().remove("code");
        app.call(reqwest::Method::PUT, &format!("/api/v1/categories/{code}"), Some(&app.admin), Some(c)).await
    };
    admin_put(json!({"lost_charge": 10_000_001})).await.problem(422, "validation");
    admin_put(json!({"damage_charge": -1})).await.problem(422, "validation");
}

async fn fines_can_be_paid_in_parts_with_a_receipt_for_each(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Dilan").await;
    app.copy(book, "DL-1").await;
    let (member, card, token) = app.member_with_login("Budi", "budi").await;
    let (_, _, other) = app.member_with_login("Siti", "siti").await;
    app.checkout_days_ago("DL-1", &card, 20).await.expect(201);
    let fine = app.checkin("DL-1").await.expect(200)["fine"].clone();
    let amount = fine["amount"].as_i64().unwrap();
    assert!(amount > 2_000, "{fine}");
    assert_eq!((fine["paid"].as_i64(), fine["outstanding"].as_i64()), (Some(0), Some(amount)));
    let app = &app;
    let pay = |body: Option<Value>| {
        let path = format!("/api/v1/fines/{}/pay", id(&fine));
        async move { app.call(reqwest::Method::POST, &path, Some(&app.admin), body).await }
    };

    // Part of it: the rest stays unpaid, and the payment is recorded for its receipt.
    let f = pay(Some(json!({"amount": 2_000}))).await.expect(200);
    assert_eq!(
        (f["status"].as_str(), f["paid"].as_i64(), f["outstanding"].as_i64()),
        (Some("unpaid"), Some(2_000), Some(amount - 2_000))
    );
    let first = f["payment"].clone();
    assert_eq!((first["amount"].as_i64(), first["outstanding_after"].as_i64()), (Some(2_000), Some(amount - 2_000)));
    assert_eq!(first["received_by"], "admin");
    assert_eq!(first["card_number"], card);
    let m = app.get(&format!("/api/v1/members/{member}"), admin).await.expect(200);
    assert_eq!(m["unpaid_fines"], amount - 2_000);

    // More than is owed, nothing, or not a number: refused with the field at fault, nothing recorded.
    for bad in [json!({"amount": amount}), json!({"amount": 0}), json!({"amount": -1})] {
        let p = pay(Some(bad.clone())).await.problem(422, "validation");
        assert_eq!(p["errors"][0]["field"], "amount", "{bad}: {p}");
    }
    assert_eq!(pay(Some(json!({"amount": amount}))).await.body["errors"][0]["code"], "overpayment");
    let p = pay(Some(json!({"amount": "lots"}))).await.problem(422, "validation");
    assert_eq!(p["errors"][0]["field"], "amount", "{p}");
    pay(Some(json!({"amount": 1, "extra": true}))).await.problem(422, "validation");
    let payments = app.get(&format!("/api/v1/fines/{}/payments", id(&fine)), admin).await.expect(200);
    assert_eq!(payments["items"].as_array().unwrap().len(), 1);

    // No amount: the rest, and the fine is paid.
    let f = pay(None).await.expect(200);
    assert_eq!(
        (f["status"].as_str(), f["paid"].as_i64(), f["outstanding"].as_i64()),
        (Some("paid"), Some(amount), Some(0))
    );
    assert_eq!(f["payment"]["amount"], amount - 2_000);
    assert_eq!(f["payment"]["outstanding_after"], 0);
    pay(Some(json!({}))).await.problem(409, "fine_resolved");
    let payments = app.get(&format!("/api/v1/fines/{}/payments", id(&fine)), admin).await.expect(200);
    let amounts: Vec<_> = payments["items"].as_array().unwrap().iter().map(|p| p["amount"].as_i64().unwrap()).collect();
    assert_eq!(amounts, [2_000, amount - 2_000]);

    // The receipt: for staff and the member who paid; not for another member.
    let receipt = app.get(&format!("/api/v1/payments/{}", id(&first)), Some(&token)).await.expect(200);
    assert_eq!((receipt["amount"].as_i64(), receipt["title"].as_str()), (Some(2_000), Some("Dilan")));
    assert_eq!(receipt["fine_amount"], amount);
    app.get(&format!("/api/v1/payments/{}", id(&first)), Some(&other)).await.problem(403, "forbidden");
    app.get(&format!("/api/v1/fines/{}/payments", id(&fine)), Some(&other)).await.problem(403, "forbidden");
    app.get("/api/v1/payments/99999", admin).await.problem(404, "not_found");
    app.post("/api/v1/fines/99999/pay", admin, json!({"amount": 1})).await.problem(404, "not_found");
    // Members do not take money.
    app.post(&format!("/api/v1/fines/{}/pay", id(&fine)), Some(&token), json!({})).await.problem(403, "forbidden");
    let m = app.get(&format!("/api/v1/members/{member}"), admin).await.expect(200);
    assert_eq!(m["unpaid_fines"], 0);
}
