//! The JSON credentials document of the container and instance metadata endpoints.

use super::Credentials;
use crate::error::Error;
use crate::json::{self, Value};
use crate::timestamp::parse_iso8601;

/// Parses `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}` (the key pair required,
/// the others strings or `null` if present); `what` names the source.
pub fn parse_json_credentials(body: &[u8], what: &str) -> Result<Credentials, Error> {
    let not_expected = || Error::credentials(format!("{what}: the reply is not the expected JSON"));
    let document = json::parse(body).map_err(|_| not_expected())?;
    if !matches!(document, Value::Object(_)) {
        return Err(not_expected());
    }
    let optional = |key: &str| match document.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(not_expected()),
    };
    let required = |key: &str| optional(key)?.ok_or_else(not_expected);
    let credentials = Credentials::new(
        required("AccessKeyId")?,
        required("SecretAccessKey")?,
        optional("Token")?,
    );
    match optional("Expiration")? {
        Some(text) => parse_iso8601(&text)
            .map(|at| credentials.clone().expiring(at))
            .ok_or_else(|| Error::credentials(format!("{what}: Expiration is not a timestamp"))),
        None => Ok(credentials),
    }
}
