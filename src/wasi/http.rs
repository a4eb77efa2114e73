//! [`Transport`] over `wasi:http/outgoing-handler`: one blocking request/response exchange, with
//! timeouts passed as request options and the reply body read up to a bound. The only code
//! that turns the core's `http` messages into `wasi:http` resources and back.

use std::time::Duration;

use http::header::HeaderName;
use http::{HeaderMap, StatusCode};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, HeaderError, IncomingBody, Method, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme,
};
use wasip2::io::streams::StreamError;

use crate::message::{MAX_RESPONSE_BYTES, Request, RequestTimeouts, Response, header_value};
use crate::platform::{Transport, TransportError};

/// botocore's default connect and read timeouts.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// The timeouts botocore uses by default (60 s each); the host may cap them further.
pub struct WasiTransport {
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
}

impl Default for WasiTransport {
    fn default() -> Self {
        WasiTransport {
            connect_timeout: DEFAULT_TIMEOUT,
            read_timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// A failure that another attempt will not fix.
fn fail(message: impl Into<String>) -> TransportError {
    TransportError {
        message: message.into(),
        retryable: false,
    }
}

/// A dropped connection or a timeout: worth another attempt.
fn transient(message: impl Into<String>) -> TransportError {
    TransportError {
        message: message.into(),
        retryable: true,
    }
}

/// The largest write `blocking-write-and-flush` accepts.
const WRITE_CHUNK: usize = 4096;

impl Transport for WasiTransport {
    fn send(&mut self, request: Request) -> Result<Response, TransportError> {
        let (connect_timeout, read_timeout) = request
            .extensions()
            .get::<RequestTimeouts>()
            .map_or((self.connect_timeout, self.read_timeout), |t| {
                (t.connect, t.read)
            });
        // `host` is forbidden in wasi:http: the authority carries it (and was signed as such).
        let headers: Vec<(String, Vec<u8>)> = request
            .headers()
            .iter()
            .filter(|(name, _)| *name != http::header::HOST)
            .map(|(name, value)| (name.as_str().to_string(), value.as_bytes().to_vec()))
            .collect();
        let fields = Fields::from_list(&headers).map_err(|e| {
            fail(match e {
                HeaderError::InvalidSyntax => "a request header was refused: invalid syntax",
                HeaderError::Forbidden => "a request header was refused: forbidden",
                HeaderError::Immutable => "a request header was refused: immutable",
            })
        })?;
        let outgoing = OutgoingRequest::new(fields);
        let method = match *request.method() {
            http::Method::GET => Method::Get,
            http::Method::POST => Method::Post,
            http::Method::PUT => Method::Put,
            http::Method::HEAD => Method::Head,
            ref other => Method::Other(other.as_str().to_string()),
        };
        let uri = request.uri();
        let scheme = match uri.scheme_str() {
            Some("http") => Scheme::Http,
            _ => Scheme::Https,
        };
        let authority = uri.authority().map(|a| a.as_str());
        let path_with_query = uri.path_and_query().map_or("/", |p| p.as_str());
        outgoing
            .set_method(&method)
            .and_then(|()| outgoing.set_scheme(Some(&scheme)))
            .and_then(|()| outgoing.set_authority(authority))
            .and_then(|()| outgoing.set_path_with_query(Some(path_with_query)))
            .map_err(|()| fail("the request line was refused"))?;

        // Timeouts travel only when configured: wasmtime-wasi-http 48 reads the
        // `request-options` a request passes and never deletes it from its resource table, so
        // each one stays for the life of the instance (~110 bytes a request). botocore's 60 s
        // defaults are what a host without options uses anyway, or more than its caps.
        let configured = connect_timeout != DEFAULT_TIMEOUT || read_timeout != DEFAULT_TIMEOUT;
        let options = configured.then(|| {
            let options = RequestOptions::new();
            // A host that does not support an option keeps its own; that is not an error.
            let _ = options.set_connect_timeout(Some(nanos(connect_timeout)));
            let _ = options.set_first_byte_timeout(Some(nanos(read_timeout)));
            let _ = options.set_between_bytes_timeout(Some(nanos(read_timeout)));
            options
        });

        let outgoing_body = outgoing
            .body()
            .map_err(|()| fail("the request body could not be opened"))?;
        let future = outgoing_handler::handle(outgoing, options).map_err(describe)?;
        // The reply cannot be there before the request has gone out: wait first, then look.
        let wait = || loop {
            future.subscribe().block();
            if let Some(result) = future.get() {
                break result;
            }
        };
        if let Err(write_error) = write_body(outgoing_body, request.body()) {
            // A refused or failed exchange closes the body stream; the reply says why.
            return Err(match wait() {
                Ok(Err(code)) => describe(code),
                _ => write_error,
            });
        }
        let incoming = wait()
            .map_err(|()| fail("the reply was already taken"))?
            .map_err(describe)?;

        let status = StatusCode::from_u16(incoming.status())
            .map_err(|_| fail("the reply's status is not an HTTP status"))?;
        let headers = reply_headers(incoming.headers().entries());
        let length = headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|n| n.to_str().ok()?.trim().parse::<usize>().ok());
        let body = read_body(
            incoming
                .consume()
                .map_err(|()| fail("the reply body could not be opened"))?,
            length,
        )?;
        let mut response = Response::new(body);
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        Ok(response)
    }
}

/// The reply's fields as a header map, credentials marked sensitive as in requests. A field
/// `http` refuses (a name or value no HTTP/1.1 reply can carry, which the host would not have
/// passed on) is left out: none of the fields the core reads can be one.
fn reply_headers(entries: Vec<(String, Vec<u8>)>) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(entries.len());
    for (name, value) in entries {
        let Ok(name) = HeaderName::from_bytes(name.as_bytes()) else {
            continue;
        };
        if let Ok(value) = header_value(&name, value) {
            headers.append(name, value);
        }
    }
    headers
}

/// Writes the whole body in chunks the stream accepts, then finishes it.
fn write_body(outgoing_body: OutgoingBody, body: &[u8]) -> Result<(), TransportError> {
    {
        let stream = outgoing_body
            .write()
            .map_err(|()| fail("the request body could not be written"))?;
        for chunk in body.chunks(WRITE_CHUNK) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| stream_error("writing the request body", e))?;
        }
    }
    OutgoingBody::finish(outgoing_body, None).map_err(describe)
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Reads the whole body, refusing more than [`MAX_RESPONSE_BYTES`]; with a `content-length`,
/// stops once it has that many bytes instead of asking the host once more for the end.
fn read_body(body: IncomingBody, length: Option<usize>) -> Result<Vec<u8>, TransportError> {
    let mut bytes = Vec::with_capacity(length.unwrap_or(0).min(MAX_RESPONSE_BYTES));
    {
        let stream = body
            .stream()
            .map_err(|()| fail("the reply body could not be read"))?;
        loop {
            match stream.blocking_read(64 * 1024) {
                Ok(chunk) => {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() > MAX_RESPONSE_BYTES {
                        return Err(fail(format!(
                            "the reply is larger than {MAX_RESPONSE_BYTES} bytes"
                        )));
                    }
                    if length == Some(bytes.len()) {
                        break;
                    }
                }
                Err(StreamError::Closed) => break,
                Err(e) => return Err(stream_error("reading the reply body", e)),
            }
        }
    }
    // Dropping the body ends it as `finish` would, without a trailers future to drop too.
    drop(body);
    Ok(bytes)
}

fn stream_error(doing: &str, e: StreamError) -> TransportError {
    match e {
        StreamError::Closed => transient(format!("the connection closed while {doing}")),
        StreamError::LastOperationFailed(err) => match wasip2::http::types::http_error_code(&err) {
            Some(code) => {
                let described = describe(code);
                TransportError {
                    message: format!("{doing}: {}", described.message),
                    ..described
                }
            }
            None => transient(format!("{doing} failed: {}", err.to_debug_string())),
        },
    }
}

/// A short description of a `wasi:http` error code, and whether it is worth retrying.
fn describe(code: ErrorCode) -> TransportError {
    match code {
        ErrorCode::HttpRequestDenied => {
            fail("the host refused the request: its endpoint is not allowed")
        }
        ErrorCode::ConnectionRefused => transient("connection refused"),
        ErrorCode::ConnectionTimeout => transient("timed out connecting"),
        ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
            transient("timed out waiting for the reply")
        }
        ErrorCode::ConnectionTerminated | ErrorCode::HttpResponseIncomplete => {
            transient("the connection was closed early")
        }
        ErrorCode::DnsError(_) => transient("DNS lookup failed"),
        ErrorCode::DnsTimeout => transient("DNS lookup timed out"),
        ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError
        | ErrorCode::TlsAlertReceived(_) => fail("TLS failed"),
        ErrorCode::HttpResponseBodySize(_) => fail("the reply is too large"),
        ErrorCode::InternalError(_) => transient("the host's HTTP client failed"),
        other => fail(format!("HTTP error {}", error_code_name(&other))),
    }
}

/// The `wasi:http` name of the error codes `describe` does not word itself.
fn error_code_name(code: &ErrorCode) -> &'static str {
    match code {
        ErrorCode::DestinationNotFound => "destination-not-found",
        ErrorCode::DestinationUnavailable => "destination-unavailable",
        ErrorCode::DestinationIpProhibited => "destination-IP-prohibited",
        ErrorCode::DestinationIpUnroutable => "destination-IP-unroutable",
        ErrorCode::ConnectionLimitReached => "connection-limit-reached",
        ErrorCode::ConnectionWriteTimeout => "connection-write-timeout",
        ErrorCode::HttpRequestLengthRequired => "HTTP-request-length-required",
        ErrorCode::HttpRequestBodySize(_) => "HTTP-request-body-size",
        ErrorCode::HttpRequestMethodInvalid => "HTTP-request-method-invalid",
        ErrorCode::HttpRequestUriInvalid => "HTTP-request-URI-invalid",
        ErrorCode::HttpRequestUriTooLong => "HTTP-request-URI-too-long",
        ErrorCode::HttpRequestHeaderSectionSize(_) => "HTTP-request-header-section-size",
        ErrorCode::HttpRequestHeaderSize(_) => "HTTP-request-header-size",
        ErrorCode::HttpRequestTrailerSectionSize(_) => "HTTP-request-trailer-section-size",
        ErrorCode::HttpRequestTrailerSize(_) => "HTTP-request-trailer-size",
        ErrorCode::HttpResponseHeaderSectionSize(_) => "HTTP-response-header-section-size",
        ErrorCode::HttpResponseHeaderSize(_) => "HTTP-response-header-size",
        ErrorCode::HttpResponseTrailerSectionSize(_) => "HTTP-response-trailer-section-size",
        ErrorCode::HttpResponseTrailerSize(_) => "HTTP-response-trailer-size",
        ErrorCode::HttpResponseTransferCoding(_) => "HTTP-response-transfer-coding",
        ErrorCode::HttpResponseContentCoding(_) => "HTTP-response-content-coding",
        ErrorCode::HttpUpgradeFailed => "HTTP-upgrade-failed",
        ErrorCode::HttpProtocolError => "HTTP-protocol-error",
        ErrorCode::LoopDetected => "loop-detected",
        ErrorCode::ConfigurationError => "configuration-error",
        _ => "another wasi:http error code",
    }
}
