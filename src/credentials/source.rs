//! The plan's result: where credentials come from ([`Source`]), decided without any network,
//! and every endpoint fetching from it contacts (for a host's egress grants).

use serde_json::{Map, Value};

use super::{ContainerSource, Credentials, ImdsSource};
use crate::endpoint::Endpoint;

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

/// The STS endpoint: the configured one, else the region's.
pub(super) fn sts_endpoint(sts: Option<&Endpoint>, region: &str) -> Endpoint {
    sts.cloned()
        .unwrap_or_else(|| Endpoint::regional("sts", region, true))
}

/// Every endpoint fetching from `source` may contact (for a host's egress grants).
pub fn endpoints(source: &Source, region: &str) -> Vec<Endpoint> {
    match source {
        Source::Static { .. } => Vec::new(),
        Source::AssumeRole { base, sts, .. } => {
            let mut all = endpoints(base, region);
            all.push(sts_endpoint(sts.as_ref(), region));
            all
        }
        Source::WebIdentity { sts, .. } => vec![sts_endpoint(sts.as_ref(), region)],
        Source::Container(c) => vec![c.endpoint().clone()],
        Source::Imds(i) => vec![i.endpoint().clone()],
    }
}
