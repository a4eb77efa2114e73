//! STS `AssumeRoleWithWebIdentity`: the OIDC token read from its file (again at every fetch:
//! it rotates), sent unsigned for the role's temporary credentials.

use serde_json::{Map, Value};

use super::source::{StsTarget, sts_endpoint};
use super::{Credentials, FetchContext, sts};
use crate::error::Error;

/// Assumes `role_arn` with the token in `token_file`; `kwargs` are merged into the request.
pub(super) fn fetch(
    role_arn: &str,
    token_file: &str,
    kwargs: &Map<String, Value>,
    sts: &StsTarget,
    ctx: &mut FetchContext<'_>,
) -> Result<Credentials, Error> {
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
    let endpoint = sts_endpoint(sts, ctx.region)?;
    let request = sts::request(
        &endpoint,
        sts::web_identity_form(role_arn, session_name, token, kwargs),
    )?;
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
