//! What a configuration reaches, resolved without network.

use crate::config::BackendConfig;
use crate::credentials::{self, Source};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::platform::{Environment, Filesystem};
use crate::region;
use crate::retry::RetryConfig;

/// Everything a configuration reaches: the region, the SSM endpoint, where credentials come
/// from, the endpoints fetching them contacts, and the files read. Resolved without network,
/// so a host can derive its grants from it.
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
        let ssm = region::resolve_ssm_endpoint(aws, &region, env)?;
        let retry = RetryConfig::resolve(&aws.retries, env)?;
        Ok(Targets {
            retry,
            credential_endpoints: credentials::endpoints(&plan.source, &region),
            region,
            ssm,
            source: plan.source,
            files: plan.files,
        })
    }
}
