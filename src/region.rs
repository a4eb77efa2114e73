//! Where requests go: the region to sign for, the SSM endpoint a configuration implies, and
//! the settings botocore reads per client for its endpoint and trust.
//!
//! Region: `region_name`, then `AWS_DEFAULT_REGION`, then `AWS_REGION`, then the selected
//! profile's `region`. Endpoint: `endpoint_url`, then `AWS_ENDPOINT_URL_SSM`, then
//! `AWS_ENDPOINT_URL`, then the regional default of the region's partition, in the FIPS /
//! dual-stack variant the client's settings ask for ([`resolve_variant`]). The CA bundle:
//! [`resolve_ca_bundle`].

use crate::config::{AwsSettings, VariantSettings, Verify};
use crate::endpoint::{Endpoint, Variant};
use crate::error::Error;
use crate::platform::Environment;

/// What the profile a botocore client reads says about its endpoint and trust, as written
/// (`None`: the key is absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientProfile {
    /// `use_fips_endpoint`.
    pub use_fips_endpoint: Option<String>,
    /// `use_dualstack_endpoint`.
    pub use_dualstack_endpoint: Option<String>,
    /// `ca_bundle`.
    pub ca_bundle: Option<String>,
}

/// A client's FIPS / dual-stack variant, as botocore 1.44 reads each flag: the client's
/// `Config` (`config`), then the environment (`AWS_USE_FIPS_ENDPOINT`,
/// `AWS_USE_DUALSTACK_ENDPOINT`), then the profile (`use_fips_endpoint`,
/// `use_dualstack_endpoint`), else off. A text is true only if it is `true` in any case
/// (botocore's `ensure_boolean`: `1`, `yes` and the empty text are false), and a variable that
/// is set, even to the empty text, hides the profile's key.
pub fn resolve_variant(
    config: VariantSettings,
    env: &dyn Environment,
    profile: &ClientProfile,
) -> Variant {
    let flag = |given: Option<bool>, var: &str, key: &Option<String>| {
        given
            .or_else(|| env.var(var).map(|v| ensure_boolean(&v)))
            .or_else(|| key.as_deref().map(ensure_boolean))
            .unwrap_or(false)
    };
    Variant {
        fips: flag(
            config.fips,
            "AWS_USE_FIPS_ENDPOINT",
            &profile.use_fips_endpoint,
        ),
        dual_stack: flag(
            config.dual_stack,
            "AWS_USE_DUALSTACK_ENDPOINT",
            &profile.use_dualstack_endpoint,
        ),
    }
}

/// botocore's `ensure_boolean` for a text.
fn ensure_boolean(text: &str) -> bool {
    text.eq_ignore_ascii_case("true")
}

/// The CA bundle a botocore client trusts: its `verify` argument (only Airflow's SSM client has
/// one), then `AWS_CA_BUNDLE`, then the profile's `ca_bundle`; `None`: the default roots (also
/// for `verify: true`, which skips the other two, and `verify: false`). The path is returned as
/// written: botocore passes it to OpenSSL unchanged, `~` and relative paths included. An empty
/// or blank value is an error, as botocore 1.44 raises one.
pub fn resolve_ca_bundle(
    verify: &Verify,
    env: &dyn Environment,
    profile: &ClientProfile,
) -> Result<Option<String>, Error> {
    let (path, source) = match verify {
        Verify::CaBundle(path) => (path.clone(), "backend_kwargs `verify`"),
        Verify::DefaultRoots | Verify::Off => return Ok(None),
        Verify::Unset => match (env.var("AWS_CA_BUNDLE"), &profile.ca_bundle) {
            (Some(path), _) => (path, "AWS_CA_BUNDLE"),
            (None, Some(path)) => (path.clone(), "the profile's `ca_bundle`"),
            (None, None) => return Ok(None),
        },
    };
    if path.trim().is_empty() {
        return Err(Error::configuration(format!(
            "{source} is an empty CA bundle path: give the path of a CA bundle file, or unset it"
        )));
    }
    Ok(Some(path))
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

/// The SSM endpoint the configuration implies. `profile` is the profile Airflow's SSM client
/// reads; `config_kwargs` does not reach that client in Airflow, so its FIPS and dual-stack
/// settings do not apply here. An endpoint URL wins over both, as in botocore.
pub fn resolve_ssm_endpoint(
    settings: &AwsSettings,
    region: &str,
    env: &dyn Environment,
    profile: &ClientProfile,
) -> Result<Endpoint, Error> {
    if let Some(url) = &settings.endpoint_url {
        return Endpoint::parse(url, "backend_kwargs `endpoint_url`");
    }
    for name in ["AWS_ENDPOINT_URL_SSM", "AWS_ENDPOINT_URL"] {
        if let Some(url) = env.var(name).filter(|v| !v.is_empty()) {
            return Endpoint::parse(&url, name);
        }
    }
    let variant = resolve_variant(VariantSettings::default(), env, profile);
    Endpoint::regional_variant("ssm", region, settings.use_ssl, variant)
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
        let e =
            resolve_ssm_endpoint(&s, "us-east-1", &env(&[]), &ClientProfile::default()).unwrap();
        assert_eq!(
            (e.scheme(), e.authority(), e.path()),
            ("http", "127.0.0.1:5000", "/")
        );
        let from_env = env(&[
            ("AWS_ENDPOINT_URL", "https://generic.example"),
            ("AWS_ENDPOINT_URL_SSM", "https://VPCE.example:8443/"),
        ]);
        let e = resolve_ssm_endpoint(
            &AwsSettings::default(),
            "us-east-1",
            &from_env,
            &ClientProfile::default(),
        )
        .unwrap();
        assert_eq!(e.authority(), "vpce.example:8443");
    }

    fn profile(fips: Option<&str>, dual_stack: Option<&str>, ca: Option<&str>) -> ClientProfile {
        ClientProfile {
            use_fips_endpoint: fips.map(str::to_string),
            use_dualstack_endpoint: dual_stack.map(str::to_string),
            ca_bundle: ca.map(str::to_string),
        }
    }

    #[test]
    fn variant_flags_are_read_as_botocore_reads_them() {
        let v = |fips, dual_stack| Variant { fips, dual_stack };
        let none = VariantSettings::default();
        let fips_config = VariantSettings {
            fips: Some(false),
            dual_stack: Some(true),
        };
        // (config, env, profile) -> variant
        for (config, vars, prof, want) in [
            (none, vec![], profile(None, None, None), v(false, false)),
            (
                none,
                vec![("AWS_USE_FIPS_ENDPOINT", "true")],
                profile(None, None, None),
                v(true, false),
            ),
            (
                none,
                vec![("AWS_USE_FIPS_ENDPOINT", "TRUE")],
                profile(None, None, None),
                v(true, false),
            ),
            (
                none,
                vec![("AWS_USE_FIPS_ENDPOINT", "1")],
                profile(None, None, None),
                v(false, false),
            ),
            (
                none,
                vec![("AWS_USE_FIPS_ENDPOINT", "yes")],
                profile(None, None, None),
                v(false, false),
            ),
            (
                none,
                vec![("AWS_USE_DUALSTACK_ENDPOINT", "True")],
                profile(None, None, None),
                v(false, true),
            ),
            (
                none,
                vec![],
                profile(Some("TRUE"), Some("1"), None),
                v(true, false),
            ),
            (
                none,
                vec![],
                profile(Some("false"), Some("true"), None),
                v(false, true),
            ),
            // A variable that is set hides the profile's key, even when empty.
            (
                none,
                vec![("AWS_USE_FIPS_ENDPOINT", "")],
                profile(Some("true"), None, None),
                v(false, false),
            ),
            (
                none,
                vec![("AWS_USE_FIPS_ENDPOINT", "false")],
                profile(Some("true"), None, None),
                v(false, false),
            ),
            // The client's Config wins over both.
            (
                fips_config,
                vec![("AWS_USE_FIPS_ENDPOINT", "true")],
                profile(Some("true"), Some("false"), None),
                v(false, true),
            ),
        ] {
            assert_eq!(
                resolve_variant(config, &env(&vars), &prof),
                want,
                "{config:?} {vars:?} {prof:?}"
            );
        }
    }

    #[test]
    fn fips_and_dual_stack_reach_the_ssm_endpoint_unless_an_endpoint_is_given() {
        let region = "us-east-1";
        let plain = AwsSettings {
            use_ssl: true,
            ..Default::default()
        };
        let fips = env(&[("AWS_USE_FIPS_ENDPOINT", "true")]);
        let ssm = |s: &AwsSettings, e: &HashMap<String, String>, p: &ClientProfile| {
            resolve_ssm_endpoint(s, region, e, p).map(|e| e.url())
        };
        assert_eq!(
            ssm(&plain, &fips, &ClientProfile::default()).unwrap(),
            "https://ssm-fips.us-east-1.amazonaws.com/"
        );
        assert_eq!(
            ssm(&plain, &env(&[]), &profile(None, Some("true"), None)).unwrap(),
            "https://ssm.us-east-1.api.aws/"
        );
        let http = AwsSettings {
            use_ssl: false,
            ..plain.clone()
        };
        assert_eq!(
            ssm(&http, &fips, &ClientProfile::default()).unwrap(),
            "http://ssm-fips.us-east-1.amazonaws.com/"
        );
        // config_kwargs does not reach Airflow's SSM client.
        let config_kwargs = AwsSettings {
            config_kwargs_variant: VariantSettings {
                fips: Some(true),
                dual_stack: Some(true),
            },
            ..plain.clone()
        };
        assert_eq!(
            ssm(&config_kwargs, &env(&[]), &ClientProfile::default()).unwrap(),
            "https://ssm.us-east-1.amazonaws.com/"
        );
        let given = AwsSettings {
            endpoint_url: Some("https://vpce.example".into()),
            ..plain.clone()
        };
        assert_eq!(
            ssm(&given, &fips, &ClientProfile::default()).unwrap(),
            "https://vpce.example/"
        );
        let from_env = env(&[
            ("AWS_USE_DUALSTACK_ENDPOINT", "true"),
            ("AWS_ENDPOINT_URL_SSM", "http://127.0.0.1:4566"),
        ]);
        assert_eq!(
            ssm(&plain, &from_env, &ClientProfile::default()).unwrap(),
            "http://127.0.0.1:4566/"
        );
        let e = resolve_ssm_endpoint(
            &plain,
            "us-isof-south-1",
            &env(&[("AWS_USE_DUALSTACK_ENDPOINT", "true")]),
            &ClientProfile::default(),
        )
        .unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Configuration);
    }

    #[test]
    fn ca_bundle_order_is_verify_then_env_then_profile() {
        let with_ca = profile(None, None, Some("~/profile-ca.pem"));
        let ca_env = env(&[("AWS_CA_BUNDLE", "relative/env-ca.pem")]);
        let given = Verify::CaBundle("/etc/verify.pem".into());
        for (verify, vars, prof, want) in [
            (&given, &ca_env, &with_ca, Some("/etc/verify.pem")),
            (
                &Verify::Unset,
                &ca_env,
                &with_ca,
                Some("relative/env-ca.pem"),
            ),
            // As written: botocore expands neither `~` nor a relative path.
            (
                &Verify::Unset,
                &env(&[]),
                &with_ca,
                Some("~/profile-ca.pem"),
            ),
            (&Verify::Unset, &env(&[]), &ClientProfile::default(), None),
            // verify=True skips AWS_CA_BUNDLE and the profile (botocore's default roots).
            (&Verify::DefaultRoots, &ca_env, &with_ca, None),
            (&Verify::Off, &ca_env, &with_ca, None),
        ] {
            assert_eq!(
                resolve_ca_bundle(verify, vars, prof).unwrap().as_deref(),
                want,
                "{verify:?} {vars:?} {prof:?}"
            );
        }
        for (vars, prof) in [
            (env(&[("AWS_CA_BUNDLE", "")]), with_ca.clone()),
            (env(&[("AWS_CA_BUNDLE", "  ")]), ClientProfile::default()),
            (env(&[]), profile(None, None, Some(" "))),
        ] {
            let e = resolve_ca_bundle(&Verify::Unset, &vars, &prof).unwrap_err();
            assert_eq!(e.kind(), &ErrorKind::Configuration);
            assert!(e.to_string().contains("empty CA bundle path"), "{e}");
        }
    }
}
