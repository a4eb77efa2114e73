//! SigV4 request signing: `aws-sigv4` derives the day's signing key and computes the HMAC; the
//! canonical request is written here for the requests this crate sends (a method, a path, the
//! headers it set, a byte body), and the day's key is kept for the next request.
//!
//! Why not `aws_sigv4::http_request::sign` for the whole of it: for one `GetParameter` it cost
//! ~40 us of the component's ~140 us (four HMACs to derive a key that changes once a day, and
//! the canonical request built through `http` header maps and `format!`), and its generic
//! request handling is a fifth of the signing code in the component. The result is the same
//! signature, byte for byte: the tests below hold it to `aws_sigv4::http_request::sign` with
//! the same settings (default ones, with `content-length` excluded as botocore does).

use std::borrow::Cow;
use std::fmt;
use std::time::SystemTime;

use aws_sigv4::sign::v4::{calculate_signature, generate_signing_key};
use sha2::{Digest, Sha256};

use crate::credentials::Credentials;
use crate::error::Error;
use crate::message::Request;
use crate::timestamp::amz_date;

/// Headers left out of the signature: the signature itself, those proxies change
/// (`aws-sigv4`'s defaults), and `content-length`, which hosts and proxies may re-frame
/// (botocore leaves it out too).
const UNSIGNED_HEADERS: [&str; 5] = [
    "authorization",
    "user-agent",
    "x-amzn-trace-id",
    "transfer-encoding",
    "content-length",
];

/// Adds `x-amz-date`, `authorization` and (with temporary credentials) `x-amz-security-token`
/// to `request`, signed for `service` in `region` at `time`, deriving the signing key afresh.
///
/// The request must carry its `host` header.
pub fn sign_request(
    request: &mut Request,
    credentials: &Credentials,
    region: &str,
    service: &str,
    time: SystemTime,
) -> Result<(), Error> {
    SigningKeys::default().sign(request, credentials, region, service, time)
}

/// The last signing key derived, for the credentials, day, region and service it belongs to:
/// a key is valid for a whole UTC day, so one lookup after another skips four HMACs.
#[derive(Default, Clone)]
pub struct SigningKeys {
    last: Option<DayKey>,
}

#[derive(Clone)]
struct DayKey {
    /// SHA-256 of the key id and secret: identifies the credentials without a second copy of
    /// the secret.
    credentials: [u8; 32],
    scope: String,
    key: [u8; 32],
}

impl fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scope = self.last.as_ref().map(|k| k.scope.as_str());
        f.debug_struct("SigningKeys")
            .field("scope", &scope)
            .finish_non_exhaustive()
    }
}

impl SigningKeys {
    /// Like [`sign_request`], reusing the day's key when the credentials, date, region and
    /// service are those of the last signature.
    pub fn sign(
        &mut self,
        request: &mut Request,
        credentials: &Credentials,
        region: &str,
        service: &str,
        time: SystemTime,
    ) -> Result<(), Error> {
        let date_time = amz_date(time);
        let scope = format!("{}/{region}/{service}/aws4_request", &date_time[..8]);
        let session_token = credentials.session_token();
        let (canonical, signed_headers) = canonical_request(request, &date_time, session_token)?;

        let mut string_to_sign = String::with_capacity(64 + scope.len() + 64);
        string_to_sign.push_str("AWS4-HMAC-SHA256\n");
        string_to_sign.push_str(&date_time);
        string_to_sign.push('\n');
        string_to_sign.push_str(&scope);
        string_to_sign.push('\n');
        push_hex(&mut string_to_sign, &Sha256::digest(canonical.as_bytes()));

        let key = self.key(credentials, scope.as_str(), region, service, time);
        let signature = calculate_signature(key, string_to_sign.as_bytes());
        let authorization = format!(
            "AWS4-HMAC-SHA256 Credential={}/{scope}, SignedHeaders={signed_headers}, \
             Signature={signature}",
            credentials.access_key_id()
        );

        let headers = &mut request.headers;
        headers.insert("x-amz-date", date_time);
        if let Some(token) = session_token {
            headers.insert("x-amz-security-token", token);
        }
        headers.insert("authorization", authorization);
        Ok(())
    }

    /// The signing key for `scope`, derived by `aws-sigv4` unless it is the last one.
    fn key(
        &mut self,
        credentials: &Credentials,
        scope: &str,
        region: &str,
        service: &str,
        time: SystemTime,
    ) -> [u8; 32] {
        let mut id = Sha256::new();
        id.update(credentials.access_key_id().as_bytes());
        id.update([0]);
        id.update(credentials.secret_access_key().as_bytes());
        let id: [u8; 32] = id.finalize().into();
        if let Some(last) = &self.last
            && last.credentials == id
            && last.scope == scope
        {
            return last.key;
        }
        let derived = generate_signing_key(credentials.secret_access_key(), time, region, service);
        let mut key = [0; 32];
        key.copy_from_slice(derived.as_ref());
        self.last = Some(DayKey {
            credentials: id,
            scope: scope.to_string(),
            key,
        });
        key
    }
}

/// The canonical request of SigV4 and its signed-headers list.
fn canonical_request(
    request: &Request,
    date_time: &str,
    session_token: Option<&str>,
) -> Result<(String, String), Error> {
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(request.headers.len() + 2);
    for (name, value) in request.headers.iter() {
        if UNSIGNED_HEADERS.contains(&name) || name == "x-amz-date" {
            continue;
        }
        if !value
            .bytes()
            .all(|b| b == b' ' || b == b'\t' || b.is_ascii_graphic())
        {
            return Err(Error::invalid_value(
                "a request header is not visible ASCII",
            ));
        }
        headers.push((name, value));
    }
    headers.push(("x-amz-date", date_time));
    if let Some(token) = session_token {
        headers.retain(|(name, _)| *name != "x-amz-security-token");
        headers.push(("x-amz-security-token", token));
    }
    if !headers.iter().any(|(name, _)| *name == "host") {
        return Err(Error::invalid_value("a request to sign has no host header"));
    }
    // A stable sort keeps the values of a repeated header in their order.
    headers.sort_by(|a, b| a.0.cmp(b.0));

    let mut out = String::with_capacity(256);
    out.push_str(request.method);
    out.push('\n');
    push_encoded(&mut out, &normalized_path(request.path()), true);
    out.push('\n');
    push_canonical_query(&mut out, request.query());
    out.push('\n');

    let mut signed = String::with_capacity(headers.len() * 16);
    let mut previous: Option<&str> = None;
    for (name, value) in &headers {
        if previous == Some(*name) {
            out.push(',');
        } else {
            if previous.is_some() {
                out.push('\n');
                signed.push(';');
            }
            out.push_str(name);
            out.push(':');
            signed.push_str(name);
        }
        push_trimmed(&mut out, value);
        previous = Some(*name);
    }
    out.push_str("\n\n");
    out.push_str(&signed);
    out.push('\n');
    push_hex(&mut out, &Sha256::digest(&request.body));
    Ok((out, signed))
}

/// The path with RFC 3986's dot segments and empty segments removed, starting with `/` and
/// keeping a final `/`, as `aws-sigv4` normalises it.
fn normalized_path(path: &str) -> Cow<'_, str> {
    if path.starts_with('/') && !path.contains('.') && !path.contains("//") {
        return Cow::Borrowed(path);
    }
    let mut kept: Vec<&str> = Vec::new();
    for segment in path.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            other => kept.push(other),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    for segment in &kept {
        out.push('/');
        out.push_str(segment);
    }
    let ends_in_directory = path.ends_with('/') || path.ends_with("/.") || path.ends_with("/..");
    if out.is_empty() || (ends_in_directory && !out.ends_with('/')) {
        out.push('/');
    }
    Cow::Owned(out)
}

/// The query's parameters decoded, encoded strictly, sorted by name then value.
fn push_canonical_query(out: &mut String, query: &str) {
    let mut params: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| {
            let (mut n, mut v) = (String::new(), String::new());
            push_encoded(&mut n, &name, false);
            push_encoded(&mut v, &value, false);
            (n, v)
        })
        .collect();
    params.sort();
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(name);
        out.push('=');
        out.push_str(value);
    }
}

/// `text` with every byte but RFC 3986's unreserved ones (and `/` in a path) as `%XX`; a `%`
/// already in a path is encoded again, as SigV4's double encoding wants.
fn push_encoded(out: &mut String, text: &str, keep_slash: bool) {
    for &byte in text.as_bytes() {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && byte == b'/')
        {
            out.push(char::from(byte));
        } else {
            out.push('%');
            out.push(char::from(HEX_UPPER[usize::from(byte >> 4)]));
            out.push(char::from(HEX_UPPER[usize::from(byte & 15)]));
        }
    }
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// A header value with its leading and trailing spaces removed and runs of spaces made one.
fn push_trimmed(out: &mut String, value: &str) {
    let mut after_space = false;
    for c in value.trim_matches(' ').chars() {
        if c == ' ' && after_space {
            continue;
        }
        after_space = c == ' ';
        out.push(c);
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    for &byte in bytes {
        out.push(char::from(HEX_LOWER[usize::from(byte >> 4)]));
        out.push(char::from(HEX_LOWER[usize::from(byte & 15)]));
    }
}

#[cfg(test)]
mod tests;
