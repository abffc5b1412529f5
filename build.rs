//! Takes the three Swagger UI files the API docs page needs (`/api/docs/`, see
//! `src/http/api_docs.rs`) out of the Swagger UI release that `utoipa-swagger-ui-vendored`
//! carries, into `OUT_DIR` for `include_bytes!`. The release has 11 MB of files, most of them
//! source maps and bundles for other module systems; the page needs 1.6 MB of them, and the
//! binary's size is a goal (`p5_image_mb`).

use std::{env, fs, io::Read, path::Path};

/// The files the page loads, as named in the release's `dist` folder.
const FILES: [&str; 3] = ["swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let out = env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let reader = std::io::Cursor::new(utoipa_swagger_ui_vendored::SWAGGER_UI_VENDORED);
    let mut archive = zip::ZipArchive::new(reader).expect("the vendored Swagger UI is a zip archive");
    for name in FILES {
        let entry = (0..archive.len())
            .find(|&i| archive.name_for_index(i).is_some_and(|n| n.ends_with(&format!("/dist/{name}"))))
            .unwrap_or_else(|| panic!("{name} is not in the vendored Swagger UI"));
        let mut bytes = Vec::new();
        archive.by_index(entry).expect("readable entry").read_to_end(&mut bytes).expect("inflated entry");
        fs::write(Path::new(&out).join(name), bytes).expect("OUT_DIR is writable");
    }
}
