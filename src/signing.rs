//! SigV4 request signing: `aws-sigv4` derives the day's signing key; the canonical request
//! and the final HMAC are computed here for the requests this crate sends (a method, a path,
//! the headers it set, a byte body), and the day's key is kept, ready-keyed, for the next
//! request.
//!
//! Why not `aws_sigv4::http_request::sign` for the whole of it: for one `GetParameter` it cost
//! ~40 us of the component's ~140 us (four HMACs to derive a key that changes once a day, and
//! the canonical request built through `http` header maps and `format!`), and its generic
//! request handling is a fifth of the signing code in the component. The result is the same
//! signature, byte for byte: the tests below hold it to `aws_sigv4::http_request::sign` with
//! the same settings (default ones, with `content-length` excluded as botocore does).
//!
//! Per signature what remains is two SHA-256 digests (body, canonical request) and one HMAC
//! from a keyed state (`aws_sigv4::sign::v4::calculate_signature` would key the HMAC again, two
//! more compressions, and allocate its hex): strings are written in runs, not per character.

use std::borrow::Cow;
use std::fmt;
use std::time::SystemTime;

use aws_sigv4::sign::v4::generate_signing_key;
use hmac::{Hmac, KeyInit, Mac};
use http::header::{AUTHORIZATION, HeaderName};
use sha2::{Digest, Sha256};

use crate::credentials::Credentials;
use crate::error::Error;
use crate::message::{Request, X_AMZ_SECURITY_TOKEN, header_value};
use crate::timestamp::amz_date;

/// The time of a signature.
const X_AMZ_DATE: HeaderName = HeaderName::from_static("x-amz-date");

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
    /// The credentials the key was derived from (compared, never shown).
    access_key_id: String,
    secret_access_key: String,
    scope: String,
    /// HMAC-SHA256 keyed with the day's signing key, before any message.
    mac: Hmac<Sha256>,
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
        let mut scope = String::with_capacity(32 + region.len() + service.len());
        for part in [&date_time[..8], "/", region, "/", service, "/aws4_request"] {
            scope.push_str(part);
        }
        let session_token = credentials.session_token();
        let (canonical, signed_headers) = canonical_request(request, &date_time, session_token)?;

        let mut mac = self
            .keyed(credentials, &scope, region, service, time)
            .clone();
        mac.update(b"AWS4-HMAC-SHA256\n");
        mac.update(date_time.as_bytes());
        mac.update(b"\n");
        mac.update(scope.as_bytes());
        mac.update(b"\n");
        mac.update(&hex(&Sha256::digest(canonical.as_bytes())));
        let signature = hex(&mac.finalize().into_bytes());

        let access_key_id = credentials.access_key_id();
        let mut authorization =
            String::with_capacity(96 + access_key_id.len() + scope.len() + signed_headers.len());
        for part in [
            "AWS4-HMAC-SHA256 Credential=",
            access_key_id,
            "/",
            &scope,
            ", SignedHeaders=",
            &signed_headers,
            ", Signature=",
            ascii(&signature),
        ] {
            authorization.push_str(part);
        }

        // Through `header_value`: the token and the signature are marked sensitive.
        let date = header_value(&X_AMZ_DATE, &date_time)?;
        let token = session_token
            .map(|token| header_value(&X_AMZ_SECURITY_TOKEN, token))
            .transpose()?;
        let authorization = header_value(&AUTHORIZATION, &authorization)?;
        let headers = request.headers_mut();
        headers.insert(X_AMZ_DATE, date);
        if let Some(token) = token {
            headers.insert(X_AMZ_SECURITY_TOKEN, token);
        }
        headers.insert(AUTHORIZATION, authorization);
        Ok(())
    }

    /// The HMAC keyed for `scope`, with a key derived by `aws-sigv4` unless it is the last one.
    fn keyed(
        &mut self,
        credentials: &Credentials,
        scope: &str,
        region: &str,
        service: &str,
        time: SystemTime,
    ) -> &Hmac<Sha256> {
        let reusable = self.last.as_ref().is_some_and(|last| {
            last.scope == scope
                && last.access_key_id == credentials.access_key_id()
                && last.secret_access_key == credentials.secret_access_key()
        });
        if !reusable {
            let derived =
                generate_signing_key(credentials.secret_access_key(), time, region, service);
            self.last = Some(DayKey {
                access_key_id: credentials.access_key_id().to_string(),
                secret_access_key: credentials.secret_access_key().to_string(),
                scope: scope.to_string(),
                mac: Hmac::new_from_slice(derived.as_ref()).expect("HMAC takes keys of any size"),
            });
        }
        &self.last.as_ref().expect("set above").mac
    }
}

/// The canonical request of SigV4 and its signed-headers list.
fn canonical_request(
    request: &Request,
    date_time: &str,
    session_token: Option<&str>,
) -> Result<(String, String), Error> {
    let mut headers: Vec<(&str, &str)> = Vec::with_capacity(request.headers().len() + 2);
    for (name, value) in request.headers() {
        let name = name.as_str();
        if UNSIGNED_HEADERS.contains(&name) || name == "x-amz-date" {
            continue;
        }
        // Visible ASCII, spaces and tabs only.
        let value = value
            .to_str()
            .map_err(|_| Error::invalid_value("a request header is not visible ASCII"))?;
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
    out.push_str(request.method().as_str());
    out.push('\n');
    push_encoded(&mut out, &normalized_path(request.uri().path()), true);
    out.push('\n');
    push_canonical_query(&mut out, request.uri().query().unwrap_or(""));
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
    out.push_str(ascii(&hex(&Sha256::digest(request.body()))));
    Ok((out, signed))
}

/// The path with RFC 3986's dot segments and empty segments removed, starting with `/` and
/// keeping a final `/`, as `aws-sigv4` normalises it.
fn normalized_path(path: &str) -> Cow<'_, str> {
    if path.starts_with('/') && !path.contains('.') && !has_pair(path, b'/') {
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
/// already in a path is encoded again, as SigV4's double encoding wants. Runs of unreserved
/// bytes are copied whole.
fn push_encoded(out: &mut String, text: &str, keep_slash: bool) {
    let mut run = 0; // where the current run of unreserved bytes starts
    for (i, &byte) in text.as_bytes().iter().enumerate() {
        if byte.is_ascii_alphanumeric()
            || matches!(byte, b'-' | b'.' | b'_' | b'~')
            || (keep_slash && byte == b'/')
        {
            continue;
        }
        // Bytes run..i are ASCII, so both ends are character boundaries.
        if run < i {
            out.push_str(&text[run..i]);
        }
        let escape = [
            b'%',
            HEX_UPPER[usize::from(byte >> 4)],
            HEX_UPPER[usize::from(byte & 15)],
        ];
        out.push_str(ascii(&escape));
        run = i + 1;
    }
    if run == 0 {
        out.push_str(text);
    } else if run < text.len() {
        out.push_str(&text[run..]);
    }
}

/// Whether `text` holds `byte` twice in a row (a plain scan: `str::contains` of a two-byte
/// pattern builds a two-way searcher first, which showed in every request's profile).
fn has_pair(text: &str, byte: u8) -> bool {
    text.as_bytes()
        .windows(2)
        .any(|w| w[0] == byte && w[1] == byte)
}

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";
const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";

/// A header value with its leading and trailing spaces removed and runs of spaces made one.
fn push_trimmed(out: &mut String, value: &str) {
    let value = value.trim_matches(' ');
    if !has_pair(value, b' ') {
        out.push_str(value);
        return;
    }
    let mut after_space = false;
    for c in value.chars() {
        if c == ' ' && after_space {
            continue;
        }
        after_space = c == ' ';
        out.push(c);
    }
}

/// A 32-byte digest in lower-case hex.
fn hex(digest: &[u8]) -> [u8; 64] {
    let mut out = [0; 64];
    for (pair, &byte) in out.chunks_exact_mut(2).zip(digest) {
        pair[0] = HEX_LOWER[usize::from(byte >> 4)];
        pair[1] = HEX_LOWER[usize::from(byte & 15)];
    }
    out
}

/// Bytes this module wrote from ASCII tables as a `str`.
fn ascii(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("hex and escapes are ASCII")
}

#[cfg(test)]
mod tests;
