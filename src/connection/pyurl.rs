//! The parts of CPython 3.11's `urllib.parse` that Airflow's connection code inherits:
//! `urlsplit` with its `hostname` / `port` / `username` / `password` properties, `unquote`,
//! `quote`, `quote_plus`, `parse_qsl` and `urlencode`.
//!
//! These follow Python, not RFC 3986 or WHATWG: a connection string must parse here exactly as it
//! parses in Airflow, quirks included.

use crate::error::quoted;
use std::net::Ipv6Addr;

/// A `urlsplit` failure, with Python's message (which never quotes a password).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError(pub String);

/// The five parts `urlsplit` returns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SplitResult {
    /// The lower-cased scheme, or `""`.
    pub scheme: String,
    /// What follows `//` up to the first `/`, `?` or `#`.
    pub netloc: String,
    /// The path.
    pub path: String,
    /// The query, without `?`.
    pub query: String,
    /// The fragment, without `#`.
    pub fragment: String,
}

const SCHEME_CHARS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.";

/// Python's `urlsplit(url)` (with `allow_fragments=True`).
pub fn urlsplit(url: &str) -> Result<SplitResult, UrlError> {
    // WHATWG C0 control or space are stripped on the left; tab, CR and LF vanish everywhere.
    let url = url.trim_start_matches(|c: char| c <= ' ');
    let url: std::borrow::Cow<'_, str> = if url.bytes().any(|b| matches!(b, b'\t' | b'\r' | b'\n'))
    {
        url.replace(['\t', '\r', '\n'], "").into()
    } else {
        url.into()
    };
    let mut rest = &*url;
    let mut result = SplitResult::default();

    if let Some(i) = rest.find(':')
        && i > 0
        && rest.as_bytes()[0].is_ascii_alphabetic()
        && rest.as_bytes()[..i]
            .iter()
            .all(|b| SCHEME_CHARS.as_bytes().contains(b))
    {
        result.scheme = rest[..i].to_ascii_lowercase();
        rest = &rest[i + 1..];
    }
    if let Some(after) = rest.strip_prefix("//") {
        // ASCII delimiters: a byte position is a character boundary.
        let end = after
            .bytes()
            .position(|b| matches!(b, b'/' | b'?' | b'#'))
            .unwrap_or(after.len());
        result.netloc = after[..end].to_string();
        rest = &after[end..];
        let netloc = &result.netloc;
        if netloc.contains('[') != netloc.contains(']') {
            return Err(UrlError("Invalid IPv6 URL".into()));
        }
        if netloc.contains('[') {
            let bracketed = netloc.split_once('[').map_or("", |(_, b)| b);
            let host = bracketed.split_once(']').map_or(bracketed, |(h, _)| h);
            check_bracketed_host(host)?;
        }
        check_netloc_nfkc(netloc)?;
    }
    if let Some((before, fragment)) = rest.split_once('#') {
        result.fragment = fragment.to_string();
        rest = before;
    }
    if let Some((before, query)) = rest.split_once('?') {
        result.query = query.to_string();
        rest = before;
    }
    result.path = rest.to_string();
    Ok(result)
}

/// Characters whose NFKC form contains one of `/ ? # @ :` (fullwidth and small forms, and the
/// compatibility symbols such as U+2100 ACCOUNT OF, which expands to `a/c`).
const NFKC_DELIMITERS: &[char] = &[
    '\u{FF0F}', '\u{FF1F}', '\u{FF03}', '\u{FF20}', '\u{FF1A}', '\u{FE56}', '\u{FE16}', '\u{FE5F}',
    '\u{FE6B}', '\u{FE55}', '\u{FE13}', '\u{2100}', '\u{2101}', '\u{2105}', '\u{2106}', '\u{2047}',
    '\u{2048}', '\u{2049}',
];

/// Python's `_checknetloc`: a non-ASCII netloc must not gain a URL delimiter under NFKC.
fn check_netloc_nfkc(netloc: &str) -> Result<(), UrlError> {
    if netloc.is_ascii() || !netloc.contains(NFKC_DELIMITERS) {
        return Ok(());
    }
    // Python quotes the netloc; it may hold a password, so we do not.
    Err(UrlError(
        "the netloc contains invalid characters under NFKC normalization".into(),
    ))
}

/// Python's `_check_bracketed_host`: an IPv6 address (with an optional zone) or `IPvFuture`.
fn check_bracketed_host(host: &str) -> Result<(), UrlError> {
    if let Some(future) = host.strip_prefix('v') {
        let valid = future.split_once('.').is_some_and(|(hex, rest)| {
            !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit()) && !rest.is_empty()
        });
        return if valid {
            Ok(())
        } else {
            Err(UrlError("IPvFuture address is invalid".into()))
        };
    }
    let address = match host.split_once('%') {
        Some((address, zone)) if !zone.is_empty() && !zone.contains('%') => address,
        Some(_) => {
            return Err(UrlError(format!(
                "{} does not appear to be an IPv4 or IPv6 address",
                quoted(host)
            )));
        }
        None => host,
    };
    if address.parse::<Ipv6Addr>().is_ok() {
        Ok(())
    } else if address.parse::<std::net::Ipv4Addr>().is_ok() {
        Err(UrlError("An IPv4 address cannot be in brackets".into()))
    } else {
        Err(UrlError(format!(
            "{} does not appear to be an IPv4 or IPv6 address",
            quoted(host)
        )))
    }
}

impl SplitResult {
    /// `(hostname, port)` text as Python's `_hostinfo`: after the last `@`, brackets removed.
    fn hostinfo(&self) -> (&str, Option<&str>) {
        let hostinfo = self
            .netloc
            .rsplit_once('@')
            .map_or(self.netloc.as_str(), |(_, h)| h);
        let (hostname, port) = match hostinfo.split_once('[') {
            Some((_, bracketed)) => {
                let (hostname, after) = bracketed.split_once(']').unwrap_or((bracketed, ""));
                (hostname, after.split_once(':').map_or("", |(_, p)| p))
            }
            None => hostinfo.split_once(':').unwrap_or((hostinfo, "")),
        };
        (hostname, Some(port).filter(|p| !p.is_empty()))
    }

    /// Python's `hostname`: lower-cased up to the first `%`; `None` when empty.
    pub fn hostname(&self) -> Option<String> {
        let (hostname, _) = self.hostinfo();
        if hostname.is_empty() {
            return None;
        }
        Some(match hostname.split_once('%') {
            Some((host, zone)) => format!("{}%{zone}", host.to_lowercase()),
            None => hostname.to_lowercase(),
        })
    }

    /// Python's `port`: ASCII digits only, 0-65535.
    pub fn port(&self) -> Result<Option<u16>, UrlError> {
        let Some(port) = self.hostinfo().1 else {
            return Ok(None);
        };
        if !port.bytes().all(|b| b.is_ascii_digit()) {
            // Python quotes the text; we do not, because without an `@` it may be a password
            // (`mysql://user:secret/db` has the "port" `secret`).
            return Err(UrlError(format!(
                "Port could not be cast to integer value: the {} characters after the host's `:` \
                 are not all ASCII digits",
                port.chars().count()
            )));
        }
        let digits = port.trim_start_matches('0');
        match digits.parse::<u32>() {
            Ok(n) if n <= 65535 => Ok(Some(n as u16)),
            _ if digits.is_empty() => Ok(Some(0)),
            _ => Err(UrlError("Port out of range 0-65535".into())),
        }
    }

    /// Python's `username` and `password`: the userinfo before the last `@`, split at its
    /// first `:`.
    pub fn userinfo(&self) -> (Option<&str>, Option<&str>) {
        match self.netloc.rsplit_once('@') {
            Some((userinfo, _)) => match userinfo.split_once(':') {
                Some((user, password)) => (Some(user), Some(password)),
                None => (Some(userinfo), None),
            },
            None => (None, None),
        }
    }
}

/// Python's `repr()` of a `str`, enough for messages: single quotes unless the text has one.
pub fn py_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::new();
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `unquote`: `%XX` escapes decoded as UTF-8 with `errors="replace"`; invalid escapes
/// stay as they are; `+` stays `+`.
pub fn unquote(text: &str) -> String {
    if !text.contains('%') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex_value(bytes[i + 1]), hex_value(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Python's `unquote_plus`: `+` is a space, then `unquote`.
pub fn unquote_plus(text: &str) -> String {
    if text.contains('+') {
        unquote(&text.replace('+', " "))
    } else {
        unquote(text)
    }
}

/// Python's `quote(text, safe=safe)`: UTF-8, with `A-Za-z0-9_.-~` and `safe` kept.
pub fn quote(text: &str, safe: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric()
            || b"_.-~".contains(&b)
            || (b.is_ascii() && safe.contains(b as char))
        {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Python's `quote_plus(text, safe="")`: spaces become `+`.
pub fn quote_plus(text: &str) -> String {
    quote(text, " ").replace(' ', "+")
}

/// Python's `parse_qsl(query, keep_blank_values=True)`: split on `&`, empty parts skipped,
/// `k` alone is `(k, "")`, `+` is a space, then `unquote`.
pub fn parse_qsl(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (name, value) = part.split_once('=').unwrap_or((part, ""));
            (unquote_plus(name), unquote_plus(value))
        })
        .collect()
}

/// `dict(parse_qsl(query, keep_blank_values=True))`: the last value of a key wins, at the
/// position of its first occurrence.
pub fn parse_qs_dict(query: &str) -> Vec<(String, String)> {
    let mut dict: Vec<(String, String)> = Vec::new();
    for (key, value) in parse_qsl(query) {
        match dict.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => dict.push((key, value)),
        }
    }
    dict
}

/// Python's `urlencode(pairs)` over string pairs (`quote_plus` on both sides).
pub fn urlencode(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", quote_plus(k), quote_plus(v)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> SplitResult {
        urlsplit(url).unwrap()
    }

    #[test]
    fn urlsplit_matches_python() {
        let s = split("postgres://user:pw@Host.COM:5432/db?a=1#frag");
        assert_eq!(
            (
                s.scheme.as_str(),
                s.netloc.as_str(),
                s.path.as_str(),
                s.query.as_str(),
                s.fragment.as_str()
            ),
            ("postgres", "user:pw@Host.COM:5432", "/db", "a=1", "frag")
        );
        assert_eq!(s.hostname().as_deref(), Some("host.com"));
        assert_eq!(s.port().unwrap(), Some(5432));
        assert_eq!(s.userinfo(), (Some("user"), Some("pw")));

        assert_eq!(
            split("my_type://h").scheme,
            "",
            "_ is not a scheme character"
        );
        assert_eq!(split("  \tHTTP://h\n/x").scheme, "http");
        assert_eq!(split("1abc://h").scheme, "");
        assert_eq!(split("x://[::1]:80").hostname().as_deref(), Some("::1"));
        assert_eq!(
            split("x://Ex%41mple.COM").hostname().as_deref(),
            Some("ex%41mple.COM")
        );
        assert_eq!(split("x://u:p@ss@h").userinfo(), (Some("u"), Some("p@ss")));
        assert_eq!(split("x://@h").userinfo(), (Some(""), None));
        assert_eq!(split("x://h:").port().unwrap(), None);
        assert_eq!(split("x://h:0080").port().unwrap(), Some(80));
    }

    #[test]
    fn urlsplit_errors_match_python() {
        assert_eq!(urlsplit("x://[::1").unwrap_err().0, "Invalid IPv6 URL");
        assert_eq!(
            urlsplit("x://[1.2.3.4]").unwrap_err().0,
            "An IPv4 address cannot be in brackets"
        );
        assert!(urlsplit("x://[zz]").is_err());
        assert!(urlsplit("x://[v1.x]").is_ok());
        assert!(
            urlsplit("x://h\u{FF03}st/db")
                .unwrap_err()
                .0
                .contains("NFKC")
        );
        assert!(urlsplit("x://h\u{2100}/db").is_err());
        assert!(urlsplit("x://bücher.example/db").is_ok());
        assert!(
            split("x://h:+1")
                .port()
                .unwrap_err()
                .0
                .starts_with("Port could not be cast")
        );
        let e = split("mysql://user:SECRET/db").port().unwrap_err().0;
        assert!(!e.contains("SECRET"), "{e}");
        assert_eq!(
            split("x://h:65536").port().unwrap_err().0,
            "Port out of range 0-65535"
        );
        assert_eq!(
            split("x://h:99999999999999999999").port().unwrap_err().0,
            "Port out of range 0-65535"
        );
    }

    #[test]
    fn quoting_matches_python() {
        assert_eq!(unquote("a%20b%zz%2"), "a b%zz%2");
        assert_eq!(unquote("%FF"), "\u{fffd}");
        assert_eq!(unquote("a+b"), "a+b");
        assert_eq!(quote("a b/:@~é", ""), "a%20b%2F%3A%40~%C3%A9");
        assert_eq!(quote_plus("a b&c"), "a+b%26c");
        assert_eq!(
            parse_qs_dict("a=1&&b&a=2&c=x+y%21"),
            vec![
                ("a".into(), "2".into()),
                ("b".into(), "".into()),
                ("c".into(), "x y!".into())
            ]
        );
        assert_eq!(urlencode(&[("k y".into(), "v&".into())]), "k+y=v%26");
    }
}
