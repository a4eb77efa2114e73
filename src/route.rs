//! How a host reaches each endpoint a configuration implies: the TLS trust (CA bundle) and the
//! proxy botocore would use for the client that calls it. The core decides them without any
//! network ([`crate::backend::Targets::routes`]); the host applies them (it reads the CA bundle
//! file, connects through the proxy).
//!
//! - `ca_bundle`: the SSM client's `verify` path, else `AWS_CA_BUNDLE`, else the profile's
//!   `ca_bundle`; the STS clients have no `verify` (Airflow passes none). The path is as given:
//!   botocore hands it to OpenSSL unchanged (no `~` expansion; a relative path is relative to
//!   the host's working directory). `None`: the host's default roots. Container and instance
//!   metadata endpoints (plain HTTP) have none.
//! - `proxy`: the `config_kwargs.proxies` entry botocore picks for the endpoint's scheme, only
//!   for Airflow's own STS client (the one `config_kwargs` reaches). `Some`: this proxy, whatever
//!   `HTTPS_PROXY` / `NO_PROXY` say (botocore ignores the environment's proxies once `Config`
//!   has any). `None`: the environment's proxies apply, which the host resolves itself.

use std::fmt;

use crate::endpoint::Endpoint;

/// How the host reaches one endpoint: the TLS trust and the proxy botocore would use for the client that calls it.
#[derive(Clone, PartialEq, Eq)]
pub struct Route {
    /// The endpoint (SSM, STS, the container endpoint or instance metadata).
    pub endpoint: Endpoint,
    /// The CA bundle file to trust for TLS to it, as configured; `None`: the default roots.
    pub ca_bundle: Option<String>,
    /// The proxy URL to connect through (it may hold `user:password@`); `None`: the
    /// environment's proxies apply.
    pub proxy: Option<String>,
}

impl fmt::Debug for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Route")
            .field("endpoint", &self.endpoint.url())
            .field("ca_bundle", &self.ca_bundle)
            .field("proxy", &self.proxy.as_deref().map(redact_userinfo))
            .finish()
    }
}

/// `url` with its user information (`user:password@`) replaced by `***@`, for messages and
/// `Debug`; other URLs unchanged.
pub fn redact_userinfo(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (Some(scheme), rest),
        None => (None, url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((_, host)) = authority.rsplit_once('@') else {
        return url.to_string();
    };
    match scheme {
        Some(scheme) => format!("{scheme}://***@{host}{tail}"),
        None => format!("***@{host}{tail}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_redacted() {
        for (url, shown) in [
            (
                "http://svc:hunter2@proxy.corp:3128",
                "http://***@proxy.corp:3128",
            ),
            (
                "http://hunter2@proxy.corp:3128/",
                "http://***@proxy.corp:3128/",
            ),
            ("http://a:b@c:hunter2@p:1", "http://***@p:1"),
            ("svc:hunter2@proxy.corp", "***@proxy.corp"),
            ("http://proxy.corp:3128", "http://proxy.corp:3128"),
            ("http://proxy.corp/x@y", "http://proxy.corp/x@y"),
        ] {
            assert_eq!(redact_userinfo(url), shown, "{url}");
        }
    }

    #[test]
    fn debug_never_shows_the_proxy_password() {
        let route = Route {
            endpoint: Endpoint::regional("sts", "eu-west-1", true),
            ca_bundle: Some("/etc/corp/ca.pem".into()),
            proxy: Some("http://svc:hunter2@proxy.corp:3128".into()),
        };
        let shown = format!("{route:?} {route:#?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("proxy.corp:3128"), "{shown}");
        assert!(
            shown.contains("https://sts.eu-west-1.amazonaws.com/"),
            "{shown}"
        );
        assert!(shown.contains("/etc/corp/ca.pem"), "{shown}");
    }
}
