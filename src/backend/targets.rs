//! What a configuration reaches, resolved without network.

use crate::config::{BackendConfig, Verify};
use crate::credentials::{self, Caller, Source};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::platform::{Environment, Filesystem};
use crate::region;
use crate::retry::RetryConfig;
use crate::route::Route;

/// Everything a configuration reaches: the region, the SSM endpoint, where credentials come
/// from, the endpoints fetching them contacts and how to reach each, and the files read.
/// Resolved without network, so a host can derive its grants from it.
#[derive(Debug, Clone)]
pub struct Targets {
    /// The signing region.
    pub region: String,
    /// The SSM endpoint.
    pub ssm: Endpoint,
    /// Where credentials come from.
    pub source: Source,
    /// STS, container or instance metadata endpoints the source contacts.
    pub credential_endpoints: Vec<Endpoint>,
    /// How to reach each distinct endpoint of `ssm` and `credential_endpoints` (SSM first): the
    /// CA bundle and the proxy botocore would use for the client that calls it. When several
    /// clients call one endpoint, the first one's CA bundle is kept, and a proxy from
    /// `config_kwargs` if any of them has one.
    pub routes: Vec<Route>,
    /// Files read (shared AWS files, token files).
    pub files: Vec<String>,
    /// Attempts and mode of the standard retry mode.
    pub retry: RetryConfig,
}

impl Targets {
    /// Resolves `config` against an environment and filesystem.
    pub fn resolve(
        config: &BackendConfig,
        env: &dyn Environment,
        fs: &dyn Filesystem,
        now: std::time::SystemTime,
    ) -> Result<Self, Error> {
        let aws = &config.aws;
        let plan = credentials::plan(aws, env, fs, now)?;
        let region = region::resolve_region(aws, env, plan.profile_region.as_deref())?;
        let ssm = region::resolve_ssm_endpoint(aws, &region, env, &plan.ssm_profile)?;
        if aws.verify == Verify::Off && ssm.scheme() == "https" {
            return Err(Error::configuration(
                "verify: false would switch off certificate checks for a secrets lookup; give the \
                 CA bundle path in `verify` or AWS_CA_BUNDLE instead",
            ));
        }
        let retry = RetryConfig::resolve(&aws.retries, env)?;
        let callers = credentials::callers(&plan.source, &region)?;

        let mut routes = vec![Route {
            endpoint: ssm.clone(),
            ca_bundle: region::resolve_ca_bundle(&aws.verify, env, &plan.ssm_profile)?,
            proxy: None,
        }];
        for (endpoint, caller) in &callers {
            let (ca_bundle, proxy) = match caller {
                // Airflow passes no `verify` to its STS client; botocore's own have none.
                Caller::AirflowSts | Caller::BotocoreSts => (
                    region::resolve_ca_bundle(&Verify::Unset, env, &plan.session_profile)?,
                    match (caller, &aws.proxies) {
                        (Caller::AirflowSts, Some(proxies)) => {
                            proxies.for_endpoint(endpoint).map(str::to_string)
                        }
                        _ => None,
                    },
                ),
                Caller::Metadata => (None, None),
            };
            match routes.iter_mut().find(|r| &r.endpoint == endpoint) {
                Some(known) => {
                    if known.proxy.is_none() {
                        known.proxy = proxy;
                    }
                }
                None => routes.push(Route {
                    endpoint: endpoint.clone(),
                    ca_bundle,
                    proxy,
                }),
            }
        }

        Ok(Targets {
            retry,
            credential_endpoints: callers.into_iter().map(|(endpoint, _)| endpoint).collect(),
            routes,
            region,
            ssm,
            source: plan.source,
            files: plan.files,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::error::ErrorKind;

    const CONFIG: &str = "\
[default]
region = eu-west-1

[profile fips]
region = us-east-1
use_fips_endpoint = true
ca_bundle = /etc/fips-ca.pem
aws_access_key_id = AKIDFIPS
aws_secret_access_key = f

[profile chain]
region = eu-west-1
role_arn = arn:aws:iam::1:role/chain
source_profile = keys
use_dualstack_endpoint = TRUE
ca_bundle = ~/chain-ca.pem

[profile keys]
use_fips_endpoint = true
ca_bundle = /ignored/source-profile-ca.pem
aws_access_key_id = AKIDKEYS
aws_secret_access_key = k
";

    const ROLE: &str = r#""role_arn": "arn:aws:iam::1:role/r""#;
    const PROXIES: &str = r#""config_kwargs": {"proxies": {"https": "svc:hunter2@proxy.corp:3128", "http": "http://plain.corp:80"}}"#;

    fn resolve(kwargs: &str, vars: &[(&str, &str)]) -> Result<Targets, Error> {
        let mut env: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        env.insert("HOME".into(), "/home/u".into());
        env.insert("AWS_EC2_METADATA_DISABLED".into(), "true".into());
        let fs = HashMap::from([("/home/u/.aws/config", CONFIG)]);
        let config = BackendConfig::from_json(kwargs)?;
        Targets::resolve(
            &config,
            &env,
            &fs,
            UNIX_EPOCH + Duration::from_secs(1_795_000_000),
        )
    }

    /// A route as (url, ca_bundle, proxy).
    type Row = (String, Option<String>, Option<String>);
    /// A route as a test writes it.
    type Want = &'static [(&'static str, Option<&'static str>, Option<&'static str>)];
    /// Environment variables.
    type Vars = &'static [(&'static str, &'static str)];

    /// Each route as a [`Row`].
    fn routes(t: &Targets) -> Vec<Row> {
        t.routes
            .iter()
            .map(|r| (r.endpoint.url(), r.ca_bundle.clone(), r.proxy.clone()))
            .collect()
    }

    fn owned(want: Want) -> Vec<Row> {
        want.iter()
            .map(|(u, c, p)| (u.to_string(), c.map(str::to_string), p.map(str::to_string)))
            .collect()
    }

    const KEYS: &[(&str, &str)] = &[
        ("AWS_ACCESS_KEY_ID", "AKID"),
        ("AWS_SECRET_ACCESS_KEY", "s"),
    ];

    #[test]
    fn routes_follow_each_clients_settings() {
        let fips_ca_env: Vars = &[
            ("AWS_ACCESS_KEY_ID", "AKID"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("AWS_USE_FIPS_ENDPOINT", "true"),
            ("AWS_CA_BUNDLE", "/env/ca.pem"),
        ];
        let cases: Vec<(String, Vars, Want)> = vec![
            (
                r#"{"region_name": "eu-west-1"}"#.into(),
                KEYS,
                &[("https://ssm.eu-west-1.amazonaws.com/", None, None)],
            ),
            // The environment reaches every client; config_kwargs' proxy only Airflow's STS.
            (
                format!("{{{ROLE}, {PROXIES}}}"),
                fips_ca_env,
                &[
                    (
                        "https://ssm-fips.eu-west-1.amazonaws.com/",
                        Some("/env/ca.pem"),
                        None,
                    ),
                    (
                        "https://sts-fips.eu-west-1.amazonaws.com/",
                        Some("/env/ca.pem"),
                        Some("http://svc:hunter2@proxy.corp:3128"),
                    ),
                ],
            ),
            // `verify` reaches SSM only, and wins over AWS_CA_BUNDLE there.
            (
                format!(r#"{{{ROLE}, "verify": "relative/ca.pem"}}"#),
                fips_ca_env,
                &[
                    (
                        "https://ssm-fips.eu-west-1.amazonaws.com/",
                        Some("relative/ca.pem"),
                        None,
                    ),
                    (
                        "https://sts-fips.eu-west-1.amazonaws.com/",
                        Some("/env/ca.pem"),
                        None,
                    ),
                ],
            ),
            // verify=True: the default roots, AWS_CA_BUNDLE skipped (botocore).
            (
                r#"{"verify": true}"#.into(),
                fips_ca_env,
                &[("https://ssm-fips.eu-west-1.amazonaws.com/", None, None)],
            ),
            // config_kwargs' FIPS / dual-stack reach Airflow's STS client, not SSM.
            (
                format!(
                    r#"{{{ROLE}, "config_kwargs": {{"use_fips_endpoint": true, "use_dualstack_endpoint": true}}}}"#
                ),
                KEYS,
                &[
                    ("https://ssm.eu-west-1.amazonaws.com/", None, None),
                    ("https://sts-fips.eu-west-1.api.aws/", None, None),
                ],
            ),
            // A role in a profile: botocore's STS client, with the selected profile's settings
            // (not its source profile's), and no proxy from config_kwargs.
            (
                format!(r#"{{"profile_name": "chain", {PROXIES}}}"#),
                &[],
                &[
                    (
                        "https://ssm.eu-west-1.api.aws/",
                        Some("~/chain-ca.pem"),
                        None,
                    ),
                    (
                        "https://sts.eu-west-1.api.aws/",
                        Some("~/chain-ca.pem"),
                        None,
                    ),
                ],
            ),
            // profile_name with a role_arn kwarg: Airflow's SSM client reads the environment's
            // profile (here `default`), its STS client the named one.
            (
                format!(r#"{{{ROLE}, "profile_name": "fips"}}"#),
                &[],
                &[
                    ("https://ssm.us-east-1.amazonaws.com/", None, None),
                    (
                        "https://sts-fips.us-east-1.amazonaws.com/",
                        Some("/etc/fips-ca.pem"),
                        None,
                    ),
                ],
            ),
            (
                format!(r#"{{{ROLE}, "profile_name": "fips"}}"#),
                &[("AWS_PROFILE", "fips")],
                &[
                    (
                        "https://ssm-fips.us-east-1.amazonaws.com/",
                        Some("/etc/fips-ca.pem"),
                        None,
                    ),
                    (
                        "https://sts-fips.us-east-1.amazonaws.com/",
                        Some("/etc/fips-ca.pem"),
                        None,
                    ),
                ],
            ),
            // An endpoint URL wins over FIPS; one route per endpoint, with config_kwargs' proxy.
            (
                format!(r#"{{{ROLE}, {PROXIES}, "verify": false}}"#),
                &[
                    ("AWS_ACCESS_KEY_ID", "AKID"),
                    ("AWS_SECRET_ACCESS_KEY", "s"),
                    ("AWS_USE_FIPS_ENDPOINT", "true"),
                    ("AWS_ENDPOINT_URL", "http://localhost:4566"),
                ],
                &[("http://localhost:4566/", None, Some("http://plain.corp:80"))],
            ),
            // Container credentials: plain HTTP, no CA bundle, no proxy from config_kwargs.
            (
                format!(r#"{{"region_name": "eu-west-1", {PROXIES}}}"#),
                &[
                    ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/c"),
                    ("AWS_CA_BUNDLE", "/env/ca.pem"),
                ],
                &[
                    (
                        "https://ssm.eu-west-1.amazonaws.com/",
                        Some("/env/ca.pem"),
                        None,
                    ),
                    ("http://169.254.170.2/v2/c", None, None),
                ],
            ),
        ];
        for (kwargs, vars, want) in cases {
            let t = resolve(&kwargs, vars).unwrap_or_else(|e| panic!("{kwargs}: {e}"));
            assert_eq!(routes(&t), owned(want), "{kwargs} {vars:?}");
            assert_eq!(t.routes[0].endpoint, t.ssm, "{kwargs}");
            for endpoint in std::iter::once(&t.ssm).chain(&t.credential_endpoints) {
                assert!(t.routes.iter().any(|r| &r.endpoint == endpoint), "{kwargs}");
            }
        }
    }

    #[test]
    fn unusable_trust_and_variants_are_configuration_errors() {
        for (kwargs, vars, says) in [
            (
                r#"{"verify": false}"#.to_string(),
                KEYS,
                "verify: false would switch off certificate checks for a secrets lookup; give \
                 the CA bundle path in `verify` or AWS_CA_BUNDLE instead",
            ),
            (
                format!(r#"{{{ROLE}, "profile_name": "fips"}}"#),
                &[("AWS_PROFILE", "nope")],
                "profile `nope` (AWS_PROFILE, which the SSM client of a `role_arn` reads) not found",
            ),
            (
                r#"{"region_name": "eu-isoe-west-1"}"#.into(),
                &[
                    ("AWS_ACCESS_KEY_ID", "AKID"),
                    ("AWS_SECRET_ACCESS_KEY", "s"),
                    ("AWS_USE_DUALSTACK_ENDPOINT", "true"),
                ],
                "no dual-stack endpoint for ssm in region eu-isoe-west-1",
            ),
            (
                format!(
                    r#"{{{ROLE}, "region_name": "us-isof-south-1", "endpoint_url": "https://vpce.example", "config_kwargs": {{"use_dualstack_endpoint": true}}}}"#
                ),
                KEYS,
                "no dual-stack endpoint for sts in region us-isof-south-1",
            ),
            (
                r#"{"region_name": "eu-west-1"}"#.into(),
                &[
                    ("AWS_ACCESS_KEY_ID", "AKID"),
                    ("AWS_SECRET_ACCESS_KEY", "s"),
                    ("AWS_CA_BUNDLE", ""),
                ],
                "AWS_CA_BUNDLE is an empty CA bundle path",
            ),
        ] {
            let e = resolve(&kwargs, vars).unwrap_err();
            assert_eq!(e.kind(), &ErrorKind::Configuration, "{kwargs}");
            assert!(e.to_string().contains(says), "{kwargs}: {e}");
        }
        // verify=False against plain HTTP checks nothing anyway: accepted.
        let t = resolve(
            r#"{"endpoint_url": "http://localhost:4566", "region_name": "us-east-1", "verify": false}"#,
            KEYS,
        )
        .unwrap();
        assert_eq!(routes(&t), owned(&[("http://localhost:4566/", None, None)]));
        let t = resolve(r#"{"use_ssl": false, "verify": false}"#, KEYS).unwrap();
        assert_eq!(t.ssm.scheme(), "http");
    }

    #[test]
    fn no_proxy_password_in_debug_or_errors() {
        let t = resolve(&format!("{{{ROLE}, {PROXIES}}}"), KEYS).unwrap();
        assert_eq!(
            t.routes[1].proxy.as_deref(),
            Some("http://svc:hunter2@proxy.corp:3128"),
            "the host gets the whole URL"
        );
        let shown = format!("{t:?} {t:#?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("proxy.corp:3128"), "{shown}");
        let e = resolve(
            &format!(
                r#"{{{ROLE}, "config_kwargs": {{"proxies": {{"https": "http://svc:hunter2@proxy.corp:x"}}}}}}"#
            ),
            KEYS,
        )
        .unwrap_err();
        let shown = format!("{e} {e:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("config_kwargs.proxies.https"), "{shown}");
    }
}
