//! The visitor log's contract, on both backends: a kiosk account records visits once each, even
//! when the same visit is sent again, and reaches nothing else; staff count them per day, hour,
//! category and class (kelas), as JSON, CSV and XLSX; a visit keeps the class of its day.

use crate::common;

use common::TestApp;
use serde_json::{json, Value};

contract!(
    a_kiosk_records_member_and_guest_visits_once,
    the_kiosk_role_reaches_nothing_but_visits,
    visits_are_counted_per_day_hour_and_category,
    visits_count_under_the_class_of_their_day,
    blocked_and_expired_members_are_greeted_and_counted,
    members_are_greeted_by_the_name_they_are_called_by,
    bad_visits_name_their_field,
);

/// Creates a kiosk account and returns its token.
async fn kiosk(app: &TestApp) -> String {
    app.post(
        "/api/v1/users",
        Some(&app.admin),
        json!({"username": "kios_pintu", "password": "kiosk-password", "role": "kiosk"}),
    )
    .await
    .expect(201);
    app.login("kios_pintu", "kiosk-password").await
}

/// Names as school lists hold them greet by the name a person is called by, not "NI!" or "MUH.!"
/// (the rule and its cases: domain::names).
async fn members_are_greeted_by_the_name_they_are_called_by(app: TestApp) {
    let k = kiosk(&app).await;
    for (name, greeting) in
        [("NI LUH PUTU AYU LESTARI", "Ayu"), ("MUH. RIZKI PRATAMA", "Rizki"), ("Budi, S.Pd.", "Budi")]
    {
        let (_, card) = app.member(name, "student").await;
        let r =
            app.post("/api/v1/visits", Some(&k), json!({"client_id": uuid(), "card_number": card})).await.expect(201);
        assert_eq!(r["greeting"], greeting, "{name}");
    }
}

fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

async fn a_kiosk_records_member_and_guest_visits_once(app: TestApp) {
    let k = kiosk(&app).await;
    let (_, card) = app.member("Budi Santoso", "student").await;
    let id = uuid();
    let first = app.post("/api/v1/visits", Some(&k), json!({"client_id": id, "card_number": card})).await.expect(201);
    assert_eq!((first["kind"].as_str(), first["greeting"].as_str()), (Some("member"), Some("Budi")));
    // Nothing about the member but the name to greet.
    let keys: Vec<&str> = first.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 5, "{first}");
    for k in ["card_number", "member_id", "category", "email", "phone", "name"] {
        assert!(first.get(k).is_none(), "{k} in {first}");
    }
    // The kiosk lost the answer and sends the visit again, even in another case of the card:
    // one visit, answered as before.
    let again = app
        .post("/api/v1/visits", Some(&k), json!({"client_id": id, "card_number": card.to_lowercase()}))
        .await
        .expect(200);
    assert_eq!(again["id"], first["id"]);
    // Sent many times at once (a kiosk that came back online and a retry racing it).
    let racing = uuid();
    let sends = (0..8).map(|_| app.post("/api/v1/visits", Some(&k), json!({"client_id": racing, "card_number": card})));
    let answers = futures::future::join_all(sends).await;
    let statuses: Vec<u16> = answers.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(statuses.iter().filter(|&&s| s == 201).count(), 1, "{statuses:?}");
    assert!(statuses.iter().all(|&s| s == 201 || s == 200), "{statuses:?}");
    let ids: std::collections::BTreeSet<i64> = answers.iter().map(|r| r.body["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 1);

    // A guest, queued while offline an hour ago.
    let at = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let g = app
        .post(
            "/api/v1/visits",
            Some(&k),
            json!({"client_id": uuid(), "guest_name": "Ibu Ratna", "institution": "SMP 2 Bandung", "purpose": "Studi banding", "at": at}),
        )
        .await
        .expect(201);
    assert_eq!((g["kind"].as_str(), g["greeting"].as_str()), (Some("guest"), Some("Ibu Ratna")));

    // Staff see three visits, each once.
    let list = app.get("/api/v1/visits", Some(&app.admin)).await.expect(200);
    let rows = list.as_array().unwrap();
    assert_eq!(rows.len(), 3, "{list:#}");
    let guest = rows.iter().find(|r| r["category"] == "guest").unwrap();
    assert_eq!((guest["name"].as_str(), guest["institution"].as_str()), (Some("Ibu Ratna"), Some("SMP 2 Bandung")));
    let member_rows: Vec<&Value> = rows.iter().filter(|r| r["category"] == "student").collect();
    assert_eq!(member_rows.len(), 2);
    assert!(member_rows.iter().all(|r| r["card_number"] == card.as_str() && r["recorded_by"] == "kios_pintu"));

    // A card nobody has: not recorded.
    app.post("/api/v1/visits", Some(&k), json!({"client_id": uuid(), "card_number": "P00000018"}))
        .await
        .problem(404, "not_found");
    assert_eq!(app.get("/api/v1/visits", Some(&app.admin)).await.expect(200).as_array().unwrap().len(), 3);
}

async fn the_kiosk_role_reaches_nothing_but_visits(app: TestApp) {
    let k = kiosk(&app).await;
    let (member, card) = app.member("Sari", "student").await;
    let book = app.book("Bumi Manusia").await;
    app.copy(book, "BM-1").await;
    for (method, path, body) in [
        ("GET", "/api/v1/visits".to_owned(), None),
        ("GET", "/api/v1/visits/stats".to_owned(), None),
        ("GET", "/api/v1/members".to_owned(), None),
        ("GET", format!("/api/v1/members/{member}"), None),
        ("GET", format!("/api/v1/members/{member}/loans"), None),
        ("GET", "/api/v1/loans".to_owned(), None),
        ("GET", "/api/v1/notices".to_owned(), None),
        ("GET", "/api/v1/stats".to_owned(), None),
        ("GET", "/api/v1/stocktakes".to_owned(), None),
        ("POST", "/api/v1/loans".to_owned(), Some(json!({"barcode": "BM-1", "card_number": card}))),
        ("POST", "/api/v1/holds".to_owned(), Some(json!({"book_id": book, "card_number": card}))),
        (
            "POST",
            "/api/v1/users".to_owned(),
            Some(json!({"username": "x_y", "password": "password-1", "role": "admin"})),
        ),
    ] {
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        app.call(m, &path, Some(&k), body).await.problem(403, "forbidden");
    }
    // What any account may do: who am I, the public catalogue.
    assert_eq!(app.get("/api/v1/auth/me", Some(&k)).await.expect(200)["role"], "kiosk");
    app.get("/api/v1/books", Some(&k)).await.expect(200);
    // A kiosk account is no member's.
    let (m2, _) = app.member("Dedi", "student").await;
    let r = app
        .post(
            "/api/v1/users",
            Some(&app.admin),
            json!({"username": "kios_dua", "password": "kiosk-password", "role": "kiosk", "member_id": m2}),
        )
        .await
        .problem(422, "validation");
    assert_eq!(r["errors"][0]["field"], "member_id");
}

async fn visits_are_counted_per_day_hour_and_category(app: TestApp) {
    let k = kiosk(&app).await;
    let (_, student) = app.member("Andi", "student").await;
    let (_, staff) = app.member("Pak Guru", "staff").await;
    // Two days ago at 08:xx and today: days are library days (Asia/Jakarta).
    let today = app.today();
    let two_days_ago = today - chrono::Duration::days(2);
    let at = |d: chrono::NaiveDate, h: u32| {
        let local = d.and_hms_opt(h, 15, 0).unwrap();
        let utc = local - chrono::Duration::hours(7);
        format!("{}Z", utc.format("%Y-%m-%dT%H:%M:%S"))
    };
    for (card, when) in
        [(&student, at(two_days_ago, 8)), (&student, at(two_days_ago, 8)), (&staff, at(two_days_ago, 10))]
    {
        app.post("/api/v1/visits", Some(&k), json!({"client_id": uuid(), "card_number": card, "at": when}))
            .await
            .expect(201);
    }
    app.post(
        "/api/v1/visits",
        Some(&k),
        json!({"client_id": uuid(), "guest_name": "Tamu", "at": at(two_days_ago, 10)}),
    )
    .await
    .expect(201);
    let admin = Some(app.admin.as_str());
    let from = two_days_ago;
    let by_day = app.get(&format!("/api/v1/visits/stats?from={from}&to={today}&by=day"), admin).await.expect(200);
    let rows = by_day.as_array().unwrap();
    assert_eq!(rows.len(), 3, "every day of the period, with or without visits: {by_day:#}");
    assert_eq!(rows[0], json!({"date": from.to_string(), "visits": 4, "members": 3, "guests": 1}));
    assert_eq!(rows[1]["visits"], 0);
    let by_hour = app.get(&format!("/api/v1/visits/stats?from={from}&to={today}&by=hour"), admin).await.expect(200);
    let hours = by_hour.as_array().unwrap();
    assert_eq!(hours.len(), 24);
    assert_eq!(hours[8], json!({"hour": "08:00", "visits": 2}));
    assert_eq!(hours[10], json!({"hour": "10:00", "visits": 2}));
    let by_cat = app.get(&format!("/api/v1/visits/stats?from={from}&to={today}&by=category"), admin).await.expect(200);
    assert_eq!(
        by_cat,
        json!([{"category": "guest", "visits": 1}, {"category": "staff", "visits": 1}, {"category": "student", "visits": 2}])
    );
    // The same tables as downloads.
    let csv = app.get(&format!("/api/v1/visits/stats?from={from}&to={today}&by=day&format=csv"), admin).await;
    assert_eq!(csv.status, 200);
    assert!(csv.headers["content-type"].to_str().unwrap().starts_with("text/csv"));
    let text = csv.body.as_str().unwrap().to_owned();
    assert!(text.contains("date,visits,members,guests") && text.contains(&format!("{from},4,3,1")), "{text}");
    let xlsx = app.get(&format!("/api/v1/visits?from={from}&to={today}&format=xlsx"), admin).await;
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.headers["content-disposition"].to_str().unwrap().contains(".xlsx"));
}

/// A visit at `h`:15 library time on day `d`, as the `at` of a kiosk that sends it later.
fn local_at(d: chrono::NaiveDate, h: u32) -> String {
    let utc = d.and_hms_opt(h, 15, 0).unwrap() - chrono::Duration::hours(7);
    format!("{}Z", utc.format("%Y-%m-%dT%H:%M:%S"))
}

async fn visits_count_under_the_class_of_their_day(app: TestApp) {
    let k = kiosk(&app).await;
    let admin = Some(app.admin.as_str());
    let new_member = |name: &str, category: &str, grade: Option<&str>| {
        let body = json!({"name": name, "category": category, "grade": grade});
        let app = &app;
        async move {
            let m = app.post("/api/v1/members", Some(&app.admin), body).await.expect(201);
            (m["id"].as_i64().unwrap(), m["card_number"].as_str().unwrap().to_owned())
        }
    };
    let (andi, andi_card) = new_member("Andi", "student", Some("7A")).await;
    let (_, bunga) = new_member("Bunga", "student", Some("7a")).await;
    let (_, guru) = new_member("Pak Guru", "staff", None).await;
    let today = app.today();
    let before = today - chrono::Duration::days(3);
    // Andi's later visit is two days ago, not today: a visit at 07:15 today would be in the
    // future when the suite runs between midnight and 07:10 in Jakarta.
    let later = today - chrono::Duration::days(2);
    let visit = |card: &str, at: String| {
        let body = json!({"client_id": uuid(), "card_number": card, "at": at});
        let (app, k) = (&app, k.clone());
        async move { app.post("/api/v1/visits", Some(&k), body).await.expect(201) }
    };
    // In 7A: Andi twice, Bunga once (her class written in another case). A teacher, a guest.
    visit(&andi_card, local_at(before, 8)).await;
    visit(&andi_card, local_at(before, 9)).await;
    visit(&bunga, local_at(before, 9)).await;
    visit(&guru, local_at(before, 10)).await;
    app.post(
        "/api/v1/visits",
        Some(&k),
        json!({"client_id": uuid(), "guest_name": "Ibu Ratna", "at": local_at(before, 11)}),
    )
    .await
    .expect(201);
    // Andi moves up a class and comes again: that visit is 8A's, the earlier ones stay 7A's.
    app.patch(&format!("/api/v1/members/{andi}"), admin, json!({"grade": "8A"})).await.expect(200);
    visit(&andi_card, local_at(later, 7)).await;

    let stats = |from: chrono::NaiveDate, to: chrono::NaiveDate| {
        let app = &app;
        async move {
            app.get(&format!("/api/v1/visits/stats?from={from}&to={to}&by=grade"), Some(&app.admin)).await.expect(200)
        }
    };
    let null = Value::Null;
    assert_eq!(
        stats(before, today).await,
        json!([
            {"grade": "7A", "kind": "grade", "visits": 3, "visitors": 2},
            {"grade": "8A", "kind": "grade", "visits": 1, "visitors": 1},
            {"grade": null, "kind": "no_grade", "visits": 1, "visitors": 1},
            {"grade": null, "kind": "guest", "visits": 1, "visitors": null},
        ])
    );
    // The earlier days alone: as they were before Andi moved up, whatever his class is now.
    let earlier = stats(before, before).await;
    assert_eq!(earlier[0], json!({"grade": "7A", "kind": "grade", "visits": 3, "visitors": 2}));
    assert_eq!(earlier.as_array().unwrap().len(), 3, "{earlier:#}");
    // No visits: the two closing rows, at 0.
    let empty = stats(today - chrono::Duration::days(1), today - chrono::Duration::days(1)).await;
    assert_eq!(
        empty,
        json!([{"grade": null, "kind": "no_grade", "visits": 0, "visitors": 0}, {"grade": null, "kind": "guest", "visits": 0, "visitors": null}])
    );

    // The visit list says each visit's class of the day.
    let list = app.get(&format!("/api/v1/visits?from={before}&to={today}"), admin).await.expect(200);
    let andi_rows: Vec<&Value> =
        list.as_array().unwrap().iter().filter(|r| r["card_number"] == andi_card.as_str()).collect();
    let grades: Vec<&Value> = andi_rows.iter().map(|r| &r["grade"]).collect();
    assert_eq!(grades, [&json!("7A"), &json!("7A"), &json!("8A")]);
    let guest = list.as_array().unwrap().iter().find(|r| r["category"] == "guest").unwrap();
    assert_eq!(guest["grade"], null);
    // A member deleted later: their visits keep their class.
    let (ani, ani_card) = new_member("Ani", "student", Some("9C")).await;
    visit(&ani_card, local_at(later, 8)).await;
    app.delete(&format!("/api/v1/members/{ani}"), admin).await.expect(204);
    let rows = stats(later, later).await;
    assert!(
        rows.as_array().unwrap().contains(&json!({"grade": "9C", "kind": "grade", "visits": 1, "visitors": 1})),
        "{rows:#}"
    );

    // As a download: the same columns.
    let csv = app.get(&format!("/api/v1/visits/stats?from={before}&to={before}&by=grade&format=csv"), admin).await;
    let text = csv.body.as_str().unwrap().to_owned();
    assert!(
        text.contains("grade,kind,visits,visitors") && text.contains("7A,grade,3,2") && text.contains(",guest,1,"),
        "{text}"
    );
    let csv = app.get(&format!("/api/v1/visits?from={before}&to={today}&format=csv"), admin).await;
    let text = csv.body.as_str().unwrap().to_owned();
    assert!(text.contains("date,time,category,grade,card_number"), "{text}");
    let xlsx = app.get(&format!("/api/v1/visits/stats?from={before}&to={today}&by=grade&format=xlsx"), admin).await;
    assert_eq!(xlsx.status, 200);
}

async fn blocked_and_expired_members_are_greeted_and_counted(app: TestApp) {
    let k = kiosk(&app).await;
    let admin = Some(app.admin.as_str());
    let (blocked, blocked_card) = app.member("Bambang Blokir", "student").await;
    app.patch(
        &format!("/api/v1/members/{blocked}"),
        admin,
        json!({"blocked": true, "blocked_reason": "Buku hilang belum diganti"}),
    )
    .await
    .expect(200);
    let expired = app
        .post(
            "/api/v1/members",
            admin,
            json!({"name": "Eka Kadaluwarsa", "category": "student", "expires_on": "2020-01-01"}),
        )
        .await
        .expect(201);
    // A visit is a visit: both are recorded and greeted by first name, and the answer says no
    // more than it says of anyone (nothing of the block, its reason or the expiry).
    for (card, first) in [(blocked_card.as_str(), "Bambang"), (expired["card_number"].as_str().unwrap(), "Eka")] {
        let r =
            app.post("/api/v1/visits", Some(&k), json!({"client_id": uuid(), "card_number": card})).await.expect(201);
        assert_eq!((r["kind"].as_str(), r["greeting"].as_str()), (Some("member"), Some(first)));
        let mut keys: Vec<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["client_id", "greeting", "id", "kind", "visited_at"], "{r}");
        assert!(!r.to_string().to_lowercase().contains("hilang"), "{r}");
    }
    let by_cat = app.get("/api/v1/visits/stats?by=category", admin).await.expect(200);
    assert_eq!(by_cat, json!([{"category": "student", "visits": 2}]));
}

async fn bad_visits_name_their_field(app: TestApp) {
    let k = kiosk(&app).await;
    let (_, card) = app.member("Wati", "student").await;
    let field = |body: Value| {
        let app = &app;
        let k = k.clone();
        async move {
            let r = app.post("/api/v1/visits", Some(&k), body).await.problem(422, "validation");
            r["errors"][0]["field"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(field(json!({"client_id": "x", "card_number": card})).await, "client_id");
    assert_eq!(field(json!({"client_id": uuid()})).await, "card_number");
    // A card's shape with a wrong check digit, or what can be no member's number (#28: any other
    // number of a member's is looked up, and is a 404 when no member has it).
    assert_eq!(field(json!({"client_id": uuid(), "card_number": "P12345675"})).await, "card_number");
    assert_eq!(field(json!({"client_id": uuid(), "card_number": "12 3"})).await, "card_number");
    let nobody = app.post("/api/v1/visits", Some(&k), json!({"client_id": uuid(), "card_number": "123"})).await;
    nobody.problem(404, "not_found");
    assert_eq!(field(json!({"client_id": uuid(), "card_number": card, "guest_name": "A"})).await, "guest_name");
    assert_eq!(field(json!({"client_id": uuid(), "guest_name": "A", "purpose": "x".repeat(300)})).await, "purpose");
    let future = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    assert_eq!(field(json!({"client_id": uuid(), "card_number": card, "at": future})).await, "at");
    let old = (chrono::Utc::now() - chrono::Duration::days(30)).to_rfc3339();
    assert_eq!(field(json!({"client_id": uuid(), "card_number": card, "at": old})).await, "at");
    assert_eq!(field(json!({"client_id": uuid(), "card_number": card, "at": "yesterday"})).await, "at");
    let admin = Some(app.admin.as_str());
    let r = app.get("/api/v1/visits/stats?from=2026-02-01&to=2026-01-01", admin).await.problem(422, "validation");
    assert_eq!(r["errors"][0]["field"], "from");
    let r = app.get("/api/v1/visits?to=%2B262142-12-31", admin).await.problem(422, "validation");
    assert_eq!(r["errors"][0]["field"], "to");
    let r = app.get("/api/v1/visits/stats?by=week", admin).await.problem(422, "validation");
    assert_eq!(r["errors"][0]["field"], "by");
    let r = app.get("/api/v1/visits/stats?by=kelas", admin).await.problem(422, "validation");
    assert_eq!(r["errors"][0]["field"], "by");
    // Nothing was recorded by any of them.
    assert_eq!(app.get("/api/v1/visits", admin).await.expect(200).as_array().unwrap().len(), 0);
}
