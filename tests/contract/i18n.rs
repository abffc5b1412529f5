//! Every problem code the API can answer has a message in both of the page's languages.

use std::collections::BTreeSet;

/// The keys of one dictionary (`const id = { ... };`) in web/js/i18n.js.
fn keys(source: &str, name: &str) -> BTreeSet<String> {
    let start = source.find(&format!("const {name} = {{")).unwrap_or_else(|| panic!("no `const {name}` in i18n.js"));
    let body = &source[start..];
    let end = body.find("\n};").expect("dictionary end");
    body[..end]
        .split('\'')
        .collect::<Vec<_>>()
        .windows(2)
        .filter(|w| w[1].trim_start().starts_with(':'))
        .map(|w| w[0].to_owned())
        .collect()
}

#[test]
fn every_problem_code_has_an_indonesian_and_an_english_message() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/web/js/i18n.js");
    let source = std::fs::read_to_string(path).expect("read web/js/i18n.js");
    let id = keys(&source, "id");
    let en = keys(&source, "en");
    assert!(id.contains("err.not_found") && en.contains("err.not_found"), "the key reader found no err.* keys");
    let mut missing = Vec::new();
    for code in pustaka::http::error::PROBLEM_CODES {
        let key = format!("err.{code}");
        for (lang, dict) in [("id", &id), ("en", &en)] {
            if !dict.contains(&key) {
                missing.push(format!("{lang}: {key}"));
            }
        }
    }
    assert!(missing.is_empty(), "problem codes without a message in web/js/i18n.js: {missing:?}");
}
