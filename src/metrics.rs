//! Prometheus metrics, served on a listener of their own (`PUSTAKA_METRICS_LISTEN`), never on the
//! API's port.
//!
//! What is exposed:
//! - `pustaka_http_requests_total{route,method,status}` and the latency histogram
//!   `pustaka_http_request_duration_seconds{route,method,status}` (status as a class, `2xx`): the
//!   route is the route template (`/api/v1/books/{id}`), never the raw path, so the label values
//!   are the route table's; a request no route matched (the page's files) is `unmatched`;
//! - the database pools: connections allowed, open, idle, and requests waiting for one;
//! - the password-hashing queue: hashes running, waiting, refused (`503 busy`);
//! - notices (email reminders) sent and failed;
//! - the build (version) and the process start time.
//!
//! The request path stays cheap: the route table is fixed when the router is built, each
//! route × method has its counters allocated on its first request, and a request costs one
//! lookup of its route template in that table (no allocation, no lock) and three atomic
//! additions. Everything else is read when scraped.

use std::{
    collections::HashMap,
    future::Future,
    hash::BuildHasherDefault,
    pin::Pin,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, OnceLock,
    },
    task::{Context, Poll},
    time::{Duration, Instant, SystemTime},
};

use axum::{
    extract::{MatchedPath, State},
    http::{header, Method, Request, Response, StatusCode},
    response::IntoResponse,
    routing::get,
    Router,
};
use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeMetric, NoLabelSet},
    metrics::{counter::ConstCounter, gauge::ConstGauge, MetricType},
    registry::Registry,
};

use crate::store::Store;

/// The route label of requests that matched no route (the page's files, unknown paths).
pub const UNMATCHED: &str = "unmatched";

/// Methods with a label of their own; any other is `other`.
const METHODS: [&str; 8] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"];

/// Statuses counted under their own code; any other is counted under its class (`4xx`).
const STATUSES: [u16; 30] = [
    200, 201, 202, 204, 206, 301, 302, 303, 304, 307, 308, 400, 401, 403, 404, 405, 406, 408, 409, 410, 412, 413, 415,
    416, 422, 429, 500, 502, 503, 504,
];
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// Upper bounds of the latency buckets, in seconds: a book read takes well under a millisecond
/// on the server, a login tens of milliseconds (Argon2), an export seconds.
const BOUNDS: [f64; 16] =
    [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];

/// The same bounds in nanoseconds, to compare with a request's duration without floats.
fn bound_nanos() -> &'static [u64; BOUNDS.len()] {
    static NANOS: OnceLock<[u64; BOUNDS.len()]> = OnceLock::new();
    NANOS.get_or_init(|| BOUNDS.map(|s| Duration::from_secs_f64(s).as_nanos() as u64))
}

/// FNV-1a: the route table's keys are the program's own route templates, so a simple hash is
/// enough (and cheaper per request than SipHash).
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 { 0xcbf2_9ce4_8422_2325 } else { self.0 };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

/// A latency histogram of atomics: one count per bucket (not cumulative; summed when scraped)
/// and the sum in nanoseconds.
#[derive(Default)]
struct Histogram {
    /// `BOUNDS.len()` buckets and the one above the last bound.
    buckets: [AtomicU64; BOUNDS.len() + 1],
    sum_nanos: AtomicU64,
}

impl Histogram {
    fn observe(&self, elapsed: Duration) {
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        let i = bound_nanos().iter().position(|b| nanos <= *b).unwrap_or(BOUNDS.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The buckets (each its own count: the encoder adds them up), the count and the sum in seconds.
    fn snapshot(&self) -> (Vec<(f64, u64)>, u64, f64) {
        let buckets: Vec<(f64, u64)> = self
            .buckets
            .iter()
            .enumerate()
            .map(|(i, b)| (BOUNDS.get(i).copied().unwrap_or(f64::INFINITY), b.load(Ordering::Relaxed)))
            .collect();
        let count = buckets.iter().map(|(_, n)| n).sum();
        (buckets, count, self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9)
    }
}

/// What one route × method has answered.
struct Endpoint {
    /// By status: `STATUSES` in order, then the other statuses by class.
    by_status: [AtomicU64; STATUSES.len() + CLASSES.len()],
    /// Latency by status class.
    latency: [Histogram; CLASSES.len()],
}

impl Default for Endpoint {
    fn default() -> Self {
        Self { by_status: std::array::from_fn(|_| AtomicU64::new(0)), latency: Default::default() }
    }
}

/// Requests by route template, method and status, with their latency.
pub struct HttpMetrics {
    /// Route template → its index in `names`.
    index: HashMap<Box<str>, usize, BuildHasherDefault<Fnv>>,
    /// The route templates in order, then [`UNMATCHED`].
    names: Vec<Box<str>>,
    /// `names.len() × METHODS.len()` endpoints, each made on its first request.
    endpoints: Box<[OnceLock<Box<Endpoint>>]>,
}

impl HttpMetrics {
    /// A table for these route templates (as axum's `MatchedPath` gives them).
    pub fn new(routes: impl IntoIterator<Item = String>) -> Self {
        let mut names: Vec<Box<str>> = routes.into_iter().map(String::into_boxed_str).collect();
        names.sort();
        names.dedup();
        names.retain(|n| &**n != UNMATCHED);
        names.push(UNMATCHED.into());
        let index = names.iter().enumerate().map(|(i, n)| (n.clone(), i)).collect();
        let endpoints = (0..names.len() * METHODS.len()).map(|_| OnceLock::new()).collect();
        Self { index, names, endpoints }
    }

    /// The route templates counted, [`UNMATCHED`] last.
    pub fn routes(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|n| &**n)
    }

    fn route(&self, matched: Option<&MatchedPath>) -> usize {
        matched.and_then(|m| self.index.get(m.as_str()).copied()).unwrap_or(self.names.len() - 1)
    }

    fn record(&self, route: usize, method: usize, status: StatusCode, elapsed: Duration) {
        let endpoint = self.endpoints[route * METHODS.len() + method].get_or_init(Box::default);
        let code = status.as_u16();
        let class = usize::from(code / 100).clamp(1, CLASSES.len()) - 1;
        let slot = STATUSES.iter().position(|s| *s == code).unwrap_or(STATUSES.len() + class);
        endpoint.by_status[slot].fetch_add(1, Ordering::Relaxed);
        endpoint.latency[class].observe(elapsed);
    }

    /// The endpoints that answered something: (route, method, endpoint).
    fn used(&self) -> impl Iterator<Item = (&str, &str, &Endpoint)> {
        self.endpoints
            .iter()
            .enumerate()
            .filter_map(|(i, e)| e.get().map(|e| (&*self.names[i / METHODS.len()], METHODS[i % METHODS.len()], &**e)))
    }
}

fn method_index(m: &Method) -> usize {
    match *m {
        Method::GET => 0,
        Method::HEAD => 1,
        Method::POST => 2,
        Method::PUT => 3,
        Method::PATCH => 4,
        Method::DELETE => 5,
        Method::OPTIONS => 6,
        _ => 7,
    }
}

/// Counts notices (email reminders and overdue notices) handed to the SMTP server or failed.
#[derive(Clone, Default, Debug)]
pub struct NoticeCounters {
    sent: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
}

impl NoticeCounters {
    /// A mail the server accepted.
    pub fn sent(&self) {
        self.sent.fetch_add(1, Ordering::Relaxed);
    }
    /// An attempt that failed.
    pub fn failed(&self) {
        self.failed.fetch_add(1, Ordering::Relaxed);
    }
}

/// Every metric of one running Pustaka; cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Inner>,
}

struct Inner {
    http: OnceLock<Arc<HttpMetrics>>,
    notices: NoticeCounters,
    store: Store,
    started: SystemTime,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    /// Metrics of a Pustaka serving `store` (its pools and password hashing are read when scraped).
    pub fn new(store: Store) -> Self {
        Self {
            inner: Arc::new(Inner {
                http: OnceLock::new(),
                notices: NoticeCounters::default(),
                store,
                started: SystemTime::now(),
            }),
        }
    }

    /// The request counters for the router's route templates (set once, by [`crate::http::router`]).
    pub fn http(&self, routes: impl IntoIterator<Item = String>) -> Arc<HttpMetrics> {
        self.inner.http.get_or_init(|| Arc::new(HttpMetrics::new(routes))).clone()
    }

    /// The counters the notices scheduler adds to.
    pub fn notices(&self) -> NoticeCounters {
        self.inner.notices.clone()
    }

    /// Everything, in Prometheus' text format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut registry = Registry::default();
        registry.register_collector(Box::new(Scrape(self.clone())));
        let mut out = String::with_capacity(16 * 1024);
        // Writing into a String cannot fail, and every metric here encodes.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &registry);
        out
    }
}

/// Reads every metric when scraped.
struct Scrape(Metrics);

impl std::fmt::Debug for Scrape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Scrape")
    }
}

fn gauge<N: prometheus_client::encoding::EncodeGaugeValue + Copy>(
    enc: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    series: &[(&[(&str, &str)], N)],
) -> std::fmt::Result {
    let mut m = enc.encode_descriptor(name, help, None, MetricType::Gauge)?;
    for (labels, value) in series {
        ConstGauge::new(*value).encode(m.encode_family(labels)?)?;
    }
    Ok(())
}

fn counter(enc: &mut DescriptorEncoder, name: &str, help: &str, series: &[(&[(&str, &str)], u64)]) -> std::fmt::Result {
    let mut m = enc.encode_descriptor(name, help, None, MetricType::Counter)?;
    for (labels, value) in series {
        ConstCounter::new(*value).encode(m.encode_family(labels)?)?;
    }
    Ok(())
}

impl Collector for Scrape {
    fn encode(&self, mut enc: DescriptorEncoder) -> std::fmt::Result {
        let inner = &self.0.inner;
        let commit = option_env!("SOURCE_COMMIT").unwrap_or("unknown");
        gauge(
            &mut enc,
            "pustaka_build_info",
            "The running build: version and commit (always 1)",
            &[(&[("version", env!("CARGO_PKG_VERSION")), ("commit", commit)], 1i64)],
        )?;
        let started = inner.started.duration_since(SystemTime::UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
        gauge(
            &mut enc,
            "process_start_time_seconds",
            "Start time of the process since the Unix epoch in seconds",
            &[(&[], started)],
        )?;

        if let Some(http) = inner.http.get() {
            let mut m = enc.encode_descriptor(
                "pustaka_http_requests",
                "HTTP requests answered, by route template, method and status code (the class, e.g. 4xx, for rare codes)",
                None,
                MetricType::Counter,
            )?;
            for (route, method, e) in http.used() {
                for (slot, n) in e.by_status.iter().enumerate() {
                    let n = n.load(Ordering::Relaxed);
                    if n == 0 {
                        continue;
                    }
                    let code;
                    let status = match STATUSES.get(slot) {
                        Some(s) => {
                            code = s.to_string();
                            code.as_str()
                        }
                        None => CLASSES[slot - STATUSES.len()],
                    };
                    let labels = [("route", route), ("method", method), ("status", status)];
                    ConstCounter::new(n).encode(m.encode_family(&labels)?)?;
                }
            }
            let mut m = enc.encode_descriptor(
                "pustaka_http_request_duration_seconds",
                "Time to answer an HTTP request (until the response's head is ready), by route template, method and status class",
                None,
                MetricType::Histogram,
            )?;
            for (route, method, e) in http.used() {
                for (class, h) in e.latency.iter().enumerate() {
                    let (buckets, count, sum) = h.snapshot();
                    if count == 0 {
                        continue;
                    }
                    let labels = [("route", route), ("method", method), ("status", CLASSES[class])];
                    m.encode_family(&labels)?.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
                }
            }
        }

        let pools = inner.store.db.pool_gauges();
        let series = |f: fn(&crate::store::db::PoolGauges) -> Option<usize>| -> Vec<(String, i64)> {
            pools
                .iter()
                .filter_map(|p| f(p).map(|v| (p.pool.to_owned(), i64::try_from(v).unwrap_or(i64::MAX))))
                .collect()
        };
        for (name, help, values) in [
            ("pustaka_db_pool_max_connections", "Connections the pool may open", series(|p| Some(p.max))),
            ("pustaka_db_pool_open_connections", "Connections open (idle or in use)", series(|p| Some(p.open))),
            ("pustaka_db_pool_idle_connections", "Open connections not in use", series(|p| Some(p.idle))),
            (
                "pustaka_db_pool_in_use_connections",
                "Connections in use by a request or task",
                series(|p| Some(p.open.saturating_sub(p.idle))),
            ),
            ("pustaka_db_pool_waiting", "Requests waiting for a connection", series(|p| Some(p.waiting))),
        ] {
            let labels: Vec<[(&str, &str); 1]> = values.iter().map(|(pool, _)| [("pool", pool.as_str())]).collect();
            let s: Vec<(&[(&str, &str)], i64)> =
                labels.iter().zip(&values).map(|(l, (_, v))| (l.as_slice(), *v)).collect();
            gauge(&mut enc, name, help, &s)?;
        }

        let q = inner.store.passwords.queue_status();
        let n = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
        gauge(
            &mut enc,
            "pustaka_password_hash_threads",
            "Threads that hash passwords (Argon2id)",
            &[(&[], n(q.threads))],
        )?;
        gauge(
            &mut enc,
            "pustaka_password_hash_queue_capacity",
            "Hashes that may wait for a thread; more are refused (503 busy)",
            &[(&[], n(q.capacity))],
        )?;
        gauge(
            &mut enc,
            "pustaka_password_hash_in_progress",
            "Password hashes running now",
            &[(&[], n(q.in_progress))],
        )?;
        gauge(
            &mut enc,
            "pustaka_password_hash_waiting",
            "Password hashes waiting for a thread",
            &[(&[], n(q.waiting))],
        )?;
        counter(
            &mut enc,
            "pustaka_password_hash_refused",
            "Hashes refused because the queue was full (503 busy)",
            &[(&[], q.refused)],
        )?;

        counter(
            &mut enc,
            "pustaka_notices",
            "Notices (email reminders and overdue notices) by result",
            &[
                (&[("result", "sent")], inner.notices.sent.load(Ordering::Relaxed)),
                (&[("result", "failed")], inner.notices.failed.load(Ordering::Relaxed)),
            ],
        )?;
        Ok(())
    }
}

/// Serves `GET /metrics` (and nothing else) on `listener` until the task is dropped, with the
/// API's own limits made small: a scraper sends its headers at once and keeps one connection, so
/// [`METRICS_HEADER_READ_TIMEOUT`] for the headers and 8 connections at most; a client on the
/// internal network holding connections open cannot take the replica's open files.
pub async fn serve(listener: tokio::net::TcpListener, metrics: Metrics) -> anyhow::Result<()> {
    let app = Router::new().route("/metrics", get(scrape)).with_state(metrics);
    let limits = crate::serve::Limits {
        header_read_timeout: METRICS_HEADER_READ_TIMEOUT,
        max_open_connections: 8,
        max_reads_in_flight: None,
    };
    crate::serve::serve_router(listener, app, limits, std::future::pending()).await
}

/// Time for a client of the metrics listener to send its request's headers (and how long an idle
/// connection stays open there). A scraper sends them at once; 10 s, the API's, let eight
/// half-sent requests keep a scrape waiting for 10 s, again and again as they reconnected (issue
/// 29, low 12): now a half-sent request is shed after a second and the scrape waiting in the
/// listen backlog is served.
pub const METRICS_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(1);

async fn scrape(State(metrics): State<Metrics>) -> impl IntoResponse {
    // Rendering reads every counter: off the async threads, it never holds up a request.
    let body = tokio::task::spawn_blocking(move || metrics.render()).await.unwrap_or_default();
    ([(header::CONTENT_TYPE, prometheus_client::encoding::prometheus_text::CONTENT_TYPE)], body)
}

/// Counts each request passing through it in an [`HttpMetrics`] (see [`crate::http::router`]).
#[derive(Clone)]
pub struct HttpMetricsLayer(pub Arc<HttpMetrics>);

impl<S> tower::Layer<S> for HttpMetricsLayer {
    type Service = HttpMetricsService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        HttpMetricsService { inner, table: self.0.clone() }
    }
}

/// See [`HttpMetricsLayer`].
#[derive(Clone)]
pub struct HttpMetricsService<S> {
    inner: S,
    table: Arc<HttpMetrics>,
}

impl<S, B, R> tower::Service<Request<B>> for HttpMetricsService<S>
where
    S: tower::Service<Request<B>, Response = Response<R>>,
{
    type Response = Response<R>;
    type Error = S::Error;
    type Future = Counted<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let route = self.table.route(req.extensions().get::<MatchedPath>());
        let method = method_index(req.method());
        Counted { inner: self.inner.call(req), table: self.table.clone(), route, method, start: Instant::now() }
    }
}

pin_project_lite::pin_project! {
    /// A response on its way, counted when its head is ready.
    pub struct Counted<F> {
        #[pin]
        inner: F,
        table: Arc<HttpMetrics>,
        route: usize,
        method: usize,
        start: Instant,
    }
}

impl<F, R, E> Future for Counted<F>
where
    F: Future<Output = Result<Response<R>, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let out = std::task::ready!(this.inner.poll(cx));
        if let Ok(res) = &out {
            this.table.record(*this.route, *this.method, res.status(), this.start.elapsed());
        }
        Poll::Ready(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_statuses_land_in_their_slots() {
        let t = HttpMetrics::new(["/api/v1/books/{id}".to_owned(), "/healthz".to_owned()]);
        assert_eq!(t.routes().collect::<Vec<_>>(), ["/api/v1/books/{id}", "/healthz", UNMATCHED]);
        assert_eq!(t.route(None), 2);
        t.record(0, 0, StatusCode::OK, Duration::from_micros(300));
        t.record(0, 0, StatusCode::IM_A_TEAPOT, Duration::from_secs(100));
        let used: Vec<_> = t.used().collect();
        assert_eq!(used.len(), 1);
        let (route, method, e) = used[0];
        assert_eq!((route, method), ("/api/v1/books/{id}", "GET"));
        assert_eq!(e.by_status[0].load(Ordering::Relaxed), 1);
        assert_eq!(e.by_status[STATUSES.len() + 3].load(Ordering::Relaxed), 1, "418 counts as 4xx");
        let (buckets, count, sum) = e.latency[1].snapshot();
        assert_eq!((buckets[0], count), ((0.0005, 1), 1));
        assert!((sum - 0.0003).abs() < 1e-9);
        let (buckets, count, _) = e.latency[3].snapshot();
        assert_eq!((buckets[BOUNDS.len() - 1].1, buckets[BOUNDS.len()], count), (0, (f64::INFINITY, 1), 1));
    }

    #[test]
    fn fnv_is_fnv1a() {
        use std::hash::Hasher;
        let mut h = Fnv::default();
        h.write(b"a");
        assert_eq!(h.finish(), 0xaf63_dc4c_8601_ec8c);
    }
}
