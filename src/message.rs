//! The HTTP messages the core sends and reads: the `http` crate's [`http::Request`] and
//! [`http::Response`] with the whole body as bytes. Requests are built here, addressed to an
//! endpoint with the `host` header their signature covers, and every header value the core
//! sets passes [`header_value`], which marks credentials sensitive: `Debug` of a request shows
//! them as `Sensitive`. Per-request timeouts travel as a request extension
//! ([`RequestTimeouts`]). A leaf: it imports nothing of this crate but the endpoint it is
//! addressed to and the error it fails with.

use std::time::Duration;

use http::header::{CONTENT_LENGTH, HOST, HeaderName, HeaderValue};
use http::{Method, Uri};

use crate::endpoint::Endpoint;
use crate::error::{Error, quoted};

/// A request with its whole body.
pub type Request = http::Request<Vec<u8>>;

/// A whole reply: status, headers and the body the transport read.
pub type Response = http::Response<Vec<u8>>;

/// The largest reply body the core accepts (SSM values are at most 8 KB).
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// The session token of temporary credentials, sent with a signed request.
pub const X_AMZ_SECURITY_TOKEN: HeaderName = HeaderName::from_static("x-amz-security-token");

/// The IMDSv2 session token.
pub const X_AWS_EC2_METADATA_TOKEN: HeaderName =
    HeaderName::from_static("x-aws-ec2-metadata-token");

/// Headers whose values are credentials: marked sensitive, so `Debug` hides them. Names as
/// text: a `const` array of `HeaderName`s would be built and dropped at every use.
const SENSITIVE: [&str; 3] = [
    "authorization",
    "x-amz-security-token",
    "x-aws-ec2-metadata-token",
];

/// Per-request timeouts (credential endpoints such as IMDS want seconds, not SSM's minute),
/// carried in the request's extensions; without them the transport's own (botocore's 60 s
/// each) apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestTimeouts {
    /// Connecting.
    pub connect: Duration,
    /// Waiting for the reply (first byte, and between bytes).
    pub read: Duration,
}

/// A request to `path_and_query` under `endpoint`'s scheme and authority, with the `host`
/// header set (signed as such; a transport may have to move it into the authority), then
/// `headers`, and `content-length` when the method is not `GET`.
pub fn request(
    method: Method,
    endpoint: &Endpoint,
    path_and_query: &str,
    headers: &[(HeaderName, &str)],
    body: Vec<u8>,
) -> Result<Request, Error> {
    let uri = Uri::builder()
        .scheme(endpoint.scheme())
        .authority(endpoint.authority())
        .path_and_query(path_and_query)
        .build()
        .map_err(|_| {
            let target = format!("{}{path_and_query}", endpoint.authority());
            Error::configuration(format!("{} is not a valid request target", quoted(&target)))
        })?;
    let mut request = http::Request::new(body);
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    let length = (request.method() != Method::GET).then(|| request.body().len().to_string());
    let fields = request.headers_mut();
    fields.insert(HOST, header_value(&HOST, endpoint.authority())?);
    for (name, value) in headers {
        fields.append(name.clone(), header_value(name, value)?);
    }
    if let Some(length) = length {
        fields.insert(CONTENT_LENGTH, header_value(&CONTENT_LENGTH, &length)?);
    }
    Ok(request)
}

/// `value` as the value of the header `name`, marked sensitive when `name` carries a
/// credential. Refused (naming the header, never the value) when it holds a character a header
/// cannot carry (a control character other than tab).
pub fn header_value(name: &HeaderName, value: impl AsRef<[u8]>) -> Result<HeaderValue, Error> {
    let mut value = HeaderValue::from_bytes(value.as_ref()).map_err(|_| {
        Error::invalid_value(format!(
            "the {name} header's value has a character a header cannot carry"
        ))
    })?;
    value.set_sensitive(SENSITIVE.contains(&name.as_str()));
    Ok(value)
}

#[cfg(test)]
mod tests {
    use http::header::AUTHORIZATION;

    use super::*;

    #[test]
    fn debug_hides_credential_headers() {
        let endpoint = Endpoint::parse("https://h.example", "test").unwrap();
        let request = request(
            Method::POST,
            &endpoint,
            "/",
            &[
                (AUTHORIZATION, "AWS4-HMAC-SHA256 Signature=SECRETSIG"),
                (X_AMZ_SECURITY_TOKEN, "TOKENVALUE"),
                (X_AWS_EC2_METADATA_TOKEN, "IMDSTOKEN"),
            ],
            b"{}".to_vec(),
        )
        .unwrap();
        let shown = format!("{request:?}");
        for secret in ["SECRETSIG", "TOKENVALUE", "IMDSTOKEN"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("h.example"), "{shown}");
        assert_eq!(request.headers()["content-length"], "2");
    }

    #[test]
    fn path_query_and_url() {
        let endpoint = Endpoint::parse("http://127.0.0.1:5000", "test").unwrap();
        let request = request(Method::GET, &endpoint, "/a/b?x=1&y", &[], Vec::new()).unwrap();
        assert_eq!(request.uri().path(), "/a/b");
        assert_eq!(request.uri().query(), Some("x=1&y"));
        assert_eq!(request.uri(), "http://127.0.0.1:5000/a/b?x=1&y");
        assert_eq!(request.headers()["host"], "127.0.0.1:5000");
        assert_eq!(request.headers().get("content-length"), None);
    }

    #[test]
    fn repeated_headers_keep_their_order() {
        let endpoint = Endpoint::parse("https://h.example", "test").unwrap();
        let many = HeaderName::from_static("x-many");
        let request = request(
            Method::GET,
            &endpoint,
            "/",
            &[(many.clone(), "1"), (many.clone(), "2")],
            Vec::new(),
        )
        .unwrap();
        let values: Vec<_> = request.headers().get_all(&many).iter().collect();
        assert_eq!(values, ["1", "2"]);
        assert_eq!(
            request.headers()["X-Many"],
            "1",
            "names are case-insensitive"
        );
    }

    #[test]
    fn unusable_values_and_targets_are_errors_without_the_value() {
        let endpoint = Endpoint::parse("https://h.example", "test").unwrap();
        let error = request(
            Method::GET,
            &endpoint,
            "/",
            &[(AUTHORIZATION, "SECRET\r\nx-injected: 1")],
            Vec::new(),
        )
        .unwrap_err();
        assert!(!error.to_string().contains("SECRET"), "{error}");
        assert!(error.to_string().contains("authorization"), "{error}");
        let error = request(Method::GET, &endpoint, "/a b", &[], Vec::new()).unwrap_err();
        assert!(error.to_string().contains("h.example/a b"), "{error}");
    }
}
