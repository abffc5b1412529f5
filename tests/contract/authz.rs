//! The authorization matrix (issue #32): every route of the router × (anonymous, the visitor
//! kiosk, another member, the member, an account for each permission whose role holds only that
//! permission, the seeded librarian, admin). The route list comes from the OpenAPI document the
//! router generates; each route's access comes from the server's one table
//! (`pustaka::http::authz::access`), so a new route fails this test until it names what it
//! needs there. A caller whose role holds the route's permission may call it; any other may not.

use crate::common;

use common::TestApp;
use pustaka::{
    domain::status::{Permission, Permissions},
    http::authz::{access, Access},
};
use reqwest::Method;
use serde_json::{json, Value};

contract!(authorization_matrix);

/// A staff account whose role holds `p` alone: role `only_<p>`, username `only-<p>`.
fn only(p: Permission) -> (String, String) {
    (format!("only_{}", p.as_str()), format!("only-{}", p.as_str()))
}

const ONLY_PASSWORD: &str = "only-one-permission";

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Caller {
    Anonymous,
    Kiosk,
    OtherMember,
    Member,
    Staff(Permissions),
}

/// Whether `caller` may call a route of `level` at `path`.
fn may(caller: Caller, level: Access, path: &str) -> bool {
    match (caller, level) {
        (_, Access::Public) => true,
        (Caller::Anonymous, _) => false,
        (_, Access::Account) => true,
        // The kiosk: visits, its own login, the public catalogue; nothing else.
        (Caller::Kiosk, Access::Need(p)) => p == Permission::Kiosk,
        (Caller::Kiosk, Access::Own(_)) => false,
        (Caller::Member, Access::Own(_)) => true,
        // Every record points at member A; B's notices are B's own.
        (Caller::OtherMember, Access::Own(_)) => path == "/api/v1/notices",
        (Caller::Member | Caller::OtherMember, Access::Need(_)) => false,
        (Caller::Staff(set), Access::Own(p) | Access::Need(p)) => set.has(p),
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
    for p in Permission::ALL {
        let (role, username) = only(p);
        app.call(Method::PUT, &format!("/api/v1/roles/{role}"), admin, Some(json!({"name": role, "permissions": [p]})))
            .await
            .expect(200);
        app.post("/api/v1/users", admin, json!({"username": username, "password": ONLY_PASSWORD, "role": role}))
            .await
            .expect(201);
    }
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
        .replace("{book_id}", &f.book.to_string())
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

/// Everyone who calls, with a fresh session.
async fn sessions(app: &TestApp) -> Vec<(String, Caller, Option<String>)> {
    let librarian = Permissions::of(&[
        Permission::Desk,
        Permission::Catalogue,
        Permission::Members,
        Permission::Fines,
        Permission::Exports,
        Permission::Print,
        Permission::Reports,
        Permission::Kiosk,
        Permission::Reading,
    ]);
    let mut all = vec![
        ("anonymous".to_owned(), Caller::Anonymous, None),
        ("kiosk".to_owned(), Caller::Kiosk, Some(app.login("kios", "kiosk-password").await)),
        ("another member".to_owned(), Caller::OtherMember, Some(app.login("anggota_b", "member-password").await)),
        ("the member".to_owned(), Caller::Member, Some(app.login("anggota_a", "member-password").await)),
    ];
    for p in Permission::ALL {
        let (_, username) = only(p);
        let token = app.login(&username, ONLY_PASSWORD).await;
        all.push((username, Caller::Staff(Permissions::of(&[p])), Some(token)));
    }
    // What librarians could do before roles had permissions, kept by the seeded role.
    let token = app.login(common::LIBRARIAN.0, common::LIBRARIAN.1).await;
    all.push(("librarian".to_owned(), Caller::Staff(librarian), Some(token)));
    all.push((
        "admin".to_owned(),
        Caller::Staff(Permissions::all()),
        Some(app.login("admin", common::ADMIN_PASSWORD).await),
    ));
    all
}

async fn authorization_matrix(app: TestApp) {
    let f = fixture(&app).await;
    app.add_librarian().await;
    let (_, doc) = pustaka::http::api();
    let spec = serde_json::to_value(&doc).unwrap();
    let mut checked = 0;
    let mut per_permission = std::collections::BTreeMap::new();
    let mut callers = sessions(&app).await;
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let method = method.to_uppercase();
            let m = Method::from_bytes(method.as_bytes()).unwrap();
            let level = access(&m, path)
                .unwrap_or_else(|| panic!("{method} {path} has no access level: add it to src/http/authz.rs"));
            if let Access::Need(p) | Access::Own(p) = level {
                *per_permission.entry(p.as_str()).or_insert(0) += 1;
            }
            let url = concrete(path, &f);
            // Refused callers first: the allowed ones may change what the route points at.
            let mut order: Vec<_> = callers.iter().collect();
            order.sort_by_key(|(_, c, _)| may(*c, level, path));
            for (who, caller, token) in order {
                let allowed = may(*caller, level, path);
                let r = app.call(m.clone(), &url, token.as_deref(), body(&method, path, &f)).await;
                let code = r.body.get("code").and_then(Value::as_str).unwrap_or("").to_owned();
                let status = r.status.as_u16();
                if allowed {
                    assert!(
                        !(status == 401 && code == "unauthenticated" || status == 403),
                        "{method} {path} as {who} ({level:?}): refused with {status} {}",
                        r.body
                    );
                } else {
                    let expected = if token.is_none() { 401 } else { 403 };
                    assert_eq!(status, expected, "{method} {path} as {who} ({level:?}): {}", r.body);
                }
                assert!(status < 500, "{method} {path} as {who}: {status} {}", r.body);
                checked += 1;
            }
            // Logging out ends the callers' sessions: new ones for the next routes.
            if path == "/api/v1/auth/logout" {
                callers = sessions(&app).await;
            }
        }
    }
    // Every permission guards at least one route.
    for p in Permission::ALL {
        assert!(per_permission.contains_key(p.as_str()), "no route needs {p}");
    }
    assert!(checked >= 120 * 18, "{checked} checks");
}
