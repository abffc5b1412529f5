//! A librarian's recovery paths (issue #32): a locked-out admin gets back in with
//! `pustaka reset-password`, staff set a new password for a member who forgot theirs, and the
//! audit log says what a deleted record was.

use crate::common;

use common::TestApp;
use serde_json::json;

contract!(
    the_command_line_lets_a_locked_out_admin_back_in,
    staff_set_a_new_password_for_a_member,
    the_audit_log_says_what_a_deleted_record_was,
);

async fn the_command_line_lets_a_locked_out_admin_back_in(app: TestApp) {
    use secrecy::ExposeSecret;
    let url = app.settings.database.url.expose_secret().to_owned();
    let old_session = app.admin.clone();
    // Locked out: the password forgotten, and too many guesses from the office's address.
    for _ in 0..5 {
        app.login_from("10.0.0.7", "admin", "forgotten-it").await.problem(401, "invalid_credentials");
    }
    app.login_from("10.0.0.7", "admin", "forgotten-it").await.problem(429, "too_many_attempts");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pw");
    std::fs::write(&file, "a-brand-new-admin-password\n").unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pustaka"))
            .args(args)
            .env_clear()
            .env("PUSTAKA_PASSWORD_HASH_MEMORY_KIB", "64")
            .env("PUSTAKA_PASSWORD_HASH_ITERATIONS", "1")
            .output()
            .expect("run pustaka")
    };
    let file_arg = file.display().to_string();
    let out = run(&["reset-password", "nobody", "--password-file", &file_arg, "--database-url", &url]);
    assert!(!out.status.success(), "an unknown account is an error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no account"), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&["reset-password", "admin", "--password-file", &file_arg, "--database-url", &url]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("new password set for admin"));

    // In again from the same address; the old sessions ended.
    app.login_from("10.0.0.7", "admin", "a-brand-new-admin-password").await.expect(200);
    app.get("/api/v1/auth/me", Some(&old_session)).await.problem(401, "unauthenticated");
    let audit =
        app.get("/api/v1/audit", Some(&app.login("admin", "a-brand-new-admin-password").await)).await.expect(200);
    assert_eq!(audit["items"][0]["action"], "user.password_reset", "{audit}");
    assert_eq!(audit["items"][0]["actor"], "system");
}

async fn staff_set_a_new_password_for_a_member(app: TestApp) {
    let (member, _, member_session) = app.member_with_login("Siti", "siti").await;
    let (no_login, _) = app.member("Budi", "student").await;
    let librarian = app.add_librarian().await;
    let l = Some(librarian.as_str());
    let path = format!("/api/v1/members/{member}/password");
    let r = app.call(reqwest::Method::PUT, &path, l, Some(json!({"password": "short"}))).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["field"], "password");
    app.call(reqwest::Method::PUT, &path, l, Some(json!({"password": "siti-new-password"}))).await.expect(204);
    app.get("/api/v1/auth/me", Some(&member_session)).await.problem(401, "unauthenticated");
    app.post("/api/v1/auth/login", None, json!({"username": "siti", "password": "member-password"}))
        .await
        .problem(401, "invalid_credentials");
    app.login("siti", "siti-new-password").await;
    // A member without a login, and a desk helper (no members permission).
    app.call(
        reqwest::Method::PUT,
        &format!("/api/v1/members/{no_login}/password"),
        l,
        Some(json!({"password": "whatever-pw"})),
    )
    .await
    .problem(404, "not_found");
    app.post(
        "/api/v1/users",
        Some(&app.admin),
        json!({"username": "meja", "password": "desk-password", "role": "desk_helper"}),
    )
    .await
    .expect(201);
    let desk = app.login("meja", "desk-password").await;
    app.call(reqwest::Method::PUT, &path, Some(&desk), Some(json!({"password": "desk-chosen-pw"})))
        .await
        .problem(403, "forbidden");
}

async fn the_audit_log_says_what_a_deleted_record_was(app: TestApp) {
    let admin = Some(app.admin.as_str());
    let book = app
        .post(
            "/api/v1/books",
            admin,
            json!({"title": "Bumi Manusia", "authors": ["Pramoedya Ananta Toer"], "isbn": "9789799731234", "year": 1980}),
        )
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    app.copy(book, "BM-1").await;
    let member = app
        .post("/api/v1/members", admin, json!({"name": "Rina Wati", "category": "student", "phone": "081234567890"}))
        .await
        .expect(201);
    app.delete(&format!("/api/v1/members/{}", member["id"]), admin).await.expect(204);
    app.delete("/api/v1/copies/BM-1", admin).await.expect(204);
    app.delete(&format!("/api/v1/books/{book}"), admin).await.expect(204);
    let audit = app.get("/api/v1/audit", admin).await.expect(200);
    let detail = |action: &str| {
        audit["items"].as_array().unwrap().iter().find(|e| e["action"] == action).unwrap()["detail"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let b = detail("book.delete");
    for part in ["title: Bumi Manusia", "authors: Pramoedya Ananta Toer", "isbn: 9789799731234", "year: 1980"] {
        assert!(b.contains(part), "{part} in {b}");
    }
    let c = detail("copy.delete");
    assert!(c.contains("barcode: BM-1") && c.contains("title: Bumi Manusia"), "{c}");
    let m = detail("member.delete");
    let card = member["card_number"].as_str().unwrap();
    for part in [
        "name: Rina Wati".to_owned(),
        format!("card: {card}"),
        "category: student".into(),
        "phone: 081234567890".into(),
    ] {
        assert!(m.contains(&part), "{part} in {m}");
    }
}
