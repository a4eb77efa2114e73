//! An HTTP(S) endpoint (scheme, authority, base path): parsed from a URL with the checks an
//! endpoint setting needs, or the regional default of a service in its region's partition
//! (`https://ssm.<region>.amazonaws.com`, `.amazonaws.com.cn`, ...), plain or in botocore's FIPS
//! and dual-stack variants. A value type: which endpoint a configuration implies is
//! [`crate::region`]'s job.

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
        Ok(Endpoint {
            scheme: if use_ssl { "https" } else { "http" }.to_string(),
            authority: format!("{name}.{region}.{suffix}"),
            path: "/".to_string(),
        })
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
}
