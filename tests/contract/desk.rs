//! The circulation desk's contract, on both backends: what a barcode scanner sends is matched the
//! way a librarian expects.

use crate::common;

use common::TestApp;
use serde_json::json;

contract!(
    barcodes_match_whatever_their_case_and_surrounding_spaces,
    audit_lines_name_the_book_copy_and_member,
    the_desk_snapshot_holds_what_an_offline_scan_is_judged_by,
    the_desk_snapshot_is_the_desks_alone,
);

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

/// The desk's local copy (#33) in one request: each member with their other numbers, the loans
/// out with their types, every copy's type and status, the holds waiting and on the shelf, and
/// the rules; nothing personal beyond what a scan needs.
async fn the_desk_snapshot_holds_what_an_offline_scan_is_judged_by(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let novel = app.book("Laskar Pelangi").await;
    app.copy(novel, "LP-1").await;
    app.copy(novel, "LP-2").await;
    let dictionary = app
        .post(
            "/api/v1/books",
            admin,
            json!({"title": "KBBI", "authors": ["Badan Bahasa"], "collection_type": "referensi"}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    app.copy(dictionary, "KB-1").await;
    let withdrawn = app.book("Rusak").await;
    app.copy(withdrawn, "RS-1").await;
    app.patch("/api/v1/copies/RS-1", admin, json!({"status": "withdrawn"})).await.expect(200);

    let (rina, rina_card) = app.member("Rina", "student").await;
    let (budi, budi_card) = app.member("Budi", "student").await;
    app.post(&format!("/api/v1/members/{rina}/numbers"), admin, json!({"kind": "nis", "number": "NIS-7001"}))
        .await
        .expect(201);
    app.post(&format!("/api/v1/members/{rina}/numbers"), admin, json!({"kind": "nisn", "number": "0098765432"}))
        .await
        .expect(201);
    let loan = app.checkout("LP-1", &rina_card).await.expect(201);
    app.checkout("LP-2", &rina_card).await.expect(201);
    // Budi waits for the novel; the second copy comes back and is kept for him.
    app.post("/api/v1/holds", admin, json!({"book_id": novel, "card_number": budi_card})).await.expect(201);
    app.checkin("LP-2").await.expect(200);
    app.patch(&format!("/api/v1/members/{budi}"), admin, json!({"blocked": true, "blocked_reason": "Kartu hilang"}))
        .await
        .expect(200);

    let snap = app.get("/api/v1/desk/snapshot", admin).await.expect(200);
    let members = snap["members"].as_array().unwrap();
    assert_eq!(members.len(), 2, "{snap}");
    let r = members.iter().find(|m| m["id"] == rina).unwrap();
    assert_eq!(r["card_number"], rina_card.as_str());
    assert_eq!(r["other_numbers"], json!(["NIS-7001", "0098765432"]));
    assert_eq!(r["category"], "student");
    assert_eq!(r["blocked"], false);
    for private in ["email", "phone", "birth_date", "blocked_reason", "username"] {
        assert!(r.get(private).is_none(), "{private} stays on the server: {r}");
    }
    let b = members.iter().find(|m| m["id"] == budi).unwrap();
    assert_eq!((b["blocked"].as_bool(), b["other_numbers"].as_array().map(Vec::len)), (Some(true), Some(0)));

    let loans = snap["loans"].as_array().unwrap();
    assert_eq!(loans.len(), 1, "LP-2 came back: {snap}");
    assert_eq!(loans[0]["id"], loan["id"]);
    assert_eq!(loans[0]["barcode"], "LP-1");
    assert_eq!(loans[0]["member_id"], rina);
    assert_eq!(loans[0]["due_at"], loan["due_at"]);
    assert_eq!(loans[0]["title"], "Laskar Pelangi");

    let copies = snap["copies"].as_array().unwrap();
    let copy = |bc: &str| copies.iter().find(|c| c["barcode"] == bc).cloned();
    assert_eq!(copy("LP-1").unwrap()["status"], "on_loan");
    assert_eq!(copy("LP-2").unwrap()["status"], "on_hold_shelf");
    assert_eq!(copy("KB-1").unwrap()["collection_type"], "referensi");
    assert_eq!(copy("KB-1").unwrap()["status"], "available");
    assert!(copy("RS-1").is_none(), "a withdrawn copy is left out: {snap}");

    let holds = snap["holds"].as_array().unwrap();
    assert_eq!(holds.len(), 1, "{snap}");
    assert_eq!(
        (&holds[0]["member_id"], &holds[0]["status"], &holds[0]["barcode"], &holds[0]["book_id"]),
        (&json!(budi), &json!("ready"), &json!("LP-2"), &json!(novel))
    );

    let referensi = snap["collection_types"].as_array().unwrap().iter().find(|t| t["code"] == "referensi").unwrap();
    assert_eq!(referensi["loanable"], false);
    let student = snap["categories"].as_array().unwrap().iter().find(|c| c["code"] == "student").unwrap();
    assert!(student["max_loans"].as_i64().unwrap() > 0, "{student}");
    assert!(snap["loan_rules"].is_array());
    assert!(snap["taken_at"].as_str().is_some());
}

/// Only the desk reads the local copy: it names every member.
async fn the_desk_snapshot_is_the_desks_alone(app: TestApp) {
    app.get("/api/v1/desk/snapshot", None).await.problem(401, "unauthenticated");
    let (_, _, member_token) = app.member_with_login("Sari", "sari").await;
    app.get("/api/v1/desk/snapshot", Some(&member_token)).await.problem(403, "forbidden");
    let librarian = app.add_librarian().await;
    app.get("/api/v1/desk/snapshot", Some(&librarian)).await.expect(200);
}
