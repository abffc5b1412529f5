//! The circulation desk's contract, on both backends: what a barcode scanner sends is matched the
//! way a librarian expects.

use crate::common;

use common::TestApp;
use serde_json::json;

contract!(barcodes_match_whatever_their_case_and_surrounding_spaces, audit_lines_name_the_book_copy_and_member);

async fn barcodes_match_whatever_their_case_and_surrounding_spaces(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Siti Nurbaya").await;
    let copies = format!("/api/v1/books/{book}/copies");
    let c = app.post(&copies, admin, json!({"barcode": " sn-01a "})).await.expect(201);
    assert_eq!(c["barcode"], "sn-01a", "stored trimmed, in the case it was first given");

    // Uniqueness follows the same rule as matching: no second copy that differs only in case.
    for clash in ["SN-01A", "Sn-01a", "  sn-01A\t"] {
        app.post(&copies, admin, json!({"barcode": clash})).await.problem(409, "conflict");
    }
    let list = app.get(&copies, None).await.expect(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1, "the refused copies were not stored");

    assert_eq!(app.get("/api/v1/copies/SN-01A", None).await.expect(200)["barcode"], "sn-01a");
    let (member, card) = app.member("Rina", "student").await;
    let loan = app.checkout(" SN-01A ", &card.to_lowercase()).await.expect(201);
    assert_eq!((loan["barcode"].as_str(), loan["member_id"].as_i64()), (Some("sn-01a"), Some(member)));
    // Scanned again in another case: the same copy, already out; not an unknown barcode.
    app.checkout("Sn-01A", &card).await.problem(409, "copy_not_available");
    let active = app.get("/api/v1/loans?status=active&barcode=SN-01a", admin).await.expect(200);
    assert_eq!(active["total"], 1);
    assert_eq!(active["items"][0]["barcode"], "sn-01a");

    let back = app.checkin("  SN-01A ").await.expect(200);
    assert_eq!(back["loan"]["barcode"], "sn-01a");
    app.checkin("sn-01a").await.problem(409, "not_on_loan");
    app.checkin("SN-01B").await.problem(404, "not_found");

    // Editing and deleting find the copy the same way.
    let c = app.patch("/api/v1/copies/SN-01A", admin, json!({"location": "Rak C2"})).await.expect(200);
    assert_eq!((c["barcode"].as_str(), c["location"].as_str()), (Some("sn-01a"), Some("Rak C2")));
}

async fn audit_lines_name_the_book_copy_and_member(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app.book("Salah Asuhan").await;
    app.copy(book, "SA-1").await;
    let (_, card) = app.member("Budi Santoso", "student").await;
    app.checkout_days_ago("SA-1", &card, 20).await.expect(201);
    let back = app.checkin("SA-1").await.expect(200);
    let fine = back["fine"]["amount"].as_i64().expect("a late return is fined");
    let log = app.get("/api/v1/audit?per_page=100", admin).await.expect(200);
    let items = log["items"].as_array().unwrap();
    let line = |action: &str| {
        items.iter().find(|e| e["action"] == action).unwrap_or_else(|| panic!("no {action} in {items:?}")).clone()
    };
    for action in ["loan.create", "loan.return"] {
        let e = line(action);
        assert_eq!(
            (e["book_title"].as_str(), e["barcode"].as_str(), e["member_name"].as_str(), e["card_number"].as_str()),
            (Some("Salah Asuhan"), Some("SA-1"), Some("Budi Santoso"), Some(card.as_str())),
            "{action}: {e}"
        );
        assert_eq!(e["amount"], serde_json::Value::Null);
    }
    let f = line("fine.create");
    assert_eq!((f["member_name"].as_str(), f["amount"].as_i64()), (Some("Budi Santoso"), Some(fine)));
    assert_eq!(f["book_title"], "Salah Asuhan");
    let c = line("copy.create");
    assert_eq!((c["book_title"].as_str(), c["barcode"].as_str()), (Some("Salah Asuhan"), Some("SA-1")));
    assert_eq!(c["member_name"], serde_json::Value::Null);
    assert_eq!(line("member.create")["member_name"], "Budi Santoso");
    assert_eq!(line("book.create")["book_title"], "Salah Asuhan");
    // A line about a record deleted since keeps its own words (what the record was, #32) and
    // names nothing else.
    let other = app.book("Dihapus").await;
    app.delete(&format!("/api/v1/books/{other}"), admin).await.expect(204);
    let log = app.get("/api/v1/audit?per_page=1", admin).await.expect(200);
    let e = &log["items"][0];
    assert_eq!(
        (e["action"].as_str(), e["detail"].as_str()),
        (Some("book.delete"), Some("title: Dihapus | authors: Penulis Uji"))
    );
    assert_eq!(e["book_title"], serde_json::Value::Null);
    assert!(log["total"].as_i64().unwrap() > 1, "paged: one line of many");
}
