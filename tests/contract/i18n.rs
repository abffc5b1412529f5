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

/// A file past a reader's budget is refused with the budget's code and limit (issue 29): the page
/// words each code in both languages, with the limit in it.
#[test]
fn every_budget_refusal_has_an_indonesian_and_an_english_message() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/web/js/i18n.js");
    let source = std::fs::read_to_string(path).expect("read web/js/i18n.js");
    let start = |name: &str| source.find(&format!("const {name} = {{")).expect("dictionary");
    let (id_at, en_at) = (start("id"), start("en"));
    let mut missing = Vec::new();
    for (code, bytes) in pustaka::budget::CODES {
        let placeholder = if *bytes { "{size}" } else { "{limit}" };
        for (lang, at) in [("id", id_at), ("en", en_at)] {
            let body = &source[at..];
            let body = &body[..body.find("\n};").expect("dictionary end")];
            let key = format!("'field.{code}': '");
            match body.find(&key) {
                Some(k) if body[k..].lines().next().unwrap_or("").contains(placeholder) => {}
                Some(_) => missing.push(format!("{lang}: field.{code} does not say {placeholder}")),
                None => missing.push(format!("{lang}: field.{code}")),
            }
        }
    }
    assert!(missing.is_empty(), "budget refusals without a message in web/js/i18n.js: {missing:?}");
}
