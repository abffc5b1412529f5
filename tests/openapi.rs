//! The OpenAPI document is generated from the router, so it cannot drift from the routes; this
//! snapshot makes every change to it visible in review. After an intended change:
//! `UPDATE_SNAPSHOTS=1 cargo test --test openapi`, then commit the snapshot.

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
         run `UPDATE_SNAPSHOTS=1 cargo test --test openapi` and commit the snapshot"
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
            assert!(op["responses"].as_object().is_some_and(|r| !r.is_empty()), "{method} {path} has no responses");
        }
    }
}
