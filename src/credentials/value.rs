//! The credentials value: an access key pair with an optional session token and expiry, its
//! secrets hidden from `Debug`. A leaf: configuration, signing and every source use it, and it
//! imports nothing of this crate.
//!
//! Why not `aws_credential_types::Credentials` (already in the build, under `aws-sigv4`, with
//! the secrets wiped on drop): wrapped as this type's contents it made the component 4.3 KB
//! larger (447,299 against 442,986 bytes, measured with `build_component`). It carries a
//! property map of type-erased boxes that every clone copies, and its `expiring` needs a new
//! value. The secrets here are hidden from `Debug` and never formatted into messages.

use std::fmt;
use std::time::{Duration, SystemTime};

/// How long before expiry temporary credentials are refreshed.
pub const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// An access key pair with an optional session token and expiry. `Debug` shows only the key id.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
    expires: Option<SystemTime>,
}

impl Credentials {
    /// Credentials from their three parts.
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        Credentials {
            access_key_id: access_key_id.into(),
            secret_access_key: secret_access_key.into(),
            session_token: session_token.filter(|t| !t.is_empty()),
            expires: None,
        }
    }

    /// The same credentials, expiring at `at`.
    pub fn expiring(mut self, at: SystemTime) -> Self {
        self.expires = Some(at);
        self
    }

    /// When they expire (`None`: they do not).
    pub fn expires(&self) -> Option<SystemTime> {
        self.expires
    }

    /// Whether they should be fetched again at `now`: 5 minutes or less before expiry.
    pub fn needs_refresh(&self, now: SystemTime) -> bool {
        self.expires
            .is_some_and(|at| now + REFRESH_BEFORE_EXPIRY >= at)
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

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires", &self.expires)
            .finish()
    }
}
