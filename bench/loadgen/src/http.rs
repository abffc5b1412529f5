//! The HTTP/1.1 client plumbing that every load shares: one TCP connection (TCP_NODELAY) with its hyper
//! driver, and one request/response exchange on it.

use std::io;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::Request;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

pub type Sender = SendRequest<Full<Bytes>>;

/// One HTTP/1.1 keep-alive connection, with TCP_NODELAY; its driver runs as a task of its own.
pub async fn connect(addr: SocketAddr) -> io::Result<Sender> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.map_err(io::Error::other)?;
    tokio::spawn(async move {
        // Ends when the server closes the connection or the sender is dropped; errors surface on the sender.
        let _ = connection.await;
    });
    Ok(sender)
}

/// Sends one request and reads the whole response body, so that the connection can be reused; returns the
/// status (the body is dropped: a benchmark has no use for it).
pub async fn exchange(sender: &mut Sender, request: Request<Full<Bytes>>) -> Result<u16, hyper::Error> {
    sender.ready().await?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    response.into_body().collect().await?;
    Ok(status)
}

/// [`exchange`], returning the body too.
pub async fn exchange_with_body(
    sender: &mut Sender,
    request: Request<Full<Bytes>>,
) -> Result<(u16, Bytes), hyper::Error> {
    sender.ready().await?;
    let response = sender.send_request(request).await?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}
