//! Metrics, on both backends: `GET /metrics` on a listener of its own (port 0 here, as
//! `PUSTAKA_METRICS_LISTEN` gives one) answers in Prometheus' text format, which is checked line
//! by line; requests are counted by route template (never the raw path), method and status, with
//! a latency histogram; the database pools and the password-hashing queue are there; the API's
//! port does not serve `/metrics`; the metrics listener keeps at most eight connections open, so
//! a client on the internal network holding connections cannot take the replica's open files.

use crate::common;

use std::collections::{BTreeMap, HashSet};

use common::TestApp;
use serde_json::json;

contract!(
    every_route_is_counted_under_its_template;
    tcp: metrics_are_served_on_their_own_port, metrics_listener_holds_eight_connections_at_most,
    a_scrape_is_answered_while_eight_half_sent_requests_are_open,
);

/// One sample of a scrape.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// A scrape, parsed. Panics, naming the line, on anything that is not Prometheus' text format
/// 0.0.4: `# HELP name text`, `# TYPE name counter|gauge|histogram|summary|untyped` (once per
/// family, before its samples), and samples `name{label="value",...} number` of a declared family.
fn parse(text: &str) -> Vec<Sample> {
    fn is_name(s: &str, colon: bool) -> bool {
        let mut chars = s.chars();
        chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || (colon && c == ':'))
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || (colon && c == ':'))
    }
    assert!(text.ends_with('\n'), "the text ends with a newline");
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut seen_samples: HashSet<String> = HashSet::new();
    let mut samples = Vec::new();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# ") {
            let mut parts = rest.splitn(3, ' ');
            let (kind, name, tail) = (parts.next().unwrap(), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            assert!(is_name(name, true), "bad metric name in {line:?}");
            match kind {
                "HELP" => assert!(!tail.is_empty(), "empty help in {line:?}"),
                "TYPE" => {
                    assert!(["counter", "gauge", "histogram", "summary", "untyped"].contains(&tail), "{line:?}");
                    assert!(types.insert(name.into(), tail.into()).is_none(), "second TYPE line: {line:?}");
                    assert!(!seen_samples.contains(name), "TYPE after its samples: {line:?}");
                }
                _ => panic!("unknown comment {line:?}"),
            }
            continue;
        }
        assert!(!line.starts_with('#'), "{line:?}");
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("no value in {line:?}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("bad value in {line:?}")),
        };
        let (name, labels) = match series.split_once('{') {
            None => (series, BTreeMap::new()),
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').unwrap_or_else(|| panic!("unclosed labels in {line:?}"));
                (name, parse_labels(body, line))
            }
        };
        assert!(is_name(name, true), "bad metric name in {line:?}");
        for key in labels.keys() {
            assert!(is_name(key, false) && !key.starts_with("__"), "bad label name in {line:?}");
        }
        let family =
            [name, name.trim_end_matches("_bucket"), name.trim_end_matches("_sum"), name.trim_end_matches("_count")]
                .into_iter()
                .find(|f| types.contains_key(*f))
                .unwrap_or_else(|| panic!("sample of no declared family: {line:?}"));
        if name.ends_with("_bucket") && types[family] == "histogram" {
            assert!(labels.contains_key("le"), "bucket without le: {line:?}");
        }
        seen_samples.insert(family.to_owned());
        samples.push(Sample { name: name.into(), labels, value });
    }
    assert!(!samples.is_empty());
    samples
}

/// `a="x",b="y\"z"` into a map, unescaping `\\`, `\"` and `\n`.
fn parse_labels(body: &str, line: &str) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::new();
    let mut rest = body;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"").unwrap_or_else(|| panic!("bad label in {line:?}"));
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next() {
                Some((_, '\\')) => match chars.next() {
                    Some((_, 'n')) => value.push('\n'),
                    Some((_, c @ ('\\' | '"'))) => value.push(c),
                    other => panic!("bad escape {other:?} in {line:?}"),
                },
                Some((i, '"')) => break i,
                Some((_, c)) => value.push(c),
                None => panic!("unterminated label value in {line:?}"),
            }
        };
        assert!(labels.insert(key.to_owned(), value).is_none(), "label twice in {line:?}");
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
    labels
}

/// The value of the one sample named `name` whose labels include `labels`; 0 when there is none
/// (a series appears on its first count).
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    let found: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
        .collect();
    assert!(found.len() <= 1, "several samples match {name} {labels:?}: {found:?}");
    found.first().map_or(0.0, |s| s.value)
}

fn present(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> bool {
    samples
        .iter()
        .any(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
}

async fn scrape(client: &reqwest::Client, url: &str) -> (String, Vec<Sample>) {
    let res = client.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let ct = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert_eq!(ct, "text/plain; version=0.0.4; charset=utf-8");
    let text = res.text().await.unwrap();
    let samples = parse(&text);
    (text, samples)
}

const REQUESTS: &str = "pustaka_http_requests_total";
const LATENCY: &str = "pustaka_http_request_duration_seconds";

async fn metrics_are_served_on_their_own_port(app: TestApp) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let metrics = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(pustaka::metrics::serve(listener, app.metrics.clone()));
    let client = reqwest::Client::new();
    let book = app.book("Laskar Pelangi").await;
    let (_, before) = scrape(&client, &format!("{metrics}/metrics")).await;

    let get = |path: String| {
        let client = client.clone();
        let url = format!("{}{path}", app.base());
        async move { client.get(url).send().await.unwrap().status().as_u16() }
    };
    for _ in 0..3 {
        assert_eq!(get(format!("/api/v1/books/{book}")).await, 200);
    }
    assert_eq!(get("/api/v1/books/987654321".into()).await, 404);
    assert_eq!(get("/rak/buku/tidak-ada".into()).await, 200, "the page's fallback");
    // The API's port has no metrics.
    let res = client.get(format!("{}/metrics", app.base())).send().await.unwrap();
    assert_eq!(res.status(), 404);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/problem+json"));
    assert!(!res.text().await.unwrap().contains("pustaka_http_requests_total"));

    let (text, after) = scrape(&client, &format!("{metrics}/metrics")).await;
    let moved = |name: &str, labels: &[(&str, &str)]| value(&after, name, labels) - value(&before, name, labels);
    let by_id = ("route", "/api/v1/books/{id}");
    assert_eq!(moved(REQUESTS, &[by_id, ("method", "GET"), ("status", "200")]), 3.0, "{text}");
    assert_eq!(moved(REQUESTS, &[by_id, ("method", "GET"), ("status", "404")]), 1.0, "{text}");
    assert_eq!(moved(REQUESTS, &[("route", "/metrics"), ("method", "GET"), ("status", "404")]), 1.0, "{text}");
    assert!(moved(REQUESTS, &[("route", "unmatched"), ("method", "GET"), ("status", "200")]) >= 1.0, "{text}");
    assert_eq!(value(&after, REQUESTS, &[("route", "/api/v1/books"), ("method", "POST"), ("status", "201")]), 1.0);
    // Route templates only: no book id, no page path in any label.
    for raw in [format!("/api/v1/books/{book}\""), "/api/v1/books/987654321".into(), "tidak-ada".into()] {
        assert!(!text.contains(&raw), "{raw} in:\n{text}");
    }

    // The histogram of the three reads: cumulative buckets ending in +Inf = count, and a sum.
    let ok = [by_id, ("method", "GET"), ("status", "2xx")];
    assert_eq!(moved(&format!("{LATENCY}_count"), &ok), 3.0, "{text}");
    assert!(value(&after, &format!("{LATENCY}_sum"), &ok) > 0.0);
    let buckets: Vec<(f64, f64)> = after
        .iter()
        .filter(|s| s.name == format!("{LATENCY}_bucket") && ok.iter().all(|(k, v)| s.labels[*k] == *v))
        .map(|s| (s.labels["le"].replace("+Inf", "inf").parse::<f64>().unwrap(), s.value))
        .collect();
    assert!(buckets.len() >= 10, "{buckets:?}");
    assert!(buckets.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1), "{buckets:?}");
    assert_eq!(buckets.last().unwrap(), &(f64::INFINITY, value(&after, &format!("{LATENCY}_count"), &ok)));

    // The pools, by backend.
    let pools: &[(&str, f64)] = match app.settings.database.backend {
        pustaka::config::Backend::Sqlite => &[("sqlite_read", 1.0), ("sqlite_write", 1.0)],
        pustaka::config::Backend::MariaDb => &[("mariadb", 20.0)],
    };
    for (pool, at_least) in pools {
        let p = [("pool", *pool)];
        assert!(value(&after, "pustaka_db_pool_max_connections", &p) >= *at_least, "{pool}: {text}");
        let open = value(&after, "pustaka_db_pool_open_connections", &p);
        assert!(open >= 1.0, "{pool} has served requests: {text}");
        let (idle, in_use) = (
            value(&after, "pustaka_db_pool_idle_connections", &p),
            value(&after, "pustaka_db_pool_in_use_connections", &p),
        );
        assert_eq!(idle + in_use, open, "{pool}: {text}");
        assert!(present(&after, "pustaka_db_pool_waiting", &p), "{pool}: {text}");
    }
    // Password hashing: the threads, the queue, and nothing running between requests.
    assert!(value(&after, "pustaka_password_hash_threads", &[]) >= 1.0);
    assert!(value(&after, "pustaka_password_hash_queue_capacity", &[]) >= 8.0);
    assert_eq!(value(&after, "pustaka_password_hash_in_progress", &[]), 0.0);
    assert_eq!(value(&after, "pustaka_password_hash_waiting", &[]), 0.0);
    assert!(present(&after, "pustaka_password_hash_refused_total", &[]));
    // Notices (none sent by a test app), the build and the start time.
    assert!(present(&after, "pustaka_notices_total", &[("result", "sent")]));
    assert!(present(&after, "pustaka_notices_total", &[("result", "failed")]));
    assert_eq!(value(&after, "pustaka_build_info", &[("version", env!("CARGO_PKG_VERSION"))]), 1.0);
    assert!(value(&after, "process_start_time_seconds", &[]) > 1.7e9);

    // The metrics listener serves /metrics and nothing else.
    assert_eq!(client.get(format!("{metrics}/")).send().await.unwrap().status(), 404);
    assert_eq!(client.get(format!("{metrics}/api/v1/books")).send().await.unwrap().status(), 404);
    assert_eq!(client.post(format!("{metrics}/metrics")).send().await.unwrap().status(), 405);
}

async fn every_route_is_counted_under_its_template(app: TestApp) {
    let book = app.book("Bumi Manusia").await;
    let admin = Some(app.admin.as_str());
    app.get(&format!("/api/v1/books/{book}"), None).await.expect(200);
    app.patch(&format!("/api/v1/books/{book}"), admin, json!({"title": "Bumi Manusia (cetak ulang)"}))
        .await
        .expect(200);
    app.delete(&format!("/api/v1/books/{book}"), admin).await.expect(204);
    // The API docs: the page, its files, the document (each under its own path).
    let docs = [
        "/api/openapi.json",
        "/api/docs/",
        "/api/docs/index.html",
        "/api/docs/swagger-initializer.js",
        "/api/docs/swagger-ui-bundle.js",
        "/api/docs/swagger-ui.css",
        "/api/docs/favicon-32x32.png",
    ];
    for path in docs {
        app.get(path, None).await.expect(200);
    }
    app.get("/api/docs", None).await.expect(308);
    app.get("/api/v1/tidak-ada", None).await.problem(404, "not_found");
    app.get("/healthz", None).await.expect(200);
    app.post("/api/v1/auth/login", None, json!({"username": "admin", "password": "salah-sekali"})).await.expect(401);
    app.get("/metrics", None).await.problem(404, "not_found");

    let samples = parse(&app.metrics.render());
    let count = |route: &str, method: &str, status: &str| {
        value(&samples, REQUESTS, &[("route", route), ("method", method), ("status", status)])
    };
    assert_eq!(count("/api/v1/books/{id}", "GET", "200"), 1.0);
    assert_eq!(count("/api/v1/books/{id}", "PATCH", "200"), 1.0);
    assert_eq!(count("/api/v1/books/{id}", "DELETE", "204"), 1.0);
    for path in docs {
        assert_eq!(count(path, "GET", "200"), 1.0, "{path}");
    }
    assert_eq!(count("/api/docs", "GET", "308"), 1.0);
    assert_eq!(count("/api/{*rest}", "GET", "404"), 1.0);
    assert_eq!(count("/healthz", "GET", "200"), 1.0);
    assert_eq!(count("/api/v1/auth/login", "POST", "401"), 1.0);
    assert_eq!(count("/api/v1/auth/login", "POST", "200"), 1.0, "the test app's own admin login");
    assert_eq!(count("/metrics", "GET", "404"), 1.0);
    // Every request above matched a route: nothing fell to `unmatched`.
    assert!(!present(&samples, REQUESTS, &[("route", "unmatched")]), "{samples:#?}");
    // Every route label is a template of the route table, which lists the API's routes.
    let table = app.metrics.http(std::iter::empty());
    let table: HashSet<&str> = table.routes().collect();
    assert!(table.contains("/api/v1/members/{id}") && table.contains("unmatched"), "{table:?}");
    for s in &samples {
        if let Some(route) = s.labels.get("route") {
            assert!(table.contains(route.as_str()), "{route} is not a route template");
        }
    }
}

async fn metrics_listener_holds_eight_connections_at_most(app: TestApp) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(pustaka::metrics::serve(listener, app.metrics.clone()));
    // A scrape on a connection of its own: its status line.
    async fn scrape_raw(addr: std::net::SocketAddr) -> String {
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
        let mut out = Vec::new();
        c.read_to_end(&mut out).await.unwrap();
        String::from_utf8_lossy(&out).lines().next().unwrap_or_default().to_owned()
    }
    assert_eq!(scrape_raw(addr).await, "HTTP/1.1 200 OK");

    // Eight idle connections, each served (a scrape on it answered, the connection kept open).
    let mut idle = Vec::new();
    for _ in 0..8 {
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 12];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"HTTP/1.1 200");
        idle.push(c);
    }
    // A ninth waits in the listen backlog while they are open ...
    let mut ninth = tokio::spawn(scrape_raw(addr));
    let early = tokio::time::timeout(std::time::Duration::from_millis(500), &mut ninth).await;
    assert!(early.is_err(), "a ninth connection was served while eight were open");
    // ... and is served once one of them closes.
    drop(idle.pop());
    let status = tokio::time::timeout(std::time::Duration::from_secs(10), ninth).await.expect("served").unwrap();
    assert_eq!(status, "HTTP/1.1 200 OK");
}

/// Issue 29, low 12: eight connections that sent half a request line kept a scrape waiting until
/// they were dropped (10 s each, and again as they reconnected). They are shed after a second now:
/// the scrape is answered within a couple of seconds, and again while they reconnect.
async fn a_scrape_is_answered_while_eight_half_sent_requests_are_open(app: TestApp) {
    use std::time::{Duration, Instant};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpStream;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(pustaka::metrics::serve(listener, app.metrics.clone()));
    let half_sent = move || async move {
        let mut c = TcpStream::connect(addr).await.unwrap();
        c.write_all(b"GET /metr").await.unwrap();
        c
    };
    let mut held = Vec::new();
    for _ in 0..10 {
        held.push(half_sent().await);
    }
    // Some of them reconnect as soon as they are shed.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let again = {
        let stop = stop.clone();
        tokio::spawn(async move {
            let mut open = Vec::new();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                open.push(half_sent().await);
                open.truncate(16);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        })
    };
    for round in 0..2 {
        let started = Instant::now();
        let scrape = async {
            let mut c = TcpStream::connect(addr).await.unwrap();
            c.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").await.unwrap();
            let mut out = Vec::new();
            c.read_to_end(&mut out).await.unwrap();
            String::from_utf8_lossy(&out).lines().next().unwrap_or_default().to_owned()
        };
        let status = tokio::time::timeout(Duration::from_secs(4), scrape).await;
        assert_eq!(
            status.as_deref(),
            Ok("HTTP/1.1 200 OK"),
            "scrape {round} not answered within 4 s ({:?}) while half-sent requests were open",
            started.elapsed()
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    again.await.unwrap();
    drop(held);
}
