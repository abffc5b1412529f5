//! Serving a router on a listener with the limits a listener needs: the API's (see
//! [`crate::app::serve`]) and the metrics listener's ([`crate::metrics::serve`]) both.

use std::{future::Future, sync::Arc, time::Duration};

use anyhow::Context;
use tokio::net::TcpListener;

/// What a listener allows a client (see [`serve_router`]).
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Time for a client to send a request's headers (an idle keep-alive connection waiting for
    /// its next request too).
    pub header_read_timeout: Duration,
    /// Connections open at once; more wait in the listen backlog.
    pub max_open_connections: usize,
    /// `GET` requests handled at once, none: no bound. One more waits in its connection before the
    /// router sees it, holding only hyper's parsed request: not the request's span, its id or the
    /// futures of every layer and handler, which a thousand clients all waiting for the database
    /// pool's ten connections would otherwise each hold (#36: 1,000 connections reading books,
    /// peak RSS 70 → 50 MB). Only `GET` (and `HEAD`) waits: a request with a body is read inside
    /// the handler, and a slow client sending one must not hold a place here. `/healthz` and
    /// `/readyz` never wait, so that a busy replica is not taken for a dead one.
    pub max_reads_in_flight: Option<usize>,
}

/// Accepts connections on `listener` and serves `router` on them (HTTP/1.1) until `shutdown`
/// resolves; then stops accepting, lets idle connections go and waits for the requests in flight.
///
/// Served with hyper directly rather than `axum::serve`, for two limits a listener needs when a
/// client is slow on purpose: a client must send a request's headers within
/// `limits.header_read_timeout`, and at most `limits.max_open_connections` connections are open
/// at once (more wait in the listen backlog, so the open files last for the database and
/// `/healthz`). The API's listener and the metrics listener ([`crate::metrics::serve`]) both.
pub async fn serve_router(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    use hyper_util::{
        rt::{TokioIo, TokioTimer},
        server::graceful::GracefulShutdown,
        service::TowerToHyperService,
    };
    use tower::ServiceExt;

    let mut shutdown = std::pin::pin!(shutdown);
    // HTTP/1.1, as `axum::serve` with axum's default features.
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder.timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let open = Arc::new(tokio::sync::Semaphore::new(limits.max_open_connections));
    let reads = limits.max_reads_in_flight.map(|n| Arc::new(tokio::sync::Semaphore::new(n)));
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = open.clone().acquire_owned() => permit.context("the connection limit was closed")?,
        };
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of open files, or a connection reset before it was accepted: the
                    // listener itself is fine; wait a moment rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // The handlers read the client's address as `ConnectInfo` (login throttling).
        let router = router.clone();
        let reads = reads.clone();
        let service = tower::service_fn(move |mut req: axum::http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            let (router, reads) = (router.clone(), reads.clone());
            async move {
                let _admitted = match reads {
                    Some(reads) if waits_for_a_place(&req) => reads.acquire_owned().await.ok(), // never closed
                    _ => None,
                };
                router.oneshot(req).await
            }
        });
        let conn = builder.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service));
        let watched = graceful.watch(conn);
        tokio::spawn(async move {
            if let Err(e) = watched.await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
            drop(permit);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// Whether a request waits for a place among [`Limits::max_reads_in_flight`].
fn waits_for_a_place<B>(req: &axum::http::Request<B>) -> bool {
    use axum::http::Method;
    matches!(*req.method(), Method::GET | Method::HEAD) && !matches!(req.uri().path(), "/healthz" | "/readyz")
}

#[cfg(test)]
mod tests {
    use std::{
        sync::atomic::{AtomicUsize, Ordering},
        time::Duration,
    };

    use axum::routing::get;
    use tokio::sync::{mpsc, Semaphore};

    use super::*;

    /// Handlers that report when they start and then wait to be let go, with the most that ran at once.
    #[derive(Clone)]
    struct Held {
        started: mpsc::UnboundedSender<&'static str>,
        go: Arc<Semaphore>,
        running: Arc<AtomicUsize>,
        most: Arc<AtomicUsize>,
    }

    impl Held {
        async fn hold(&self, what: &'static str) -> &'static str {
            let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
            self.most.fetch_max(now, Ordering::SeqCst);
            self.started.send(what).unwrap();
            self.go.acquire().await.unwrap().forget();
            self.running.fetch_sub(1, Ordering::SeqCst);
            what
        }
    }

    #[tokio::test]
    async fn at_most_the_limit_of_reads_run_at_once_and_probes_and_writes_never_wait() {
        let (started, mut starts) = mpsc::unbounded_channel();
        let held = Held {
            started,
            go: Arc::new(Semaphore::new(0)),
            running: Arc::new(AtomicUsize::new(0)),
            most: Arc::new(AtomicUsize::new(0)),
        };
        let (r, w) = (held.clone(), held.clone());
        let router = axum::Router::new()
            .route("/read", get(move || async move { r.hold("read").await }))
            .route("/write", axum::routing::post(move || async move { w.hold("write").await }))
            .route("/healthz", get(|| async { "ok" }));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let limits = Limits {
            header_read_timeout: Duration::from_secs(5),
            max_open_connections: 64,
            max_reads_in_flight: Some(2),
        };
        tokio::spawn(serve_router(listener, router, limits, std::future::pending()));
        let client = reqwest::Client::new();
        let reads: Vec<_> = (0..5).map(|_| tokio::spawn(client.get(format!("{base}/read")).send())).collect();
        // Two reads start; the other three wait for a place.
        assert_eq!(starts.recv().await, Some("read"));
        assert_eq!(starts.recv().await, Some("read"));
        // The probe and a request with a body do not wait behind them.
        let health = client.get(format!("{base}/healthz")).send().await.unwrap();
        assert_eq!(health.text().await.unwrap(), "ok");
        let write = tokio::spawn(client.post(format!("{base}/write")).send());
        assert_eq!(starts.recv().await, Some("write"));
        assert!(starts.try_recv().is_err(), "a third read started while two held their places");
        // Let every handler go (five reads, one write): each read done makes a place for the next.
        held.go.add_permits(6);
        for r in reads {
            assert_eq!(r.await.unwrap().unwrap().text().await.unwrap(), "read");
        }
        assert_eq!(write.await.unwrap().unwrap().text().await.unwrap(), "write");
        assert_eq!(held.most.load(Ordering::SeqCst), 3, "two reads and the write at most");
    }
}
