//! The licences Pustaka ships: `/licenses` on the page's server and `pustaka licenses` on the
//! command line answer with the notices file `licenses/generate` writes (CI checks that file is
//! current; `licenses/gate` checks that a disallowed licence or stale notices fail CI).

use crate::common;

use common::{Db, TestApp};

const NOTICES: &str = include_str!("../../licenses/THIRD-PARTY-NOTICES.txt");

/// Crates and bundled parts that must be named, as "name version" lines or part headings.
fn assert_lists_what_we_ship(text: &str) {
    for needle in ["MIT License", "Swagger UI 5.", "SmartBear", "SQLite", "The web page"] {
        assert!(text.contains(needle), "the notices do not mention {needle:?}");
    }
    for krate in ["axum", "sqlx", "sqlx-sqlite", "sqlx-mysql", "tokio", "utoipa", "serde", "argon2"] {
        assert!(
            text.lines().any(|l| l.starts_with(&format!("{krate} ")) && l.split(' ').count() == 2),
            "the notices do not list the crate {krate}"
        );
    }
    // Dev-dependencies are not in the program.
    assert!(!text.lines().any(|l| l.starts_with("proptest ")), "a dev-dependency is listed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn licenses_page_is_public_plain_text() {
    let app = TestApp::try_spawn_tcp(Db::Sqlite).await.unwrap();
    let res = reqwest::get(format!("{}/licenses", app.base())).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    let body = res.text().await.unwrap();
    assert_eq!(body, NOTICES, "/licenses serves licenses/THIRD-PARTY-NOTICES.txt as built");
    assert_lists_what_we_ship(&body);
}

#[test]
fn licenses_command_prints_the_notices() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_pustaka"))
        .arg("licenses")
        // Settings are not read: a broken one does not matter.
        .env("PUSTAKA_LISTEN", "not an address")
        .output()
        .expect("pustaka runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, NOTICES);
    assert_lists_what_we_ship(&text);
}

#[test]
fn page_footer_links_the_licenses() {
    let app_js = include_str!("../../web/js/app.js");
    assert!(app_js.contains("href: '/licenses'"), "web/js/app.js: the footer has no link to /licenses");
}
