//! The network upstream: HTTP/1.1 over kept-alive connections, through process-wide
//! `hyper_util::client::legacy::Client`s, one per trust and proxy configuration.
//!
//! `wasmtime_wasi_http::default_send_request` opens a TCP connection (and a TLS session) per
//! request; a warm lookup paid a handshake each time. [`PooledClient::send`] goes through
//! hyper-util's pooled client instead, shared by every session with the same settings
//! ([`PooledClient::shared`]), so the CLI's several-ids form and every session of an embedding
//! process share warm connections, and a connection opened under one CA bundle or proxy never
//! serves a session configured with another.
//!
//! - **Keyed by endpoint**: hyper-util pools by scheme and authority (the host compared without
//!   case), so a connection never carries requests for an endpoint the egress policy tells
//!   apart from its own.
//! - **Bounded**: a connection idle for [`IDLE_TIMEOUT`] (30 s, half the 60 s idle timeout of
//!   AWS's load balancers, so the client nearly always gives a connection up before the server
//!   does) is never handed out again, and hyper-util's reaper closes it on its next round (every
//!   30 s); at most [`MAX_IDLE_PER_ENDPOINT`] idle connections per endpoint.
//! - **Same connections as before**: see [`crate::connector`] (TCP with `TCP_NODELAY`, TLS as in
//!   `default_send_request`, `TCP_QUICKACK` while a reply is incomplete).
//! - **Same timeouts and errors**: connect (TCP and TLS handshake together), first byte (from
//!   when the request has a connection), and between body frames, with the error values
//!   `default_send_request` returns, so the component's retry logic classifies every failure
//!   as before.
//! - **Stale connections**: a connection the server closed while idle is noticed by its
//!   connection task and never handed out. If the close races a new request: when hyper had not
//!   written the request yet it gives it back, and hyper-util sends it once more on another
//!   connection (`retry_canceled_requests`, on by default; only for a reused connection); when it
//!   had, the server may have acted on it, so it is not replayed here: a close or reset on a
//!   *reused* connection before any reply byte becomes `ConnectionTerminated`, which the
//!   component retries under its own retry rules and quota (on a fresh connection the error is
//!   what `default_send_request` gives).
//!
//! Connection tasks and the reaper are spawned on the Tokio runtime that runs the `wasi:http`
//! hook (the sessions' process-wide runtime, see [`crate::session`]). A connection whose runtime
//! has shut down reads as closed and is dropped.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll, ready};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{CaptureConnection, capture_connection};
use hyper_util::rt::{TokioExecutor, TokioTimer};
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

use crate::connector::{ConnectFailed, Connector, Replies, UNSET_TIMEOUT, with_connect_timeout};
use crate::proxy::{ProxyError, ProxySettings};
use crate::trust::{Trust, TrustError};

/// How long a connection may stay idle and still be used.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The most idle connections kept per endpoint.
pub const MAX_IDLE_PER_ENDPOINT: usize = 8;

/// A pooled client: kept-alive connections of one trust and one proxy configuration. Cloning
/// shares it.
#[derive(Clone)]
pub struct PooledClient(Arc<Pooled>);

struct Pooled {
    client: Client<Connector, WasiBody>,
    connector: Connector,
}

/// A client's settings could not be used (a CA bundle or a proxy URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetworkError {
    /// The CA bundle.
    Trust(TrustError),
    /// A proxy URL.
    Proxy(ProxyError),
}

impl std::fmt::Display for NetworkError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetworkError::Trust(e) => e.fmt(f),
            NetworkError::Proxy(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for NetworkError {}

impl PooledClient {
    /// The process's client for `trust` and `proxies`, made on first use: every session with
    /// the same settings shares its connections.
    pub fn shared(trust: &Trust, proxies: &ProxySettings) -> Result<Self, NetworkError> {
        static CLIENTS: LazyLock<Mutex<HashMap<(Trust, ProxySettings), PooledClient>>> =
            LazyLock::new(Default::default);
        let key = (trust.clone(), proxies.clone());
        if let Some(client) = CLIENTS.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(client.clone());
        }
        let roots = trust.roots().map_err(NetworkError::Trust)?;
        let matcher = proxies.matcher().map_err(NetworkError::Proxy)?;
        let connector = Connector::new(roots, matcher);
        let client = PooledClient(Arc::new(Pooled {
            client: Client::builder(TokioExecutor::new())
                .pool_timer(TokioTimer::new())
                .pool_idle_timeout(IDLE_TIMEOUT)
                .pool_max_idle_per_host(MAX_IDLE_PER_ENDPOINT)
                .build(connector.clone()),
            connector,
        }));
        let mut clients = CLIENTS.lock().unwrap_or_else(|p| p.into_inner());
        Ok(clients.entry(key).or_insert(client).clone())
    }

    /// The client with Mozilla's roots and no proxy.
    pub fn direct() -> Self {
        Self::shared(&Trust::Default, &ProxySettings::none())
            .expect("the default roots and no proxy are always usable")
    }

    /// Sends `request` over a pooled connection, honouring `options` as
    /// `default_send_request` does, and returns the response; its connection goes back to the
    /// pool once the body has been read to its end (one dropped unread closes it).
    pub async fn send(
        &self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<http::Response<WasiBody>, Error> {
        // A forwarding proxy reads its credentials from each request (a tunnel's go in the
        // `CONNECT`); added here, after signing, they are in no signature.
        if let Some(auth) = self.0.connector.forward_auth(request.uri()) {
            request
                .headers_mut()
                .insert(http::header::PROXY_AUTHORIZATION, auth);
        }
        send(&self.0.client, request, options).await
    }
}

async fn send(
    client: &Client<Connector, WasiBody>,
    mut request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> Result<http::Response<WasiBody>, Error> {
    if request.uri().authority().is_none() {
        return Err(Error::HttpRequestUriInvalid);
    }
    let timeouts = Timeouts::of(options);
    let captured = capture_connection(&mut request);
    let sending = with_connect_timeout(timeouts.connect, client.request(request));
    // The first-byte timeout runs from when the request has its connection (pooled or new).
    let mut connected = captured.clone();
    let first_byte = async {
        drop(connected.wait_for_connection_metadata().await);
        tokio::time::sleep(timeouts.first_byte).await;
    };
    let sent = tokio::select! {
        biased;
        sent = sending => sent,
        // Dropping the request's future closes its connection.
        () = first_byte => return Err(Error::ConnectionReadTimeout),
    };
    let replies = replies(&captured);
    let response = match sent {
        Ok(response) => response,
        Err(error) => {
            let reused = replies.is_some_and(|r| r.reused());
            return Err(failure(&error, reused));
        }
    };
    if let Some(replies) = replies {
        replies.add();
    }
    let mut between_bytes = tokio::time::interval(timeouts.between_bytes);
    between_bytes.reset();
    Ok(response.map(|incoming| {
        TimedBody {
            incoming,
            between_bytes,
        }
        .boxed_unsync()
    }))
}

/// The reply count of the connection the request went out on, if it got one.
fn replies(captured: &CaptureConnection) -> Option<Replies> {
    let connected = captured.connection_metadata();
    let mut extras = http::Extensions::new();
    connected.as_ref()?.get_extras(&mut extras);
    extras.remove::<Replies>()
}

/// The error `default_send_request` gives for what made the client fail.
fn failure(error: &hyper_util::client::legacy::Error, reused: bool) -> Error {
    let source = std::error::Error::source(error);
    if let Some(failed) = source.and_then(|s| s.downcast_ref::<ConnectFailed>()) {
        return failed.to_wasi();
    }
    match source.and_then(|s| s.downcast_ref::<hyper::Error>()) {
        Some(error) if reused && dropped(error) => Error::ConnectionTerminated,
        // What `Error::Hyper` becomes for the component: a hyper error carries no `wasi:http`
        // error code, and the hooks leave `p2_error_from_hyper` at its default.
        _ => Error::HttpProtocolError,
    }
}

/// Whether a send failed because the connection went away (EOF, reset, abort).
fn dropped(error: &hyper::Error) -> bool {
    if error.is_incomplete_message() || error.is_canceled() || error.is_closed() {
        return true;
    }
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind;
            return matches!(
                io.kind(),
                ErrorKind::ConnectionReset
                    | ErrorKind::ConnectionAborted
                    | ErrorKind::BrokenPipe
                    | ErrorKind::UnexpectedEof
            );
        }
        source = cause.source();
    }
    false
}

/// The request's timeouts, as `default_send_request` reads them.
struct Timeouts {
    connect: Duration,
    first_byte: Duration,
    between_bytes: Duration,
}

impl Timeouts {
    fn of(options: Option<RequestOptions>) -> Self {
        let options = options.unwrap_or_default();
        Timeouts {
            connect: options.connect_timeout.unwrap_or(UNSET_TIMEOUT),
            first_byte: options.first_byte_timeout.unwrap_or(UNSET_TIMEOUT),
            // Tokio panics on a zero interval; 1 ns is as good as zero.
            between_bytes: options
                .between_bytes_timeout
                .unwrap_or(UNSET_TIMEOUT)
                .max(Duration::from_nanos(1)),
        }
    }
}

/// A response body that enforces the between-bytes timeout, as `default_send_request`'s does.
struct TimedBody {
    incoming: Incoming,
    between_bytes: tokio::time::Interval,
}

impl Body for TimedBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.as_mut().get_mut();
        match Pin::new(&mut this.incoming).poll_frame(cx) {
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(if error.is_timeout() {
                Error::HttpResponseTimeout
            } else {
                Error::from(error)
            }))),
            Poll::Ready(Some(Ok(frame))) => {
                this.between_bytes.reset();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                ready!(this.between_bytes.poll_tick(cx));
                Poll::Ready(Some(Err(Error::ConnectionReadTimeout)))
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.incoming.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::Instant;

    use http_body_util::Empty;

    fn request(url: &str) -> http::Request<WasiBody> {
        let body = Empty::new().map_err(|never| match never {}).boxed_unsync();
        http::Request::post(url).body(body).unwrap()
    }

    fn options(connect: u64, first_byte: u64) -> Option<RequestOptions> {
        Some(RequestOptions {
            connect_timeout: Some(Duration::from_millis(connect)),
            first_byte_timeout: Some(Duration::from_millis(first_byte)),
            between_bytes_timeout: Some(Duration::from_secs(5)),
        })
    }

    /// A loopback listener that hands each accepted connection to `serve` on its own thread.
    fn listen(serve: fn(std::net::TcpStream)) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || serve(stream));
            }
        });
        port
    }

    fn read_request(stream: &mut std::net::TcpStream) {
        let mut buf = [0u8; 4096];
        let mut seen = Vec::new();
        while !seen.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    }

    #[test]
    fn unset_timeouts_are_default_send_requests() {
        let t = Timeouts::of(None);
        assert_eq!((t.connect, t.first_byte), (UNSET_TIMEOUT, UNSET_TIMEOUT));
        let t = Timeouts::of(Some(RequestOptions {
            connect_timeout: Some(Duration::from_secs(1)),
            first_byte_timeout: Some(Duration::from_secs(2)),
            between_bytes_timeout: Some(Duration::ZERO),
        }));
        assert_eq!(t.connect, Duration::from_secs(1));
        assert_eq!(t.first_byte, Duration::from_secs(2));
        assert_eq!(t.between_bytes, Duration::from_nanos(1));
    }

    #[tokio::test]
    async fn the_connect_timeout_bounds_the_tls_handshake() {
        // Accepts, reads the ClientHello, never answers.
        let port = listen(|mut stream| {
            let _ = stream.read(&mut [0u8; 4096]);
            std::thread::sleep(Duration::from_secs(5));
        });
        let started = Instant::now();
        let url = format!("https://localhost:{port}/");
        let error = PooledClient::direct()
            .send(request(&url), options(200, 5_000))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::ConnectionTimeout), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn connect_and_tls_failures_keep_default_send_requests_errors() {
        let closed = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = closed.local_addr().unwrap().port();
        drop(closed);
        let url = format!("http://127.0.0.1:{port}/");
        match PooledClient::direct()
            .send(request(&url), options(2_000, 2_000))
            .await
        {
            Err(Error::Connect(e)) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused),
            other => panic!("{other:?}"),
        }
        // Plain HTTP where TLS was expected.
        let port = listen(|mut stream| {
            let _ = stream.read(&mut [0u8; 4096]);
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n");
        });
        let url = format!("https://localhost:{port}/");
        let error = PooledClient::direct()
            .send(request(&url), options(2_000, 2_000))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Tls(_)), "{error:?}");
        let error = PooledClient::direct()
            .send(request("/no-authority"), None)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::HttpRequestUriInvalid), "{error:?}");
    }

    #[tokio::test]
    async fn a_server_that_never_answers_meets_the_first_byte_timeout() {
        let port = listen(|mut stream| {
            read_request(&mut stream);
            std::thread::sleep(Duration::from_secs(5));
        });
        let started = Instant::now();
        let url = format!("http://127.0.0.1:{port}/");
        let error = PooledClient::direct()
            .send(request(&url), options(2_000, 200))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::ConnectionReadTimeout), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_close_after_the_request_on_a_fresh_connection_is_not_a_dropped_connection() {
        // As `default_send_request`: only a reused connection's close is `ConnectionTerminated`.
        let port = listen(|mut stream| read_request(&mut stream));
        let url = format!("http://127.0.0.1:{port}/");
        let error = PooledClient::direct()
            .send(request(&url), options(2_000, 2_000))
            .await
            .unwrap_err();
        assert!(matches!(error, Error::HttpProtocolError), "{error:?}");
    }
}
