//! Which HTTP proxy a request goes through, as botocore picks it: `HTTPS_PROXY` for `https`
//! destinations, `HTTP_PROXY` for `http` ones (each read lower-case first, then upper-case, as
//! Python's `urllib.request.getproxies` does), none for a host `NO_PROXY` names; or the proxy
//! a configuration gives one client (`config_kwargs.proxies`, which Airflow applies to its STS
//! client), which then replaces the environment's for that client.
//!
//! Matching is hyper-util's [`Matcher`] (curl's `NO_PROXY` rules: domains and their subdomains,
//! IP addresses and CIDR ranges, `*`). A proxy is reached over plain TCP: HTTPS goes through it
//! in a `CONNECT` tunnel, plain HTTP as an absolute-form request. Credentials in a proxy URL
//! (`http://user:pass@proxy:3128`) go to the proxy as `Proxy-Authorization: Basic` and never
//! into a message: [`ProxySettings`]' `Debug` and every error show the URL without them.

use std::fmt;

use hyper_util::client::proxy::matcher::{Intercept, Matcher};

/// The proxy variables botocore reads, lower-case name first.
const HTTP_PROXY: [&str; 2] = ["http_proxy", "HTTP_PROXY"];
const HTTPS_PROXY: [&str; 2] = ["https_proxy", "HTTPS_PROXY"];
const NO_PROXY: [&str; 2] = ["no_proxy", "NO_PROXY"];

/// The proxy settings of a client: where `http` and `https` requests go, and what bypasses
/// them.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct ProxySettings {
    http: Option<String>,
    https: Option<String>,
    no_proxy: String,
}

impl ProxySettings {
    /// No proxy.
    pub fn none() -> Self {
        ProxySettings::default()
    }

    /// This process's `HTTP_PROXY`, `HTTPS_PROXY` and `NO_PROXY` (either case).
    pub fn from_process() -> Self {
        Self::from_vars(&std::env::vars().collect::<Vec<_>>())
    }

    /// The proxy variables among `vars`.
    pub fn from_vars(vars: &[(String, String)]) -> Self {
        let first = |names: [&str; 2]| {
            names.iter().find_map(|name| {
                vars.iter()
                    .find(|(n, v)| n == name && !v.is_empty())
                    .map(|(_, v)| v.clone())
            })
        };
        ProxySettings {
            http: first(HTTP_PROXY),
            https: first(HTTPS_PROXY),
            no_proxy: first(NO_PROXY).unwrap_or_default(),
        }
    }

    /// One proxy for every request of a client, whatever the environment says
    /// (`config_kwargs.proxies` as the core resolved it for an endpoint).
    pub fn fixed(url: &str) -> Self {
        ProxySettings {
            http: Some(url.to_string()),
            https: Some(url.to_string()),
            no_proxy: String::new(),
        }
    }

    /// Whether no request goes through a proxy.
    pub fn is_none(&self) -> bool {
        self.http.is_none() && self.https.is_none()
    }

    /// The matcher these settings describe, after checking each proxy URL: a proxy hyper-util
    /// would silently skip (an unknown scheme, no host) or one this host cannot reach (TLS or
    /// SOCKS to the proxy) is an error naming the setting, never its credentials.
    pub fn matcher(&self) -> Result<Option<Matcher>, ProxyError> {
        if self.is_none() {
            return Ok(None);
        }
        let mut builder = Matcher::builder().no(self.no_proxy.clone());
        for (scheme, url) in [("http", &self.http), ("https", &self.https)] {
            let Some(url) = url else { continue };
            check(url)?;
            builder = match scheme {
                "http" => builder.http(url.clone()),
                _ => builder.https(url.clone()),
            };
        }
        Ok(Some(builder.build()))
    }
}

/// Rejects a proxy URL this host cannot use.
fn check(url: &str) -> Result<(), ProxyError> {
    let bad = |why: &str| ProxyError {
        proxy: without_credentials(url),
        why: why.to_string(),
    };
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
        None => ("http".to_string(), url),
    };
    match scheme.as_str() {
        "http" => {}
        "https" => return Err(bad("a proxy reached over TLS (https://) is not supported")),
        _ => return Err(bad("the proxy's scheme must be http")),
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.is_empty() || host.parse::<http::uri::Authority>().is_err() {
        return Err(bad("it has no usable host"));
    }
    Ok(())
}

/// `url` with any `user:password@` replaced by `***@`.
pub fn without_credentials(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").map_or(("", url), |(s, r)| (s, r));
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let shown = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_string(),
    };
    if scheme.is_empty() {
        format!("{shown}{tail}")
    } else {
        format!("{scheme}://{shown}{tail}")
    }
}

impl fmt::Debug for ProxySettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |url: &Option<String>| url.as_deref().map(without_credentials);
        f.debug_struct("ProxySettings")
            .field("http", &shown(&self.http))
            .field("https", &shown(&self.https))
            .field("no_proxy", &self.no_proxy)
            .finish()
    }
}

/// A proxy URL that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyError {
    proxy: String,
    why: String,
}

impl fmt::Display for ProxyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the proxy {} cannot be used: {}", self.proxy, self.why)
    }
}

impl std::error::Error for ProxyError {}

/// Where a request to `dst` goes: `None` straight there, or the proxy that intercepts it.
pub fn intercept(matcher: Option<&Matcher>, dst: &http::Uri) -> Option<Intercept> {
    matcher?.intercept(dst)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn proxied(settings: &ProxySettings, url: &str) -> Option<String> {
        let matcher = settings.matcher().unwrap();
        intercept(matcher.as_ref(), &url.parse().unwrap()).map(|i| i.uri().to_string())
    }

    #[test]
    fn lower_case_wins_as_in_python() {
        let s = ProxySettings::from_vars(&vars(&[
            ("HTTPS_PROXY", "http://upper:1"),
            ("https_proxy", "http://lower:2"),
            ("HTTP_PROXY", "http://plain:3"),
        ]));
        assert_eq!(
            proxied(&s, "https://ssm.eu-west-1.amazonaws.com/").as_deref(),
            Some("http://lower:2/")
        );
        assert_eq!(
            proxied(&s, "http://127.0.0.1:5000/").as_deref(),
            Some("http://plain:3/")
        );
        let only_upper = ProxySettings::from_vars(&vars(&[("HTTPS_PROXY", "upper:3128")]));
        assert_eq!(
            proxied(&only_upper, "https://sts.amazonaws.com/").as_deref(),
            Some("http://upper:3128/")
        );
        assert!(ProxySettings::from_vars(&vars(&[("ALL_PROXY", "http://all:1")])).is_none());
    }

    #[test]
    fn no_proxy_bypasses_domains_and_addresses() {
        let s = ProxySettings::from_vars(&vars(&[
            ("HTTPS_PROXY", "http://proxy:3128"),
            ("NO_PROXY", ".amazonaws.com, 10.0.0.0/8"),
        ]));
        assert_eq!(proxied(&s, "https://ssm.us-east-1.amazonaws.com/"), None);
        assert_eq!(proxied(&s, "https://10.1.2.3/"), None);
        assert!(proxied(&s, "https://vpce.example/").is_some());
    }

    #[test]
    fn a_fixed_proxy_ignores_the_environment() {
        let s = ProxySettings::fixed("http://sts-proxy:8080");
        assert_eq!(
            proxied(&s, "https://sts.eu-west-1.amazonaws.com/").as_deref(),
            Some("http://sts-proxy:8080/")
        );
    }

    #[test]
    fn unusable_proxies_are_errors_without_credentials() {
        for (url, why) in [
            ("https://u:hunter2@proxy:3128", "over TLS"),
            ("socks5://u:hunter2@proxy:1080", "must be http"),
            ("http://u:hunter2@", "no usable host"),
        ] {
            let error = ProxySettings::fixed(url).matcher().unwrap_err().to_string();
            assert!(error.contains(why), "{url}: {error}");
            assert!(!error.contains("hunter2"), "{error}");
            assert!(error.contains("***@"), "{error}");
        }
    }

    #[test]
    fn debug_never_shows_credentials() {
        let s = ProxySettings::from_vars(&vars(&[
            ("HTTPS_PROXY", "http://alice:hunter2@proxy:3128"),
            ("HTTP_PROXY", "bob:s3cret@proxy:3128/path"),
        ]));
        let shown = format!("{s:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );
        assert!(
            !shown.contains("alice") && !shown.contains("bob"),
            "{shown}"
        );
        assert!(shown.contains("http://***@proxy:3128"), "{shown}");
        assert!(shown.contains("***@proxy:3128/path"), "{shown}");
    }
}
