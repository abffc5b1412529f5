//! The authorization matrix: every route of the router × (anonymous, the visitor kiosk, another
//! member, the member, librarian, admin). The route list comes from the OpenAPI document the
//! router generates, so a new route fails this test until it is given an access level here.

use crate::common;

use common::TestApp;
use reqwest::Method;
use serde_json::{json, Value};

contract!(authorization_matrix);

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Access {
    /// Anyone, logged in or not.
    Public,
    /// Any logged-in account.
    Account,
    /// Staff, or the member the record belongs to.
    Own,
    /// Admins and librarians.
    Staff,
    /// Admins.
    Admin,
    /// The entrance kiosk's account, and staff.
    Kiosk,
}

fn access(method: &str, path: &str) -> Access {
    use Access::*;
    match (method, path) {
        ("GET", "/healthz" | "/readyz" | "/licenses") => Public,
        ("POST", "/api/v1/auth/login") => Public,
        ("GET", "/api/v1/books" | "/api/v1/books/{id}" | "/api/v1/books/{id}/copies" | "/api/v1/copies/{barcode}") => {
            Public
        }
        ("GET", "/api/v1/closed-days") => Public,
        ("POST", "/api/v1/auth/logout" | "/api/v1/auth/password") | ("GET", "/api/v1/auth/me") => Account,
        ("GET", "/api/v1/members/{id}" | "/api/v1/members/{id}/loans" | "/api/v1/members/{id}/holds")
        | ("GET", "/api/v1/members/{id}/fines" | "/api/v1/loans/{id}")
        | ("GET", "/api/v1/fines/{id}/payments" | "/api/v1/payments/{id}")
        | ("POST", "/api/v1/loans/{id}/renew" | "/api/v1/holds")
        | ("DELETE", "/api/v1/holds/{id}") => Own,
        ("PUT" | "DELETE", "/api/v1/categories/{code}") | ("GET" | "POST", "/api/v1/users") => Admin,
        // Filling every missing call number (#28).
        ("POST", "/api/v1/books/call-numbers") => Admin,
        ("DELETE", "/api/v1/users/{id}") => Admin,
        // Backups (#32): every record out, and every record replaced.
        ("GET", "/api/v1/backup" | "/api/v1/backups")
        | ("POST", "/api/v1/backup/check" | "/api/v1/backup/restore" | "/api/v1/backups/{name}/restore") => Admin,
        ("GET" | "PUT", "/api/v1/notices/settings") | ("GET", "/api/v1/notices/templates") => Admin,
        ("PUT" | "DELETE", "/api/v1/notices/templates/{kind}/{language}") | ("POST", "/api/v1/notices/preview") => {
            Admin
        }
        // A member sees their own notices only; staff everyone's.
        ("GET", "/api/v1/notices") => Account,
        ("GET", "/api/v1/notices/overdue-contacts") => Staff,
        ("GET", "/api/v1/reports" | "/api/v1/reports/{name}" | "/api/v1/reports/summary") => Staff,
        ("GET", "/api/v1/audit" | "/api/v1/stats" | "/api/v1/members" | "/api/v1/loans" | "/api/v1/holds")
        | ("GET", "/api/v1/fines" | "/api/v1/categories")
        | ("POST", "/api/v1/books" | "/api/v1/books/{id}/copies" | "/api/v1/members" | "/api/v1/loans")
        | ("POST", "/api/v1/returns" | "/api/v1/closed-days" | "/api/v1/fines/{id}/pay" | "/api/v1/fines/{id}/waive")
        | ("POST", "/api/v1/loans/{id}/lost")
        | ("PATCH" | "DELETE", "/api/v1/books/{id}" | "/api/v1/copies/{barcode}" | "/api/v1/members/{id}")
        | ("DELETE", "/api/v1/closed-days/{date}") => Staff,
        ("POST", "/api/v1/visits") => Kiosk,
        ("GET", "/api/v1/visits" | "/api/v1/visits/stats" | "/api/v1/stocktakes" | "/api/v1/stocktakes/{id}")
        | ("GET", "/api/v1/stocktakes/{id}/report")
        | ("POST", "/api/v1/stocktakes" | "/api/v1/stocktakes/{id}/scans" | "/api/v1/stocktakes/{id}/finish")
        | ("POST", "/api/v1/stocktakes/{id}/lost") => Staff,
        // Printing (#14): the identity is public (the page header), its changes the admin's.
        ("GET", "/api/v1/library" | "/api/v1/library/logo") => Public,
        ("PUT", "/api/v1/library" | "/api/v1/library/logo" | "/api/v1/barcode-pattern")
        | ("DELETE", "/api/v1/library/logo") => Admin,
        ("GET", "/api/v1/barcode-pattern" | "/api/v1/print/sheets" | "/api/v1/print/imports")
        | ("GET", "/api/v1/members/{id}/photo")
        | ("POST", "/api/v1/call-numbers/suggest" | "/api/v1/print/labels" | "/api/v1/print/cards")
        | ("POST", "/api/v1/print/loan-slip")
        | ("PUT" | "DELETE", "/api/v1/members/{id}/photo") => Staff,
        // A member's other numbers (#28).
        ("POST", "/api/v1/members/{id}/numbers") | ("DELETE", "/api/v1/members/{id}/numbers/{number}") => Staff,
        ("GET", "/api/v1/print/receipts/{id}") => Own,
        // Copy cataloguing (#31): looking up is the cataloguers'; the sources are the admin's;
        // covers are shown in the public catalogue.
        ("GET", "/api/v1/copy-cataloguing" | "/api/v1/catalogue-sources") => Staff,
        ("POST", "/api/v1/catalogue-sources") | ("PUT" | "DELETE", "/api/v1/catalogue-sources/{id}") => Admin,
        ("GET", "/api/v1/covers/{isbn}" | "/api/v1/books/{id}/cover") => Public,
        ("PUT" | "DELETE", "/api/v1/books/{id}/cover") => Staff,
        ("GET", "/api/v1/export/{what}") => Staff,
        // Collection types and the loan-rule matrix (#30): staff read them, admins change them.
        ("GET", "/api/v1/collection-types" | "/api/v1/loan-rules") | ("POST", "/api/v1/in-library-uses") => Staff,
        ("GET", "/api/v1/terms") => Public,
        ("POST", "/api/v1/terms") | ("DELETE", "/api/v1/terms/{id}") => Admin,
        ("PUT" | "DELETE", "/api/v1/collection-types/{code}" | "/api/v1/loan-rules/{category}/{collection_type}") => {
            Admin
        }
        // Textbook class sets (#30): the desk's.
        ("GET" | "POST", "/api/v1/class-sets")
        | ("POST", "/api/v1/class-sets/return")
        | ("GET", "/api/v1/class-sets/print") => Staff,
        ("POST", "/api/v1/import/{what}") | ("GET", "/api/v1/import/jobs" | "/api/v1/import/jobs/{id}") => Admin,
        _ => panic!("{method} {path} has no access level: add it to tests/authz.rs"),
    }
}

/// Whether the kiosk account may call a route: public ones, recording visits, and its own login
/// (`/auth/*`); not even the routes any other account may call (a member's notices).
fn kiosk_may(level: Access, path: &str) -> bool {
    match level {
        Access::Public | Access::Kiosk => true,
        Access::Account => path.starts_with("/api/v1/auth/"),
        _ => false,
    }
}

/// The records the requests point at: all belong to member A.
struct Fixture {
    book: i64,
    member_a: i64,
    card_a: String,
    loan_a: i64,
    hold_a: i64,
    fine_a: i64,
    payment_a: i64,
    user: i64,
    stocktake: i64,
}

async fn fixture(app: &TestApp) -> Fixture {
    let admin = Some(app.admin.as_str());
    let book = app.book("Matriks").await;
    app.copy(book, "MX-1").await;
    app.copy(book, "MX-2").await;
    let (member_a, card_a, _) = app.member_with_login("Anggota A", "anggota_a").await;
    app.member_with_login("Anggota B", "anggota_b").await;
    // An old loan of A's, returned late (a fine), and a current one.
    app.checkout_days_ago("MX-2", &card_a, 20).await.expect(201);
    let fine_a = app.checkin("MX-2").await.expect(200)["fine"]["id"].as_i64().unwrap();
    let loan_a = app.checkout("MX-1", &card_a).await.expect(201)["id"].as_i64().unwrap();
    // A paid part of the fine: a receipt.
    let payment_a = app.post(&format!("/api/v1/fines/{fine_a}/pay"), admin, json!({"amount": 1})).await.expect(200)
        ["payment"]["id"]
        .as_i64()
        .unwrap();
    // A waits for another book that is out.
    let other = app.book("Dipesan").await;
    app.copy(other, "MX-3").await;
    let (_, card_c) = app.member("Anggota C", "staff").await;
    app.checkout("MX-3", &card_c).await.expect(201);
    let hold_a = app.post("/api/v1/holds", admin, json!({"book_id": other, "card_number": card_a})).await.expect(201)
        ["id"]
        .as_i64()
        .unwrap();
    let user = app
        .post("/api/v1/users", admin, json!({"username": "sementara", "password": "temporary-pw", "role": "librarian"}))
        .await
        .expect(201)["id"]
        .as_i64()
        .unwrap();
    app.call(
        Method::PUT,
        "/api/v1/categories/tamu",
        admin,
        Some(json!({"name": "Tamu", "max_loans": 1, "loan_days": 3, "max_renewals": 0, "fine_per_day": 100, "fine_limit": 0, "hold_pickup_days": 2})),
    )
    .await
    .expect(200);
    app.post("/api/v1/users", admin, json!({"username": "kios", "password": "kiosk-password", "role": "kiosk"}))
        .await
        .expect(201);
    let stocktake =
        app.post("/api/v1/stocktakes", admin, json!({"name": "Matriks"})).await.expect(201)["id"].as_i64().unwrap();
    Fixture { book, member_a, card_a, loan_a, hold_a, fine_a, payment_a, user, stocktake }
}

fn concrete(path: &str, f: &Fixture) -> String {
    let id = if path.starts_with("/api/v1/books") {
        f.book
    } else if path.starts_with("/api/v1/members") {
        f.member_a
    } else if path.starts_with("/api/v1/loans") {
        f.loan_a
    } else if path.starts_with("/api/v1/holds") {
        f.hold_a
    } else if path.starts_with("/api/v1/fines") {
        f.fine_a
    } else if path.starts_with("/api/v1/payments") || path.starts_with("/api/v1/print/receipts") {
        f.payment_a
    } else if path.starts_with("/api/v1/stocktakes") {
        f.stocktake
    } else {
        f.user
    };
    path.replace("{id}", &id.to_string())
        .replace("{barcode}", "MX-1")
        .replace("{code}", "tamu")
        .replace("{date}", "2030-01-02")
        .replace("{kind}", "overdue")
        .replace("{language}", "id")
        .replace("{name}", "loans-per-month")
        .replace("{what}", "books")
        .replace("{isbn}", "9789799731234")
        .replace("{category}", "tamu")
        .replace("{collection_type}", "paket")
}

/// A body that gets a well-formed request past parsing where the handler reads one.
fn body(method: &str, path: &str, f: &Fixture) -> Option<Value> {
    match (method, path) {
        ("POST", "/api/v1/holds") => Some(json!({"book_id": f.book, "card_number": f.card_a})),
        ("POST", "/api/v1/auth/login") => Some(json!({"username": "nobody-here", "password": "wrong-password"})),
        ("POST", "/api/v1/auth/password") => {
            Some(json!({"current_password": "wrong-password", "new_password": "a-new-password"}))
        }
        ("GET" | "DELETE", _) => None,
        _ => Some(json!({})),
    }
}

async fn authorization_matrix(app: TestApp) {
    let f = fixture(&app).await;
    app.add_librarian().await;
    let (_, doc) = pustaka::http::api();
    let spec = serde_json::to_value(&doc).unwrap();
    let mut checked = 0;
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            let level = access(&method, path);
            let url = concrete(path, &f);
            // Fresh sessions per route: logout and password changes end them.
            let member_a = app.login("anggota_a", "member-password").await;
            let member_b = app.login("anggota_b", "member-password").await;
            let librarian = app.login(common::LIBRARIAN.0, common::LIBRARIAN.1).await;
            let admin = app.login("admin", common::ADMIN_PASSWORD).await;
            let kiosk = app.login("kios", "kiosk-password").await;
            // Refused callers first: the allowed ones may change what the route points at.
            let callers: [(&str, Option<&str>, bool); 6] = [
                ("anonymous", None, level == Access::Public),
                // The kiosk: visits, its own login, the public catalogue; nothing else.
                ("kiosk", Some(&kiosk), kiosk_may(level, path)),
                ("another member", Some(&member_b), matches!(level, Access::Public | Access::Account)),
                ("the member", Some(&member_a), matches!(level, Access::Public | Access::Account | Access::Own)),
                ("librarian", Some(&librarian), level != Access::Admin),
                ("admin", Some(&admin), true),
            ];
            for (who, token, allowed) in callers {
                let m = Method::from_bytes(method.as_bytes()).unwrap();
                let r = app.call(m, &url, token, body(&method, path, &f)).await;
                let code = r.body.get("code").and_then(Value::as_str).unwrap_or("").to_owned();
                let status = r.status.as_u16();
                if allowed {
                    assert!(
                        !(status == 401 && code == "unauthenticated" || status == 403),
                        "{method} {path} as {who}: refused with {status} {}",
                        r.body
                    );
                } else {
                    let expected = if token.is_none() { 401 } else { 403 };
                    assert_eq!(status, expected, "{method} {path} as {who} ({level:?}): {}", r.body);
                }
                assert!(status < 500, "{method} {path} as {who}: {status} {}", r.body);
                checked += 1;
            }
        }
    }
    assert!(checked >= 46 * 5, "{checked} checks");
}
