//! An HTTP(S) endpoint (scheme, authority, base path): parsed from a URL with the checks an
//! endpoint setting needs, or the regional default of a service in its region's partition
//! (`https://ssm.<region>.amazonaws.com`, `.amazonaws.com.cn`, ...), plain or in botocore's FIPS
//! and dual-stack variants. A value type: which endpoint a configuration implies is
//! [`crate::region`]'s job.

use std::cell::Cell;

use url::{ParseError, SyntaxViolation, Url};

use crate::error::{Error, quoted};

/// An HTTP(S) endpoint: scheme, authority (`host[:port]`) and base path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: String,
    authority: String,
    host: String,
    port: Option<u16>,
    path: String,
}

impl Endpoint {
    /// Parses an endpoint URL such as `https://ssm.eu-west-1.amazonaws.com` or
    /// `http://127.0.0.1:5000`. `what` names the setting in errors.
    ///
    /// The URL is read as WHATWG URLs are (`url`), as browsers and most HTTP clients read
    /// them, so the endpoint is what they would reach: the authority comes out lower-cased,
    /// with IPv4 and IPv6 addresses in their canonical form (`127.1` is `127.0.0.1`), a
    /// scheme's default port dropped (`https://h:443` is `h`, the `host` botocore signs), an
    /// internationalised host in its punycode (`xn--`) form, and the base path with dot
    /// segments resolved and characters a URL cannot hold percent-encoded (UTF-8). What a
    /// setting should not say is refused: whitespace and control characters (WHATWG would drop
    /// or trim them), user information (even an empty one), a backslash (WHATWG reads it as
    /// `/`, ending the host where the text seems not to), an empty authority (`http:///h`), a
    /// query and a fragment.
    pub fn parse(url: &str, what: &str) -> Result<Self, Error> {
        let bad = |why: &str| {
            Error::configuration(format!("{what} {} is not usable: {why}", quoted(url)))
        };
        if url.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("not a URL"));
        }
        if !url
            .split_once(':')
            .is_some_and(|(_, rest)| rest.starts_with("//"))
        {
            return Err(bad("it has no scheme (http:// or https://)"));
        }
        let violation = Cell::new(None);
        let note = |v: SyntaxViolation| {
            let refused = matches!(
                v,
                SyntaxViolation::EmbeddedCredentials
                    | SyntaxViolation::UnencodedAtSign
                    | SyntaxViolation::Backslash
                    | SyntaxViolation::ExpectedDoubleSlash
            );
            if refused && violation.get().is_none() {
                violation.set(Some(v));
            }
        };
        let parsed = Url::options()
            .syntax_violation_callback(Some(&note))
            .parse(url);
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(ParseError::EmptyHost) => return Err(bad("it has no host")),
            Err(_) => return Err(bad("not a URL")),
        };
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(bad("the scheme must be http or https"));
        }
        match violation.get() {
            Some(SyntaxViolation::EmbeddedCredentials | SyntaxViolation::UnencodedAtSign) => {
                return Err(bad("user information is not allowed in an endpoint"));
            }
            Some(SyntaxViolation::ExpectedDoubleSlash) => return Err(bad("it has no host")),
            Some(_) => return Err(bad("not a URL")),
            None => {}
        }
        if !parsed.username().is_empty() || parsed.password().is_some() {
            return Err(bad("user information is not allowed in an endpoint"));
        }
        if parsed.query().is_some() {
            return Err(bad("a query is not allowed in an endpoint"));
        }
        if parsed.fragment().is_some() {
            return Err(bad("a fragment is not allowed in an endpoint"));
        }
        let host = match parsed.host() {
            // The address without its brackets; the authority keeps them.
            Some(url::Host::Ipv6(address)) => address.to_string(),
            Some(host) => host.to_string(),
            None => String::new(),
        };
        if host.is_empty() {
            return Err(bad("it has no host"));
        }
        Ok(Endpoint {
            scheme: parsed.scheme().to_string(),
            authority: parsed.authority().to_string(),
            host,
            port: parsed.port(),
            path: parsed.path().to_string(),
        })
    }

    /// The regional default endpoint of `service` in `region`.
    pub fn regional(service: &str, region: &str, use_ssl: bool) -> Self {
        let host = format!("{service}.{region}.{}", dns_suffix(region));
        Endpoint {
            scheme: if use_ssl { "https" } else { "http" }.to_string(),
            authority: host.clone(),
            host,
            port: None,
            path: "/".to_string(),
        }
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// `host[:port]`, lower-cased; no port when it is the scheme's default.
    pub fn authority(&self) -> &str {
        &self.authority
    }

    /// The host, without port or IPv6 brackets.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port, the scheme's default (443, 80) when the URL names none.
    pub fn port(&self) -> u16 {
        self.port
            .unwrap_or(if self.scheme == "http" { 80 } else { 443 })
    }

    /// The base path (`/` for AWS endpoints).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The whole URL.
    pub fn url(&self) -> String {
        format!("{}://{}{}", self.scheme, self.authority, self.path)
    }

    /// The regional endpoint of `service` (`ssm`, `sts`) in `region`, in botocore's `variant`,
    /// as botocore 1.44's endpoint rule sets for SSM and STS build it (checked row by row against
    /// `tests/data/botocore-endpoints.json`): FIPS puts `-fips` after the service name (in
    /// `aws-us-gov` the plain host already is FIPS, unless dual-stack), dual-stack uses the
    /// partition's dual-stack DNS suffix. A variant botocore cannot build there (dual-stack in
    /// `aws-iso-e` and `aws-iso-f`) is a configuration error, as botocore raises one.
    pub fn regional_variant(
        service: &str,
        region: &str,
        use_ssl: bool,
        variant: Variant,
    ) -> Result<Self, Error> {
        let partition = partition(region);
        let suffix = if variant.dual_stack {
            partition.dual_stack_dns_suffix.ok_or_else(|| {
                Error::configuration(format!(
                    "botocore has no {} endpoint for {service} in region {region} (partition \
                     {}): switch off {} or give the endpoint URL",
                    variant.describe(),
                    partition.name,
                    variant.settings(),
                ))
            })?
        } else {
            partition.dns_suffix
        };
        let fips_host = variant.fips && (variant.dual_stack || partition.name != "aws-us-gov");
        let name = if fips_host {
            format!("{service}-fips")
        } else {
            service.to_string()
        };
        let host = format!("{name}.{region}.{suffix}");
        Ok(Endpoint {
            scheme: if use_ssl { "https" } else { "http" }.to_string(),
            authority: host.clone(),
            host,
            port: None,
            path: "/".to_string(),
        })
    }

    /// `scheme://host:port`, the port always written (an IPv6 host in brackets).
    pub fn origin(&self) -> String {
        let (open, close) = if self.host.contains(':') {
            ("[", "]")
        } else {
            ("", "")
        };
        format!(
            "{}://{open}{}{close}:{}",
            self.scheme,
            self.host,
            self.port()
        )
    }
}

/// botocore's endpoint variants: `use_fips_endpoint` and `use_dualstack_endpoint`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Variant {
    /// A FIPS 140 endpoint.
    pub fips: bool,
    /// An endpoint reachable over IPv4 and IPv6.
    pub dual_stack: bool,
}

impl Variant {
    /// What the variant asks for, for messages.
    fn describe(self) -> &'static str {
        if self.fips {
            "FIPS dual-stack"
        } else {
            "dual-stack"
        }
    }

    /// The settings that switch it on, for messages.
    fn settings(self) -> &'static str {
        if self.fips {
            "use_fips_endpoint / AWS_USE_FIPS_ENDPOINT or use_dualstack_endpoint / \
             AWS_USE_DUALSTACK_ENDPOINT"
        } else {
            "use_dualstack_endpoint / AWS_USE_DUALSTACK_ENDPOINT"
        }
    }
}

/// An AWS partition as botocore 1.44 knows it: its name, DNS suffix and dual-stack DNS suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    /// `aws`, `aws-cn`, `aws-us-gov`, ...
    pub name: &'static str,
    /// `amazonaws.com`, ...
    pub dns_suffix: &'static str,
    /// `api.aws`, ...; `None` where botocore builds no dual-stack endpoint (its
    /// `endpoints.json` has no dual-stack variant there, and it raises `EndpointVariantError`).
    pub dual_stack_dns_suffix: Option<&'static str>,
}

/// The partitions by region prefix, the longer prefixes first (`us-isob-` before `us-iso-`);
/// anything else is `aws` (botocore's fallback too).
const PARTITIONS: &[(&str, Partition)] = &[
    (
        "cn-",
        Partition {
            name: "aws-cn",
            dns_suffix: "amazonaws.com.cn",
            dual_stack_dns_suffix: Some("api.amazonwebservices.com.cn"),
        },
    ),
    (
        "us-gov-",
        Partition {
            name: "aws-us-gov",
            dns_suffix: "amazonaws.com",
            dual_stack_dns_suffix: Some("api.aws"),
        },
    ),
    (
        "us-isob-",
        Partition {
            name: "aws-iso-b",
            dns_suffix: "sc2s.sgov.gov",
            dual_stack_dns_suffix: Some("api.aws.scloud"),
        },
    ),
    (
        "us-isof-",
        Partition {
            name: "aws-iso-f",
            dns_suffix: "csp.hci.ic.gov",
            dual_stack_dns_suffix: None,
        },
    ),
    (
        "us-iso-",
        Partition {
            name: "aws-iso",
            dns_suffix: "c2s.ic.gov",
            dual_stack_dns_suffix: Some("api.aws.ic.gov"),
        },
    ),
    (
        "eu-isoe-",
        Partition {
            name: "aws-iso-e",
            dns_suffix: "cloud.adc-e.uk",
            dual_stack_dns_suffix: None,
        },
    ),
    (
        "eusc-",
        Partition {
            name: "aws-eusc",
            dns_suffix: "amazonaws.eu",
            dual_stack_dns_suffix: Some("api.amazonwebservices.eu"),
        },
    ),
];

const AWS: Partition = Partition {
    name: "aws",
    dns_suffix: "amazonaws.com",
    dual_stack_dns_suffix: Some("api.aws"),
};

/// The partition `region` belongs to.
pub fn partition(region: &str) -> &'static Partition {
    PARTITIONS
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or(&AWS, |(_, partition)| partition)
}

/// The DNS suffix of the partition `region` belongs to.
pub fn dns_suffix(region: &str) -> &'static str {
    partition(region).dns_suffix
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
    fn fips_and_dual_stack_variants() {
        let v = |fips, dual_stack| Variant { fips, dual_stack };
        for (region, variant, url) in [
            (
                "us-east-1",
                v(false, false),
                "https://ssm.us-east-1.amazonaws.com/",
            ),
            (
                "us-east-1",
                v(true, false),
                "https://ssm-fips.us-east-1.amazonaws.com/",
            ),
            (
                "us-east-1",
                v(false, true),
                "https://ssm.us-east-1.api.aws/",
            ),
            (
                "us-east-1",
                v(true, true),
                "https://ssm-fips.us-east-1.api.aws/",
            ),
            (
                "us-gov-west-1",
                v(true, false),
                "https://ssm.us-gov-west-1.amazonaws.com/",
            ),
            (
                "us-gov-west-1",
                v(true, true),
                "https://ssm-fips.us-gov-west-1.api.aws/",
            ),
            (
                "cn-north-1",
                v(false, true),
                "https://ssm.cn-north-1.api.amazonwebservices.com.cn/",
            ),
            (
                "us-isob-east-1",
                v(false, true),
                "https://ssm.us-isob-east-1.api.aws.scloud/",
            ),
            (
                "us-iso-east-1",
                v(true, true),
                "https://ssm-fips.us-iso-east-1.api.aws.ic.gov/",
            ),
            (
                "eu-isoe-west-1",
                v(true, false),
                "https://ssm-fips.eu-isoe-west-1.cloud.adc-e.uk/",
            ),
            (
                "eusc-de-east-1",
                v(false, true),
                "https://ssm.eusc-de-east-1.api.amazonwebservices.eu/",
            ),
        ] {
            let e = Endpoint::regional_variant("ssm", region, true, variant).unwrap();
            assert_eq!(e.url(), url, "{region} {variant:?}");
        }
        assert_eq!(
            Endpoint::regional_variant("sts", "eu-west-1", false, v(true, false))
                .unwrap()
                .url(),
            "http://sts-fips.eu-west-1.amazonaws.com/"
        );
        for (region, variant) in [
            ("eu-isoe-west-1", v(false, true)),
            ("us-isof-south-1", v(true, true)),
        ] {
            let e = Endpoint::regional_variant("ssm", region, true, variant).unwrap_err();
            assert_eq!(e.kind(), &crate::ErrorKind::Configuration);
            assert!(e.to_string().contains("dual-stack"), "{e}");
            assert!(e.to_string().contains(region), "{e}");
        }
        // The plain variant is `regional` itself.
        assert_eq!(
            Endpoint::regional_variant("ssm", "ap-south-1", true, Variant::default()).unwrap(),
            Endpoint::regional("ssm", "ap-south-1", true)
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

    #[test]
    fn each_refusal_says_why() {
        for (bad, why) in [
            ("ftp://x", "the scheme must be http or https"),
            ("localhost:4566", "it has no scheme (http:// or https://)"),
            ("http:h", "it has no scheme (http:// or https://)"),
            ("http://user:pw@host", "user information is not allowed"),
            ("http://@host", "user information is not allowed"),
            ("http://a@b@host", "user information is not allowed"),
            ("http://h/?q=1", "a query is not allowed"),
            ("http://h?", "a query is not allowed"),
            ("http://h/#f", "a fragment is not allowed"),
            ("http://h#", "a fragment is not allowed"),
            ("http://", "it has no host"),
            ("http:///h", "it has no host"),
            ("http://h:port", "not a URL"),
            ("http://a b", "not a URL"),
            (" http://h", "not a URL"),
            ("http://h\n", "not a URL"),
            ("http://h\\x", "not a URL"),
            ("http://h/a\\b", "not a URL"),
            ("http://h\u{a0}", "not a URL"),
            ("http://1.2.3.256", "not a URL"),
            ("", "not a URL"),
        ] {
            let error = Endpoint::parse(bad, "endpoint_url").unwrap_err();
            let shown = error.to_string();
            assert!(shown.contains(why), "{bad:?}: {shown}");
            assert!(shown.contains("endpoint_url"), "{bad:?}: {shown}");
        }
    }

    #[test]
    fn endpoints_read_as_whatwg_urls() {
        for (url, authority, path, origin) in [
            (
                "https://h.example:443",
                "h.example",
                "/",
                "https://h.example:443",
            ),
            (
                "http://h.example:80/",
                "h.example",
                "/",
                "http://h.example:80",
            ),
            (
                "http://h.example:8080",
                "h.example:8080",
                "/",
                "http://h.example:8080",
            ),
            (
                "http://127.1:5000",
                "127.0.0.1:5000",
                "/",
                "http://127.0.0.1:5000",
            ),
            (
                "http://[FD00:EC2:0:0::23]",
                "[fd00:ec2::23]",
                "/",
                "http://[fd00:ec2::23]:80",
            ),
            (
                "https://B\u{fc}cher.example/\u{fc}",
                "xn--bcher-kva.example",
                "/%C3%BC",
                "https://xn--bcher-kva.example:443",
            ),
            (
                "https://h.example/a/./b/../c/",
                "h.example",
                "/a/c/",
                "https://h.example:443",
            ),
            (
                "https://h.example/a{b}",
                "h.example",
                "/a%7Bb%7D",
                "https://h.example:443",
            ),
        ] {
            let e = Endpoint::parse(url, "test").unwrap();
            assert_eq!(
                (e.authority(), e.path(), e.origin().as_str()),
                (authority, path, origin),
                "{url}"
            );
        }
        assert_eq!(
            Endpoint::regional("ssm", "eu-west-1", true).origin(),
            "https://ssm.eu-west-1.amazonaws.com:443"
        );
    }
}
