//! `faults run`: readers and writers through the balancer while `deploy/stack faults` breaks things, every
//! request recorded as one JSON line with the phase it started in.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::future::Future;
use std::io::{LineWriter, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONNECTION, CONTENT_TYPE, HOST};
use hyper::{Method, Request};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::watch;
use tokio::time::{sleep, timeout};

use super::{RunArgs, TIMEOUT};
use crate::http::{connect, exchange_with_body};
use crate::url::{percent_encode, resolve};

/// The environment variable that holds the admin's password.
pub const PASSWORD_VAR: &str = "FAULTS_ADMIN_PASSWORD";
/// Seed books written before the readers start (they read these, and what the writers add).
const SEED_BOOKS: usize = 10;
/// How long to keep trying to log in while the service is not answering 200 (401 and 429 end it at once).
const LOGIN_FOR: Duration = Duration::from_secs(30);

/// A run's settings, checked.
#[derive(Debug, Clone)]
pub struct Settings {
    pub addr: SocketAddr,
    pub host: String,
    /// Path prefix of the base URL, without a trailing slash.
    pub base: String,
    pub run_id: String,
    pub phase_file: PathBuf,
    pub out: PathBuf,
    pub ready_file: PathBuf,
    pub readers: usize,
    pub writers: usize,
    pub pause: Duration,
    pub max: Duration,
    pub password: String,
}

impl Settings {
    pub fn new(args: &RunArgs, password: String) -> Result<Settings, String> {
        let seconds = |flag: &str, value: f64| {
            Duration::try_from_secs_f64(value).map_err(|_| format!("{flag} must be a non-negative number of seconds"))
        };
        if args.run_id.is_empty() {
            return Err("--run-id must not be empty".into());
        }
        let (addr, host, base) = resolve(&args.base).map_err(|e| e.replace("--url", "--base"))?;
        Ok(Settings {
            addr,
            host,
            base,
            run_id: args.run_id.clone(),
            phase_file: args.phase_file.clone(),
            out: args.out.clone(),
            ready_file: args.ready_file.clone(),
            readers: args.readers,
            writers: args.writers,
            pause: seconds("--pause", args.pause)?,
            max: seconds("--max-seconds", args.max_seconds)?,
            password,
        })
    }
}

/// What a request came to: an HTTP status, or what went wrong (`error: ...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Status {
    Code(u16),
    Error(String),
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Code(code) => write!(f, "{code}"),
            Status::Error(e) => f.write_str(e),
        }
    }
}

/// One line of the records file.
#[derive(Debug, Serialize)]
struct Line<'a> {
    t0: f64,
    t1: f64,
    kind: &'a str,
    phase: &'a str,
    status: &'a Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<&'a str>,
}

fn epoch_seconds() -> f64 {
    let t = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
    (t * 1000.0).round() / 1000.0
}

/// `error` and its sources, `: `-separated.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(&format!(": {e}"));
        source = e.source();
    }
    text
}

/// Sends single requests, each on a connection of its own.
struct Client {
    addr: SocketAddr,
    host: HeaderValue,
    base: String,
}

impl Client {
    /// One request with a new connection, closed after the answer; at most [`TIMEOUT`], connecting included.
    /// Returns the status and the body if it is JSON.
    async fn request(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> (Status, Option<Value>) {
        let mut builder = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base))
            .header(HOST, self.host.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header(CONNECTION, HeaderValue::from_static("close"));
        if let Some(token) = token {
            builder = builder.header(AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some(body) => {
                builder = builder.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
                Bytes::from(body.to_string())
            }
            None => Bytes::new(),
        };
        let request = match builder.body(Full::new(body)) {
            Ok(request) => request,
            Err(e) => return (Status::Error(format!("error: bad request: {e}")), None),
        };
        let answer = async {
            let mut sender = connect(self.addr).await.map_err(|e| format!("error: connect: {}", error_chain(&e)))?;
            exchange_with_body(&mut sender, request).await.map_err(|e| format!("error: {}", error_chain(&e)))
        };
        match timeout(TIMEOUT, answer).await {
            Err(_) => (Status::Error(format!("error: timed out after {} s", TIMEOUT.as_secs())), None),
            Ok(Err(e)) => (Status::Error(e), None),
            Ok(Ok((status, body))) => (Status::Code(status), serde_json::from_slice(&body).ok()),
        }
    }
}

/// What the readers and writers share.
struct Load {
    client: Client,
    settings: Settings,
    token: String,
    search_path: String,
    /// The last phase read from the phase file.
    phase: Mutex<String>,
    out: Mutex<LineWriter<File>>,
    /// Ids of the books written and acknowledged, for the readers.
    book_ids: Mutex<Vec<u64>>,
    /// Titles are `{run_id}-{n}`, n counting from 1.
    written: AtomicU64,
    recorded: AtomicU64,
}

impl Load {
    /// The content of the phase file, or the last phase read if it is missing or empty.
    fn current_phase(&self) -> String {
        let mut phase = self.phase.lock().expect("no task panicked");
        if let Ok(text) = std::fs::read_to_string(&self.settings.phase_file) {
            let text = text.trim();
            if !text.is_empty() && text != *phase {
                *phase = text.to_string();
            }
        }
        phase.clone()
    }

    /// Sends a request and records it.
    async fn timed(
        &self,
        kind: &str,
        method: Method,
        path: &str,
        body: Option<&Value>,
        title: Option<&str>,
    ) -> (Status, Option<Value>) {
        let phase = self.current_phase();
        let token = if kind == "write" { Some(self.token.as_str()) } else { None };
        let t0 = epoch_seconds();
        let (status, doc) = self.client.request(method, path, body, token).await;
        let t1 = epoch_seconds();
        let line = Line { t0, t1, kind, phase: &phase, status: &status, title };
        let mut text = serde_json::to_string(&line).expect("a record serializes");
        text.push('\n');
        // One write per line under the lock: a line is never interleaved with another, and it is on disk
        // (LineWriter) before the next request of this task starts.
        if let Err(e) = self.out.lock().expect("no task panicked").write_all(text.as_bytes()) {
            eprintln!("pustaka-loadgen faults: cannot record a request in {}: {e}", self.settings.out.display());
        } else {
            self.recorded.fetch_add(1, Ordering::Relaxed);
        }
        (status, doc)
    }

    /// Writes one new book; never retried.
    async fn write(&self) -> Status {
        let n = self.written.fetch_add(1, Ordering::Relaxed) + 1;
        let title = format!("{}-{n}", self.settings.run_id);
        let body = json!({"title": title, "authors": ["Fault Test"]});
        let (status, doc) = self.timed("write", Method::POST, "/api/v1/books", Some(&body), Some(&title)).await;
        if status == Status::Code(201) {
            if let Some(id) = doc.as_ref().and_then(|d| d.get("id")).and_then(Value::as_u64) {
                self.book_ids.lock().expect("no task panicked").push(id);
            }
        }
        status
    }

    async fn read(&self, rng: &mut SmallRng) {
        if rng.gen_bool(0.5) {
            self.timed("read", Method::GET, &self.search_path, None, None).await;
        } else {
            let id = {
                let ids = self.book_ids.lock().expect("no task panicked");
                ids[rng.gen_range(0..ids.len())]
            };
            self.timed("read", Method::GET, &format!("/api/v1/books/{id}"), None, None).await;
        }
    }
}

/// Waits `pause`, or less if the run stops meanwhile.
async fn pause(stop: &mut watch::Receiver<bool>, pause: Duration) {
    let _ = timeout(pause, stop.wait_for(|stopped| *stopped)).await;
}

fn stopped(stop: &watch::Receiver<bool>) -> bool {
    *stop.borrow()
}

async fn reader(load: Arc<Load>, n: u64, mut stop: watch::Receiver<bool>) {
    let mut rng = SmallRng::seed_from_u64(n);
    while !stopped(&stop) {
        load.read(&mut rng).await;
        pause(&mut stop, load.settings.pause).await;
    }
}

async fn writer(load: Arc<Load>, mut stop: watch::Receiver<bool>) {
    while !stopped(&stop) {
        load.write().await;
        pause(&mut stop, load.settings.pause).await;
    }
}

/// Logs in as admin; the token, or `None` once the password is refused (401), logins are throttled (429)
/// or [`LOGIN_FOR`] has passed.
async fn login(client: &Client, password: &str) -> Option<String> {
    let deadline = Instant::now() + LOGIN_FOR;
    let body = json!({"username": "admin", "password": password});
    while Instant::now() < deadline {
        let (status, doc) = client.request(Method::POST, "/api/v1/auth/login", Some(&body), None).await;
        if status == Status::Code(200) {
            if let Some(token) = doc.as_ref().and_then(|d| d.get("token")).and_then(Value::as_str) {
                if !token.is_empty() {
                    return Some(token.to_string());
                }
            }
        }
        eprintln!("login: {status}");
        if matches!(status, Status::Code(401 | 429)) {
            return None;
        }
        sleep(Duration::from_secs(2)).await;
    }
    None
}

/// Runs the load until `stop` resolves or `settings.max` has passed. Fails if it cannot log in, cannot add a
/// single seed book or cannot open its files.
pub async fn run(settings: Settings, stop: impl Future<Output = ()>) -> Result<(), String> {
    let out = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&settings.out)
        .map_err(|e| format!("{}: {e}", settings.out.display()))?;
    let host = HeaderValue::from_str(&settings.host).map_err(|e| format!("bad host {:?}: {e}", settings.host))?;
    let client = Client { addr: settings.addr, host, base: settings.base.clone() };
    let token = login(&client, &settings.password).await.ok_or("cannot log in as admin")?;
    let load = Arc::new(Load {
        client,
        search_path: format!("/api/v1/books?q={}&per_page=5", percent_encode(&settings.run_id)),
        settings,
        token,
        phase: Mutex::new("start".to_string()),
        out: Mutex::new(LineWriter::new(out)),
        book_ids: Mutex::new(Vec::new()),
        written: AtomicU64::new(0),
        recorded: AtomicU64::new(0),
    });
    for _ in 0..SEED_BOOKS {
        load.write().await;
    }
    if load.book_ids.lock().expect("no task panicked").is_empty() {
        return Err("no seed book could be added".into());
    }

    let (stop_tasks, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    for n in 0..load.settings.readers {
        tasks.push(tokio::spawn(reader(load.clone(), n as u64, stop_rx.clone())));
    }
    for _ in 0..load.settings.writers {
        tasks.push(tokio::spawn(writer(load.clone(), stop_rx.clone())));
    }
    let ready = &load.settings.ready_file;
    std::fs::write(ready, "ready\n").map_err(|e| format!("{}: {e}", ready.display()))?;

    tokio::select! {
        _ = stop => {}
        _ = sleep(load.settings.max) => {}
    }
    let _ = stop_tasks.send(true);
    // A request in flight ends within its timeout.
    let all_done = async {
        for task in tasks {
            let _ = task.await;
        }
    };
    if timeout(TIMEOUT + Duration::from_secs(2), all_done).await.is_err() {
        eprintln!("pustaka-loadgen faults: some requests were still running when it stopped");
    }
    load.out.lock().expect("no task panicked").flush().map_err(|e| format!("{}: {e}", load.settings.out.display()))?;
    eprintln!(
        "pustaka-loadgen faults: {} requests recorded, {} writes sent",
        load.recorded.load(Ordering::Relaxed),
        load.written.load(Ordering::Relaxed)
    );
    Ok(())
}

/// `faults run`: the password from [`PASSWORD_VAR`], stopped by SIGTERM or SIGINT.
pub fn main(args: &RunArgs) -> Result<(), String> {
    let settings = Settings::new(args, std::env::var(PASSWORD_VAR).unwrap_or_default())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let result = runtime.block_on(async {
        use tokio::signal::unix::{signal, SignalKind};
        // Registered before anything else: a SIGTERM during the login or the seed books stops the run as
        // soon as it has started, instead of killing the process.
        let mut term = signal(SignalKind::terminate()).map_err(|e| format!("cannot handle SIGTERM: {e}"))?;
        let mut int = signal(SignalKind::interrupt()).map_err(|e| format!("cannot handle SIGINT: {e}"))?;
        let stop = async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        };
        run(settings, stop).await
    });
    runtime.shutdown_background();
    result
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use http_body_util::BodyExt;
    use hyper::body::Incoming;
    use hyper::Response;

    use super::*;
    use crate::faults::reckon::{parse_records, parse_titles, reckon};
    use crate::faults::Command;
    use clap::Parser;

    /// `pustaka-loadgen faults` alone (the whole command line is `cli::Args`).
    #[derive(Parser)]
    struct Faults {
        #[command(subcommand)]
        command: Command,
    }

    /// What the stand-in API saw.
    #[derive(Default)]
    struct Seen {
        /// Titles of the books stored, in order; a book's id is its index + 1.
        titles: Vec<String>,
        writes: u64,
        requests: u64,
        /// Requests without `Connection: close`, reads with a token, writes without one.
        odd: Vec<String>,
    }

    /// A stand-in for the API on 127.0.0.1: login with password "pw" gives token "tok" (401 otherwise);
    /// `POST /api/v1/books` stores the book and answers 201 with its id, but every 5th write answers 503
    /// without storing anything; `GET /api/v1/books?q=` is 200, `GET /api/v1/books/{id}` 200 or 404.
    fn start_server() -> (u16, Arc<Mutex<Seen>>) {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let state = seen.clone();
        let port = crate::stand_in::serve(move |request| handle(request, state.clone()));
        (port, seen)
    }

    async fn handle(
        request: Request<Incoming>,
        seen: Arc<Mutex<Seen>>,
    ) -> Result<hyper::Response<Full<Bytes>>, hyper::Error> {
        let (parts, body) = request.into_parts();
        let body: Value = serde_json::from_slice(&body.collect().await?.to_bytes()).unwrap_or(Value::Null);
        let header = |name| parts.headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
        let path = parts.uri.path();
        let mut seen = seen.lock().unwrap();
        seen.requests += 1;
        let what = format!("{} {}", parts.method, parts.uri);
        if header(CONNECTION) != Some("close") {
            seen.odd.push(format!("{what} without Connection: close"));
        }
        let authorized = header(AUTHORIZATION) == Some("Bearer tok");
        let (status, doc) = match (&parts.method, path) {
            (&Method::POST, "/api/v1/auth/login") => match body["password"].as_str() {
                Some("pw") => (200, json!({"token": "tok"})),
                _ => (401, json!({})),
            },
            (&Method::POST, "/api/v1/books") if authorized => {
                seen.writes += 1;
                if seen.writes % 5 == 0 {
                    (503, json!({}))
                } else {
                    seen.titles.push(body["title"].as_str().unwrap_or_default().to_string());
                    (201, json!({"id": seen.titles.len()}))
                }
            }
            (&Method::POST, _) => (401, json!({})),
            (&Method::GET, "/api/v1/books") => (200, json!({"items": []})),
            (&Method::GET, _) => {
                if header(AUTHORIZATION).is_some() {
                    seen.odd.push(format!("{what} with a token"));
                }
                let id: usize = path.trim_start_matches("/api/v1/books/").parse().unwrap_or(0);
                (if (1..=seen.titles.len()).contains(&id) { 200 } else { 404 }, json!({}))
            }
            _ => (405, json!({})),
        };
        Ok(Response::builder().status(status).body(Full::new(Bytes::from(doc.to_string()))).unwrap())
    }

    fn settings(port: u16, dir: &std::path::Path, extra: &[&str]) -> Settings {
        let base = format!("http://127.0.0.1:{port}");
        let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
        let (phase, out, ready) = (path("phase"), path("records.jsonl"), path("ready"));
        let mut argv = vec!["faults", "run", "--base", &base, "--run-id", "faults-1"];
        argv.extend(["--phase-file", &phase, "--out", &out, "--ready-file", &ready]);
        argv.extend_from_slice(extra);
        match Faults::try_parse_from(argv).unwrap().command {
            Command::Run(args) => Settings::new(&args, "pw".into()).unwrap(),
            other => panic!("not a faults run: {other:?}"),
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("pustaka-loadgen-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn block_on<F: Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap().block_on(future)
    }

    #[test]
    fn a_short_run_records_every_request_with_its_phase() {
        let (port, seen) = start_server();
        let dir = temp_dir("run");
        std::fs::write(dir.join("phase"), "warmup\n").unwrap();
        let s = settings(port, &dir, &["--readers", "3", "--writers", "2", "--pause", "0.01", "--max-seconds", "60"]);
        let phase_file = s.phase_file.clone();
        let started = Instant::now();
        block_on(async move {
            // The phase changes while it runs; the stop stands for SIGTERM, well before --max-seconds.
            let stop = async move {
                sleep(Duration::from_millis(600)).await;
                std::fs::write(&phase_file, "r1\n").unwrap();
                sleep(Duration::from_millis(600)).await;
            };
            run(s, stop).await
        })
        .unwrap();
        assert!(started.elapsed() < Duration::from_secs(5), "it stops when told: {:?}", started.elapsed());
        assert_eq!(std::fs::read_to_string(dir.join("ready")).unwrap(), "ready\n");

        let text = std::fs::read_to_string(dir.join("records.jsonl")).unwrap();
        let records = parse_records(&text);
        let seen = seen.lock().unwrap();
        assert_eq!(text.lines().count(), records.len(), "every line is a whole record");
        assert_eq!(records.len() as u64 + 1, seen.requests, "every request but the login is recorded");
        assert!(seen.odd.is_empty(), "{:?}", seen.odd);
        for line in text.lines() {
            let v: Value = serde_json::from_str(line).unwrap();
            let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
            let write = v["kind"] == "write";
            assert_eq!(keys.len(), if write { 6 } else { 5 }, "{line}");
            assert!(v["t0"].as_f64().unwrap() <= v["t1"].as_f64().unwrap(), "{line}");
            assert!(v["status"].is_u64(), "{line}");
        }
        // Titles: the run id and a counter, each written once (no write is retried).
        let titles: Vec<&str> = records.iter().filter_map(|r| r.title.as_deref()).collect();
        let mut unique = titles.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!((unique.len() as u64, titles.len() as u64), (seen.writes, seen.writes));
        assert!(titles.iter().all(|t| t.starts_with("faults-1-")));

        let report = reckon(&records, &parse_titles(&seen.titles.join("\n")));
        let names: Vec<&str> = report.phases.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["warmup", "r1"]);
        let mut totals: HashMap<&str, u64> = HashMap::new();
        for (_, p) in &report.phases {
            assert_eq!((p.lost_writes, p.duplicate_writes, p.unacked_in_db, p.hung), (0, 0, 0, 0), "{p:?}");
            assert_eq!(p.failed_reads, 0, "{p:?}");
            *totals.entry("acked").or_default() += p.acked_writes;
            *totals.entry("failed").or_default() += p.failed_writes;
            *totals.entry("reads").or_default() += p.reads;
        }
        assert_eq!(totals["acked"], seen.titles.len() as u64);
        assert_eq!(totals["failed"], seen.writes / 5, "every 5th write answered 503");
        assert!(totals["reads"] > 20, "{totals:?}");
        assert_eq!(report.titles_in_db_not_written, 0);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_refused_password_ends_it_at_once() {
        let (port, seen) = start_server();
        let dir = temp_dir("refused");
        let mut s = settings(port, &dir, &[]);
        s.password = "wrong".into();
        let err = block_on(run(s, std::future::pending())).unwrap_err();
        assert!(err.contains("cannot log in"), "{err}");
        assert_eq!(seen.lock().unwrap().requests, 1);
        assert!(!dir.join("ready").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn no_server_is_a_recorded_error_not_a_crash() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let client =
            Client { addr: ([127, 0, 0, 1], port).into(), host: HeaderValue::from_static("x"), base: "".into() };
        let (status, doc) = block_on(client.request(Method::GET, "/healthz", None, None));
        assert!(matches!(&status, Status::Error(e) if e.starts_with("error: connect: ")), "{status}");
        assert!(doc.is_none());
        assert_eq!(serde_json::to_string(&Status::Code(201)).unwrap(), "201");
    }
}
