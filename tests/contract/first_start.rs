//! The first start in the page (issue #32): its state in the database, moved on by the admin's
//! new password, skippable after it. (The page's flow from a fresh server: tests/e2e/test_first_start.py.)

use crate::common;

use common::TestApp;
use pustaka::store::{accounts::FirstStep, Actor};
use reqwest::Method;
use serde_json::json;

contract!(the_first_start_waits_for_a_new_password_then_can_be_skipped);

async fn the_first_start_waits_for_a_new_password_then_can_be_skipped(app: TestApp) {
    let admin = Some(app.admin.as_str());
    // A library with an admin password of its own chosen (here: the test's) is past it.
    assert_eq!(app.get("/api/v1/first-start", admin).await.expect(200)["step"], "done");
    // As a new install whose admin password was generated.
    app.store.set_first_start_step(&Actor::system(), FirstStep::Password).await.unwrap();
    assert_eq!(app.get("/api/v1/first-start", admin).await.expect(200)["step"], "password");
    let r = app.call(Method::PUT, "/api/v1/first-start", admin, Some(json!({"step": "done"}))).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.body);
    assert_eq!(r.body["errors"][0]["code"], "password_first");
    let r = app.call(Method::PUT, "/api/v1/first-start", admin, Some(json!({"step": "later"}))).await;
    assert_eq!(r.status.as_u16(), 422, "{}", r.body);
    // A librarian's password change does not count; the admin's does.
    let librarian = app.add_librarian().await;
    app.post(
        "/api/v1/auth/password",
        Some(&librarian),
        json!({"current_password": common::LIBRARIAN.1, "new_password": "librarian-new-pw"}),
    )
    .await
    .expect(204);
    assert_eq!(app.get("/api/v1/first-start", admin).await.expect(200)["step"], "password");
    app.get("/api/v1/first-start", Some(&librarian)).await.problem(403, "forbidden");
    app.post(
        "/api/v1/auth/password",
        admin,
        json!({"current_password": common::ADMIN_PASSWORD, "new_password": "admin-own-password"}),
    )
    .await
    .expect(204);
    assert_eq!(app.get("/api/v1/first-start", admin).await.expect(200)["step"], "identity");
    // Resumable: kept in the database; skippable step by step or all at once.
    app.call(Method::PUT, "/api/v1/first-start", admin, Some(json!({"step": "move_in"}))).await.expect(200);
    assert_eq!(app.get("/api/v1/first-start", admin).await.expect(200)["step"], "move_in");
    app.call(Method::PUT, "/api/v1/first-start", admin, Some(json!({"step": "done"}))).await.expect(200);
    assert_eq!(app.get("/api/v1/first-start", admin).await.expect(200)["step"], "done");
}
