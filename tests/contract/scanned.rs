//! The time of a scan at a desk that was offline (issue #33), on both backends: checkouts, returns
//! and renewals sent later carry `scanned_at`, taken as the loan's time within the bounds the
//! server checks.

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::json;

use crate::common::{Res, TestApp};

contract!(
    a_checkout_scanned_earlier_is_lent_then,
    scanned_times_out_of_bounds_are_refused,
    returns_and_renewals_take_their_scanned_time
);

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn time(v: &serde_json::Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

#[track_caller]
fn assert_field(res: Res, code: &str) {
    let body = res.problem(422, "validation");
    let errors = body["errors"].as_array().unwrap();
    assert!(errors.iter().any(|e| e["field"] == "scanned_at" && e["code"] == code), "{body:#}");
}

async fn a_checkout_scanned_earlier_is_lent_then(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Pulang").await;
    app.copy(book, "PL-1").await;
    app.copy(book, "PL-2").await;
    let (_, card) = app.member("Dimas", "student").await;
    let now = app.store.now();
    let scanned = now - Duration::hours(30) + Duration::milliseconds(250);
    let loan = app
        .post("/api/v1/loans", admin, json!({"barcode": "PL-1", "card_number": card, "scanned_at": rfc3339(scanned)}))
        .await
        .expect(201);
    assert_eq!(time(&loan["loaned_at"]), scanned - Duration::milliseconds(250), "to the second");
    let stored = app.get(&format!("/api/v1/loans/{}", loan["id"]), admin).await.expect(200);
    assert_eq!(stored["loaned_at"], loan["loaned_at"]);
    // Its due date counts from the day it was scanned, as a loan made then would.
    app.clock.shift(-Duration::hours(30));
    let then = app.post("/api/v1/loans", admin, json!({"barcode": "PL-2", "card_number": card})).await.expect(201);
    app.clock.reset();
    assert_eq!(loan["due_at"], then["due_at"]);
    // A clock a little fast at the desk: taken as now.
    app.checkin("PL-2").await.expect(200);
    let ahead = now + Duration::minutes(2);
    let loan = app
        .post("/api/v1/loans", admin, json!({"barcode": "PL-2", "card_number": card, "scanned_at": rfc3339(ahead)}))
        .await
        .expect(201);
    assert!(time(&loan["loaned_at"]) <= app.store.now());
}

async fn scanned_times_out_of_bounds_are_refused(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Amba").await;
    app.copy(book, "AM-1").await;
    let (member, card) = app.member("Bhisma", "student").await;
    let now = app.store.now();
    let checkout = |at: String| json!({"barcode": "AM-1", "card_number": card, "scanned_at": at});
    assert_field(
        app.post("/api/v1/loans", admin, checkout(rfc3339(now + Duration::minutes(10)))).await,
        "scanned_in_future",
    );
    assert_field(
        app.post("/api/v1/loans", admin, checkout(rfc3339(now - Duration::hours(73)))).await,
        "scanned_too_old",
    );
    let bad = app.post("/api/v1/loans", admin, checkout("kemarin".into())).await;
    assert!(bad.status.is_client_error(), "{:?}", bad.body);
    let page = app.get(&format!("/api/v1/loans?status=all&member_id={member}"), admin).await.expect(200);
    assert_eq!(page["total"], 0, "nothing lent");

    let loan = app.checkout("AM-1", &card).await.expect(201);
    let renew = format!("/api/v1/loans/{}/renew", loan["id"]);
    assert_field(
        app.post(&renew, admin, json!({"scanned_at": rfc3339(now - Duration::hours(80))})).await,
        "scanned_too_old",
    );
    let back = json!({"barcode": "AM-1", "scanned_at": rfc3339(now + Duration::hours(1))});
    assert_field(app.post("/api/v1/returns", admin, back).await, "scanned_in_future");
    let stored = app.get(&format!("/api/v1/loans/{}", loan["id"]), admin).await.expect(200);
    assert_eq!((stored["renewals"].as_i64(), stored["returned_at"].is_null()), (Some(0), true));
}

async fn returns_and_renewals_take_their_scanned_time(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Gadis Kretek").await;
    app.copy(book, "GK-1").await;
    app.copy(book, "GK-2").await;
    let (_, card) = app.member("Jeng Yah", "student").await;
    let now = app.store.now();
    let lent_at = now - Duration::hours(48);
    let loan = app
        .post("/api/v1/loans", admin, json!({"barcode": "GK-1", "card_number": card, "scanned_at": rfc3339(lent_at)}))
        .await
        .expect(201);
    // Renewed offline a day later (no body is still a renewal now).
    let renew = format!("/api/v1/loans/{}/renew", loan["id"]);
    let renewed = app.post(&renew, admin, json!({"scanned_at": rfc3339(now - Duration::hours(24))})).await.expect(200);
    assert_eq!(renewed["renewals"], 1);
    let back_at = now - Duration::hours(2);
    let back = app.post("/api/v1/returns", admin, json!({"barcode": "GK-1", "scanned_at": rfc3339(back_at)})).await;
    let back = back.expect(200);
    assert_eq!(time(&back["loan"]["returned_at"]), back_at);
    assert_eq!(time(&back["loan"]["loaned_at"]), lent_at);

    // A return scanned before the loan began (lent at another desk since): at the loan's start.
    let loan = app.checkout("GK-2", &card).await.expect(201);
    let early = app
        .post("/api/v1/returns", admin, json!({"barcode": "GK-2", "scanned_at": rfc3339(now - Duration::hours(5))}))
        .await
        .expect(200);
    assert_eq!(early["loan"]["returned_at"], loan["loaned_at"]);
}
