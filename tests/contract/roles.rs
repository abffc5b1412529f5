//! Roles from permissions (issue #32): what the seeded roles may do, a role an admin makes, and
//! a session that follows a change of its role's permissions.

use crate::common;

use common::TestApp;
use reqwest::Method;
use serde_json::json;

contract!(
    a_desk_helper_lends_but_does_not_export_change_fines_or_import,
    reports_only_reads_reports_and_nothing_else,
    an_admin_made_role_works_and_sessions_follow_its_changes,
    fixed_and_seeded_roles_are_kept,
);

/// Makes an account of `role` and logs it in.
async fn account(app: &TestApp, username: &str, role: &str) -> String {
    app.post(
        "/api/v1/users",
        Some(&app.admin),
        json!({"username": username, "password": "role-password", "role": role}),
    )
    .await
    .expect(201);
    app.login(username, "role-password").await
}

async fn a_desk_helper_lends_but_does_not_export_change_fines_or_import(app: TestApp) {
    let book = app.book("Laskar Pelangi").await;
    app.copy(book, "RL-1").await;
    app.copy(book, "RL-2").await;
    let (_, card) = app.member("Siti", "student").await;
    // A fine to try paying: a loan returned late.
    app.checkout_days_ago("RL-2", &card, 30).await.expect(201);
    let fine = app.checkin("RL-2").await.expect(200)["fine"]["id"].as_i64().unwrap();
    let helper = account(&app, "pembantu", "desk_helper").await;
    let h = Some(helper.as_str());

    let me = app.get("/api/v1/auth/me", h).await.expect(200);
    assert_eq!(me["role"], "desk_helper");
    assert_eq!(me["permissions"], json!(["desk", "kiosk"]));

    // Lends and takes back.
    app.post("/api/v1/loans", h, json!({"barcode": "RL-1", "card_number": card})).await.expect(201);
    app.post("/api/v1/returns", h, json!({"barcode": "RL-1"})).await.expect(200);

    // Not the member register out, nor fines, nor imports.
    for what in ["members", "books", "loans"] {
        app.get(&format!("/api/v1/export/{what}"), h).await.problem(403, "forbidden");
    }
    app.post(&format!("/api/v1/fines/{fine}/pay"), h, json!({"amount": 100})).await.problem(403, "forbidden");
    app.post(&format!("/api/v1/fines/{fine}/waive"), h, json!({"reason": "maaf"})).await.problem(403, "forbidden");
    app.get("/api/v1/fines", h).await.problem(403, "forbidden");
    app.upload("/api/v1/import/members", &helper, b"name\nBudi\n").await.problem(403, "forbidden");
    app.get("/api/v1/users", h).await.problem(403, "forbidden");
    // The fine is as it was.
    let fines = app.get("/api/v1/fines", Some(&app.admin)).await.expect(200);
    assert_eq!(fines["items"][0]["status"], "unpaid", "{fines}");
}

async fn reports_only_reads_reports_and_nothing_else(app: TestApp) {
    let (member, _) = app.member("Siti", "student").await;
    let head = account(&app, "kepala", "reports_only").await;
    let h = Some(head.as_str());
    app.get("/api/v1/reports", h).await.expect(200);
    app.get("/api/v1/reports/loans-per-month?from=2026-01-01&to=2026-12-31", h).await.expect(200);
    app.get("/api/v1/stats", h).await.expect(200);
    for path in [
        "/api/v1/members".to_owned(),
        format!("/api/v1/members/{member}"),
        format!("/api/v1/members/{member}/loans"),
        "/api/v1/loans".to_owned(),
        "/api/v1/fines".to_owned(),
        "/api/v1/export/members".to_owned(),
        "/api/v1/notices".to_owned(),
        "/api/v1/users".to_owned(),
        "/api/v1/backups".to_owned(),
        "/api/v1/stocktakes".to_owned(),
    ] {
        app.get(&path, h).await.problem(403, "forbidden");
    }
    app.post("/api/v1/books", h, json!({"title": "Tidak boleh"})).await.problem(403, "forbidden");
    app.post("/api/v1/visits", h, json!({})).await.problem(403, "forbidden");
}

async fn an_admin_made_role_works_and_sessions_follow_its_changes(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let role = app
        .call(
            Method::PUT,
            "/api/v1/roles/petugas_sore",
            admin,
            Some(json!({"name": "Petugas sore", "permissions": ["fines", "desk"]})),
        )
        .await
        .expect(200);
    assert_eq!(role["permissions"], json!(["desk", "fines"]));
    assert_eq!(role["builtin"], false);
    let token = account(&app, "sore", "petugas_sore").await;
    let t = Some(token.as_str());
    app.get("/api/v1/fines", t).await.expect(200);
    app.get("/api/v1/members", t).await.problem(403, "forbidden");

    // Fines taken away: the same session loses them at its next request.
    app.call(
        Method::PUT,
        "/api/v1/roles/petugas_sore",
        admin,
        Some(json!({"name": "Petugas sore", "permissions": ["desk"]})),
    )
    .await
    .expect(200);
    app.get("/api/v1/fines", t).await.problem(403, "forbidden");
    assert_eq!(app.get("/api/v1/auth/me", t).await.expect(200)["permissions"], json!(["desk"]));
    // And given: the same session gains them.
    app.call(
        Method::PUT,
        "/api/v1/roles/petugas_sore",
        admin,
        Some(json!({"name": "Petugas sore", "permissions": ["desk", "members"]})),
    )
    .await
    .expect(200);
    app.get("/api/v1/members", t).await.expect(200);

    // Another role for the account: the session follows too.
    let id = app.get("/api/v1/auth/me", t).await.expect(200)["id"].as_i64().unwrap();
    app.call(Method::PUT, &format!("/api/v1/users/{id}/role"), admin, Some(json!({"role": "reports_only"})))
        .await
        .expect(200);
    app.get("/api/v1/members", t).await.problem(403, "forbidden");
    app.get("/api/v1/reports", t).await.expect(200);

    // The role is listed with its account count; held no more, it can be removed.
    let roles = app.get("/api/v1/roles", admin).await.expect(200);
    let sore = roles["items"].as_array().unwrap().iter().find(|r| r["code"] == "petugas_sore").unwrap().clone();
    assert_eq!(sore["accounts"], 0, "{roles}");
    app.delete("/api/v1/roles/petugas_sore", admin).await.expect(204);
    app.delete("/api/v1/roles/petugas_sore", admin).await.problem(404, "not_found");
    // The audit log says what the removed role was.
    let audit = app.get("/api/v1/audit", admin).await.expect(200);
    let line = audit["items"].as_array().unwrap().iter().find(|e| e["action"] == "role.delete").unwrap().clone();
    assert!(line["detail"].as_str().unwrap().contains("Petugas sore"), "{line}");
}

async fn fixed_and_seeded_roles_are_kept(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let roles = app.get("/api/v1/roles", admin).await.expect(200);
    let codes: Vec<_> = roles["items"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    for code in ["admin", "librarian", "desk_helper", "cataloguer", "reports_only", "kiosk", "member"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    for code in ["admin", "member", "kiosk"] {
        let r = app
            .call(Method::PUT, &format!("/api/v1/roles/{code}"), admin, Some(json!({"name": "x", "permissions": []})))
            .await;
        assert_eq!(r.status.as_u16(), 422, "{code}: {}", r.body);
        assert_eq!(r.body["errors"][0]["code"], "fixed_role", "{}", r.body);
    }
    let r = app.delete("/api/v1/roles/cataloguer", admin).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["code"], "builtin_role");
    // Bad input names its field.
    let r = app
        .call(Method::PUT, "/api/v1/roles/Bad Code", admin, Some(json!({"name": "", "permissions": ["nonsense"]})))
        .await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.body);
    let fields: Vec<_> = r.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["code", "name", "permissions"], "{}", r.body);
    let r = app
        .post("/api/v1/users", admin, json!({"username": "siapa", "password": "some-password", "role": "nope"}))
        .await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "role");
    // A role in use stays; the last admin stays an admin; a member account stays a member.
    account(&app, "katalog", "cataloguer").await;
    let r = app.delete("/api/v1/roles/cataloguer", admin).await;
    assert_eq!(r.status.as_u16(), 422);
    let admin_id = app.get("/api/v1/auth/me", admin).await.expect(200)["id"].as_i64().unwrap();
    let r = app
        .call(Method::PUT, &format!("/api/v1/users/{admin_id}/role"), admin, Some(json!({"role": "librarian"})))
        .await;
    assert!(r.status.is_client_error(), "{}", r.body);
    assert_eq!(app.get("/api/v1/auth/me", admin).await.expect(200)["role"], "admin");
    let (_, _, _) = app.member_with_login("Budi", "budi").await;
    let users = app.get("/api/v1/users", admin).await.expect(200);
    let budi =
        users["items"].as_array().unwrap().iter().find(|u| u["username"] == "budi").unwrap()["id"].as_i64().unwrap();
    let r =
        app.call(Method::PUT, &format!("/api/v1/users/{budi}/role"), admin, Some(json!({"role": "librarian"}))).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.body);
}
