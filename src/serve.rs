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
        let service = router.clone().map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            req
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
