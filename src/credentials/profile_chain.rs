//! A profile's credentials: its own keys, or a role assumed with them, with a
//! `source_profile` chain, a `credential_source` or a `web_identity_token_file`; `None` when it
//! holds none. `credential_process` and SSO are refused (a component starts no processes).

use serde_json::Map;

use super::plan::{Planner, botocore_session_name};
use super::source::Caller;
use super::{ContainerSource, Credentials, ImdsSource, Source};
use crate::error::Error;

impl Planner<'_> {
    /// A profile's source; `None` when it holds no credentials.
    pub(super) fn profile(
        &mut self,
        name: &str,
        visited: &mut Vec<String>,
    ) -> Result<Option<Source>, Error> {
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
                return Ok(Some(self.web_identity(
                    role_arn,
                    token_file,
                    kwargs,
                    Caller::BotocoreSts,
                )));
            } else {
                return Err(Error::configuration(format!(
                    "profile `{name}` has role_arn but no source_profile, credential_source or web_identity_token_file"
                )));
            };
            return Ok(Some(Source::AssumeRole {
                role_arn,
                kwargs,
                base: Box::new(base),
                sts: self.sts_target(Caller::BotocoreSts),
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
}
