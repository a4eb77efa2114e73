//! Where requests go: the region to sign for and the SSM endpoint a configuration implies.
//!
//! Region: `region_name`, then `AWS_DEFAULT_REGION`, then `AWS_REGION`, then the selected
//! profile's `region`. Endpoint: `endpoint_url`, then `AWS_ENDPOINT_URL_SSM`, then
//! `AWS_ENDPOINT_URL`, then the regional default of the region's partition.

use crate::config::AwsSettings;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::platform::Environment;

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
            "{source} {} is not a valid AWS region name",
            crate::error::quoted(&region)
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
}
