//! URLs: the server's address from a base URL, and query-string values; shared by the benchmark's command
//! line and the `faults` load.

use std::net::{SocketAddr, ToSocketAddrs};

use hyper::Uri;

/// Splits `http://host:port/prefix` into a socket address, the `Host` header value and the path prefix.
pub fn resolve(url: &str) -> Result<(SocketAddr, String, String), String> {
    let uri: Uri = url.parse().map_err(|e| format!("--url {url:?}: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!("--url {url:?}: only http:// URLs are supported"));
    }
    let authority = uri.authority().ok_or_else(|| format!("--url {url:?}: no host"))?;
    if uri.query().is_some() {
        return Err(format!("--url {url:?}: must not have a query"));
    }
    let host = authority.host().trim_start_matches('[').trim_end_matches(']');
    let port = authority.port_u16().unwrap_or(80);
    let addr = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("--url {url:?}: cannot resolve {host}: {e}"))?
        .next()
        .ok_or_else(|| format!("--url {url:?}: {host} has no address"))?;
    let base = uri.path().trim_end_matches('/').to_string();
    Ok((addr, authority.as_str().to_string(), base))
}

/// Percent-encodes a query-string value (everything but RFC 3986 unreserved characters).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
