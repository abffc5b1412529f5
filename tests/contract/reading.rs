//! The reading programme (Gerakan Literasi Sekolah, issue #34) on both backends: a term's target,
//! exact per-student counts for a small known class (loans made in the term, returned by its end,
//! reads in the library; a loan from before the term not counted), the class summary, the most
//! active readers (JSON, XLSX, PDF), and the scoping: a teacher (`guru`) sees only the classes
//! given to it and is refused another (403), a member sees only their own figures.

use crate::common;

use common::TestApp;
use reqwest::Method;
use serde_json::{json, Value};

contract!(
    a_class_reads_against_the_target_and_a_teacher_sees_only_their_classes,
    a_member_keeps_a_reading_list_of_their_own
);

async fn student(app: &TestApp, name: &str, grade: &str, username: Option<&str>) -> (i64, String) {
    let mut body = json!({ "name": name, "category": "student", "grade": grade });
    if let Some(u) = username {
        body["username"] = json!(u);
        body["password"] = json!("member-password");
    }
    let m = app.post("/api/v1/members", Some(&app.admin), body).await.expect(201);
    (m["id"].as_i64().unwrap(), m["card_number"].as_str().unwrap().to_owned())
}

fn content_type(r: &common::Res) -> String {
    r.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
}

/// The student row of `name` in a report.
fn row<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["students"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap_or_else(|| panic!("{name}"))
}

fn counts(s: &Value) -> (i64, i64, i64, i64, bool) {
    let n = |k: &str| s[k].as_i64().unwrap();
    (n("borrowed"), n("returned"), n("in_library"), n("read"), s["reached"].as_bool().unwrap())
}

async fn a_class_reads_against_the_target_and_a_teacher_sees_only_their_classes(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let today = app.today();
    let term = app
        .post(
            "/api/v1/terms",
            admin,
            json!({ "name": "Semester Genap", "starts_on": today - chrono::Duration::days(30), "ends_on": today + chrono::Duration::days(30) }),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let book = app.book("Laskar Pelangi").await;
    for i in 1..=8 {
        app.copy(book, &format!("LP-{i}")).await;
    }
    let (ani, ani_card) = student(&app, "Ani", "7A", Some("ani")).await;
    let (budi, budi_card) = student(&app, "Budi", "7A", None).await;
    student(&app, "Citra", "7A", None).await;
    let (_, dewi_card) = student(&app, "Dewi", "7B", None).await;

    // Ani: a loan from before the term (not counted), three in it (two back), one read at a table.
    app.clock.shift(-chrono::Duration::days(40));
    app.checkout("LP-1", &ani_card).await.expect(201);
    app.checkin("LP-1").await.expect(200);
    app.clock.reset();
    for b in ["LP-2", "LP-3", "LP-4"] {
        app.checkout(b, &ani_card).await.expect(201);
    }
    app.checkin("LP-2").await.expect(200);
    app.checkin("LP-3").await.expect(200);
    app.post("/api/v1/in-library-uses", admin, json!({ "barcode": "LP-5", "card_number": ani_card })).await.expect(201);
    // Budi: one loan, back. Citra: nothing. Dewi (7B): one loan back and a read at a table.
    app.checkout("LP-6", &budi_card).await.expect(201);
    app.checkin("LP-6").await.expect(200);
    app.checkout("LP-7", &dewi_card).await.expect(201);
    app.checkin("LP-7").await.expect(200);
    app.post("/api/v1/in-library-uses", admin, json!({ "barcode": "LP-8", "card_number": dewi_card }))
        .await
        .expect(201);

    // The target: two books per student in the term.
    let t = app.call(Method::PUT, &format!("/api/v1/reading/targets/{term}"), admin, Some(json!({"books": 2}))).await;
    assert_eq!(t.expect(200)["books"], 2);
    let p = app.call(Method::PUT, &format!("/api/v1/reading/targets/{term}"), admin, Some(json!({"books": 0}))).await;
    assert_eq!(p.problem(422, "validation")["errors"][0]["field"], "books");
    app.call(Method::PUT, "/api/v1/reading/targets/999999", admin, Some(json!({"books": 2})))
        .await
        .problem(404, "not_found");
    let targets = app.get("/api/v1/reading/targets", admin).await.expect(200);
    assert_eq!(targets["items"][0]["books"], 2, "{targets}");

    // Per student of 7A, exactly.
    let r = app.get(&format!("/api/v1/reading/students?term={term}&class=7a"), admin).await.expect(200);
    assert_eq!(r["target"], 2);
    assert_eq!(r["students"].as_array().unwrap().len(), 3, "{r}");
    assert_eq!(counts(row(&r, "Ani")), (3, 2, 1, 3, true));
    assert_eq!(counts(row(&r, "Budi")), (1, 1, 0, 1, false));
    assert_eq!(counts(row(&r, "Citra")), (0, 0, 0, 0, false));
    let c = &r["classes"][0];
    assert_eq!((c["grade"].as_str(), c["students"].as_i64(), c["read"].as_i64()), (Some("7A"), Some(3), Some(4)));
    assert_eq!((c["average"].as_f64(), c["reached"].as_i64()), (Some(1.3), Some(1)));

    // Every class for staff with `reports`; the most active readers.
    let classes = app.get(&format!("/api/v1/reading/classes?term={term}"), admin).await.expect(200);
    let grades: Vec<_> = classes["items"].as_array().unwrap().iter().map(|c| c["grade"].clone()).collect();
    assert_eq!(grades, vec![json!("7A"), json!("7B")]);
    assert_eq!((classes["items"][1]["read"].as_i64(), classes["items"][1]["reached"].as_i64()), (Some(2), Some(1)));
    let top = app.get(&format!("/api/v1/reading/top?term={term}"), admin).await.expect(200);
    let names: Vec<_> = top["items"].as_array().unwrap().iter().map(|s| s["name"].clone()).collect();
    assert_eq!(names, vec![json!("Ani"), json!("Dewi"), json!("Budi")]);
    let pdf = app.get(&format!("/api/v1/reading/top?term={term}&format=pdf"), admin).await;
    assert_eq!((pdf.status.as_u16(), content_type(&pdf).as_str()), (200, "application/pdf"));
    let xlsx = app.get(&format!("/api/v1/reading/students?term={term}&format=xlsx"), admin).await;
    assert_eq!(xlsx.status.as_u16(), 200);
    assert!(content_type(&xlsx).contains("spreadsheetml"), "{}", content_type(&xlsx));
    let csv = app.get(&format!("/api/v1/reading/classes?term={term}&format=csv"), admin).await;
    assert!(content_type(&csv).starts_with("text/csv"), "{}", content_type(&csv));
    app.get(&format!("/api/v1/reading/top?term={term}&limit=0"), admin).await.problem(422, "validation");
    app.get("/api/v1/reading/students?term=999999", admin).await.problem(404, "not_found");

    // A teacher (the seeded `guru` role) given 7A.
    let guru = app
        .post("/api/v1/users", admin, json!({"username": "bu-sari", "password": "guru-password", "role": "guru"}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    let given = app
        .call(Method::PUT, &format!("/api/v1/users/{guru}/classes"), admin, Some(json!({"classes": ["7A", " 7a "]})))
        .await
        .expect(200);
    assert_eq!(given["classes"], json!(["7A"]));
    let teacher = app.login("bu-sari", "guru-password").await;
    let teacher = Some(teacher.as_str());
    let mine = app.get(&format!("/api/v1/reading/students?term={term}"), teacher).await.expect(200);
    assert_eq!(mine["students"].as_array().unwrap().len(), 3, "{mine}");
    assert_eq!(counts(row(&mine, "Ani")), (3, 2, 1, 3, true));
    app.get(&format!("/api/v1/reading/students?term={term}&class=7A"), teacher).await.expect(200);
    app.get(&format!("/api/v1/reading/students?term={term}&class=7B"), teacher).await.problem(403, "forbidden");
    app.get(&format!("/api/v1/reading/top?term={term}&class=7B"), teacher).await.problem(403, "forbidden");
    let classes = app.get(&format!("/api/v1/reading/classes?term={term}"), teacher).await.expect(200);
    assert_eq!(classes["items"].as_array().unwrap().len(), 1, "{classes}");
    let top = app.get(&format!("/api/v1/reading/top?term={term}"), teacher).await.expect(200);
    assert!(top["items"].as_array().unwrap().iter().all(|s| s["grade"] == "7A"), "{top}");
    // Nothing else: not the targets' setting, not a member's record, not the desk.
    app.call(Method::PUT, &format!("/api/v1/reading/targets/{term}"), teacher, Some(json!({"books": 9})))
        .await
        .problem(403, "forbidden");
    app.get(&format!("/api/v1/members/{ani}/reading?term={term}"), teacher).await.problem(403, "forbidden");
    app.get("/api/v1/loans", teacher).await.problem(403, "forbidden");

    // A member: their own figures, nobody else's, and no class report.
    let ani_token = app.login("ani", "member-password").await;
    let own = app.get(&format!("/api/v1/members/{ani}/reading?term={term}"), Some(&ani_token)).await.expect(200);
    assert_eq!(counts(&own["reading"]), (3, 2, 1, 3, true));
    assert_eq!(own["target"], 2);
    app.get(&format!("/api/v1/members/{budi}/reading?term={term}"), Some(&ani_token)).await.problem(403, "forbidden");
    app.get(&format!("/api/v1/reading/students?term={term}"), Some(&ani_token)).await.problem(403, "forbidden");
    // Staff with `reports` see any member's.
    let b = app.get(&format!("/api/v1/members/{budi}/reading?term={term}"), admin).await.expect(200);
    assert_eq!(counts(&b["reading"]), (1, 1, 0, 1, false));
}

async fn a_member_keeps_a_reading_list_of_their_own(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let laskar = app.book("Laskar Pelangi").await;
    app.copy(laskar, "RL-1").await;
    let bumi = app.book("Bumi Manusia").await;
    let (ani, _) = student(&app, "Ani", "7A", Some("ani")).await;
    let (budi, _) = student(&app, "Budi", "7A", Some("budi")).await;
    let ani_token = app.login("ani", "member-password").await;
    let me = Some(ani_token.as_str());
    let list = format!("/api/v1/members/{ani}/reading-list");

    let l = app.post(&list, me, json!({"book_id": laskar})).await.expect(200);
    assert_eq!(l["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        (l["items"][0]["title"].as_str(), l["items"][0]["copies_available"].as_i64()),
        (Some("Laskar Pelangi"), Some(1))
    );
    app.post(&list, me, json!({"book_id": bumi})).await.expect(200);
    // Twice the same book: still once.
    let l = app.post(&list, me, json!({"book_id": laskar})).await.expect(200);
    assert_eq!(l["items"].as_array().unwrap().len(), 2, "{l}");
    app.post(&list, me, json!({"book_id": 999_999})).await.problem(404, "not_found");

    // Staff see it; another member does not, nor adds to it.
    let seen = app.get(&list, admin).await.expect(200);
    assert_eq!(seen["items"].as_array().unwrap().len(), 2);
    let budi_token = app.login("budi", "member-password").await;
    app.get(&list, Some(&budi_token)).await.problem(403, "forbidden");
    app.post(&list, Some(&budi_token), json!({"book_id": bumi})).await.problem(403, "forbidden");
    app.get(&format!("/api/v1/members/{budi}/reading-list"), Some(&budi_token)).await.expect(200);

    // Off the list.
    app.delete(&format!("{list}/{laskar}"), me).await.expect(204);
    app.delete(&format!("{list}/{laskar}"), me).await.problem(404, "not_found");
    let l = app.get(&list, me).await.expect(200);
    assert_eq!(l["items"].as_array().unwrap().len(), 1);
    assert_eq!(l["items"][0]["title"], "Bumi Manusia");
}
