//! `config_kwargs.proxies`, botocore's `Config(proxies={...})`: typed at open, and the proxy
//! botocore picks for a URL.
//!
//! botocore (`httpsession.ProxyConfiguration.proxy_url_for`) looks the proxy up by the URL's
//! scheme only: the `http` and `https` keys; keys such as `http://host` (which `requests`
//! understands) are never used, so they are accepted and ignored here. An empty value means no
//! proxy. A value without `http:` / `https:` gets `http://` in front (`//host` gets `http:`), as
//! botocore's `_fix_proxy_url` does. The URL may hold `user:password@`, which botocore turns
//! into `Proxy-Authorization`; no error and no `Debug` output here shows it.

use std::collections::BTreeMap;
use std::fmt;

use serde_json::{Map, Value};

use url::{ParseError, Url};

use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::route::redact_userinfo;

/// `config_kwargs.proxies`: proxy URLs by scheme (`http`, `https`), checked at open.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    by_scheme: BTreeMap<String, String>,
}

impl Proxies {
    /// Reads `config_kwargs.proxies` (an object of strings or nulls).
    pub fn parse(proxies: &Map<String, Value>) -> Result<Self, Error> {
        let mut by_scheme = BTreeMap::new();
        for (key, value) in proxies {
            let name = format!("config_kwargs.proxies.{key}");
            let url = match value {
                Value::Null => continue,
                Value::String(url) => url,
                other => {
                    return Err(Error::configuration(format!(
                        "backend_kwargs `{name}` must be a proxy URL string or null, got {}",
                        super::kwargs::type_name(other)
                    )));
                }
            };
            // botocore selects by scheme only; other keys never reach a request.
            if !matches!(key.as_str(), "http" | "https") || url.is_empty() {
                continue;
            }
            by_scheme.insert(key.clone(), checked_proxy_url(url, &name)?);
        }
        Ok(Proxies { by_scheme })
    }

    /// The proxy botocore's client uses for `endpoint` (by its scheme), with `http://` added
    /// where botocore adds it; `None`: no proxy from `config_kwargs` for that scheme.
    pub fn for_endpoint(&self, endpoint: &Endpoint) -> Option<&str> {
        self.by_scheme.get(endpoint.scheme()).map(String::as_str)
    }
}

impl fmt::Debug for Proxies {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(
                self.by_scheme
                    .iter()
                    .map(|(scheme, url)| (scheme, redact_userinfo(url))),
            )
            .finish()
    }
}

/// botocore's `_fix_proxy_url`, then the checks a proxy URL needs: `http` or `https`, a host,
/// an optional port, no path beyond `/`. Errors name the key and what is wrong, never the URL
/// (it may hold a password).
fn checked_proxy_url(url: &str, name: &str) -> Result<String, Error> {
    let bad = |why: &str| {
        Error::configuration(format!(
            "backend_kwargs `{name}` is not a usable proxy URL: {why}"
        ))
    };
    let has_http_scheme = url.starts_with("http:") || url.starts_with("https:");
    if !has_http_scheme && url.contains("://") {
        // botocore would put `http://` in front and fail at the first request.
        return Err(bad("the scheme must be http or https (lower-case)"));
    }
    let fixed = if has_http_scheme {
        url.to_string()
    } else if url.starts_with("//") {
        format!("http:{url}")
    } else {
        format!("http://{url}")
    };
    if !fixed.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(bad("it has spaces or characters a URL cannot have"));
    }
    let (scheme, rest) = fixed
        .split_once("://")
        .ok_or_else(|| bad("it is not of the form http://host:port"))?;
    if scheme != "http" && scheme != "https" {
        return Err(bad("the scheme must be http or https"));
    }
    let (authority, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
    if !(path.is_empty() || path == "/") {
        return Err(bad("a proxy URL has no path, query or fragment"));
    }
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
    // The host and port as WHATWG URLs read them (`url`), as endpoint settings are read.
    match Url::parse(&format!("{scheme}://{host_port}")) {
        Ok(parsed) if parsed.host_str().is_some_and(|host| !host.is_empty()) => Ok(fixed),
        Ok(_) | Err(ParseError::EmptyHost) => Err(bad("it has no host")),
        Err(_) => Err(bad("its host or port is not valid")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn proxies(json: &str) -> Result<Proxies, Error> {
        let value: Value = serde_json::from_str(json).unwrap();
        Proxies::parse(value.as_object().unwrap())
    }

    #[test]
    fn selection_is_by_the_endpoints_scheme_as_botocore_does() {
        let p = proxies(
            r#"{"https": "proxy.corp:3128", "http": "//plain.corp:80",
                "http://sts.example": "http://ignored:1", "ftp": 5}"#,
        );
        // A key botocore never reads is still type-checked: a number is no URL.
        assert!(
            p.unwrap_err()
                .to_string()
                .contains("`config_kwargs.proxies.ftp`")
        );
        let p = proxies(
            r#"{"https": "proxy.corp:3128", "http": "//plain.corp:80",
                "http://sts.example": "http://ignored:1", "socks": null}"#,
        )
        .unwrap();
        let https = Endpoint::regional("sts", "eu-west-1", true);
        let http = Endpoint::parse("http://127.0.0.1:5000", "test").unwrap();
        assert_eq!(p.for_endpoint(&https), Some("http://proxy.corp:3128"));
        assert_eq!(p.for_endpoint(&http), Some("http://plain.corp:80"));
        let only_http = proxies(r#"{"http": "http://p:1", "https": ""}"#).unwrap();
        assert_eq!(only_http.for_endpoint(&https), None);
        assert_eq!(
            proxies(r#"{"https": "https://[fd00::1]:8443/"}"#)
                .unwrap()
                .for_endpoint(&https),
            Some("https://[fd00::1]:8443/")
        );
    }

    #[test]
    fn bad_proxies_name_the_key_and_never_the_password() {
        for (json, says) in [
            (r#"{"https": 3128}"#, "must be a proxy URL string or null"),
            (r#"{"https": "socks5://u:hunter2@p:1080"}"#, "http or https"),
            (r#"{"https": "http://u:hunter2@p:1080/path"}"#, "no path"),
            (r#"{"https": "http://u:hunter2@p:port"}"#, "not valid"),
            (r#"{"https": "http://u:hunter2@:8080"}"#, "no host"),
            (r#"{"https": "http://u:hunter2 @p:8080"}"#, "spaces"),
            (r#"{"https": "HTTP://u:hunter2@p:8080"}"#, "http or https"),
        ] {
            let e = proxies(json).unwrap_err();
            assert_eq!(e.kind(), &ErrorKind::Configuration, "{json}");
            let text = format!("{e} {e:?}");
            assert!(
                text.contains("`config_kwargs.proxies.https`"),
                "{json}: {text}"
            );
            assert!(text.contains(says), "{json}: {text}");
            assert!(!text.contains("hunter2"), "{json}: {text}");
        }
    }

    #[test]
    fn debug_hides_the_password() {
        let p = proxies(r#"{"https": "http://svc:hunter2@proxy.corp:3128"}"#).unwrap();
        let shown = format!("{p:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("proxy.corp:3128"), "{shown}");
    }
}
