//! AWS STS over its query protocol: `AssumeRole` (signed) and `AssumeRoleWithWebIdentity`
//! (unsigned) requests, and their XML replies.

use crate::connection::pyjson::float_repr;
use serde_json::Value;

use super::Credentials;
use crate::aws_error::{parse_error, xml_text};
use crate::endpoint::Endpoint;
use crate::error::Error;
use crate::message::{self, MAX_RESPONSE_BYTES, Request, Response};

/// Airflow's default `RoleSessionName`: `slugify("Airflow_" + conn_id)` for the backend's
/// synthetic connection.
pub const AIRFLOW_ROLE_SESSION_NAME: &str =
    "airflow_systemsmanagerparameterstorebackend__connection";

const VERSION: &str = "2011-06-15";

/// An `AssumeRole` request body: `RoleSessionName` defaulted, then `assume_role_kwargs` merged
/// (flattened the query-protocol way), and `RoleArn` last so the kwargs cannot override it.
pub fn assume_role_form(
    role_arn: &str,
    assume_role_kwargs: &serde_json::Map<String, Value>,
) -> String {
    let mut pairs: Vec<(String, String)> = vec![
        ("Action".into(), "AssumeRole".into()),
        ("Version".into(), VERSION.into()),
    ];
    if !assume_role_kwargs.contains_key("RoleSessionName") {
        pairs.push(("RoleSessionName".into(), AIRFLOW_ROLE_SESSION_NAME.into()));
    }
    for (key, value) in assume_role_kwargs {
        if key != "RoleArn" {
            flatten(key, value, &mut pairs);
        }
    }
    pairs.push(("RoleArn".into(), role_arn.into()));
    encode(&pairs)
}

/// An `AssumeRoleWithWebIdentity` request body.
pub fn web_identity_form(
    role_arn: &str,
    session_name: &str,
    token: &str,
    extra: &serde_json::Map<String, Value>,
) -> String {
    let mut pairs: Vec<(String, String)> = vec![
        ("Action".into(), "AssumeRoleWithWebIdentity".into()),
        ("Version".into(), VERSION.into()),
        ("RoleSessionName".into(), session_name.into()),
    ];
    for (key, value) in extra {
        if !matches!(
            key.as_str(),
            "RoleArn" | "WebIdentityToken" | "RoleSessionName"
        ) {
            flatten(key, value, &mut pairs);
        }
    }
    pairs.push(("RoleArn".into(), role_arn.into()));
    pairs.push(("WebIdentityToken".into(), token.into()));
    encode(&pairs)
}

/// Query-protocol flattening: lists become `Key.member.N`, structures `Key.Sub`.
fn flatten(key: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Bool(b) => out.push((key.into(), b.to_string())),
        // Integers in decimal; other numbers as Python's `str(float)` writes them.
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => out.push((key.into(), float_repr(f))),
            _ => out.push((key.into(), n.to_string())),
        },
        Value::String(s) => out.push((key.into(), s.clone())),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                flatten(&format!("{key}.member.{}", i + 1), item, out);
            }
        }
        Value::Object(fields) => {
            for (sub, item) in fields {
                flatten(&format!("{key}.{sub}"), item, out);
            }
        }
    }
}

fn encode(pairs: &[(String, String)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// A POST of `form` to the STS endpoint (unsigned; `AssumeRole` is signed by the caller).
pub fn request(endpoint: &Endpoint, form: String) -> Result<Request, Error> {
    let content_type = "application/x-www-form-urlencoded; charset=utf-8";
    let headers = [(http::header::CONTENT_TYPE, content_type)];
    let body = form.into_bytes();
    message::request(
        http::Method::POST,
        endpoint,
        endpoint.path(),
        &headers,
        body,
    )
}

/// The credentials in an STS reply, or its error. `secrets` are removed from quoted messages.
pub fn parse_credentials(response: &Response, secrets: &[&str]) -> Result<Credentials, Error> {
    if response.body().len() > MAX_RESPONSE_BYTES {
        return Err(Error::transport("the STS reply is too large"));
    }
    if !response.status().is_success() {
        return Err(Error::aws(parse_error(response, secrets)));
    }
    let text = std::str::from_utf8(response.body())
        .map_err(|_| Error::invalid_value("the STS reply is not UTF-8"))?;
    let block = xml_text(text, "Credentials")
        .ok_or_else(|| Error::invalid_value("the STS reply has no <Credentials>"))?;
    let field = |name: &str| {
        xml_text(block, name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Error::invalid_value(format!("the STS reply has no <{name}>")))
    };
    let expiration = field("Expiration")?;
    let expires = crate::timestamp::parse_iso8601(&expiration)
        .ok_or_else(|| Error::invalid_value("the STS reply's <Expiration> is not a timestamp"))?;
    Ok(Credentials::new(
        field("AccessKeyId")?,
        field("SecretAccessKey")?,
        Some(field("SessionToken")?),
    )
    .expiring(expires))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn form_pairs(form: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(form.as_bytes())
            .into_owned()
            .collect()
    }

    #[test]
    fn assume_role_merges_kwargs_but_never_the_role_arn() {
        let kwargs = serde_json::json!({
            "ExternalId": "ext-1", "DurationSeconds": 1800, "RoleSessionName": "custom", "RoleArn": "ignored",
            "Tags": [{"Key": "team", "Value": "data"}], "PolicyArns": [{"arn": "arn:aws:iam::aws:policy/ReadOnly"}]
        });
        let pairs = form_pairs(&assume_role_form(
            "arn:aws:iam::123456789012:role/r",
            kwargs.as_object().unwrap(),
        ));
        let get = |k: &str| {
            pairs
                .iter()
                .filter(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(get("Action"), ["AssumeRole"]);
        assert_eq!(get("RoleArn"), ["arn:aws:iam::123456789012:role/r"]);
        assert_eq!(get("RoleSessionName"), ["custom"]);
        assert_eq!(get("ExternalId"), ["ext-1"]);
        assert_eq!(get("DurationSeconds"), ["1800"]);
        assert_eq!(get("Tags.member.1.Key"), ["team"]);
        assert_eq!(
            get("PolicyArns.member.1.arn"),
            ["arn:aws:iam::aws:policy/ReadOnly"]
        );
    }

    #[test]
    fn default_session_name_is_airflows() {
        let pairs = form_pairs(&assume_role_form("arn:r", &serde_json::Map::new()));
        assert!(pairs.contains(&("RoleSessionName".into(), AIRFLOW_ROLE_SESSION_NAME.into())));
    }

    fn reply(status: u16, body: &str) -> Response {
        crate::test_util::reply(status, body)
    }

    #[test]
    fn credentials_are_read_from_the_xml() {
        let xml = "<AssumeRoleResponse><AssumeRoleResult><Credentials><AccessKeyId>ASIAX</AccessKeyId>\
            <SecretAccessKey>sk</SecretAccessKey><SessionToken>tok</SessionToken>\
            <Expiration>2026-11-24T01:00:00Z</Expiration></Credentials></AssumeRoleResult></AssumeRoleResponse>";
        let c = parse_credentials(&reply(200, xml), &[]).unwrap();
        assert_eq!(
            (c.access_key_id(), c.session_token()),
            ("ASIAX", Some("tok"))
        );
        assert!(c.expires().is_some());
    }

    #[test]
    fn errors_and_malformed_replies() {
        let denied = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>not authorized</Message></Error></ErrorResponse>";
        let e = parse_credentials(&reply(403, denied), &[]).unwrap_err();
        assert!(matches!(e.kind(), ErrorKind::AccessDenied(a) if a.code == "AccessDenied"));
        let e = parse_credentials(&reply(200, "<x>SECRET</x>"), &[]).unwrap_err();
        assert_eq!(e.kind(), &ErrorKind::InvalidValue);
        assert!(!e.to_string().contains("SECRET"));
    }
}
