//! How the network upstream's client ([`crate::pool`]) opens a connection: TCP through
//! hyper-util's `HttpConnector` (with `TCP_NODELAY`), straight to the destination or to the
//! proxy that intercepts it ([`crate::proxy`]: hyper-util's `CONNECT` [`Tunnel`] for HTTPS, an
//! absolute-form request for plain HTTP); TLS through `hyper-rustls` with what
//! `wasmtime-wasi-http`'s default sender uses (rustls, the `ring` provider, SNI from the host)
//! and the roots of the client's [`crate::trust::Trust`]; the whole of it bounded by the
//! request's connect timeout, the result wrapped in [`QuickAck`] and [`Counted`].
//!
//! A failure is a [`ConnectFailed`], which tells the TCP, TLS and timeout cases apart so that the
//! component sees the error codes `default_send_request` gives for them (a refused or unresolved
//! connection is retried, a TLS failure is not).

use std::error::Error as StdError;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder, MaybeHttpsStream};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::client::proxy::matcher::{Intercept, Matcher};
use hyper_util::rt::TokioIo;
use rustls::RootCertStore;
use rustls::pki_types::InvalidDnsNameError;
use tokio::net::TcpStream;
use tower_service::Service;
use wasmtime_wasi_http::Error;

use crate::quick_ack::{OverTcp, QuickAck};

type BoxError = Box<dyn StdError + Send + Sync>;

/// What hyper-rustls yields: plain TCP or TLS over it.
type Tls = MaybeHttpsStream<TokioIo<TcpStream>>;

/// A connection's stream, as the client reads and writes it.
pub type Stream = Counted<TokioIo<QuickAck<TokioIo<Tls>>>>;

/// `default_send_request`'s connect timeout when none is set (the hook always sets one).
pub const UNSET_TIMEOUT: Duration = Duration::from_secs(600);

tokio::task_local! {
    /// The connect timeout of the request being sent, for the connector it starts.
    static CONNECT_TIMEOUT: Duration;
}

/// Runs `sending` (a request through the client) with `connect` bounding any connection it
/// opens: TCP and the TLS handshake together. hyper-util starts a connection inside the
/// request's future, where the bound is read; a connection it finishes in the background (an
/// idle one came back first) keeps the bound it started with.
pub async fn with_connect_timeout<F: Future>(connect: Duration, sending: F) -> F::Output {
    CONNECT_TIMEOUT.scope(connect, sending).await
}

/// The connector of one pooled client: one trust, one proxy configuration.
#[derive(Clone)]
pub struct Connector {
    https: HttpsConnector<Route>,
    proxy: Option<Arc<Matcher>>,
}

impl Connector {
    /// TCP and TLS as `wasmtime-wasi-http`'s default sender sets them up, trusting `roots`, through
    /// the proxies of `proxy`.
    pub fn new(roots: RootCertStore, proxy: Option<Matcher>) -> Self {
        let mut http = HttpConnector::new();
        // `https` URIs are TLS's job, above this connector.
        http.enforce_http(false);
        // Requests are a few small writes; Nagle would hold the later ones for an ACK.
        http.set_nodelay(true);
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let proxy = proxy.map(Arc::new);
        let https = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(Route {
                tcp: Tcp(http),
                proxy: proxy.clone(),
            });
        Connector { https, proxy }
    }

    /// Whether a plain-HTTP request to `uri` goes to a proxy, which then wants it in absolute
    /// form.
    fn forwards(&self, uri: &Uri) -> bool {
        self.forwarded_to(uri).is_some()
    }

    /// The proxy a plain-HTTP request to `uri` is forwarded by.
    fn forwarded_to(&self, uri: &Uri) -> Option<Intercept> {
        if uri.scheme_str() != Some("http") {
            return None;
        }
        self.proxy.as_deref()?.intercept(uri)
    }

    /// The `Proxy-Authorization` a plain-HTTP request to `uri` carries to its forwarding proxy.
    pub fn forward_auth(&self, uri: &Uri) -> Option<http::HeaderValue> {
        self.forwarded_to(uri)?.basic_auth().cloned()
    }
}

impl Service<Uri> for Connector {
    type Response = Stream;
    type Error = ConnectFailed;
    type Future = Pin<Box<dyn Future<Output = Result<Stream, ConnectFailed>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ConnectFailed>> {
        self.https.poll_ready(cx).map_err(ConnectFailed::of)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let bound = CONNECT_TIMEOUT
            .try_with(|bound| *bound)
            .unwrap_or(UNSET_TIMEOUT);
        let proxied = self.forwards(&uri);
        let connecting = self.https.call(uri);
        Box::pin(async move {
            match tokio::time::timeout(bound, connecting).await {
                Err(_) => Err(ConnectFailed::Timeout),
                Ok(Err(error)) => Err(ConnectFailed::of(error)),
                Ok(Ok(stream)) => Ok(Counted::new(
                    TokioIo::new(QuickAck::new(TokioIo::new(stream))),
                    proxied,
                )),
            }
        })
    }
}

impl OverTcp for TokioIo<Tls> {
    fn tcp(&self) -> &TcpStream {
        match self.inner() {
            MaybeHttpsStream::Http(tcp) => tcp.inner(),
            MaybeHttpsStream::Https(tls) => tls.inner().get_ref().0.inner().inner(),
        }
    }
}

/// The TCP connection under TLS: to the destination, or to the proxy that intercepts it (a
/// `CONNECT` tunnel through it for HTTPS).
#[derive(Clone)]
pub struct Route {
    tcp: Tcp,
    proxy: Option<Arc<Matcher>>,
}

impl Service<Uri> for Route {
    type Response = TokioIo<TcpStream>;
    type Error = TcpFailed;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, TcpFailed>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), TcpFailed>> {
        self.tcp.poll_ready(cx)
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        let Some(proxy) = self.proxy.as_deref().and_then(|m| m.intercept(&dst)) else {
            return self.tcp.call(dst);
        };
        if dst.scheme_str() != Some("https") {
            return self.tcp.call(proxy.uri().clone());
        }
        let shown = proxy
            .uri()
            .authority()
            .map(ToString::to_string)
            .unwrap_or_default();
        let mut tunnel = Tunnel::new(proxy.uri().clone(), self.tcp.clone());
        if let Some(auth) = proxy.basic_auth() {
            tunnel = tunnel.with_auth(auth.clone());
        }
        let target = dst.authority().map(ToString::to_string).unwrap_or_default();
        let tunnelling = tunnel.call(dst);
        Box::pin(async move {
            tunnelling
                .await
                .map_err(|error| TcpFailed::tunnel(&shown, &target, &error))
        })
    }
}

/// hyper-util's TCP connector, its failures marked as TCP's (hyper-rustls passes them on
/// boxed, next to its own TLS failures).
#[derive(Clone)]
pub struct Tcp(HttpConnector);

impl Service<Uri> for Tcp {
    type Response = TokioIo<TcpStream>;
    type Error = TcpFailed;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, TcpFailed>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), TcpFailed>> {
        self.0.poll_ready(cx).map_err(TcpFailed::of)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.0.call(uri);
        Box::pin(async move { connecting.await.map_err(TcpFailed::of) })
    }
}

/// Resolving or connecting failed: the I/O error underneath.
#[derive(Debug)]
pub struct TcpFailed(io::Error);

impl TcpFailed {
    fn of(error: impl StdError + 'static) -> Self {
        TcpFailed(find_io(&error).map_or_else(|| io::Error::other(error.to_string()), copy))
    }

    /// A `CONNECT` through the proxy at `proxy` (its host and port only) to `target` failed:
    /// the I/O error underneath when there is one (the proxy refused the TCP connection, ...),
    /// else hyper-util's words for what the proxy answered (`proxy authorization required`,
    /// `unsuccessful`).
    fn tunnel(proxy: &str, target: &str, error: &(dyn StdError + 'static)) -> Self {
        let (kind, why) = match find_io(error) {
            Some(io) => (io.kind(), io.to_string()),
            None => (io::ErrorKind::ConnectionRefused, error.to_string()),
        };
        TcpFailed(io::Error::new(
            kind,
            format!("proxy {proxy}, CONNECT {target}: {why}"),
        ))
    }
}

impl std::fmt::Display for TcpFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl StdError for TcpFailed {}

/// Why a connection could not be opened.
#[derive(Debug)]
pub enum ConnectFailed {
    /// Not within the connect timeout.
    Timeout,
    /// Resolving the host or connecting to it.
    Tcp(io::Error),
    /// The host is not a name a certificate can be checked against.
    ServerName,
    /// The TLS handshake (or anything else hyper-rustls reports).
    Tls(io::Error),
}

impl ConnectFailed {
    fn of(error: BoxError) -> Self {
        let error = match error.downcast::<TcpFailed>() {
            Ok(tcp) => return ConnectFailed::Tcp(tcp.0),
            Err(other) => other,
        };
        if error.is::<InvalidDnsNameError>() {
            return ConnectFailed::ServerName;
        }
        match error.downcast::<io::Error>() {
            Ok(tls) => ConnectFailed::Tls(*tls),
            Err(other) => ConnectFailed::Tls(io::Error::other(other.to_string())),
        }
    }

    /// The error `default_send_request` returns for the same failure.
    pub fn to_wasi(&self) -> Error {
        match self {
            ConnectFailed::Timeout => Error::ConnectionTimeout,
            ConnectFailed::Tcp(error) => Error::Connect(copy(error)),
            ConnectFailed::ServerName => Error::InvalidDnsNameError(InvalidDnsNameError),
            ConnectFailed::Tls(error) => Error::Tls(copy(error)),
        }
    }
}

impl std::fmt::Display for ConnectFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConnectFailed::Timeout => f.write_str("connect timeout"),
            ConnectFailed::Tcp(error) => write!(f, "connect: {error}"),
            ConnectFailed::ServerName => f.write_str("invalid DNS name"),
            ConnectFailed::Tls(error) => write!(f, "TLS: {error}"),
        }
    }
}

impl StdError for ConnectFailed {}

/// The first I/O error in `error`'s chain.
fn find_io<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a io::Error> {
    let mut next = Some(error);
    while let Some(cause) = next {
        if let Some(io) = cause.downcast_ref::<io::Error>() {
            return Some(io);
        }
        next = cause.source();
    }
    None
}

/// An I/O error with the same kind and text (`wasmtime-wasi-http` maps by both).
fn copy(error: &io::Error) -> io::Error {
    io::Error::new(error.kind(), error.to_string())
}

/// How many replies a connection has carried, shared by its stream and every request on it
/// (hyper-util hands it out as the connection's `Connected::extra`).
#[derive(Clone, Default, Debug)]
pub struct Replies(Arc<AtomicU64>);

impl Replies {
    /// One more reply arrived.
    pub fn add(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    /// Whether a reply arrived before: the connection came from the pool.
    pub fn reused(&self) -> bool {
        self.0.load(Ordering::Relaxed) > 0
    }
}

/// A connection's stream with its [`Replies`], and whether it goes to a forwarding proxy.
pub struct Counted<S> {
    stream: S,
    replies: Replies,
    proxied: bool,
}

impl<S> Counted<S> {
    fn new(stream: S, proxied: bool) -> Self {
        Counted {
            stream,
            replies: Replies::default(),
            proxied,
        }
    }
}

impl<S: Connection> Connection for Counted<S> {
    fn connected(&self) -> Connected {
        self.stream
            .connected()
            .proxy(self.proxied)
            .extra(self.replies.clone())
    }
}

impl<S: Read + Unpin> Read for Counted<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_read(cx, buf)
    }
}

impl<S: Write + Unpin> Write for Counted<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }
}
