//! The HTTP messages the core sends and reads: plain data (a request's method, URL parts,
//! headers, body and timeouts; a reply's status, headers and whole body). A leaf: it imports
//! nothing of this crate but the endpoint it is addressed to.
//!
//! The `http` crate's types did this before at ~40 KB of the component (header-name tables,
//! URI parsing) for the dozen headers the core ever sets or reads.

use std::fmt;
use std::time::Duration;

use crate::endpoint::Endpoint;

/// The largest reply body the core accepts (SSM values are at most 8 KB).
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Headers whose values are credentials: `Debug` shows them as `<redacted>`.
const SENSITIVE: [&str; 3] = [
    "authorization",
    "x-amz-security-token",
    "x-aws-ec2-metadata-token",
];

/// Header fields in order; names are lower-case ASCII, values visible ASCII (requests) or the
/// reply's bytes read as UTF-8 with replacement (replies).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Headers(Vec<(String, String)>);

impl Headers {
    /// The first value of `name` (lower-case).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Adds a field, keeping any of the same name.
    pub fn append(&mut self, name: impl Into<String>, value: impl Into<String>) {
        let mut name = name.into();
        name.make_ascii_lowercase();
        self.0.push((name, value.into()));
    }

    /// Sets `name` to `value`, replacing every field of that name.
    pub fn insert(&mut self, name: &str, value: impl Into<String>) {
        self.0.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
        self.append(name, value);
    }

    /// The fields, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// How many fields.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Headers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.0.iter().map(|(name, value)| {
                let shown = if SENSITIVE.contains(&name.as_str()) {
                    "<redacted>"
                } else {
                    value.as_str()
                };
                (name, shown)
            }))
            .finish()
    }
}

impl IntoIterator for Headers {
    type Item = (String, String);
    type IntoIter = std::vec::IntoIter<(String, String)>;

    /// The fields, in order, by value.
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl<N: Into<String>, V: Into<String>> FromIterator<(N, V)> for Headers {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(fields: I) -> Self {
        let mut headers = Headers::default();
        for (name, value) in fields {
            headers.append(name, value);
        }
        headers
    }
}

/// Per-request timeouts (credential endpoints such as IMDS want seconds, not SSM's minute).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestTimeouts {
    /// Connecting.
    pub connect: Duration,
    /// Waiting for the reply (first byte, and between bytes).
    pub read: Duration,
}

/// A request: `method scheme://authority path_and_query`, with its `host` header among the
/// headers (signed as such; a transport may have to move it into the authority).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST` or `PUT`.
    pub method: &'static str,
    /// `http` or `https`.
    pub scheme: String,
    /// `host[:port]`.
    pub authority: String,
    /// The path, starting with `/`, and any `?query`.
    pub path_and_query: String,
    /// The fields, `host` among them.
    pub headers: Headers,
    /// The whole body.
    pub body: Vec<u8>,
    /// `None`: the transport's own (botocore's 60 s each).
    pub timeouts: Option<RequestTimeouts>,
}

impl Request {
    /// A request to `path_and_query` under `endpoint`'s scheme and authority, with the `host`
    /// header set (and `content-length` when there is a body or the method is not `GET`).
    pub fn new(
        method: &'static str,
        endpoint: &Endpoint,
        path_and_query: impl Into<String>,
        body: Vec<u8>,
    ) -> Self {
        let mut headers = Headers::default();
        headers.append("host", endpoint.authority());
        if method != "GET" {
            headers.append("content-length", body.len().to_string());
        }
        Request {
            method,
            scheme: endpoint.scheme().to_string(),
            authority: endpoint.authority().to_string(),
            path_and_query: path_and_query.into(),
            headers,
            body,
            timeouts: None,
        }
    }

    /// The same request with `name: value` added.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.append(name, value);
        self
    }

    /// The path without its query.
    pub fn path(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or(self.path_and_query.as_str(), |(path, _)| path)
    }

    /// The query, without `?` (empty when there is none).
    pub fn query(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or("", |(_, query)| query)
    }

    /// `scheme://authority/path?query`.
    pub fn url(&self) -> String {
        format!(
            "{}://{}{}",
            self.scheme, self.authority, self.path_and_query
        )
    }
}

/// A whole reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The fields.
    pub headers: Headers,
    /// The whole body, read by the transport.
    pub body: Vec<u8>,
}

impl Response {
    /// A reply with `status` and `body` and no headers.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status,
            headers: Headers::default(),
            body: body.into(),
        }
    }

    /// The same reply with `name: value` added.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.append(name, value);
        self
    }

    /// 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_case_insensitive_by_lowering_names() {
        let mut headers: Headers = [("Content-Type", "a"), ("X-Many", "1"), ("x-many", "2")]
            .into_iter()
            .collect();
        assert_eq!(headers.get("content-type"), Some("a"));
        assert_eq!(headers.get("x-many"), Some("1"));
        headers.insert("X-MANY", "3");
        assert_eq!(
            headers.iter().collect::<Vec<_>>(),
            [("content-type", "a"), ("x-many", "3")]
        );
    }

    #[test]
    fn debug_hides_credential_headers() {
        let endpoint = Endpoint::parse("https://h.example", "test").unwrap();
        let request = Request::new("POST", &endpoint, "/", b"{}".to_vec())
            .header("authorization", "AWS4-HMAC-SHA256 Signature=SECRETSIG")
            .header("x-amz-security-token", "TOKENVALUE")
            .header("x-aws-ec2-metadata-token", "IMDSTOKEN");
        let shown = format!("{request:?}");
        for secret in ["SECRETSIG", "TOKENVALUE", "IMDSTOKEN"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert!(shown.contains("h.example"), "{shown}");
    }

    #[test]
    fn path_query_and_url() {
        let endpoint = Endpoint::parse("http://127.0.0.1:5000", "test").unwrap();
        let request = Request::new("GET", &endpoint, "/a/b?x=1&y", Vec::new());
        assert_eq!(request.path(), "/a/b");
        assert_eq!(request.query(), "x=1&y");
        assert_eq!(request.url(), "http://127.0.0.1:5000/a/b?x=1&y");
        assert_eq!(request.headers.get("host"), Some("127.0.0.1:5000"));
        assert_eq!(request.headers.get("content-length"), None);
    }
}
