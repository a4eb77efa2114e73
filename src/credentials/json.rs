//! The JSON credentials document of the container and instance metadata endpoints.

use serde::Deserialize;

use super::Credentials;
use crate::error::Error;
use crate::timestamp::parse_iso8601;

/// `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}`: the key pair required, the
/// others strings or `null` if present; other members are not read.
#[derive(Deserialize)]
struct JsonCredentials {
    #[serde(rename = "AccessKeyId")]
    access_key_id: String,
    #[serde(rename = "SecretAccessKey")]
    secret_access_key: String,
    #[serde(rename = "Token")]
    token: Option<String>,
    #[serde(rename = "Expiration")]
    expiration: Option<String>,
}

/// Parses the credentials document; `what` names the source.
pub fn parse_json_credentials(body: &[u8], what: &str) -> Result<Credentials, Error> {
    let parsed: JsonCredentials = serde_json::from_slice(body)
        .map_err(|_| Error::credentials(format!("{what}: the reply is not the expected JSON")))?;
    let credentials =
        Credentials::new(parsed.access_key_id, parsed.secret_access_key, parsed.token);
    match parsed.expiration {
        Some(text) => parse_iso8601(&text)
            .map(|at| credentials.clone().expiring(at))
            .ok_or_else(|| Error::credentials(format!("{what}: Expiration is not a timestamp"))),
        None => Ok(credentials),
    }
}
