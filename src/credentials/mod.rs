//! AWS credentials: where they come from and how they are kept out of every message.
//!
//! Resolution order (this layer): the `aws_access_key_id` / `aws_secret_access_key` /
//! `aws_session_token` kwargs (or the same keys in `session_kwargs`), then the `AWS_*`
//! environment variables. Profiles and assumed roles are refused with a clear error.

use std::fmt;

use crate::config::AwsSettings;
use crate::error::Error;
use crate::platform::Environment;

/// An access key pair with an optional session token. `Debug` shows only the key id.
#[derive(Clone, PartialEq, Eq)]
pub struct StaticCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

impl StaticCredentials {
    /// Credentials from their three parts.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        StaticCredentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: session_token.filter(|t| !t.is_empty()),
        }
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

impl fmt::Debug for StaticCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticCredentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// Finds the credentials to sign with.
pub fn resolve(settings: &AwsSettings, env: &dyn Environment) -> Result<StaticCredentials, Error> {
    if settings.role_arn.is_some() {
        return Err(Error::configuration(
            "`role_arn` (assume role) is not supported by this build yet",
        ));
    }
    if settings.profile_name.is_some() {
        return Err(Error::configuration(
            "`profile_name` (shared config files) is not supported by this build yet",
        ));
    }
    if let Some(credentials) = &settings.static_credentials {
        return Ok(credentials.clone());
    }
    if settings.access_key_without_secret {
        return Err(Error::credentials(
            "`aws_access_key_id` is set but `aws_secret_access_key` is not",
        ));
    }
    let var = |name| env.var(name).filter(|v| !v.is_empty());
    match (var("AWS_ACCESS_KEY_ID"), var("AWS_SECRET_ACCESS_KEY")) {
        (Some(key), Some(secret)) => Ok(StaticCredentials::new(
            key,
            secret,
            var("AWS_SESSION_TOKEN"),
        )),
        (Some(_), None) => Err(Error::credentials(
            "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not",
        )),
        _ => Err(Error::credentials(
            "unable to locate credentials: set `aws_access_key_id` and `aws_secret_access_key` \
             in backend_kwargs, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn kwargs_win_over_the_environment() {
        let settings = AwsSettings {
            static_credentials: Some(StaticCredentials::new("AKIDKW", "kw", None)),
            ..Default::default()
        };
        let e = env(&[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "e"),
        ]);
        assert_eq!(resolve(&settings, &e).unwrap().access_key_id(), "AKIDKW");
    }

    #[test]
    fn environment_with_session_token() {
        let e = env(&[
            ("AWS_ACCESS_KEY_ID", "AKIDENV"),
            ("AWS_SECRET_ACCESS_KEY", "e"),
            ("AWS_SESSION_TOKEN", "tok"),
        ]);
        let c = resolve(&AwsSettings::default(), &e).unwrap();
        assert_eq!(
            (c.access_key_id(), c.session_token()),
            ("AKIDENV", Some("tok"))
        );
    }

    #[test]
    fn missing_credentials_are_a_credentials_error() {
        let e = resolve(&AwsSettings::default(), &env(&[])).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Credentials);
        let e = resolve(&AwsSettings::default(), &env(&[("AWS_ACCESS_KEY_ID", "A")])).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::Credentials);
    }

    #[test]
    fn debug_never_shows_the_secret_or_token() {
        let c = StaticCredentials::new("AKID", "SECRETVALUE", Some("TOKENVALUE".into()));
        let shown = format!("{c:?}");
        assert!(shown.contains("AKID"));
        assert!(!shown.contains("SECRETVALUE") && !shown.contains("TOKENVALUE"));
    }
}
