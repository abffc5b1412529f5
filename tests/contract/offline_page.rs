//! The page offline (issue #33): its service worker keeps every file of the page, and is served.

use crate::common::TestApp;

contract!(the_service_worker_is_served_as_a_script);

/// Every file of web/ (but the worker itself) is in the worker's list, and every listed file exists:
/// a file added to the page and forgotten there would be missing at a desk that opens offline.
#[test]
fn the_service_worker_keeps_every_file_of_the_page() {
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    let worker = std::fs::read_to_string(web.join("sw.js")).expect("web/sw.js");
    let list = &worker[worker.find("const FILES = [").expect("the list")..];
    let list = &list[..list.find("];").expect("its end")];
    let listed: std::collections::BTreeSet<String> =
        list.split('\'').skip(1).step_by(2).map(str::to_owned).filter(|f| f != "/").collect();
    let mut files = std::collections::BTreeSet::new();
    let mut dirs = vec![web.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let rel = path.strip_prefix(&web).unwrap().to_string_lossy().replace('\\', "/");
                if rel != "sw.js" {
                    files.insert(format!("/{rel}"));
                }
            }
        }
    }
    assert_eq!(listed, files, "web/sw.js's FILES and the files of web/ differ");
}

async fn the_service_worker_is_served_as_a_script(app: TestApp) {
    let res = app.get("/sw.js", None).await;
    assert_eq!(res.status, 200);
    let ct = res.headers["content-type"].to_str().unwrap();
    assert!(ct.contains("javascript"), "{ct}");
    assert!(res.body.as_str().unwrap().contains("caches.open"));
}
