//! The environment's own credentials: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` /
//! `AWS_SESSION_TOKEN`, and a web identity from `AWS_WEB_IDENTITY_TOKEN_FILE` + `AWS_ROLE_ARN`
//! (+ `AWS_ROLE_SESSION_NAME`).

use super::Credentials;
use crate::error::Error;
use crate::platform::Environment;

fn var(env: &dyn Environment, name: &str) -> Option<String> {
    env.var(name).filter(|v| !v.is_empty())
}

/// The static keys of the environment; an id without a secret is an error.
pub(super) fn static_keys(env: &dyn Environment) -> Result<Option<Credentials>, Error> {
    match (
        var(env, "AWS_ACCESS_KEY_ID"),
        var(env, "AWS_SECRET_ACCESS_KEY"),
    ) {
        (Some(key), Some(secret)) => Ok(Some(Credentials::new(
            key,
            secret,
            var(env, "AWS_SESSION_TOKEN"),
        ))),
        (Some(_), None) => Err(Error::credentials(
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
        )),
        _ => Ok(None),
    }
}

/// A web identity the environment describes.
pub(super) struct WebIdentityVars {
    pub(super) role_arn: String,
    pub(super) token_file: String,
    pub(super) session_name: Option<String>,
}

/// `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN`, when both are set.
pub(super) fn web_identity(env: &dyn Environment) -> Option<WebIdentityVars> {
    Some(WebIdentityVars {
        token_file: var(env, "AWS_WEB_IDENTITY_TOKEN_FILE")?,
        role_arn: var(env, "AWS_ROLE_ARN")?,
        session_name: var(env, "AWS_ROLE_SESSION_NAME"),
    })
}
