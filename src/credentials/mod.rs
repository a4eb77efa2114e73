//! AWS credentials: where they come from, how temporary ones are fetched, and how they are kept
//! out of every message.
//!
//! [`plan`] decides, without any network, which source a configuration uses, in this order:
//!
//! 1. `aws_access_key_id` + `aws_secret_access_key` (+ `aws_session_token`) in the kwargs or in
//!    `session_kwargs`;
//! 2. the `AWS_*` environment variables (skipped when `profile_name` is given, as botocore does);
//! 3. web identity: `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN` -> STS
//!    `AssumeRoleWithWebIdentity`;
//! 4. the shared `config` / `credentials` files (`profile_name`, `AWS_PROFILE`, `default`):
//!    static keys, `role_arn` with `source_profile` / `credential_source`,
//!    `web_identity_token_file`;
//! 5. ECS / EKS container credentials;
//! 6. EC2 instance metadata (IMDSv2).
//!
//! A `role_arn` kwarg then wraps that source in STS `AssumeRole` (or, with
//! `assume_role_method: assume_role_with_web_identity`, replaces it by web identity).
//! [`fetch`] runs the plan; the backend caches the result until 5 minutes before it expires.

mod container;
mod imds;
pub mod profile;
pub mod sts;

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::{Map, Value};

pub use container::ContainerSource;
pub use imds::ImdsSource;

use crate::config::AwsSettings;
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::platform::{Environment, Filesystem, Transport};
use crate::signing::sign_request;
use crate::timestamp::parse_iso8601;
use profile::{FileKind, ProfileFile, Properties};

/// How long before expiry temporary credentials are refreshed.
pub const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// An access key pair with an optional session token and expiry. `Debug` shows only the key id.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expires: Option<SystemTime>,
}

impl Credentials {
    /// Credentials from their three parts.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: session_token.filter(|t| !t.is_empty()),
            expires: None,
        }
    }

    /// The same credentials, expiring at `at`.
    pub fn expiring(mut self, at: SystemTime) -> Self {
        self.expires = Some(at);
        self
    }

    /// When they expire (`None`: they do not).
    pub fn expires(&self) -> Option<SystemTime> {
        self.expires
    }

    /// Whether they should be fetched again at `now`: 5 minutes or less before expiry.
    pub fn needs_refresh(&self, now: SystemTime) -> bool {
        self.expires
            .is_some_and(|at| now + REFRESH_BEFORE_EXPIRY >= at)
    }

    /// The access key id (not a secret: it appears in every `Authorization` header).
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The secret access key.
    pub fn secret_access_key(&self) -> &str {
        &self.secret_access_key
    }

    /// The session token of temporary credentials.
    pub fn session_token(&self) -> Option<&str> {
        self.session_token.as_deref()
    }

    /// The values that must never appear in a message.
    pub fn secrets(&self) -> Vec<&str> {
        let mut secrets = vec![self.secret_access_key.as_str()];
        secrets.extend(self.session_token.as_deref());
        secrets
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires", &self.expires)
            .finish()
    }
}

/// Where credentials come from, decided without any network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Fixed keys; `origin` says where they were found.
    Static {
        /// The keys.
        credentials: Credentials,
        /// e.g. `backend_kwargs`, `environment`, `profile dev`.
        origin: String,
    },
    /// STS `AssumeRole`, signed with the credentials of `base`.
    AssumeRole {
        /// The role.
        role_arn: String,
        /// Extra request members (`RoleSessionName`, `ExternalId`, ...).
        kwargs: Map<String, Value>,
        /// What signs the STS call.
        base: Box<Source>,
        /// STS, when not its regional endpoint.
        sts: Option<Endpoint>,
    },
    /// STS `AssumeRoleWithWebIdentity` with the token in `token_file` (unsigned).
    WebIdentity {
        /// The role.
        role_arn: String,
        /// The OIDC token's file.
        token_file: String,
        /// Extra request members (`RoleSessionName`, `DurationSeconds`, ...).
        kwargs: Map<String, Value>,
        /// STS, when not its regional endpoint.
        sts: Option<Endpoint>,
    },
    /// ECS / EKS container credentials.
    Container(ContainerSource),
    /// EC2 instance metadata, the last resort.
    Imds(ImdsSource),
}

/// A plan: the source, the selected profile's region, and every file the plan reads.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Where credentials come from.
    pub source: Source,
    /// `region` of the selected profile.
    pub profile_region: Option<String>,
    /// Files the plan reads, now or when fetching (for a host's read-only grants).
    pub files: Vec<String>,
}

/// The shared config and credentials files, loaded once.
struct SharedFiles {
    config: ProfileFile,
    credentials: ProfileFile,
    paths: [Option<String>; 2],
}

impl SharedFiles {
    fn load(env: &dyn Environment, fs: &dyn Filesystem) -> Result<Self, Error> {
        let home = env.var("HOME").filter(|h| !h.is_empty());
        let path = |var: &str, default: &str| {
            env.var(var)
                .filter(|p| !p.is_empty())
                .or_else(|| home.as_ref().map(|h| format!("{h}/.aws/{default}")))
        };
        let paths = [
            path("AWS_CONFIG_FILE", "config"),
            path("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
        ];
        let read = |path: &Option<String>, kind| -> Result<ProfileFile, Error> {
            let Some(path) = path else {
                return Ok(ProfileFile::default());
            };
            match fs.read_to_string(path) {
                Ok(text) => ProfileFile::parse(&text, kind).map_err(|e| {
                    Error::configuration(format!("{path} line {}: {}", e.line, e.problem))
                }),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ProfileFile::default()),
                Err(e) => Err(Error::credentials(format!(
                    "shared AWS file {path} cannot be read: {e}"
                ))),
            }
        };
        Ok(SharedFiles {
            config: read(&paths[0], FileKind::Config)?,
            credentials: read(&paths[1], FileKind::Credentials)?,
            paths,
        })
    }

    fn profile(&self, name: &str) -> Option<Properties> {
        profile::merged_profile(&self.config, &self.credentials, name)
    }

    fn describe(&self) -> String {
        let shown: Vec<&str> = self.paths.iter().flatten().map(String::as_str).collect();
        if shown.is_empty() {
            "(no shared files: neither HOME nor AWS_CONFIG_FILE is set)".to_string()
        } else {
            shown.join(" or ")
        }
    }
}

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
    let source = match &settings.role_arn {
        None => base,
        Some(role_arn) => planner.kwargs_role(settings, role_arn, base)?,
    };
    Ok(Plan {
        source,
        profile_region: profile
            .and_then(|p| p.get("region").cloned())
            .filter(|r| !r.is_empty()),
        files: planner.read,
    })
}

struct Planner<'a> {
    env: &'a dyn Environment,
    files: &'a SharedFiles,
    now: SystemTime,
    read: Vec<String>,
    /// Where STS is when not at its regional endpoint.
    sts: Option<Endpoint>,
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

    fn env_static(&self) -> Result<Option<Credentials>, Error> {
        match (
            self.var("AWS_ACCESS_KEY_ID"),
            self.var("AWS_SECRET_ACCESS_KEY"),
        ) {
            (Some(key), Some(secret)) => Ok(Some(Credentials::new(
                key,
                secret,
                self.var("AWS_SESSION_TOKEN"),
            ))),
            (Some(_), None) => Err(Error::credentials(
                "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
            )),
            _ => Ok(None),
        }
    }

    /// The default chain (without the kwargs `role_arn`).
    fn base(
        &mut self,
        settings: &AwsSettings,
        profile_name: &str,
        explicit_profile: bool,
    ) -> Result<Source, Error> {
        if let Some(credentials) = &settings.static_credentials {
            return Ok(Source::Static {
                credentials: credentials.clone(),
                origin: "backend_kwargs".into(),
            });
        }
        if settings.access_key_without_secret {
            return Err(Error::credentials(
                "`aws_access_key_id` is set but `aws_secret_access_key` is not",
            ));
        }
        if !explicit_profile {
            if let Some(credentials) = self.env_static()? {
                return Ok(Source::Static {
                    credentials,
                    origin: "environment".into(),
                });
            }
            if let (Some(token_file), Some(role_arn)) = (
                self.var("AWS_WEB_IDENTITY_TOKEN_FILE"),
                self.var("AWS_ROLE_ARN"),
            ) {
                let mut kwargs = Map::new();
                if let Some(name) = self.var("AWS_ROLE_SESSION_NAME") {
                    kwargs.insert("RoleSessionName".into(), name.into());
                }
                return Ok(self.web_identity(role_arn, token_file, kwargs));
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

    fn web_identity(
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

    /// A profile's source; `None` when it holds no credentials.
    fn profile(&mut self, name: &str, visited: &mut Vec<String>) -> Result<Option<Source>, Error> {
        if visited.iter().any(|v| v == name) {
            visited.push(name.to_string());
            return Err(Error::configuration(format!(
                "profile chain has a cycle: {}",
                visited.join(" -> ")
            )));
        }
        visited.push(name.to_string());
        let props = self.files.profile(name).ok_or_else(|| {
            Error::configuration(format!(
                "profile `{name}` not found in {}",
                self.files.describe()
            ))
        })?;
        let get = |key: &str| props.get(key).filter(|v| !v.is_empty()).cloned();
        let keys = match (get("aws_access_key_id"), get("aws_secret_access_key")) {
            (Some(k), Some(s)) => Some(Credentials::new(k, s, get("aws_session_token"))),
            _ => None,
        };
        if let Some(role_arn) = get("role_arn") {
            let mut kwargs = Map::new();
            kwargs.insert(
                "RoleSessionName".into(),
                get("role_session_name")
                    .unwrap_or_else(|| botocore_session_name(self.now))
                    .into(),
            );
            if let Some(external_id) = get("external_id") {
                kwargs.insert("ExternalId".into(), external_id.into());
            }
            if let Some(duration) = get("duration_seconds") {
                let seconds: u64 = duration.parse().map_err(|_| {
                    Error::configuration(format!(
                        "profile `{name}`: duration_seconds is not a number"
                    ))
                })?;
                kwargs.insert("DurationSeconds".into(), seconds.into());
            }
            let base = if let Some(source_profile) = get("source_profile") {
                match (&keys, source_profile == name) {
                    (Some(k), true) => Source::Static { credentials: k.clone(), origin: format!("profile {name}") },
                    _ => self.profile(&source_profile, visited)?.ok_or_else(|| {
                        Error::credentials(format!("profile `{source_profile}` (source_profile of `{name}`) holds no credentials"))
                    })?,
                }
            } else if let Some(credential_source) = get("credential_source") {
                self.credential_source(name, &credential_source)?
            } else if let Some(token_file) = get("web_identity_token_file") {
                return Ok(Some(self.web_identity(role_arn, token_file, kwargs)));
            } else {
                return Err(Error::configuration(format!(
                    "profile `{name}` has role_arn but no source_profile, credential_source or web_identity_token_file"
                )));
            };
            return Ok(Some(Source::AssumeRole {
                role_arn,
                kwargs,
                base: Box::new(base),
                sts: self.sts.clone(),
            }));
        }
        if let Some(credentials) = keys {
            return Ok(Some(Source::Static {
                credentials,
                origin: format!("profile {name}"),
            }));
        }
        if get("credential_process").is_some() {
            return Err(Error::credentials(format!(
                "profile `{name}` uses credential_process, which is not supported in the sandbox (a component cannot start processes)"
            )));
        }
        if get("sso_start_url").is_some() || get("sso_session").is_some() {
            return Err(Error::credentials(format!(
                "profile `{name}` uses IAM Identity Center (SSO), which is not supported in the sandbox"
            )));
        }
        Ok(None)
    }

    fn credential_source(&mut self, name: &str, kind: &str) -> Result<Source, Error> {
        let missing = |what: &str| {
            Error::credentials(format!(
                "profile `{name}`: credential_source {kind} has no {what}"
            ))
        };
        match kind {
            "Environment" => self
                .env_static()?
                .map(|credentials| Source::Static {
                    credentials,
                    origin: "environment".into(),
                })
                .ok_or_else(|| missing("AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY")),
            "Ec2InstanceMetadata" => ImdsSource::from_env(self.env)?
                .map(Source::Imds)
                .ok_or_else(|| missing("instance metadata (it is disabled)")),
            "EcsContainer" => {
                let container = ContainerSource::from_env(self.env)?
                    .ok_or_else(|| missing("container credentials URI"))?;
                self.read.extend(container.token_file().map(str::to_string));
                Ok(Source::Container(container))
            }
            other => Err(Error::configuration(format!(
                "profile `{name}`: credential_source `{other}` is not one of Environment, Ec2InstanceMetadata, EcsContainer"
            ))),
        }
    }

    /// Airflow's `role_arn` kwarg around `base`.
    fn kwargs_role(
        &mut self,
        settings: &AwsSettings,
        role_arn: &str,
        base: Source,
    ) -> Result<Source, Error> {
        match settings
            .assume_role_method
            .as_deref()
            .unwrap_or("assume_role")
        {
            "assume_role" => Ok(Source::AssumeRole {
                role_arn: role_arn.to_string(),
                kwargs: settings.assume_role_kwargs.clone(),
                base: Box::new(base),
                sts: self.sts.clone(),
            }),
            "assume_role_with_web_identity" => match settings.web_identity_federation.as_deref() {
                Some("file") => {
                    let token_file = settings
                        .web_identity_token_file
                        .clone()
                        .or_else(|| self.var("AWS_WEB_IDENTITY_TOKEN_FILE"))
                        .ok_or_else(|| Error::configuration(
                            "assume_role_with_web_identity needs `assume_role_with_web_identity_token_file` or AWS_WEB_IDENTITY_TOKEN_FILE",
                        ))?;
                    Ok(self.web_identity(
                        role_arn.to_string(),
                        token_file,
                        settings.assume_role_kwargs.clone(),
                    ))
                }
                Some("google") => Err(Error::configuration(
                    "assume_role_with_web_identity_federation `google` is not supported in the sandbox",
                )),
                other => Err(Error::configuration(format!(
                    "Unsupported federation: {}.",
                    other.unwrap_or("None")
                ))),
            },
            "assume_role_with_saml" => Err(Error::configuration(
                "assume_role_with_saml is not supported in the sandbox (it needs Kerberos/SPNEGO against an IdP)",
            )),
            other => Err(Error::configuration(format!(
                "assume_role_method `{other}` is not one of assume_role, assume_role_with_saml, assume_role_with_web_identity"
            ))),
        }
    }
}

/// botocore's default session name for roles from profiles and web identity.
fn botocore_session_name(now: SystemTime) -> String {
    format!(
        "botocore-session-{}",
        now.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()
    )
}

/// The STS endpoint: the configured one, else the region's.
fn sts_endpoint(sts: &Option<Endpoint>, region: &str) -> Endpoint {
    sts.clone()
        .unwrap_or_else(|| Endpoint::regional("sts", region, true))
}

/// Every endpoint fetching from `source` may contact (for a host's egress grants).
pub fn endpoints(source: &Source, region: &str) -> Vec<Endpoint> {
    match source {
        Source::Static { .. } => Vec::new(),
        Source::AssumeRole { base, sts, .. } => {
            let mut all = endpoints(base, region);
            all.push(sts_endpoint(sts, region));
            all
        }
        Source::WebIdentity { sts, .. } => vec![sts_endpoint(sts, region)],
        Source::Container(c) => vec![c.endpoint().clone()],
        Source::Imds(i) => vec![i.endpoint().clone()],
    }
}

/// What fetching needs from the platform.
pub struct FetchContext<'a> {
    /// Sends STS, container and IMDS requests.
    pub transport: &'a mut dyn Transport,
    /// Reads token files.
    pub fs: &'a dyn Filesystem,
    /// Signing time.
    pub now: SystemTime,
    /// The region STS is called in.
    pub region: &'a str,
}

/// Obtains credentials from `source`. Every error names the source and holds no secret.
pub fn fetch(source: &Source, ctx: &mut FetchContext<'_>) -> Result<Credentials, Error> {
    match source {
        Source::Static { credentials, .. } => Ok(credentials.clone()),
        Source::AssumeRole {
            role_arn,
            kwargs,
            base,
            sts,
        } => {
            let base = fetch(base, ctx)?;
            let endpoint = sts_endpoint(sts, ctx.region);
            let mut request = sts::request(&endpoint, sts::assume_role_form(role_arn, kwargs));
            sign_request(&mut request, &base, ctx.region, "sts", ctx.now)?;
            let response = ctx.transport.send(request).map_err(|e| {
                Error::credentials(format!(
                    "STS AssumeRole at {} failed: {}",
                    endpoint.authority(),
                    e.message
                ))
            })?;
            sts::parse_credentials(&response, &base.secrets())
                .map_err(|e| e.context(&format!("assume role {role_arn}")))
        }
        Source::WebIdentity {
            role_arn,
            token_file,
            kwargs,
            sts,
        } => {
            let token = ctx.fs.read_to_string(token_file).map_err(|e| {
                Error::credentials(format!(
                    "web identity: cannot read the token file {token_file}: {e}"
                ))
            })?;
            let token = token.trim();
            let session_name = kwargs
                .get("RoleSessionName")
                .and_then(Value::as_str)
                .unwrap_or("ssm-secrets");
            let endpoint = sts_endpoint(sts, ctx.region);
            let request = sts::request(
                &endpoint,
                sts::web_identity_form(role_arn, session_name, token, kwargs),
            );
            let response = ctx.transport.send(request).map_err(|e| {
                Error::credentials(format!(
                    "STS AssumeRoleWithWebIdentity at {} failed: {}",
                    endpoint.authority(),
                    e.message
                ))
            })?;
            sts::parse_credentials(&response, &[token])
                .map_err(|e| e.context(&format!("web identity role {role_arn}")))
        }
        Source::Container(container) => container.fetch(ctx.transport, ctx.fs),
        Source::Imds(imds) => imds.fetch(ctx.transport).map_err(|e| {
            e.context(
                "no credentials in backend_kwargs, the environment, shared files or container \
                       settings, and instance metadata (the last source) failed",
            )
        }),
    }
}

/// The JSON credentials of the container and instance metadata endpoints.
#[derive(Deserialize)]
struct JsonCredentials {
    #[serde(rename = "AccessKeyId")]
    access_key_id: String,
    #[serde(rename = "SecretAccessKey")]
    secret_access_key: String,
    #[serde(rename = "Token")]
    token: Option<String>,
    #[serde(rename = "Expiration")]
    expiration: Option<String>,
}

/// Parses `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`; `what` names the source.
pub fn parse_json_credentials(body: &[u8], what: &str) -> Result<Credentials, Error> {
    let parsed: JsonCredentials = serde_json::from_slice(body)
        .map_err(|_| Error::credentials(format!("{what}: the reply is not the expected JSON")))?;
    let credentials =
        Credentials::new(parsed.access_key_id, parsed.secret_access_key, parsed.token);
    match parsed.expiration {
        Some(text) => parse_iso8601(&text)
            .map(|at| credentials.clone().expiring(at))
            .ok_or_else(|| Error::credentials(format!("{what}: Expiration is not a timestamp"))),
        None => Ok(credentials),
    }
}

#[cfg(test)]
mod tests;
