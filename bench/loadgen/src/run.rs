//! Running a load: open every connection, then run one task per virtual user through the warmup and the
//! measured window, and merge what they recorded.
//!
//! Timeline: `start` (all connections attempted) → `measure_from = start + warmup` → `deadline =
//! measure_from + duration`. Only responses completing in `[measure_from, deadline)` are recorded. At the
//! deadline no new request is sent; one in flight may finish within [`GRACE`] but is not recorded.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::Request;
use tokio::sync::Semaphore;
use tokio::time::{sleep_until, timeout, timeout_at};

use crate::config::Config;
use crate::http::{connect, exchange, Sender};
use crate::report::{Report, Stats};
use crate::scenario::{Completed, Kind, Planned, User};
use crate::schedule::{release_tickets, Schedule};

/// How long requests still in flight at the deadline may take to finish (unrecorded) before the run ends.
pub const GRACE: Duration = Duration::from_secs(2);
/// A user tries to (re)connect at most this often.
const RECONNECT_EVERY: Duration = Duration::from_millis(10);
/// Time allowed for opening the connections before the warmup.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// What every user task shares.
struct Shared {
    config: Config,
    host: HeaderValue,
    authorization: Option<HeaderValue>,
    measure_from: Instant,
    deadline: Instant,
    /// Open loop only: the schedule, and one permit per ticket that has fallen due.
    schedule: Option<(Arc<Schedule>, Arc<Semaphore>)>,
    /// Users record into `shards[user % shards.len()]`: few enough histograms to stay small with
    /// thousands of users, enough locks that worker threads rarely meet on one.
    shards: Vec<Mutex<Stats>>,
}

impl Shared {
    fn in_window(&self, t: Instant) -> bool {
        t >= self.measure_from && t < self.deadline
    }

    fn request(&self, planned: &Planned) -> Request<Full<Bytes>> {
        let mut builder = Request::builder()
            .method(planned.method.clone())
            .uri(planned.path.as_str())
            .header(HOST, self.host.clone())
            .header(ACCEPT, HeaderValue::from_static("application/json"));
        if let Some(authorization) = &self.authorization {
            builder = builder.header(AUTHORIZATION, authorization.clone());
        }
        if planned.body.is_some() {
            builder = builder.header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        builder.body(Full::new(planned.body.clone().unwrap_or_default())).expect("paths are built from checked parts")
    }
}

/// Runs the load described by `config` on a runtime of `config.threads` workers and reports on it.
/// Fails only if the setup fails or not a single connection could be opened.
pub fn run(config: &Config) -> Result<Report, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(config.threads)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    let result = runtime.block_on(run_users(config));
    // Connection drivers may still be running; don't wait for them.
    runtime.shutdown_background();
    result
}

async fn run_users(config: &Config) -> Result<Report, String> {
    let host = HeaderValue::from_str(&config.host).map_err(|e| format!("bad Host {:?}: {e}", config.host))?;
    let authorization = match &config.token {
        Some(token) => {
            Some(HeaderValue::from_str(&format!("Bearer {token}")).map_err(|e| format!("bad --token: {e}"))?)
        }
        None => None,
    };

    let (senders, first_error) = open_connections(config.addr, config.connections).await;
    let connected = senders.iter().filter(|s| s.is_some()).count();
    if connected == 0 {
        return Err(format!("could not open any connection to {}: {}", config.addr, first_error.unwrap_or_default()));
    }
    eprintln!(
        "pustaka-loadgen: {connected}/{} connections to {}{}; {}, {}s warmup + {}s measured, {}",
        config.connections,
        config.addr,
        first_error.map(|e| format!(" (first failure: {e})")).unwrap_or_default(),
        config.scenario.name(),
        config.warmup.as_secs_f64(),
        config.duration.as_secs_f64(),
        match config.rate {
            Some(rate) => format!("open loop at {rate} requests/s"),
            None => "closed loop".to_string(),
        }
    );

    let start = Instant::now();
    let measure_from = start + config.warmup;
    let deadline = measure_from + config.duration;
    let shards = (config.threads * 4).clamp(1, config.connections);
    let shared = Arc::new(Shared {
        config: config.clone(),
        host,
        authorization,
        measure_from,
        deadline,
        schedule: config.rate.map(|rate| (Arc::new(Schedule::new(start, rate, deadline)), Arc::new(Semaphore::new(0)))),
        shards: (0..shards).map(|_| Mutex::new(Stats::new())).collect(),
    });
    let releaser = shared.schedule.clone().map(|(schedule, permits)| {
        std::thread::Builder::new()
            .name("ticket-releaser".into())
            .spawn(move || release_tickets(&schedule, &permits))
            .expect("can start a thread")
    });
    let users: Vec<_> =
        senders.into_iter().enumerate().map(|(i, sender)| tokio::spawn(user(shared.clone(), i, sender))).collect();
    for user in users {
        user.await.map_err(|e| format!("a user task failed: {e}"))?;
    }
    if let Some(releaser) = releaser {
        releaser.join().map_err(|_| "the ticket releaser failed".to_string())?;
    }

    let mut total = Stats::new();
    for shard in &shared.shards {
        total.merge(&shard.lock().expect("no user panicked"));
    }
    // Open loop: permits left are tickets that fell due with no user free to send them before the deadline.
    let unsent = shared.schedule.as_ref().map(|(_, permits)| permits.available_permits() as u64);
    Ok(Report::new(config, connected, &total, unsent))
}

/// Opens `n` connections concurrently; returns them (`None` where it failed) and the first failure.
async fn open_connections(addr: SocketAddr, n: usize) -> (Vec<Option<Sender>>, Option<String>) {
    let attempts: Vec<_> = (0..n).map(|_| tokio::spawn(timeout(CONNECT_TIMEOUT, connect(addr)))).collect();
    let mut senders = Vec::with_capacity(n);
    let mut first_error = None;
    for attempt in attempts {
        let error = match attempt.await {
            Ok(Ok(Ok(sender))) => {
                senders.push(Some(sender));
                continue;
            }
            Ok(Ok(Err(e))) => e.to_string(),
            Ok(Err(_)) => format!("connect timed out after {}s", CONNECT_TIMEOUT.as_secs()),
            Err(e) => e.to_string(),
        };
        first_error.get_or_insert(error);
        senders.push(None);
    }
    (senders, first_error)
}

/// One virtual user: until the deadline, (wait for its ticket in open loop,) make sure it has a connection,
/// send the scenario's next request and record the outcome if it completed in the measured window.
async fn user(shared: Arc<Shared>, index: usize, mut sender: Option<Sender>) {
    let config = &shared.config;
    let shard = &shared.shards[index % shared.shards.len()];
    let mut user = User::new(config, index);
    let mut last_connect = Instant::now();
    loop {
        // Checked before waiting for a ticket too: a ticket fallen due but not sent by now stays unsent.
        if Instant::now() >= shared.deadline {
            break;
        }
        let due = match &shared.schedule {
            Some((schedule, permits)) => {
                // Wait for a ticket to fall due; it is then the oldest one no user has taken yet.
                match timeout_at(shared.deadline.into(), permits.acquire()).await {
                    Ok(Ok(permit)) => permit.forget(),
                    _ => break,
                }
                match schedule.take() {
                    Some(due) => Some(due),
                    None => break,
                }
            }
            None => None,
        };

        if sender.as_ref().is_none_or(|s| s.is_closed()) {
            sender = reconnect(&shared, &mut last_connect).await;
            let now = Instant::now();
            if shared.in_window(now) {
                let mut stats = shard.lock().expect("no user panicked");
                match sender {
                    Some(_) => stats.reconnects += 1,
                    None => stats.transport_errors += 1,
                }
            }
            if sender.is_none() {
                continue;
            }
        }
        let Some(connection) = sender.as_mut() else { continue };

        let planned = user.plan(config);
        let request = shared.request(&planned);
        let sent = Instant::now();
        let status = match timeout_at((shared.deadline + GRACE).into(), exchange(connection, request)).await {
            Ok(Ok(status)) => Some(status),
            Ok(Err(_)) | Err(_) => {
                sender = None;
                None
            }
        };
        let done = Instant::now();
        let completed = match planned.kind {
            Kind::Checkout | Kind::Return => user.circulation.on_response(planned.kind, status),
            _ => Completed::default(),
        };
        if completed.checkout || completed.ret {
            let mut stats = shard.lock().expect("no user panicked");
            stats.checkouts_total += u64::from(completed.checkout);
            stats.returns_total += u64::from(completed.ret);
        }
        if shared.in_window(done) {
            let mut stats = shard.lock().expect("no user panicked");
            match status {
                // Open loop: from the due time, so that waiting for a free user counts.
                Some(status) => stats.record(planned.kind, status, done - due.unwrap_or(sent)),
                None => stats.transport_errors += 1,
            }
            stats.checkouts += u64::from(completed.checkout);
            stats.returns += u64::from(completed.ret);
            stats.pairs += u64::from(completed.pair);
        }
    }
}

/// A new connection, at most one attempt per [`RECONNECT_EVERY`] and never past the deadline.
async fn reconnect(shared: &Shared, last_connect: &mut Instant) -> Option<Sender> {
    let next = *last_connect + RECONNECT_EVERY;
    if next > Instant::now() {
        sleep_until(next.min(shared.deadline).into()).await;
    }
    if Instant::now() >= shared.deadline {
        return None;
    }
    *last_connect = Instant::now();
    timeout_at(shared.deadline.into(), connect(shared.config.addr)).await.ok()?.ok()
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use http_body_util::BodyExt;
    use hyper::body::Incoming;
    use hyper::{Method, Response};

    use super::*;
    use crate::cli::Args;
    use crate::config::{parse_pairs, Scenario};
    use clap::Parser;

    /// A tiny stand-in for the API on 127.0.0.1: even book ids exist and odd ones are 404, book lists are
    /// 200, loans and returns keep a set of barcodes on loan (401 without the token). Requests without
    /// `Host` or `Accept: application/json` get 400. Returns the port; the server lives until the test ends.
    fn start_server(on_loan: &[&str]) -> u16 {
        let loans: Arc<Mutex<HashSet<String>>> = Arc::new(Mutex::new(on_loan.iter().map(|b| b.to_string()).collect()));
        crate::stand_in::serve(move |request| handle(request, loans.clone()))
    }

    async fn handle(
        request: Request<Incoming>,
        loans: Arc<Mutex<HashSet<String>>>,
    ) -> Result<Response<Full<Bytes>>, hyper::Error> {
        let (parts, body) = request.into_parts();
        let body = body.collect().await?.to_bytes();
        let header = |name| parts.headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok());
        let path = parts.uri.path();
        let status = if header(HOST).is_none() || header(ACCEPT) != Some("application/json") {
            400
        } else if parts.method == Method::GET && (path == "/api/v1/books" || path == "/api/v1/books/search") {
            200
        } else if parts.method == Method::GET && path == "/api/v1/stats" {
            if header(AUTHORIZATION) == Some("Bearer secret") {
                200
            } else {
                401
            }
        } else if let (&Method::GET, Some(id)) = (&parts.method, path.strip_prefix("/api/v1/books/")) {
            match id.strip_suffix("/copies").unwrap_or(id).parse::<u64>() {
                Ok(id) if id % 2 == 0 => 200,
                _ => 404,
            }
        } else if parts.method == Method::POST && (path == "/api/v1/loans" || path == "/api/v1/returns") {
            let barcode = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["barcode"].as_str().map(str::to_string));
            match (header(AUTHORIZATION), header(CONTENT_TYPE), barcode) {
                (Some("Bearer secret"), Some("application/json"), Some(barcode)) => {
                    let mut loans = loans.lock().unwrap();
                    match path {
                        "/api/v1/loans" if loans.insert(barcode.clone()) => 201,
                        "/api/v1/returns" if loans.remove(&barcode) => 200,
                        _ => 409,
                    }
                }
                (None, _, _) => 401,
                _ => 422,
            }
        } else {
            404
        };
        Ok(Response::builder().status(status).body(Full::new(Bytes::from_static(b"{}"))).unwrap())
    }

    fn config(port: u16, args: &[&str]) -> Config {
        let url = format!("http://127.0.0.1:{port}");
        let mut argv = vec!["pustaka-loadgen", "--url", &url];
        argv.extend_from_slice(args);
        Args::try_parse_from(argv).unwrap().into_config().unwrap()
    }

    #[test]
    fn closed_loop_counts_requests_and_statuses() {
        let port = start_server(&[]);
        let c = config(
            port,
            &["--scenario", "get", "--connections", "4", "--max-id", "10", "--warmup", "0.2", "--duration", "1"],
        );
        let r = run(&c).unwrap();
        assert_eq!((r.connected, r.transport_errors), (4, 0));
        assert!(r.requests > 100, "{r:?}");
        assert_eq!(r.requests, r.status.values().sum::<u64>());
        let (ok, missing) = (r.status["200"], r.status["404"]);
        assert_eq!(r.status.len(), 2, "{r:?}");
        assert!(ok > r.requests / 4 && missing > r.requests / 4, "{r:?}");
        assert_eq!((r.ok, r.errors), (ok, missing));
        assert_eq!(r.rps, r.requests as f64);
        assert!(r.latency_ms.p50.unwrap() <= r.latency_ms.p99.unwrap());
        assert_eq!(r.by_kind["get"].requests, r.requests);
    }

    #[test]
    fn open_loop_sends_at_the_rate() {
        let port = start_server(&[]);
        let c = config(
            port,
            &["--scenario", "list", "--connections", "4", "--rate", "200", "--warmup", "0.25", "--duration", "1"],
        );
        let r = run(&c).unwrap();
        // 200 tickets are due in the window; a few may complete just across its edges.
        assert!((190..=205).contains(&r.requests), "{r:?}");
        assert_eq!(r.ok, r.requests);
    }

    #[test]
    fn circulation_pairs_recover_from_a_copy_left_on_loan() {
        let port = start_server(&["B2"]);
        let mut c = config(port, &["--scenario", "get", "--connections", "3", "--warmup", "0", "--token", "secret"]);
        c.scenario = Scenario::Circulation;
        c.duration = Duration::from_millis(700);
        c.pairs = parse_pairs("B1 M1\nB2 M2\nB3 M3\n").unwrap();
        let r = run(&c).unwrap();
        assert_eq!(r.status.get("409"), Some(&1), "{r:?}");
        assert!(r.pairs > 10, "{r:?}");
        assert_eq!(r.returns, r.pairs + 1, "the copy left on loan is returned but is no pair: {r:?}");
        assert!((r.pairs..=r.pairs + 3).contains(&r.checkouts), "{r:?}");
        assert_eq!(r.status["201"], r.checkouts);
    }

    #[test]
    fn mixed_sends_every_kind() {
        let port = start_server(&[]);
        let mut c = config(
            port,
            &["--scenario", "search", "--connections", "4", "--warmup", "0", "--terms", "a,b c", "--token", "secret"],
        );
        c.scenario = Scenario::Mixed;
        c.duration = Duration::from_millis(700);
        c.pairs = parse_pairs("B1 M1\nB2 M2\nB3 M3\nB4 M4\n").unwrap();
        let r = run(&c).unwrap();
        for kind in ["search", "list", "get", "checkout", "return"] {
            assert!(r.by_kind.contains_key(kind), "{kind} missing: {r:?}");
        }
        assert!(r.by_kind["search"].requests > r.by_kind["list"].requests, "{r:?}");
        assert!(!r.status.contains_key("401") && !r.status.contains_key("400"), "{r:?}");
    }

    #[test]
    fn opac_and_pages_send_their_kinds() {
        let port = start_server(&[]);
        let args = ["--connections", "3", "--warmup", "0", "--duration", "0.5", "--max-id", "2", "--terms", "a"];
        let mut c = config(port, &[&["--scenario", "search"], &args[..]].concat());
        c.scenario = Scenario::Opac;
        let r = run(&c).unwrap();
        for kind in ["search", "get", "copies"] {
            assert!(r.by_kind[kind].requests > 10, "{kind}: {r:?}");
        }
        assert_eq!(r.by_kind["search"].ok, r.by_kind["search"].requests, "{r:?}");
        assert!(r.by_kind["copies"].ok > 0 && r.by_kind["copies"].ok < r.by_kind["copies"].requests, "{r:?}");
        c.scenario = Scenario::Pages;
        c.token = Some("secret".into());
        c.paths = vec!["/api/v1/stats".into(), "/api/v1/books".into()];
        let r = run(&c).unwrap();
        assert_eq!((r.by_kind.len(), r.ok), (1, r.requests), "{r:?}");
        assert!(r.by_kind["page"].requests > 10 && r.by_kind["page"].p95.is_some(), "{r:?}");
    }

    #[test]
    fn no_server_is_an_error() {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let c = config(port, &["--scenario", "get", "--connections", "2"]);
        assert!(run(&c).unwrap_err().contains("could not open any connection"));
    }
}
