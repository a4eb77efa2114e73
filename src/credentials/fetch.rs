//! Running a plan: each [`Source`] fetched by the file of its kind. Static keys (from the
//! kwargs, the environment or a profile) were found when planning and are only copied here.

use super::{Credentials, FetchContext, Source, assume_role, web_identity};
use crate::error::Error;

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
            assume_role::fetch(role_arn, kwargs, &base, sts, ctx)
        }
        Source::WebIdentity {
            role_arn,
            token_file,
            kwargs,
            sts,
        } => web_identity::fetch(role_arn, token_file, kwargs, sts, ctx),
        Source::Container(container) => container.fetch(ctx.transport, ctx.fs),
        Source::Imds(imds) => imds.fetch(ctx.transport).map_err(|e| {
            e.context(
                "no credentials in backend_kwargs, the environment, shared files or container \
                       settings, and instance metadata (the last source) failed",
            )
        }),
    }
}
