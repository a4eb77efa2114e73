//! An HTTP(S) endpoint (scheme, authority, base path): parsed from a URL with the checks an
//! endpoint setting needs, or the regional default of a service in its region's partition
//! (`https://ssm.<region>.amazonaws.com`, `.amazonaws.com.cn`, ...). A value type: which
//! endpoint a configuration implies is [`crate::region`]'s job.

use crate::error::{Error, quoted};

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
        let bad = |why: &str| {
            Error::configuration(format!("{what} {} is not usable: {why}", quoted(url)))
        };
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

#[cfg(test)]
mod tests {
    use super::*;

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
