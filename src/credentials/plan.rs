//! The plan: which source a configuration's credentials come from, decided natively and
//! without any network (a host derives its grants from it). The default chain and the kwargs
//! `role_arn` are here; a profile's own chain is in [`super::profile_chain`].

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::profile::Properties;
use super::shared_files::SharedFiles;
use super::source::{Caller, StsTarget};
use super::{ContainerSource, Credentials, ImdsSource, Plan, Source, environment};
use crate::config::{AssumeRoleMethod, AwsSettings, RoleSettings, StaticKeys, VariantSettings};
use crate::endpoint::{Endpoint, Variant};
use crate::error::Error;
use crate::platform::{Environment, Filesystem};
use crate::region::{ClientProfile, resolve_variant};

/// Decides where credentials come from. Reads the shared files; sends nothing.
pub fn plan(
    settings: &AwsSettings,
    env: &dyn Environment,
    fs: &dyn Filesystem,
    now: SystemTime,
) -> Result<Plan, Error> {
    let files = SharedFiles::load(env, fs)?;
    let var = |name: &str| env.var(name).filter(|v| !v.is_empty());
    let explicit = settings.profile_name.clone().or_else(|| var("AWS_PROFILE"));
    let profile_name = explicit.clone().unwrap_or_else(|| "default".to_string());
    let profile = files.profile(&profile_name);
    if explicit.is_some() && profile.is_none() {
        return Err(Error::configuration(format!(
            "profile `{profile_name}` not found in {}",
            files.describe()
        )));
    }
    let session_profile = client_profile(profile.as_ref());
    let ssm_profile = match (&settings.role, var("AWS_PROFILE")) {
        // Airflow builds the SSM client of a `role_arn` on a fresh botocore session: it reads
        // the environment's profile, not `profile_name`.
        (Some(_), env_profile) if env_profile != explicit => {
            let name = env_profile.clone().unwrap_or_else(|| "default".to_string());
            match files.profile(&name) {
                Some(props) => client_profile(Some(&props)),
                None if env_profile.is_none() => ClientProfile::default(),
                None => {
                    return Err(Error::configuration(format!(
                        "profile `{name}` (AWS_PROFILE, which the SSM client of a `role_arn` \
                         reads) not found in {}",
                        files.describe()
                    )));
                }
            }
        }
        _ => session_profile.clone(),
    };
    let mut planner = Planner {
        env,
        files: &files,
        now,
        read: files.paths.iter().flatten().cloned().collect(),
        sts: sts_override(settings, env)?,
        chain_variant: resolve_variant(VariantSettings::default(), env, &session_profile),
        airflow_variant: resolve_variant(settings.config_kwargs_variant, env, &session_profile),
    };
    let base = planner.base(settings, &profile_name, settings.profile_name.is_some())?;
    let source = match &settings.role {
        None => base,
        Some(role) => planner.kwargs_role(role, base)?,
    };
    Ok(Plan {
        source,
        profile_region: profile
            .and_then(|p| p.get("region").cloned())
            .filter(|r| !r.is_empty()),
        files: planner.read,
        session_profile,
        ssm_profile,
    })
}

/// What a profile says for botocore's clients.
fn client_profile(props: Option<&Properties>) -> ClientProfile {
    let get = |key: &str| props.and_then(|p| p.get(key)).cloned();
    ClientProfile {
        use_fips_endpoint: get("use_fips_endpoint"),
        use_dualstack_endpoint: get("use_dualstack_endpoint"),
        ca_bundle: get("ca_bundle"),
    }
}

/// The state of one plan: what it reads, and what the sources it builds share.
pub(super) struct Planner<'a> {
    pub(super) env: &'a dyn Environment,
    pub(super) files: &'a SharedFiles,
    pub(super) now: SystemTime,
    /// Every file the plan reads, now or when fetching.
    pub(super) read: Vec<String>,
    /// Where STS is when not at its regional endpoint.
    pub(super) sts: Option<Endpoint>,
    /// The FIPS / dual-stack variant of botocore's own STS clients (the session's settings).
    pub(super) chain_variant: Variant,
    /// ... of Airflow's STS client: `config_kwargs` first, then the session's settings.
    pub(super) airflow_variant: Variant,
}

/// `service_config.sts.endpoint_url`, then `AWS_ENDPOINT_URL_STS`, then `AWS_ENDPOINT_URL`
/// (botocore's service-specific endpoints); never the SSM `endpoint_url`.
fn sts_override(settings: &AwsSettings, env: &dyn Environment) -> Result<Option<Endpoint>, Error> {
    if let Some(url) = &settings.sts_endpoint_url {
        return Endpoint::parse(url, "backend_kwargs `service_config.sts.endpoint_url`").map(Some);
    }
    for name in ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"] {
        if let Some(url) = env.var(name).filter(|v| !v.is_empty()) {
            return Endpoint::parse(&url, name).map(Some);
        }
    }
    Ok(None)
}

impl Planner<'_> {
    /// Where an STS call of `caller` goes.
    pub(super) fn sts_target(&self, caller: Caller) -> StsTarget {
        StsTarget {
            endpoint: self.sts.clone(),
            variant: match caller {
                Caller::AirflowSts => self.airflow_variant,
                _ => self.chain_variant,
            },
            caller,
        }
    }

    fn var(&self, name: &str) -> Option<String> {
        self.env.var(name).filter(|v| !v.is_empty())
    }

    /// The `AWS_*` keys of the environment (see [`environment::static_keys`]).
    pub(super) fn env_static(&self) -> Result<Option<Credentials>, Error> {
        environment::static_keys(self.env)
    }

    /// The default chain (without the kwargs `role_arn`).
    fn base(
        &mut self,
        settings: &AwsSettings,
        profile_name: &str,
        explicit_profile: bool,
    ) -> Result<Source, Error> {
        match &settings.static_keys {
            StaticKeys::Given(credentials) => {
                return Ok(Source::Static {
                    credentials: credentials.clone(),
                    origin: "backend_kwargs".into(),
                });
            }
            StaticKeys::IdWithoutSecret => {
                return Err(Error::credentials(
                    "`aws_access_key_id` is set but `aws_secret_access_key` is not",
                ));
            }
            StaticKeys::Absent => {}
        }
        if !explicit_profile {
            if let Some(credentials) = self.env_static()? {
                return Ok(Source::Static {
                    credentials,
                    origin: "environment".into(),
                });
            }
            if let Some(vars) = environment::web_identity(self.env) {
                let mut kwargs = Map::new();
                if let Some(name) = vars.session_name {
                    kwargs.insert("RoleSessionName".into(), name.into());
                }
                return Ok(self.web_identity(
                    vars.role_arn,
                    vars.token_file,
                    kwargs,
                    Caller::BotocoreSts,
                ));
            }
        }
        if self.files.profile(profile_name).is_some() {
            let mut visited = Vec::new();
            if let Some(source) = self.profile(profile_name, &mut visited)? {
                return Ok(source);
            }
            if explicit_profile {
                return Err(Error::credentials(format!(
                    "profile `{profile_name}` holds no credentials"
                )));
            }
        }
        if let Some(container) = ContainerSource::from_env(self.env)? {
            self.read.extend(container.token_file().map(str::to_string));
            return Ok(Source::Container(container));
        }
        match ImdsSource::from_env(self.env)? {
            Some(imds) => Ok(Source::Imds(imds)),
            None => Err(Error::credentials(
                "unable to locate credentials: set `aws_access_key_id` and `aws_secret_access_key` \
                 in backend_kwargs, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a web identity, a \
                 profile, or container credentials (instance metadata is disabled)",
            )),
        }
    }

    pub(super) fn web_identity(
        &mut self,
        role_arn: String,
        token_file: String,
        mut kwargs: Map<String, Value>,
        caller: Caller,
    ) -> Source {
        self.read.push(token_file.clone());
        kwargs
            .entry("RoleSessionName")
            .or_insert_with(|| botocore_session_name(self.now).into());
        Source::WebIdentity {
            role_arn,
            token_file,
            kwargs,
            sts: self.sts_target(caller),
        }
    }

    /// Airflow's `role_arn` kwarg around `base` (its method was checked at open).
    fn kwargs_role(&mut self, role: &RoleSettings, base: Source) -> Result<Source, Error> {
        match &role.method {
            AssumeRoleMethod::AssumeRole => Ok(Source::AssumeRole {
                role_arn: role.role_arn.clone(),
                kwargs: role.kwargs.clone(),
                base: Box::new(base),
                sts: self.sts_target(Caller::AirflowSts),
            }),
            AssumeRoleMethod::WebIdentityFile { token_file } => {
                let token_file = token_file
                    .clone()
                    .or_else(|| self.var("AWS_WEB_IDENTITY_TOKEN_FILE"))
                    .ok_or_else(|| Error::configuration(
                        "assume_role_with_web_identity needs `assume_role_with_web_identity_token_file` or AWS_WEB_IDENTITY_TOKEN_FILE",
                    ))?;
                Ok(self.web_identity(
                    role.role_arn.clone(),
                    token_file,
                    role.kwargs.clone(),
                    Caller::AirflowSts,
                ))
            }
        }
    }
}

/// botocore's default session name for roles from profiles and web identity.
pub(super) fn botocore_session_name(now: SystemTime) -> String {
    format!(
        "botocore-session-{}",
        now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
    )
}
