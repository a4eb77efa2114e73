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
//! [`fetch`] runs the plan; [`CredentialsCache`] keeps the result until 5 minutes before it
//! expires.
//!
//! The files, by job: `value` ([`Credentials`], a leaf); `source` what a plan
//! decides; `plan`, `environment`, `shared_files`, `profile` (the INI files) and
//! `profile_chain` the planning; `fetch` runs a plan with one file per kind that sends:
//! `assume_role`, `web_identity` (both over [`sts`]), `container`, `imds` (both replying in
//! `json`); `cache` the credentials in use.

mod assume_role;
mod cache;
mod container;
mod context;
mod environment;
mod fetch;
mod imds;
mod json;
mod plan;
pub mod profile;
mod profile_chain;
mod shared_files;
mod source;
pub mod sts;
mod value;
mod web_identity;

pub use cache::CredentialsCache;
pub use container::ContainerSource;
pub use context::FetchContext;
pub use fetch::fetch;
pub use imds::ImdsSource;
pub use json::parse_json_credentials;
pub use plan::plan;
pub use source::{Caller, Plan, Source, StsTarget, callers, endpoints};
pub use value::{Credentials, REFRESH_BEFORE_EXPIRY};

#[cfg(test)]
mod tests;
