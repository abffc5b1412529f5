//! The OpenAPI document is generated from the router, so it cannot drift from the routes; this
//! snapshot makes every change to it visible in review. After an intended change:
//! `UPDATE_SNAPSHOTS=1 cargo test --test contract openapi`, then commit the snapshot.

#[test]
fn openapi_document_matches_the_snapshot() {
    let (_, doc) = pustaka::http::api();
    let actual = doc.to_pretty_json().expect("the document serialises") + "\n";
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/openapi.json");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::write(&path, &actual).expect("write the snapshot");
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "the OpenAPI document differs from tests/snapshots/openapi.json; if the API change is intended, \
         run `UPDATE_SNAPSHOTS=1 cargo test --test contract openapi` and commit the snapshot"
    );
}

#[test]
fn every_operation_is_documented() {
    let (_, doc) = pustaka::http::api();
    let json = serde_json::to_value(&doc).unwrap();
    let paths = json["paths"].as_object().unwrap();
    assert!(paths.len() >= 25, "{} paths", paths.len());
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            assert!(op["summary"].is_string() || op["description"].is_string(), "{method} {path} has no description");
            let responses = op["responses"].as_object().unwrap();
            for status in ["400", "422", "500", "503"] {
                assert!(responses.contains_key(status), "{method} {path} does not document {status}");
            }
            for (status, r) in responses {
                if status.starts_with('4') || status.starts_with('5') {
                    let content = r["content"].as_object().unwrap();
                    assert!(
                        content.keys().all(|c| c == "application/problem+json"),
                        "{method} {path} {status}: {content:?}"
                    );
                }
            }
            if op.get("security").is_some_and(|s| s.as_array().is_some_and(|a| !a.is_empty())) {
                assert!(responses.contains_key("401") && responses.contains_key("403"), "{method} {path}");
            }
        }
    }
}
