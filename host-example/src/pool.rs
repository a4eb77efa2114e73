//! The network upstream: HTTP/1.1 over kept-alive connections, one process-wide pool.
//!
//! `wasmtime_wasi_http::default_send_request` opens a TCP connection (and a TLS session) per
//! request; a warm lookup paid a handshake each time. [`send`] keeps connections alive instead
//! and hands them from request to request, and from session to session: the pool is a single
//! static, so the CLI's several-ids form and every session of an embedding process share warm
//! connections.
//!
//! - **Keyed by endpoint**: `(scheme, lower-case host, port)`, the triple the egress policy
//!   tells endpoints apart by, so a connection never carries requests for another endpoint.
//! - **Bounded**: a connection is kept at most [`IDLE_TIMEOUT`] (30 s) after its last reply, half
//!   the 60 s idle timeout of AWS's load balancers (a common server-side value), so the client
//!   nearly always gives a connection up before the server does; at most
//!   [`MAX_IDLE_PER_ENDPOINT`] idle connections per endpoint (the most recently used are kept).
//! - **Same connections as before**: TCP through tokio (with `TCP_NODELAY`, and `TCP_QUICKACK`
//!   after a read that leaves the reply incomplete, on Linux: see `Acking`), TLS through rustls with the `ring` provider and the
//!   `webpki-roots` trust anchors, SNI from the authority exactly as `default_send_request`
//!   derives it, HTTP/1.1 through hyper.
//! - **Same timeouts and errors**: connect (TCP, TLS handshake and HTTP handshake each bounded by
//!   it; `default_send_request` leaves the TLS handshake unbounded), first byte, and between
//!   body frames, with the error values `default_send_request` returns, so the component's
//!   retry logic classifies every failure as before.
//! - **Stale connections**: a connection the server closed while idle is noticed by its
//!   connection task and never handed out. If the close races a new request: when hyper had not
//!   written the request yet it gives it back, and it goes out once more on a fresh connection;
//!   when it had, the server may have acted on it, so it is not replayed here: a close or reset
//!   on a *reused* connection before any reply byte becomes `ConnectionTerminated`, which the
//!   component retries under its own retry rules and quota (on a fresh connection the error is
//!   what `default_send_request` gives).
//!
//! Connection tasks are spawned on the Tokio runtime that runs the `wasi:http` hook: with the
//! synchronous bindings that is `wasmtime-wasi`'s process-wide runtime, so they outlive the call,
//! the session and the thread that made them. A connection whose runtime has shut down reads as
//! closed and is dropped.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};
use std::task::{Context, Poll, ready};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::uri::Scheme;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::client::conn::http1::{self, SendRequest};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody};

use crate::reply_framing::ReplyFraming;

/// How long a connection stays in the pool after its last reply.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

/// The most idle connections kept per endpoint.
pub const MAX_IDLE_PER_ENDPOINT: usize = 8;

/// `default_send_request`'s timeout when the options leave one out (the hook always sets them).
const UNSET_TIMEOUT: Duration = Duration::from_secs(600);

/// Sends `request` over a pooled connection, honouring `options` as `default_send_request`
/// does, and returns the response with its body bound to the connection: the connection goes
/// back to the pool once that body has been read to its end.
pub async fn send(
    mut request: http::Request<WasiBody>,
    options: Option<RequestOptions>,
) -> Result<http::Response<WasiBody>, Error> {
    let endpoint = Endpoint::of(request.uri())?;
    let timeouts = Timeouts::of(options);
    // The request line holds the origin form only (no scheme or authority: no proxy here).
    *request.uri_mut() = http::Uri::builder()
        .path_and_query(request.uri().path_and_query().map_or("/", |p| p.as_str()))
        .build()
        .map_err(|_| Error::HttpRequestUriInvalid)?;

    if let Some(sender) = POOL.checkout(&endpoint.key, timeouts.connect).await {
        match exchange(sender, request, &endpoint, &timeouts, true).await {
            Ok(response) => return Ok(response),
            // The connection closed before hyper wrote anything: the request is intact.
            Err(Failed::NotSent(unsent, _)) => request = *unsent,
            Err(Failed::Error(error)) => return Err(error),
        }
    }
    let sender = connect(&endpoint, &timeouts).await?;
    match exchange(sender, request, &endpoint, &timeouts, false).await {
        Ok(response) => Ok(response),
        Err(Failed::NotSent(_, error)) => Err(Error::Hyper(error)),
        Err(Failed::Error(error)) => Err(error),
    }
}

/// Where a connection goes: the pool key, and what connecting needs.
struct Endpoint {
    key: Key,
    /// `host:port`, as `default_send_request` connects to it.
    authority: String,
    tls: bool,
}

/// `(scheme, lower-case host, port)`: the pool never hands a connection to another endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    scheme: String,
    host: String,
    port: u16,
}

impl Endpoint {
    fn of(uri: &http::Uri) -> Result<Self, Error> {
        let authority = uri.authority().ok_or(Error::HttpRequestUriInvalid)?;
        let tls = uri.scheme() == Some(&Scheme::HTTPS);
        let default_port = if tls { 443 } else { 80 };
        let port = authority.port_u16().unwrap_or(default_port);
        let key = Key {
            scheme: uri.scheme_str().unwrap_or("http").to_ascii_lowercase(),
            host: authority.host().to_ascii_lowercase(),
            port,
        };
        let authority = if authority.port().is_some() {
            authority.to_string()
        } else {
            format!("{authority}:{default_port}")
        };
        Ok(Endpoint {
            key,
            authority,
            tls,
        })
    }
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

trait Stream: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Sync + Unpin + 'static> Stream for T {}

/// The TLS client configuration of `default_send_request` (rustls, `ring`, the `webpki-roots`
/// anchors, no client certificate), built once.
static TLS: LazyLock<tokio_rustls::TlsConnector> = LazyLock::new(|| {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.into(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("the ring provider supports the default protocol versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
});

/// A new connection to `endpoint`, its connection task spawned.
async fn connect(endpoint: &Endpoint, timeouts: &Timeouts) -> Result<SendRequest<WasiBody>, Error> {
    let connecting = TcpStream::connect(endpoint.authority.as_str());
    let tcp = match tokio::time::timeout(timeouts.connect, connecting).await {
        Ok(tcp) => tcp.map_err(Error::Connect)?,
        Err(_) => return Err(Error::ConnectionTimeout),
    };
    // Requests are a few small writes; Nagle would hold the later ones for an ACK.
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Stream> = if endpoint.tls {
        let name = tls_server_name(&endpoint.authority)?;
        match tokio::time::timeout(timeouts.connect, TLS.connect(name, tcp)).await {
            Ok(tls) => Box::new(Acking {
                stream: tls.map_err(Error::Tls)?,
                framing: ReplyFraming::default(),
            }),
            Err(_) => return Err(Error::ConnectionTimeout),
        }
    } else {
        Box::new(Acking {
            stream: tcp,
            framing: ReplyFraming::default(),
        })
    };
    let (sender, connection) = tokio::time::timeout(
        timeouts.connect,
        http1::Builder::new().handshake(TokioIo::new(stream)),
    )
    .await
    .map_err(|_| Error::ConnectionTimeout)??;
    // The task reads and writes the socket for as long as the connection lives, between
    // requests too (that is how a close by the server is noticed); it ends when the server
    // closes, on an error, or when the pool drops the last `SendRequest`.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

/// A connection's stream that acknowledges a read at once (`TCP_QUICKACK`, on Linux) while the
/// reply it belongs to is incomplete. A server that writes a reply in pieces with Nagle's
/// algorithm on holds each piece until the previous one is acknowledged; on a kept-alive
/// connection the kernel delays that ACK (up to 40 ms) to piggyback it on the next request,
/// which cannot come before the reply is complete. A new connection starts in quick-ACK mode,
/// which is why one connection per request never met this. Once the reply is complete the ACK
/// is left to ride on the next request: see [`crate::reply_framing`]. Wraps the plain-text
/// side (outside TLS), where the reply's framing can be read.
struct Acking<S> {
    stream: S,
    framing: ReplyFraming,
}

/// A stream over one TCP socket.
trait OverTcp {
    fn tcp(&self) -> &TcpStream;
}

impl OverTcp for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
}

impl OverTcp for tokio_rustls::client::TlsStream<TcpStream> {
    fn tcp(&self) -> &TcpStream {
        self.get_ref().0
    }
}

impl<S: OverTcp + AsyncRead + Unpin> AsyncRead for Acking<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let this = self.get_mut();
        let read = Pin::new(&mut this.stream).poll_read(cx, buf);
        if matches!(read, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            let incomplete = this.framing.read(&buf.filled()[before..]);
            #[cfg(any(target_os = "linux", target_os = "android"))]
            if incomplete {
                let _ = socket2::SockRef::from(this.stream.tcp()).set_tcp_quickack(true);
            }
            #[cfg(not(any(target_os = "linux", target_os = "android")))]
            let _ = incomplete;
        }
        read
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Acking<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.stream).poll_write(cx, buf);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.framing.request_sent();
        }
        written
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let this = self.get_mut();
        let written = Pin::new(&mut this.stream).poll_write_vectored(cx, bufs);
        if matches!(written, Poll::Ready(Ok(n)) if n > 0) {
            this.framing.request_sent();
        }
        written
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}

/// The rustls server name for a `host:port` authority: `default_send_request`'s rule (an IP
/// literal, bracketed for IPv6, or the host name without the port).
fn tls_server_name(
    authority: &str,
) -> Result<rustls::pki_types::ServerName<'static>, rustls::pki_types::InvalidDnsNameError> {
    use rustls::pki_types::ServerName;
    if let Ok(addr) = authority.parse::<std::net::SocketAddr>() {
        return Ok(ServerName::from(addr.ip()));
    }
    let host = authority
        .split_once(':')
        .map_or(authority, |(host, _)| host);
    Ok(ServerName::try_from(host)?.to_owned())
}

/// Why an exchange failed.
enum Failed {
    /// The connection closed before the request was written: it can go out again.
    NotSent(Box<http::Request<WasiBody>>, hyper::Error),
    /// Anything else, as the component will see it.
    Error(Error),
}

/// One request on `sender`'s connection, bounded by the first-byte timeout.
async fn exchange(
    mut sender: SendRequest<WasiBody>,
    request: http::Request<WasiBody>,
    endpoint: &Endpoint,
    timeouts: &Timeouts,
    reused: bool,
) -> Result<http::Response<WasiBody>, Failed> {
    // On a timeout the send future is dropped, and hyper closes the connection with it.
    let sent = tokio::time::timeout(timeouts.first_byte, sender.try_send_request(request)).await;
    let response = match sent {
        Err(_) => return Err(Failed::Error(Error::ConnectionReadTimeout)),
        Ok(Ok(response)) => response,
        Ok(Err(mut failure)) => {
            if let Some(request) = failure.take_message() {
                return Err(Failed::NotSent(Box::new(request), failure.into_error()));
            }
            let error = failure.into_error();
            return Err(Failed::Error(if reused && dropped(&error) {
                Error::ConnectionTerminated
            } else {
                Error::Hyper(error)
            }));
        }
    };
    let mut between_bytes = tokio::time::interval(timeouts.between_bytes);
    between_bytes.reset();
    let checkin = Some(Checkin {
        key: endpoint.key.clone(),
        sender,
    });
    Ok(response.map(|incoming| {
        PooledBody {
            incoming,
            between_bytes,
            checkin,
        }
        .boxed_unsync()
    }))
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

/// A connection on its way back to the pool.
struct Checkin {
    key: Key,
    sender: SendRequest<WasiBody>,
}

/// A response body that enforces the between-bytes timeout (as `default_send_request`'s does)
/// and returns its connection to the pool when it has been read to the end. Dropped earlier, it
/// drops the connection too: hyper cannot reuse a connection with an unread reply on it.
struct PooledBody {
    incoming: Incoming,
    between_bytes: tokio::time::Interval,
    checkin: Option<Checkin>,
}

impl Body for PooledBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        let this = self.as_mut().get_mut();
        match Pin::new(&mut this.incoming).poll_frame(cx) {
            Poll::Ready(None) => {
                if let Some(checkin) = this.checkin.take() {
                    POOL.checkin(checkin);
                }
                Poll::Ready(None)
            }
            Poll::Ready(Some(Err(error))) => {
                this.checkin = None;
                Poll::Ready(Some(Err(if error.is_timeout() {
                    Error::HttpResponseTimeout
                } else {
                    Error::from(error)
                })))
            }
            Poll::Ready(Some(Ok(frame))) => {
                this.between_bytes.reset();
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Pending => {
                ready!(this.between_bytes.poll_tick(cx));
                this.checkin = None;
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

impl Drop for PooledBody {
    fn drop(&mut self) {
        // Read to the end, or never polled to `None` but complete (`content-length` reached).
        if let Some(checkin) = self.checkin.take()
            && self.incoming.is_end_stream()
        {
            POOL.checkin(checkin);
        }
    }
}

/// The process-wide pool.
static POOL: LazyLock<Pool> = LazyLock::new(Pool::default);

#[derive(Default)]
struct Pool {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Per endpoint, oldest first.
    idle: HashMap<Key, Vec<Idle>>,
    /// Whether a task is dropping expired connections.
    reaper: bool,
}

struct Idle {
    sender: SendRequest<WasiBody>,
    since: Instant,
}

impl Idle {
    fn expired(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.since) >= IDLE_TIMEOUT || self.sender.is_closed()
    }
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state stays consistent whatever panicked while holding it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The most recently used live connection to `key`, ready for a request; `None` if there
    /// is none. A connection that does not become ready within `bound` is dropped.
    async fn checkout(&self, key: &Key, bound: Duration) -> Option<SendRequest<WasiBody>> {
        loop {
            let mut idle = {
                let mut state = self.lock();
                let entries = state.idle.get_mut(key)?;
                let now = Instant::now();
                entries.retain(|entry| !entry.expired(now));
                let idle = entries.pop();
                if entries.is_empty() {
                    state.idle.remove(key);
                }
                idle?
            };
            if let Ok(Ok(())) = tokio::time::timeout(bound, idle.sender.ready()).await {
                return Some(idle.sender);
            }
        }
    }

    /// Keeps a connection whose reply has been read, for the next request to its endpoint.
    fn checkin(&'static self, checkin: Checkin) {
        if checkin.sender.is_closed() {
            return;
        }
        let mut state = self.lock();
        let entries = state.idle.entry(checkin.key).or_default();
        entries.push(Idle {
            sender: checkin.sender,
            since: Instant::now(),
        });
        if entries.len() > MAX_IDLE_PER_ENDPOINT {
            entries.remove(0);
        }
        if !state.reaper
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            state.reaper = true;
            runtime.spawn(self.reap());
        }
    }

    /// Drops connections idle for [`IDLE_TIMEOUT`] (closing their sockets) until none is left.
    async fn reap(&'static self) {
        /// Clears the flag if the task is dropped without finishing (its runtime shut down).
        struct Running(&'static Pool);
        impl Drop for Running {
            fn drop(&mut self) {
                self.0.lock().reaper = false;
            }
        }
        let running = Running(self);
        loop {
            let next = {
                let mut state = self.lock();
                let now = Instant::now();
                state.idle.retain(|_, entries| {
                    entries.retain(|entry| !entry.expired(now));
                    !entries.is_empty()
                });
                let oldest = state.idle.values().flatten().map(|e| e.since).min();
                if oldest.is_none() {
                    state.reaper = false;
                    std::mem::forget(running);
                    return;
                }
                oldest
            };
            if let Some(since) = next {
                tokio::time::sleep_until((since + IDLE_TIMEOUT).into()).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn endpoint(url: &str) -> Endpoint {
        Endpoint::of(&url.parse().unwrap()).unwrap()
    }

    #[test]
    fn keys_tell_endpoints_apart_as_the_policy_does() {
        let a = endpoint("https://SSM.eu-west-1.amazonaws.com/");
        assert_eq!(
            a.key,
            Key {
                scheme: "https".into(),
                host: "ssm.eu-west-1.amazonaws.com".into(),
                port: 443
            }
        );
        assert_eq!(a.authority, "SSM.eu-west-1.amazonaws.com:443");
        assert!(a.tls);
        assert_eq!(
            a.key,
            endpoint("https://ssm.eu-west-1.amazonaws.com:443/x").key
        );
        assert_ne!(
            a.key,
            endpoint("http://ssm.eu-west-1.amazonaws.com:443/").key
        );
        assert_ne!(
            a.key,
            endpoint("https://ssm.eu-west-1.amazonaws.com:8443/").key
        );
        assert_ne!(a.key, endpoint("https://ssm.us-east-1.amazonaws.com/").key);
        let local = endpoint("http://127.0.0.1:5000/");
        assert_eq!(
            (local.authority.as_str(), local.tls),
            ("127.0.0.1:5000", false)
        );
        assert_eq!(endpoint("http://[::1]/").authority, "[::1]:80");
    }

    #[test]
    fn server_names_as_default_send_request_derives_them() {
        use rustls::pki_types::ServerName;
        assert_eq!(
            tls_server_name("ssm.eu-west-1.amazonaws.com:443").unwrap(),
            ServerName::try_from("ssm.eu-west-1.amazonaws.com").unwrap()
        );
        assert_eq!(
            tls_server_name("[::1]:443").unwrap(),
            ServerName::from(std::net::Ipv6Addr::LOCALHOST)
        );
        assert_eq!(
            tls_server_name("127.0.0.1:443").unwrap(),
            ServerName::from(std::net::Ipv4Addr::LOCALHOST)
        );
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
}
