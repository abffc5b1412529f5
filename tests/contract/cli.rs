//! The `pustaka` command as an operator meets it: its help, the demo login, plain logs in a file.

use std::process::Command;

use pustaka::{app, config::Settings};
use secrecy::SecretString;

fn pustaka(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pustaka"))
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PUSTAKA_DATABASE_URL", format!("sqlite://{}?mode=rwc", dir.join("p.db").display()))
        .env("PUSTAKA_LOG_FORMAT", "text")
        .env("RUST_LOG", "info")
        // Low hashing cost: this test is about output, not about Argon2.
        .env("PUSTAKA_PASSWORD_HASH_MEMORY_KIB", "64")
        .env("PUSTAKA_PASSWORD_HASH_ITERATIONS", "1")
        .output()
        .expect("run pustaka")
}

#[test]
fn help_lists_every_setting_with_its_default() {
    let dir = tempfile::tempdir().unwrap();
    let out = pustaka(dir.path(), &["--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for s in pustaka::config::env_settings() {
        let line = help
            .lines()
            .find(|l| l.trim_start().starts_with(s.name))
            .unwrap_or_else(|| panic!("{} in\n{help}", s.name));
        assert!(line.contains(&format!("[default: {}]", s.default)), "{line}");
    }
}

#[tokio::test]
async fn seed_demo_prints_a_member_login_that_works_and_logs_carry_no_colour_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = pustaka(dir.path(), &["seed-demo"]);
    let (stdout, stderr) = (String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap());
    assert!(out.status.success(), "{stdout}\n{stderr}");
    // Written to a pipe: plain text, no ANSI escapes, and the log lines are still there.
    assert!(stderr.contains("demo library seeded"), "{stderr}");
    assert!(!stderr.contains('\u{1b}') && !stdout.contains('\u{1b}'), "colour codes in {stderr:?}");
    assert!(stdout.contains("username: budi"), "{stdout}");
    let password = stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("password: "))
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no password in {stdout}"))
        .to_owned();

    let db = format!("sqlite://{}?mode=rwc", dir.path().join("p.db").display());
    let vars = [
        ("PUSTAKA_DATABASE_URL", db.as_str()),
        ("PUSTAKA_PASSWORD_HASH_MEMORY_KIB", "64"),
        ("PUSTAKA_PASSWORD_HASH_ITERATIONS", "1"),
    ];
    let settings = Settings::from_lookup(|k| vars.iter().find(|(n, _)| *n == k).map(|(_, v)| (*v).to_owned())).unwrap();
    let store = app::connect(&settings).await.unwrap();
    let session =
        store.login("budi", &SecretString::from(password), "127.0.0.1").await.expect("the printed login works");
    assert_eq!(session.user.username, "budi");
    assert!(session.user.member_id.is_some(), "a member's login");
}
