//! STS `AssumeRole`: the role's temporary credentials, asked for with a request signed by the
//! base source's credentials.

use serde_json::{Map, Value};

use super::source::{StsTarget, sts_endpoint};
use super::{Credentials, FetchContext, sts};
use crate::error::Error;
use crate::signing::sign_request;

/// Assumes `role_arn` with `base`; `kwargs` are merged into the request.
pub(super) fn fetch(
    role_arn: &str,
    kwargs: &Map<String, Value>,
    base: &Credentials,
    sts: &StsTarget,
    ctx: &mut FetchContext<'_>,
) -> Result<Credentials, Error> {
    let endpoint = sts_endpoint(sts, ctx.region)?;
    let mut request = sts::request(&endpoint, sts::assume_role_form(role_arn, kwargs))?;
    sign_request(&mut request, base, ctx.region, "sts", ctx.now)?;
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
