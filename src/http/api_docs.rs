//! The interactive API docs at `/api/docs/` (Swagger UI) and the OpenAPI document they read at
//! `/api/openapi.json`. Swagger UI's files are the three the page needs, taken at build time out of
//! the release vendored by `utoipa-swagger-ui-vendored` (see `build.rs`); nothing is fetched from
//! elsewhere, and the page starts Swagger UI from a script file, not an inline script, so the
//! docs need no `'unsafe-inline'` for scripts either.

use axum::{
    http::{header, HeaderValue},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Router,
};

const BUNDLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/swagger-ui-bundle.js"));
const CSS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/swagger-ui.css"));
const FAVICON: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/favicon-32x32.png"));

const INDEX: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Pustaka API</title>
<link rel="icon" type="image/png" href="favicon-32x32.png">
<link rel="stylesheet" href="swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="swagger-ui-bundle.js"></script>
<script src="swagger-initializer.js"></script>
</body>
</html>
"#;

const INITIALIZER: &str = r##"window.ui = SwaggerUIBundle({
  url: "/api/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout"
});
"##;

/// One of the page's files, with its type; the files change only with the binary.
fn file(content_type: &'static str, body: &'static [u8]) -> Response {
    ([(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response()
}

/// The paths [`router`] serves, in its order (the metrics count requests under them).
pub const PATHS: [&str; 8] = [
    "/api/openapi.json",
    "/api/docs",
    "/api/docs/",
    "/api/docs/index.html",
    "/api/docs/swagger-initializer.js",
    "/api/docs/swagger-ui-bundle.js",
    "/api/docs/swagger-ui.css",
    "/api/docs/favicon-32x32.png",
];

/// `/api/openapi.json` (the document, serialized once) and the docs page under `/api/docs/`.
pub fn router<S: Clone + Send + Sync + 'static>(doc: &utoipa::openapi::OpenApi) -> Router<S> {
    // Shared, not leaked: every router built (one per test server) would leak its own copy.
    let json = axum::body::Bytes::from(doc.to_json().expect("the OpenAPI document serializes"));
    let [openapi, docs, page, index, initializer, bundle, css, favicon] = PATHS;
    Router::new()
        .route(openapi, get(move || {
            let json = json.clone();
            async move { ([(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))], json).into_response() }
        }))
        .route(docs, get(|| async { Redirect::permanent("/api/docs/") }))
        .route(page, get(|| async { file("text/html; charset=utf-8", INDEX.as_bytes()) }))
        .route(index, get(|| async { file("text/html; charset=utf-8", INDEX.as_bytes()) }))
        .route(initializer, get(|| async { file("text/javascript; charset=utf-8", INITIALIZER.as_bytes()) }))
        .route(bundle, get(|| async { file("text/javascript; charset=utf-8", BUNDLE) }))
        .route(css, get(|| async { file("text/css; charset=utf-8", CSS) }))
        .route(favicon, get(|| async { file("image/png", FAVICON) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_swagger_ui_files_are_the_real_ones() {
        assert!(BUNDLE.len() > 500_000 && std::str::from_utf8(BUNDLE).unwrap().contains("SwaggerUIBundle"));
        assert!(std::str::from_utf8(CSS).unwrap().contains(".swagger-ui"));
        assert!(FAVICON.starts_with(b"\x89PNG"));
    }
}
