//! The replies: JSON bodies for values, connections and errors, the Secrets Manager Agent's
//! mapping of errors to statuses, and which lookup an SSM parameter name stands for.
//!
//! No error body ever holds a value: the component's error messages are free of secrets by
//! contract, and the endpoint's own messages name no value or token.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value;

use crate::kind::Kind;

/// A reply: a status and a JSON (or, for `/ping`, plain text) body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status.
    pub status: u16,
    /// The body.
    pub body: String,
}

impl Reply {
    /// 200 with a JSON body.
    pub fn ok(body: String) -> Reply {
        Reply { status: 200, body }
    }

    /// The content type of the body.
    pub fn content_type(&self) -> &'static str {
        if self.body.starts_with('{') {
            "application/json"
        } else {
            "text/plain; charset=utf-8"
        }
    }
}

/// Compact JSON of a reply body (strings, integers and `null`: writing it cannot fail).
fn to_json(body: &impl Serialize) -> String {
    serde_json::to_string(body).unwrap_or_default()
}

/// An error reply's body, its keys in this order.
#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    code: &'a str,
    message: &'a str,
}

/// `{"error": kind, "code": code, "message": message}` (in that order) with `status`.
pub fn error_reply(status: u16, kind: &str, code: &str, message: &str) -> Reply {
    let body = to_json(&ErrorBody {
        error: kind,
        code,
        message,
    });
    Reply { status, body }
}

/// An AWS error reply as the lookup interface carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsError {
    /// The AWS error code.
    pub code: String,
    /// AWS's message, without credentials.
    pub message: String,
    /// The HTTP status of AWS's reply.
    pub status: u16,
}

/// The lookup interface's `error`, mirrored so the mapping is tested natively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// `configuration`.
    Configuration(String),
    /// `credentials`.
    Credentials(String),
    /// `access-denied`.
    AccessDenied(AwsError),
    /// `throttled`.
    Throttled(AwsError),
    /// `service`.
    Service(AwsError),
    /// `transport`.
    Transport(String),
    /// `invalid-value`.
    InvalidValue(String),
}

/// The Secrets Manager Agent's mapping: throttled 429, access denied 403, other AWS errors
/// pass through their status (400 when it is not an error status), timeouts 504, other
/// transport failures 502, everything inside the endpoint 500.
pub fn failure_reply(failure: &Failure) -> Reply {
    let aws =
        |status: u16, kind: &str, e: &AwsError| error_reply(status, kind, &e.code, &e.message);
    match failure {
        Failure::Configuration(m) => error_reply(500, "configuration", "ConfigurationError", m),
        Failure::Credentials(m) => error_reply(500, "credentials", "CredentialsError", m),
        Failure::AccessDenied(e) => aws(403, "access-denied", e),
        Failure::Throttled(e) => aws(429, "throttled", e),
        Failure::Service(e) => {
            let status = if (400..=599).contains(&e.status) {
                e.status
            } else {
                400
            };
            aws(status, "service", e)
        }
        Failure::Transport(m) if m.contains("timed out") || m.contains("timeout") => {
            error_reply(504, "transport", "TimeoutError", m)
        }
        Failure::Transport(m) => error_reply(502, "transport", "ConnectionError", m),
        Failure::InvalidValue(m) => error_reply(500, "invalid-value", "InternalFailure", m),
    }
}

/// 404 for a lookup that found nothing; `what` names it (a name or key, never a value).
pub fn not_found(what: &str) -> Reply {
    error_reply(
        404,
        "not-found",
        "ParameterNotFound",
        &format!("{what} was not found"),
    )
}

/// How a not-found reply names a lookup: `variable "x"`, `parameter "/a/b"`, ...
pub fn describe(kind: Option<Kind>, key: &str) -> String {
    let kind = match kind {
        None => "parameter",
        Some(Kind::Connection) => "connection",
        Some(Kind::Variable) => "variable",
        Some(Kind::Config) => "config option",
    };
    format!("{kind} {}", to_json(&key))
}

/// SSM's `GetParameter` reply body.
#[derive(Serialize)]
struct ParameterBody<'a> {
    #[serde(rename = "Parameter")]
    parameter: NameValue<'a>,
}

#[derive(Serialize)]
struct NameValue<'a> {
    #[serde(rename = "Name")]
    name: &'a str,
    #[serde(rename = "Value")]
    value: &'a str,
}

/// SSM's `GetParameter` reply, as far as the lookup interface knows it: name and value.
pub fn parameter_json(name: &str, value: &str) -> String {
    to_json(&ParameterBody {
        parameter: NameValue { name, value },
    })
}

/// A variable or config value's body.
#[derive(Serialize)]
struct KeyValue<'a> {
    key: &'a str,
    value: &'a str,
}

/// A variable or config value: `{"key": ..., "value": ...}`.
pub fn value_json(key: &str, value: &str) -> String {
    to_json(&KeyValue { key, value })
}

/// The names of [`ConnectionFields::strings`], in order.
const STRING_FIELDS: [&str; 7] = [
    "conn_id",
    "conn_type",
    "description",
    "host",
    "schema",
    "login",
    "password",
];

/// A connection's fields, in the CLI's order.
pub struct ConnectionFields<'a> {
    /// `conn_id`, `conn_type`, `description`, `host`, `schema`, `login`, `password`.
    pub strings: [&'a Option<String>; 7],
    /// `port`.
    pub port: Option<i64>,
    /// `extra`.
    pub extra: &'a Option<String>,
    /// `uri`.
    pub uri: &'a str,
}

/// The CLI's connection JSON object: `conn_id, conn_type, description, host, schema, login,
/// password, port, extra, uri`, in that order.
pub fn connection_json(c: &ConnectionFields<'_>) -> String {
    to_json(c)
}

impl Serialize for ConnectionFields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(STRING_FIELDS.len() + 3))?;
        for (name, value) in STRING_FIELDS.into_iter().zip(self.strings) {
            map.serialize_entry(name, value)?;
        }
        map.serialize_entry("port", &self.port)?;
        map.serialize_entry("extra", self.extra)?;
        map.serialize_entry("uri", self.uri)?;
        map.end()
    }
}

/// The prefixes of `backend_kwargs`, normalised as Airflow joins them (`rstrip("/")`, a leading
/// `/`); `None` where a lookup kind is switched off (`null`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prefixes {
    kinds: Vec<(String, Kind)>,
}

impl Prefixes {
    /// Reads `connections_prefix`, `variables_prefix` and `config_prefix` (Airflow's defaults
    /// when absent). Unusable JSON gives the defaults: the backend refuses it anyway.
    pub fn from_kwargs(backend_kwargs: &str) -> Prefixes {
        let kwargs: Value = serde_json::from_str(backend_kwargs).unwrap_or(Value::Null);
        let mut kinds = Vec::new();
        for (key, default, kind) in [
            (
                "connections_prefix",
                "airflow/connections",
                Kind::Connection,
            ),
            ("variables_prefix", "airflow/variables", Kind::Variable),
            ("config_prefix", "airflow/config", Kind::Config),
        ] {
            let prefix = match kwargs.get(key) {
                None => Some(default.to_string()),
                Some(Value::String(p)) => Some(p.clone()),
                Some(_) => None,
            };
            if let Some(prefix) = prefix {
                let joined = format!("{}/", prefix.trim_end_matches('/'));
                let joined = if joined.starts_with('/') {
                    joined
                } else {
                    format!("/{joined}")
                };
                kinds.push((joined, kind));
            }
        }
        // The longest prefix first: `/a/b/` wins over `/a/`.
        kinds.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
        Prefixes { kinds }
    }

    /// Which lookup an SSM name stands for, and its key.
    pub fn lookup_for(&self, name: &str) -> Option<(Kind, String)> {
        self.kinds.iter().find_map(|(prefix, kind)| {
            name.strip_prefix(prefix.as_str())
                .filter(|key| !key.is_empty())
                .map(|key| (*kind, key.to_string()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn aws(code: &str, status: u16) -> AwsError {
        AwsError {
            code: code.into(),
            message: "m".into(),
            status,
        }
    }

    #[test]
    fn statuses_as_the_agent_maps_them() {
        let status = |f: Failure| failure_reply(&f).status;
        assert_eq!(
            status(Failure::Throttled(aws("ThrottlingException", 400))),
            429
        );
        assert_eq!(
            status(Failure::AccessDenied(aws("AccessDeniedException", 400))),
            403
        );
        assert_eq!(
            status(Failure::Service(aws("ValidationException", 400))),
            400
        );
        assert_eq!(
            status(Failure::Service(aws("InternalServerError", 500))),
            500
        );
        assert_eq!(status(Failure::Service(aws("Odd", 200))), 400);
        assert_eq!(status(Failure::Transport("connect timed out".into())), 504);
        assert_eq!(status(Failure::Transport("connection refused".into())), 502);
        assert_eq!(status(Failure::Configuration("bad".into())), 500);
        let body: serde_json::Value =
            serde_json::from_str(&failure_reply(&Failure::Throttled(aws("Rate", 400))).body)
                .unwrap();
        assert_eq!(
            body,
            serde_json::json!({"error": "throttled", "code": "Rate", "message": "m"})
        );
    }

    #[test]
    fn names_to_lookups() {
        let p = Prefixes::from_kwargs("{}");
        assert_eq!(
            p.lookup_for("/airflow/variables/a/b"),
            Some((Kind::Variable, "a/b".into()))
        );
        assert_eq!(p.lookup_for("/airflow/variables/"), None);
        assert_eq!(p.lookup_for("/other/x"), None);
        let p = Prefixes::from_kwargs(
            r#"{"connections_prefix": "c/", "variables_prefix": null, "config_prefix": "/c/cfg"}"#,
        );
        assert_eq!(p.lookup_for("/c/x"), Some((Kind::Connection, "x".into())));
        assert_eq!(p.lookup_for("/c/cfg/x"), Some((Kind::Config, "x".into())));
        assert_eq!(p.lookup_for("/airflow/variables/x"), None);
    }

    #[test]
    fn connection_keys_in_order() {
        let (id, none, host) = (Some("c".to_string()), None, Some("h".to_string()));
        let json = connection_json(&ConnectionFields {
            strings: [&id, &none, &none, &host, &none, &none, &none],
            port: Some(80),
            extra: &None,
            uri: "x://h:80",
        });
        assert_eq!(
            json,
            r#"{"conn_id":"c","conn_type":null,"description":null,"host":"h","schema":null,"login":null,"password":null,"port":80,"extra":null,"uri":"x://h:80"}"#
        );
    }
}
