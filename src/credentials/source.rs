//! The plan's result: where credentials come from ([`Source`]), decided without any network,
//! and every endpoint fetching from it contacts (for a host's egress grants).

use serde_json::{Map, Value};

use super::{ContainerSource, Credentials, ImdsSource};
use crate::endpoint::{Endpoint, Variant};
use crate::error::Error;
use crate::region::ClientProfile;

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
        /// Where the STS call goes, and which client makes it.
        sts: StsTarget,
    },
    /// STS `AssumeRoleWithWebIdentity` with the token in `token_file` (unsigned).
    WebIdentity {
        /// The role.
        role_arn: String,
        /// The OIDC token's file.
        token_file: String,
        /// Extra request members (`RoleSessionName`, `DurationSeconds`, ...).
        kwargs: Map<String, Value>,
        /// Where the STS call goes, and which client makes it.
        sts: StsTarget,
    },
    /// ECS / EKS container credentials.
    Container(ContainerSource),
    /// EC2 instance metadata, the last resort.
    Imds(ImdsSource),
}

/// Where a role's STS call goes, and which client makes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StsTarget {
    /// `service_config.sts.endpoint_url`, `AWS_ENDPOINT_URL_STS` or `AWS_ENDPOINT_URL`;
    /// `None`: the regional endpoint.
    pub endpoint: Option<Endpoint>,
    /// The FIPS / dual-stack variant of the regional endpoint (an endpoint URL wins over it,
    /// as in botocore).
    pub variant: Variant,
    /// Who calls STS: Airflow's own client (the `role_arn` kwarg), which `config_kwargs`
    /// reaches, or botocore's credential chain (roles in profiles, web identity from the
    /// environment or a profile), which it does not.
    pub caller: Caller,
}

/// Who calls a credential endpoint: it decides which client settings apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// Airflow's STS client for the `role_arn` kwarg, built with `config_kwargs`.
    AirflowSts,
    /// An STS client botocore's credential chain builds (no `config_kwargs`).
    BotocoreSts,
    /// The container credentials endpoint or instance metadata (plain HTTP, no TLS settings).
    Metadata,
}

/// A plan: the source, the selected profile's region and client settings, and every file the
/// plan reads.
#[derive(Debug, Clone)]
pub struct Plan {
    /// Where credentials come from.
    pub source: Source,
    /// `region` of the selected profile.
    pub profile_region: Option<String>,
    /// Files the plan reads, now or when fetching (for a host's read-only grants).
    pub files: Vec<String>,
    /// What the selected profile says for botocore's clients (FIPS, dual-stack, CA bundle): the
    /// profile of the session that builds the STS clients, and the SSM client without a
    /// `role_arn` kwarg.
    pub session_profile: ClientProfile,
    /// What the profile Airflow's SSM client reads says: the selected one, or with a `role_arn`
    /// kwarg the environment's (`AWS_PROFILE`, else `default`): Airflow builds that client on a
    /// fresh botocore session, which knows nothing of `profile_name` but its region.
    pub ssm_profile: ClientProfile,
}

/// The STS endpoint: the configured one, else the region's in the target's variant.
pub(super) fn sts_endpoint(sts: &StsTarget, region: &str) -> Result<Endpoint, Error> {
    match &sts.endpoint {
        Some(endpoint) => Ok(endpoint.clone()),
        None => Endpoint::regional_variant("sts", region, true, sts.variant),
    }
}

/// Every endpoint fetching from `source` may contact (for a host's egress grants).
pub fn endpoints(source: &Source, region: &str) -> Result<Vec<Endpoint>, Error> {
    Ok(callers(source, region)?
        .into_iter()
        .map(|(endpoint, _)| endpoint)
        .collect())
}

/// Every endpoint fetching from `source` may contact, with the client that calls it, in the
/// order of the calls (a role's base first).
pub fn callers(source: &Source, region: &str) -> Result<Vec<(Endpoint, Caller)>, Error> {
    Ok(match source {
        Source::Static { .. } => Vec::new(),
        Source::AssumeRole { base, sts, .. } => {
            let mut all = callers(base, region)?;
            all.push((sts_endpoint(sts, region)?, sts.caller));
            all
        }
        Source::WebIdentity { sts, .. } => vec![(sts_endpoint(sts, region)?, sts.caller)],
        Source::Container(c) => vec![(c.endpoint().clone(), Caller::Metadata)],
        Source::Imds(i) => vec![(i.endpoint().clone(), Caller::Metadata)],
    })
}
