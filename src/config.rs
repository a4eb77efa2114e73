//! `backend_kwargs` (the JSON object Airflow reads from `[secrets] backend_kwargs`) -> a typed
//! [`BackendConfig`], with Airflow's defaults and a clear error for every wrong type.
//!
//! Airflow accepts any kwarg and ignores the ones it does not know; so do we. Where Airflow would
//! silently accept a value of the wrong type and fail later (or never), we reject it here with
//! the key's name, because a typo in a secrets backend's configuration is found fastest at start.
//! Values with a fixed set of meanings (`assume_role_method` and its federation,
//! `config_kwargs.retries`, `verify`) become enums here, so an unusable one fails at open too.

mod kwargs;
mod proxies;
mod retries;

use std::time::Duration;

use serde_json::{Map, Value};

pub use proxies::Proxies;
pub use retries::{MaxAttempts, RetryMode, RetrySettings};

use crate::cache::CacheConfig;
use crate::credentials::Credentials;
use crate::error::Error;
use crate::naming::{Lookup, LookupPattern};
use kwargs::{Kwargs, type_name, wrong_type};

/// Airflow's default `connections_prefix`.
pub const DEFAULT_CONNECTIONS_PREFIX: &str = "/airflow/connections";
/// Airflow's default `variables_prefix`.
pub const DEFAULT_VARIABLES_PREFIX: &str = "/airflow/variables";
/// Airflow's default `config_prefix`.
pub const DEFAULT_CONFIG_PREFIX: &str = "/airflow/config";

/// Everything `backend_kwargs` says, typed.
#[derive(Debug, Clone)]
pub struct BackendConfig {
    /// Connection lookups; `None` when `connections_prefix` is `null`.
    pub connections: Option<Lookup>,
    /// Variable lookups; `None` when `variables_prefix` is `null`.
    pub variables: Option<Lookup>,
    /// Config lookups; `None` when `config_prefix` is `null`.
    pub config: Option<Lookup>,
    /// Airflow's `[core] multi_team`: ids containing `--` are ambiguous and not looked up.
    pub multi_team: bool,
    /// How to reach and sign for SSM.
    pub aws: AwsSettings,
    /// The lookup cache, when `cache_ttl_seconds` is set (off by default, as in Airflow).
    pub cache: Option<CacheConfig>,
}

/// The AWS connection extras that shape the SSM client.
#[derive(Debug, Clone, Default)]
pub struct AwsSettings {
    /// `region_name`.
    pub region_name: Option<String>,
    /// `endpoint_url`: the SSM endpoint to use instead of the regional default.
    pub endpoint_url: Option<String>,
    /// `use_ssl`: `false` selects `http://` for the default endpoint, as botocore does.
    pub use_ssl: bool,
    /// Static keys from `aws_access_key_id` / `aws_secret_access_key` / `aws_session_token`,
    /// or from the same keys inside `session_kwargs`.
    pub static_keys: StaticKeys,
    /// `profile_name`.
    pub profile_name: Option<String>,
    /// `role_arn` and how to assume it; `None` without a `role_arn` (the method, federation and
    /// token file are then ignored, as Airflow ignores them).
    pub role: Option<RoleSettings>,
    /// `service_config.sts.endpoint_url`: where STS is, instead of its regional endpoint.
    pub sts_endpoint_url: Option<String>,
    /// `config_kwargs.connect_timeout` (botocore's default: 60 s).
    pub connect_timeout: Option<Duration>,
    /// `config_kwargs.read_timeout` (botocore's default: 60 s).
    pub read_timeout: Option<Duration>,
    /// `config_kwargs.retries`, botocore's shape.
    pub retries: RetrySettings,
    /// `verify`: the SSM client's TLS trust.
    pub verify: Verify,
    /// `config_kwargs.use_fips_endpoint` / `use_dualstack_endpoint`: they reach Airflow's STS
    /// client only, as `config_kwargs` does in Airflow (not SSM, not botocore's own STS calls).
    pub config_kwargs_variant: VariantSettings,
    /// `config_kwargs.proxies`: Airflow's STS client only, likewise.
    pub proxies: Option<Proxies>,
}

/// `verify`, botocore's client argument (Airflow passes it to the SSM client only).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Verify {
    /// Absent or `null`: botocore reads `AWS_CA_BUNDLE`, then the profile's `ca_bundle`.
    #[default]
    Unset,
    /// `true`: the default roots; botocore then reads neither `AWS_CA_BUNDLE` nor `ca_bundle`.
    DefaultRoots,
    /// `false`: botocore would not check certificates. Refused for an `https` SSM endpoint
    /// (when resolving), a no-op for `http`.
    Off,
    /// A CA bundle path, as given.
    CaBundle(String),
}

/// A client's `use_fips_endpoint` / `use_dualstack_endpoint` from botocore's `Config`; `None`:
/// not set there (the environment and the profile decide).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VariantSettings {
    /// `use_fips_endpoint`.
    pub fips: Option<bool>,
    /// `use_dualstack_endpoint`.
    pub dual_stack: Option<bool>,
}

/// The static keys `backend_kwargs` gives (Airflow's `AwsConnectionWrapper`: the kwarg pair if
/// both are truthy, else the pair from `session_kwargs`; the token from either).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum StaticKeys {
    /// No key id.
    #[default]
    Absent,
    /// A key id with its secret (and maybe a session token).
    Given(Credentials),
    /// `aws_access_key_id` without a secret: Airflow would sign with `None`; planning refuses it
    /// as a credentials error.
    IdWithoutSecret,
}

/// `role_arn`, `assume_role_method` and `assume_role_kwargs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSettings {
    /// `role_arn`.
    pub role_arn: String,
    /// `assume_role_method` (`assume_role` when absent), with what it needs.
    pub method: AssumeRoleMethod,
    /// `assume_role_kwargs`, merged into the STS call.
    pub kwargs: Map<String, Value>,
}

/// The `assume_role_method`s the sandbox can run. `assume_role_with_saml` (Kerberos / SPNEGO
/// against an IdP) and the `google` web-identity federation are refused at open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AssumeRoleMethod {
    /// `assume_role`: STS `AssumeRole`, signed with the default chain's credentials.
    AssumeRole,
    /// `assume_role_with_web_identity` with `assume_role_with_web_identity_federation: file`:
    /// the token in `assume_role_with_web_identity_token_file`, else in the file
    /// `AWS_WEB_IDENTITY_TOKEN_FILE` names when planning.
    WebIdentityFile {
        /// `assume_role_with_web_identity_token_file`.
        token_file: Option<String>,
    },
}

impl BackendConfig {
    /// Parses the kwargs JSON text. An empty (or all-whitespace) text means `{}`, as in Airflow.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        if text.trim().is_empty() {
            return Self::from_map(&Map::new());
        }
        // The error's kind and position only: serde_json's own text may quote the input.
        let value: Value = serde_json::from_str(text).map_err(|e| {
            Error::configuration(format!(
                "backend_kwargs is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        match value {
            Value::Object(map) => Self::from_map(&map),
            other => Err(Error::configuration(format!(
                "backend_kwargs must be a JSON object, got {}",
                type_name(&other)
            ))),
        }
    }

    fn from_map(kwargs: &Map<String, Value>) -> Result<Self, Error> {
        let kw = Kwargs(kwargs);
        let lookup = |prefix_key, pattern_key, default: &str| -> Result<Option<Lookup>, Error> {
            let prefix = match kwargs.get(prefix_key) {
                None => Some(default.to_string()),
                Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => return Err(wrong_type(prefix_key, "a string or null", other)),
            };
            let pattern = kw
                .string(pattern_key)?
                .filter(|p| !p.is_empty())
                .map(|p| LookupPattern::new(pattern_key, &p))
                .transpose()?;
            Ok(prefix.map(|prefix| Lookup::new(&prefix, pattern)))
        };

        let empty = Map::new();
        let session = Kwargs(kw.object("session_kwargs")?.unwrap_or(&empty));
        let key_id = kw.truthy_string("aws_access_key_id")?;
        let secret = kw.truthy_string("aws_secret_access_key")?;
        let token = kw.truthy_string("aws_session_token")?;
        let (session_key_id, session_secret, session_token) = (
            session.truthy_string("aws_access_key_id")?,
            session.truthy_string("aws_secret_access_key")?,
            session.truthy_string("aws_session_token")?,
        );
        // Airflow's AwsConnectionWrapper: the kwarg pair if both are truthy, else the pair from
        // session_kwargs; the token from the kwarg, else from session_kwargs.
        let pair = match (key_id.clone(), secret) {
            (Some(k), Some(s)) => Some((k, s)),
            _ => session_key_id.clone().zip(session_secret),
        };
        let token = token.or(session_token);
        let static_keys = match pair {
            Some((k, s)) => StaticKeys::Given(Credentials::new(k, s, token)),
            None if key_id.is_some() || session_key_id.is_some() => StaticKeys::IdWithoutSecret,
            None => StaticKeys::Absent,
        };

        kw.object("assume_role_with_saml")?;
        let empty_config = Map::new();
        let config_kwargs = Kwargs(kw.object("config_kwargs")?.unwrap_or(&empty_config));
        let connect_timeout = config_kwargs.seconds("connect_timeout")?;
        let read_timeout = config_kwargs.seconds("read_timeout")?;
        let retries = RetrySettings::parse(config_kwargs.object("retries")?)?;
        let config_kwargs_variant = VariantSettings {
            fips: config_kwargs.boolean("use_fips_endpoint")?,
            dual_stack: config_kwargs.boolean("use_dualstack_endpoint")?,
        };
        let proxies = config_kwargs
            .object("proxies")?
            .map(Proxies::parse)
            .transpose()?;
        for key in [
            "api_version",
            "assume_role_with_web_identity_federation_audience",
        ] {
            kw.string(key)?;
        }
        let sts_endpoint_url = match kw.object("service_config")? {
            Some(services) => match Kwargs(services).object("sts")? {
                Some(sts) => Kwargs(sts).truthy_string("endpoint_url")?,
                None => None,
            },
            None => None,
        };
        let verify = match kwargs.get("verify") {
            None | Some(Value::Null) => Verify::Unset,
            Some(Value::Bool(true)) => Verify::DefaultRoots,
            Some(Value::Bool(false)) => Verify::Off,
            // botocore 1.44 raises InvalidConfigError for an empty or blank path.
            Some(Value::String(path)) if path.trim().is_empty() => {
                return Err(Error::configuration(
                    "backend_kwargs `verify` is an empty CA bundle path: give a path, true or \
                     false",
                ));
            }
            Some(Value::String(path)) => Verify::CaBundle(path.clone()),
            Some(v) => {
                return Err(wrong_type(
                    "verify",
                    "a boolean, a CA bundle path or null",
                    v,
                ));
            }
        };

        Ok(BackendConfig {
            connections: lookup(
                "connections_prefix",
                "connections_lookup_pattern",
                DEFAULT_CONNECTIONS_PREFIX,
            )?,
            variables: lookup(
                "variables_prefix",
                "variables_lookup_pattern",
                DEFAULT_VARIABLES_PREFIX,
            )?,
            config: lookup(
                "config_prefix",
                "config_lookup_pattern",
                DEFAULT_CONFIG_PREFIX,
            )?,
            multi_team: kw.boolean("multi_team")?.unwrap_or(false),
            cache: cache_config(&kw)?,
            aws: AwsSettings {
                region_name: kw.truthy_string("region_name")?,
                endpoint_url: kw.truthy_string("endpoint_url")?,
                use_ssl: kw.boolean("use_ssl")?.unwrap_or(true),
                static_keys,
                profile_name: kw.truthy_string("profile_name")?,
                role: role_settings(&kw)?,
                sts_endpoint_url,
                connect_timeout,
                read_timeout,
                retries,
                verify,
                config_kwargs_variant,
                proxies,
            },
        })
    }
}

/// `role_arn` with `assume_role_method`, `assume_role_kwargs` and the web identity's
/// federation and token file, all type-checked; the method only with a `role_arn`.
fn role_settings(kw: &Kwargs<'_>) -> Result<Option<RoleSettings>, Error> {
    let role_arn = kw.truthy_string("role_arn")?;
    let method = kw.truthy_string("assume_role_method")?;
    let kwargs = kw
        .object("assume_role_kwargs")?
        .cloned()
        .unwrap_or_default();
    let federation = kw.truthy_string("assume_role_with_web_identity_federation")?;
    let token_file = kw.truthy_string("assume_role_with_web_identity_token_file")?;
    let Some(role_arn) = role_arn else {
        return Ok(None);
    };
    let method = match method.as_deref().unwrap_or("assume_role") {
        "assume_role" => AssumeRoleMethod::AssumeRole,
        "assume_role_with_web_identity" => match federation.as_deref() {
            Some("file") => AssumeRoleMethod::WebIdentityFile { token_file },
            Some("google") => {
                return Err(Error::configuration(
                    "assume_role_with_web_identity_federation `google` is not supported in the sandbox",
                ));
            }
            other => {
                return Err(Error::configuration(format!(
                    "Unsupported federation: {}.",
                    other.unwrap_or("None")
                )));
            }
        },
        "assume_role_with_saml" => {
            return Err(Error::configuration(
                "assume_role_with_saml is not supported in the sandbox (it needs Kerberos/SPNEGO against an IdP)",
            ));
        }
        other => {
            return Err(Error::configuration(format!(
                "assume_role_method `{other}` is not one of assume_role, assume_role_with_saml, assume_role_with_web_identity"
            )));
        }
    };
    Ok(Some(RoleSettings {
        role_arn,
        method,
        kwargs,
    }))
}

/// `cache_ttl_seconds` (0 or absent: no cache), `cache_negative`, `cache_max_entries`,
/// `cache_stale_seconds`.
fn cache_config(kw: &Kwargs<'_>) -> Result<Option<CacheConfig>, Error> {
    let ttl = kw.seconds("cache_ttl_seconds")?.unwrap_or_default();
    let negative = kw.boolean("cache_negative")?.unwrap_or(true);
    let max_entries = match kw.0.get("cache_max_entries") {
        None | Some(Value::Null) => 1024,
        Some(Value::Number(n)) => n
            .as_u64()
            .filter(|n| (1..=1_000_000).contains(n))
            .ok_or_else(|| {
                Error::configuration(
                    "backend_kwargs `cache_max_entries` must be between 1 and 1000000",
                )
            })? as usize,
        Some(other) => return Err(wrong_type("cache_max_entries", "an integer", other)),
    };
    let stale_for = kw.seconds("cache_stale_seconds")?.unwrap_or_default();
    Ok((!ttl.is_zero()).then_some(CacheConfig {
        ttl,
        negative,
        max_entries,
        stale_for,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn config(text: &str) -> BackendConfig {
        BackendConfig::from_json(text).expect("valid kwargs")
    }

    fn given(c: &BackendConfig) -> Credentials {
        match &c.aws.static_keys {
            StaticKeys::Given(keys) => keys.clone(),
            other => panic!("expected static keys, got {other:?}"),
        }
    }

    fn config_error(text: &str) -> String {
        let e = BackendConfig::from_json(text).expect_err("invalid kwargs");
        assert_eq!(e.kind(), &ErrorKind::Configuration);
        e.to_string()
    }

    #[test]
    fn defaults_are_airflows() {
        for text in ["", "  ", "{}"] {
            let c = config(text);
            assert_eq!(c.connections.unwrap().prefix(), "/airflow/connections");
            assert_eq!(c.variables.unwrap().prefix(), "/airflow/variables");
            assert_eq!(c.config.unwrap().prefix(), "/airflow/config");
            assert!(c.aws.use_ssl);
            assert!(!c.multi_team);
        }
    }

    #[test]
    fn null_prefix_switches_a_kind_off() {
        let c = config(r#"{"variables_prefix": null, "config_prefix": null}"#);
        assert!(c.connections.is_some());
        assert!(c.variables.is_none());
        assert!(c.config.is_none());
    }

    #[test]
    fn unknown_keys_are_accepted_as_airflow_does() {
        let c = config(r#"{"sep": "-", "foo": 1, "api_version": "2014-11-06", "use_ssl": false}"#);
        assert!(!c.aws.use_ssl);
    }

    #[test]
    fn wrong_types_name_the_key() {
        assert!(config_error(r#"{"connections_prefix": 5}"#).contains("`connections_prefix`"));
        assert!(config_error(r#"{"region_name": ["x"]}"#).contains("`region_name`"));
        assert!(config_error(r#"{"use_ssl": "false"}"#).contains("`use_ssl`"));
        assert!(config_error(r#"{"config_kwargs": "x"}"#).contains("`config_kwargs`"));
        assert!(config_error(r#"{"verify": 1}"#).contains("`verify`"));
        assert!(
            config_error(r#"{"service_config": {"sts": {"endpoint_url": 1}}}"#)
                .contains("`endpoint_url`")
        );
        assert!(
            config_error(r#"{"session_kwargs": {"aws_access_key_id": 1}}"#)
                .contains("`aws_access_key_id`")
        );
    }

    #[test]
    fn malformed_or_non_object_json_is_a_configuration_error() {
        assert!(config_error("{").contains("not valid JSON"));
        assert!(config_error("[1]").contains("must be a JSON object, got an array"));
    }

    #[test]
    fn credentials_follow_airflows_wrapper() {
        let c = config(
            r#"{"aws_access_key_id": "AKID", "aws_secret_access_key": "S3CR3T", "aws_session_token": "TOK"}"#,
        );
        let creds = given(&c);
        assert_eq!(creds.access_key_id(), "AKID");
        assert_eq!(creds.session_token(), Some("TOK"));

        let c = config(
            r#"{"session_kwargs": {"aws_access_key_id": "AKIDSESS", "aws_secret_access_key": "ss", "region_name": "sa-east-1"}}"#,
        );
        assert_eq!(given(&c).access_key_id(), "AKIDSESS");
        assert_eq!(
            c.aws.region_name, None,
            "only credentials are read from session_kwargs"
        );

        let c = config(r#"{"aws_access_key_id": "AKIDONLY"}"#);
        assert_eq!(c.aws.static_keys, StaticKeys::IdWithoutSecret);

        let c = config(r#"{"aws_access_key_id": "", "aws_secret_access_key": "x"}"#);
        assert_eq!(c.aws.static_keys, StaticKeys::Absent);
    }

    #[test]
    fn config_kwargs_timeouts_and_retries() {
        let c = config(
            r#"{"config_kwargs": {"connect_timeout": 3, "read_timeout": 0.5, "retries": {"max_attempts": 5}}}"#,
        );
        assert_eq!(c.aws.connect_timeout, Some(Duration::from_secs(3)));
        assert_eq!(c.aws.read_timeout, Some(Duration::from_millis(500)));
        assert_eq!(c.aws.retries.attempts, Some(MaxAttempts::Retries(5)));
        assert!(
            config_error(r#"{"config_kwargs": {"connect_timeout": "3"}}"#)
                .contains("`connect_timeout`")
        );
        assert!(
            config_error(r#"{"config_kwargs": {"read_timeout": -1}}"#).contains("`read_timeout`")
        );
        assert!(config_error(r#"{"config_kwargs": {"retries": 3}}"#).contains("`retries`"));
    }

    #[test]
    fn verify_is_typed() {
        assert_eq!(config("{}").aws.verify, Verify::Unset);
        assert_eq!(config(r#"{"verify": null}"#).aws.verify, Verify::Unset);
        assert_eq!(
            config(r#"{"verify": true}"#).aws.verify,
            Verify::DefaultRoots
        );
        assert_eq!(config(r#"{"verify": false}"#).aws.verify, Verify::Off);
        assert_eq!(
            config(r#"{"verify": "~/ca.pem"}"#).aws.verify,
            Verify::CaBundle("~/ca.pem".into())
        );
        for blank in [r#""""#, r#"" ""#] {
            assert!(
                config_error(&format!(r#"{{"verify": {blank}}}"#))
                    .contains("`verify` is an empty CA bundle path")
            );
        }
    }

    #[test]
    fn config_kwargs_endpoint_variants_and_proxies() {
        let c = config(
            r#"{"config_kwargs": {"use_fips_endpoint": true, "use_dualstack_endpoint": null,
                "proxies": {"https": "http://svc:hunter2@proxy.corp:3128"}}}"#,
        );
        assert_eq!(
            c.aws.config_kwargs_variant,
            VariantSettings {
                fips: Some(true),
                dual_stack: None
            }
        );
        let shown = format!("{c:?}");
        assert!(shown.contains("proxy.corp:3128"), "{shown}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(config("{}").aws.proxies.is_none());
        // botocore would take the string "false" as true: a boolean is required here.
        assert!(
            config_error(r#"{"config_kwargs": {"use_fips_endpoint": "false"}}"#)
                .contains("`use_fips_endpoint`")
        );
        assert!(
            config_error(r#"{"config_kwargs": {"use_dualstack_endpoint": 1}}"#)
                .contains("`use_dualstack_endpoint`")
        );
        assert!(
            config_error(r#"{"config_kwargs": {"proxies": "http://p:1"}}"#).contains("`proxies`")
        );
        let e =
            config_error(r#"{"config_kwargs": {"proxies": {"https": "http://u:hunter2@p:x"}}}"#);
        assert!(
            e.contains("`config_kwargs.proxies.https`") && !e.contains("hunter2"),
            "{e}"
        );
    }

    #[test]
    fn cache_is_off_by_default_and_configurable() {
        assert!(config("{}").cache.is_none());
        assert!(config(r#"{"cache_ttl_seconds": 0}"#).cache.is_none());
        let c = config(r#"{"cache_ttl_seconds": 900, "cache_negative": false, "cache_max_entries": 10, "cache_stale_seconds": 60}"#).cache.unwrap();
        assert_eq!(
            (c.ttl, c.negative, c.max_entries, c.stale_for),
            (Duration::from_secs(900), false, 10, Duration::from_secs(60))
        );
        assert!(config_error(r#"{"cache_ttl_seconds": "900"}"#).contains("`cache_ttl_seconds`"));
        assert!(
            config_error(r#"{"cache_ttl_seconds": 1, "cache_max_entries": 0}"#)
                .contains("`cache_max_entries`")
        );
    }

    #[test]
    fn bad_lookup_pattern_is_rejected_at_construction() {
        assert!(
            config_error(r#"{"variables_lookup_pattern": "("}"#)
                .contains("variables_lookup_pattern")
        );
    }

    #[test]
    fn role_method_federation_and_retry_mode_are_checked_at_open() {
        let role = r#""role_arn": "arn:aws:iam::1:role/r""#;
        let open = |extra: &str| BackendConfig::from_json(&format!("{{{role}, {extra}}}"));
        for (extra, says) in [
            (
                r#""assume_role_method": "bogus""#,
                "assume_role_method `bogus`",
            ),
            (
                r#""assume_role_method": "assume_role_with_saml""#,
                "not supported",
            ),
            (
                r#""assume_role_method": "assume_role_with_web_identity""#,
                "Unsupported federation: None.",
            ),
            (
                r#""assume_role_method": "assume_role_with_web_identity", "assume_role_with_web_identity_federation": "google""#,
                "`google` is not supported",
            ),
        ] {
            let e = open(extra).expect_err(extra);
            assert_eq!(e.kind(), &ErrorKind::Configuration, "{extra}");
            assert!(e.to_string().contains(says), "{extra}: {e}");
        }
        let c = open(
            r#""assume_role_method": "assume_role_with_web_identity", "assume_role_with_web_identity_federation": "file""#,
        )
        .unwrap();
        assert_eq!(
            c.aws.role.unwrap().method,
            AssumeRoleMethod::WebIdentityFile { token_file: None }
        );
        let c = config(r#"{"assume_role_method": "bogus"}"#);
        assert!(
            c.aws.role.is_none(),
            "ignored without role_arn, as Airflow does"
        );
        assert_eq!(
            config(&format!("{{{role}}}")).aws.role.unwrap().method,
            AssumeRoleMethod::AssumeRole
        );

        assert!(
            config_error(r#"{"config_kwargs": {"retries": {"mode": "fast"}}}"#)
                .contains("retry mode `fast`")
        );
        assert!(
            config_error(r#"{"config_kwargs": {"retries": {"max_attempts": -1}}}"#)
                .contains("`config_kwargs.retries.max_attempts`")
        );
        let retries = config(
            r#"{"config_kwargs": {"retries": {"mode": "legacy", "total_max_attempts": 2, "max_attempts": "ignored"}}}"#,
        )
        .aws
        .retries;
        assert_eq!(
            retries,
            RetrySettings {
                mode: Some(RetryMode::Legacy),
                attempts: Some(MaxAttempts::Total(2))
            }
        );
    }
}
