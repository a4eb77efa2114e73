//! The plan: which source a configuration's credentials come from, decided natively and
//! without any network (a host derives its grants from it). The default chain and the kwargs
//! `role_arn` are here; a profile's own chain is in [`super::profile_chain`].

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::shared_files::SharedFiles;
use super::{ContainerSource, Credentials, ImdsSource, Plan, Source, environment};
use crate::config::{AssumeRoleMethod, AwsSettings, RoleSettings, StaticKeys};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::platform::{Environment, Filesystem};

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
    let mut planner = Planner {
        env,
        files: &files,
        now,
        read: files.paths.iter().flatten().cloned().collect(),
        sts: sts_override(settings, env)?,
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
    })
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
                return Ok(self.web_identity(vars.role_arn, vars.token_file, kwargs));
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
    ) -> Source {
        self.read.push(token_file.clone());
        kwargs
            .entry("RoleSessionName")
            .or_insert_with(|| botocore_session_name(self.now).into());
        Source::WebIdentity {
            role_arn,
            token_file,
            kwargs,
            sts: self.sts.clone(),
        }
    }

    /// Airflow's `role_arn` kwarg around `base` (its method was checked at open).
    fn kwargs_role(&mut self, role: &RoleSettings, base: Source) -> Result<Source, Error> {
        match &role.method {
            AssumeRoleMethod::AssumeRole => Ok(Source::AssumeRole {
                role_arn: role.role_arn.clone(),
                kwargs: role.kwargs.clone(),
                base: Box::new(base),
                sts: self.sts.clone(),
            }),
            AssumeRoleMethod::WebIdentityFile { token_file } => {
                let token_file = token_file
                    .clone()
                    .or_else(|| self.var("AWS_WEB_IDENTITY_TOKEN_FILE"))
                    .ok_or_else(|| Error::configuration(
                        "assume_role_with_web_identity needs `assume_role_with_web_identity_token_file` or AWS_WEB_IDENTITY_TOKEN_FILE",
                    ))?;
                Ok(self.web_identity(role.role_arn.clone(), token_file, role.kwargs.clone()))
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
