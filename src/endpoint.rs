//! Where requests go: the region and the SSM endpoint a configuration implies.
//!
//! Region: `region_name`, then `AWS_DEFAULT_REGION`, then `AWS_REGION`. Endpoint: `endpoint_url`,
//! then `AWS_ENDPOINT_URL_SSM`, then `AWS_ENDPOINT_URL`, then the regional default of the
//! region's partition (`https://ssm.<region>.amazonaws.com`, `.amazonaws.com.cn`, ...).

use crate::config::AwsSettings;
use crate::error::Error;
use crate::platform::Environment;

/// An HTTP(S) endpoint: scheme, authority (`host[:port]`) and base path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: String,
    authority: String,
    path: String,
}

impl Endpoint {
    /// Parses an endpoint URL such as `https://ssm.eu-west-1.amazonaws.com` or
    /// `http://127.0.0.1:5000`. `what` names the setting in errors.
    pub fn parse(url: &str, what: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::configuration(format!("{what} {url:?} is not usable: {why}"));
        if url.is_empty() || !url.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(bad("not a URL"));
        }
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| bad("it has no scheme (http:// or https://)"))?;
        let scheme = if scheme.eq_ignore_ascii_case("https") {
            "https"
        } else if scheme.eq_ignore_ascii_case("http") {
            "http"
        } else {
            return Err(bad("the scheme must be http or https"));
        };
        let (authority, path) = rest.split_at(rest.find(['/', '?', '#']).unwrap_or(rest.len()));
        if authority.contains('@') {
            return Err(bad("user information is not allowed in an endpoint"));
        }
        if path.contains('?') {
            return Err(bad("a query is not allowed in an endpoint"));
        }
        if path.contains('#') {
            return Err(bad("a fragment is not allowed in an endpoint"));
        }
        let host = split_host_port(authority)
            .ok_or_else(|| bad("not a URL"))?
            .0;
        if host.is_empty() {
            return Err(bad("it has no host"));
        }
        Ok(Endpoint {
            scheme: scheme.to_string(),
            authority: authority.to_ascii_lowercase(),
            path: if path.is_empty() { "/" } else { path }.to_string(),
        })
    }

    /// The regional default endpoint of `service` in `region`.
    pub fn regional(service: &str, region: &str, use_ssl: bool) -> Self {
        Endpoint {
            scheme: if use_ssl { "https" } else { "http" }.to_string(),
            authority: format!("{service}.{region}.{}", dns_suffix(region)),
            path: "/".to_string(),
        }
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// `host[:port]`, lower-cased.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The host, without port or IPv6 brackets.
    pub fn host(&self) -> &str {
        split_host_port(&self.authority)
            .map_or("", |(host, _)| host)
            .trim_start_matches('[')
            .trim_end_matches(']')
    }

    /// The base path (`/` for AWS endpoints).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The whole URL.
    pub fn url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority, self.path)
    }
}

/// `host[:port]` split; `None` when the host has characters a URL host cannot have or the
/// port is not a number up to 65535. An IPv6 host keeps its brackets.
pub fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if authority.starts_with('[') {
        let close = authority.find(']')?;
        let (host, rest) = authority.split_at(close + 1);
        let valid = host[1..close]
            .bytes()
            .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.');
        if !valid {
            return None;
        }
        (
            host,
            rest.strip_prefix(':').or(rest.is_empty().then_some(""))?,
        )
    } else {
        let (host, port) = authority.rsplit_once(':').unwrap_or((authority, ""));
        let valid = host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=".contains(&b));
        if !valid {
            return None;
        }
        (host, port)
    };
    if port.is_empty() {
        return Some((host, None));
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((host, Some(port.parse().ok()?)))
}

/// The DNS suffix of the partition `region` belongs to.
pub fn dns_suffix(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else if region.starts_with("us-isob-") {
        "sc2s.sgov.gov"
    } else if region.starts_with("us-isof-") {
        "csp.hci.ic.gov"
    } else if region.starts_with("us-iso-") {
        "c2s.ic.gov"
    } else if region.starts_with("eu-isoe-") {
        "cloud.adc-e.uk"
    } else if region.starts_with("eusc-") {
        "amazonaws.eu"
    } else {
        // aws and aws-us-gov share the suffix.
        "amazonaws.com"
    }
}

/// The region to sign for and to build the default endpoint from: `region_name`, then
/// `AWS_DEFAULT_REGION`, then `AWS_REGION`, then the selected profile's `region`.
pub fn resolve_region(
    settings: &AwsSettings,
    env: &dyn Environment,
    profile_region: Option<&str>,
) -> Result<String, Error> {
    let var = |name| env.var(name).filter(|v: &String| !v.is_empty());
    let (region, source) = if let Some(r) = &settings.region_name {
        (r.clone(), "backend_kwargs `region_name`")
    } else if let Some(r) = var("AWS_DEFAULT_REGION") {
        (r, "AWS_DEFAULT_REGION")
    } else if let Some(r) = var("AWS_REGION") {
        (r, "AWS_REGION")
    } else if let Some(r) = profile_region {
        (r.to_string(), "the profile's region")
    } else {
        return Err(Error::configuration(
            "no AWS region: set `region_name` in backend_kwargs, AWS_DEFAULT_REGION, AWS_REGION \
             or the profile's `region`",
        ));
    };
    if is_valid_region(&region) {
        Ok(region)
    } else {
        Err(Error::configuration(format!(
            "{source} {region:?} is not a valid AWS region name"
        )))
    }
}

/// AWS region names: lower-case letters, digits and inner hyphens, as in `us-gov-west-1`.
fn is_valid_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 64
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !region.starts_with('-')
        && !region.ends_with('-')
}

/// The SSM endpoint the configuration implies.
pub fn resolve_ssm_endpoint(
    settings: &AwsSettings,
    region: &str,
    env: &dyn Environment,
) -> Result<Endpoint, Error> {
    if let Some(url) = &settings.endpoint_url {
        return Endpoint::parse(url, "backend_kwargs `endpoint_url`");
    }
    for name in ["AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL"] {
        if let Some(url) = env.var(name).filter(|v| !v.is_empty()) {
            return Endpoint::parse(&url, name);
        }
    }
    Ok(Endpoint::regional("ssm", region, settings.use_ssl))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn default_endpoint_per_partition() {
        for (region, url) in [
            ("us-east-1", "https://ssm.us-east-1.amazonaws.com/"),
            ("cn-north-1", "https://ssm.cn-north-1.amazonaws.com.cn/"),
            ("us-gov-west-1", "https://ssm.us-gov-west-1.amazonaws.com/"),
            ("us-iso-east-1", "https://ssm.us-iso-east-1.c2s.ic.gov/"),
            (
                "us-isob-east-1",
                "https://ssm.us-isob-east-1.sc2s.sgov.gov/",
            ),
            (
                "eu-isoe-west-1",
                "https://ssm.eu-isoe-west-1.cloud.adc-e.uk/",
            ),
            (
                "us-isof-south-1",
                "https://ssm.us-isof-south-1.csp.hci.ic.gov/",
            ),
            ("eusc-de-east-1", "https://ssm.eusc-de-east-1.amazonaws.eu/"),
        ] {
            assert_eq!(Endpoint::regional("ssm", region, true).url(), url);
        }
        assert_eq!(
            Endpoint::regional("ssm", "eu-west-1", false).url(),
            "http://ssm.eu-west-1.amazonaws.com/"
        );
    }

    #[test]
    fn region_order_is_kwarg_then_default_region_then_region() {
        let kw = AwsSettings {
            region_name: Some("eu-west-1".into()),
            ..Default::default()
        };
        let both = env(&[
            ("AWS_DEFAULT_REGION", "us-west-2"),
            ("AWS_REGION", "us-west-1"),
        ]);
        assert_eq!(resolve_region(&kw, &both, None).unwrap(), "eu-west-1");
        assert_eq!(
            resolve_region(&AwsSettings::default(), &both, None).unwrap(),
            "us-west-2"
        );
        let only = env(&[("AWS_REGION", "us-west-1")]);
        assert_eq!(
            resolve_region(&AwsSettings::default(), &only, None).unwrap(),
            "us-west-1"
        );
        let e = resolve_region(&AwsSettings::default(), &env(&[]), None).unwrap_err();
        assert_eq!(
            resolve_region(&AwsSettings::default(), &env(&[]), Some("ap-south-1")).unwrap(),
            "ap-south-1"
        );
        assert_eq!(e.kind(), &ErrorKind::Configuration);
    }

    #[test]
    fn region_that_would_change_the_host_is_rejected() {
        for bad in ["evil.com/", "us-east-1.attacker", "US-EAST-1", "-x", "a b"] {
            let s = AwsSettings {
                region_name: Some(bad.into()),
                ..Default::default()
            };
            assert!(resolve_region(&s, &env(&[]), None).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoint_url_overrides_in_order() {
        let s = AwsSettings {
            endpoint_url: Some("http://127.0.0.1:5000".into()),
            ..Default::default()
        };
        let e = resolve_ssm_endpoint(&s, "us-east-1", &env(&[])).unwrap();
        assert_eq!(
            (e.scheme(), e.authority(), e.path()),
            ("http", "127.0.0.1:5000", "/")
        );
        let from_env = env(&[
            ("AWS_ENDPOINT_URL", "https://generic.example"),
            ("AWS_ENDPOINT_URL_SSM", "https://VPCE.example:8443/"),
        ]);
        let e = resolve_ssm_endpoint(&AwsSettings::default(), "us-east-1", &from_env).unwrap();
        assert_eq!(e.authority(), "vpce.example:8443");
    }

    #[test]
    fn hosts_of_endpoints() {
        for (url, host, path) in [
            ("http://127.0.0.1:5000", "127.0.0.1", "/"),
            ("https://[fd00:ec2::23]:80/x/", "fd00:ec2::23", "/x/"),
            ("https://[::1]", "::1", "/"),
            ("HTTPS://Host.Example/base", "host.example", "/base"),
        ] {
            let e = Endpoint::parse(url, "test").unwrap();
            assert_eq!((e.host(), e.path()), (host, path), "{url}");
        }
    }

    #[test]
    fn malformed_endpoints_are_configuration_errors() {
        for bad in [
            "ftp://x",
            "localhost:4566",
            "http://user:pw@host",
            "http://h/?q=1",
            "http://h/#f",
            "http://h:port",
            "http://h:99999",
            "http://a b",
            "http://",
            "http://[::1",
            "::",
        ] {
            assert!(Endpoint::parse(bad, "endpoint_url").is_err(), "{bad}");
        }
    }
}
