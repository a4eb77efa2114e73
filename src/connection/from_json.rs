//! Airflow's `Connection.from_json`: the JSON form of a connection, with its normalisations.
//! The logic is the same in the three `Connection` classes; their constructors differ (the
//! empty password, the `team_name` keyword, the extra check).

use super::pyjson::{self, PyValue};
use super::pyurl::py_repr;
use super::record::{Connection, ConnectionSemantics, normalize_conn_type, validate_extra};
use super::uri;
use crate::error::Error;

/// Parses the JSON form as `semantics` does (`conn_id` is set by the caller).
pub fn from_json(value: &str, semantics: ConnectionSemantics) -> Result<Connection, Error> {
    let parsed = pyjson::loads(value).map_err(|e| {
        Error::invalid_value(format!(
            "the JSON is not valid: {} at character {}",
            e.what, e.position
        ))
    })?;
    let PyValue::Dict(entries) = parsed else {
        return Err(Error::invalid_value(
            "the JSON is not an object".to_string(),
        ));
    };
    let mut connection = Connection::default();
    let mut uri_value: Option<String> = None;
    for (key, value) in entries {
        match key.as_str() {
            "extra" if value.is_truthy() => {
                connection.extra = Some(match value {
                    PyValue::Str(s) => s,
                    other => pyjson::dumps(&other),
                });
            }
            "conn_type" if value.is_truthy() => {
                connection.conn_type = Some(normalize_conn_type(&string_field(&key, value)?));
            }
            "port" if value.is_truthy() => connection.port = Some(py_int_port(&value)?),
            "extra" | "conn_type" | "port" => {}
            "description" => connection.description = optional_string(&key, value)?,
            "host" => connection.host = optional_string(&key, value)?,
            "login" => connection.login = optional_string(&key, value)?,
            "password" => {
                connection.password = optional_string(&key, value)?
                    .filter(|p| !p.is_empty() || !semantics.drops_empty_password())
            }
            "schema" => connection.schema = optional_string(&key, value)?,
            "uri" => uri_value = optional_string(&key, value)?.filter(|u| !u.is_empty()),
            // core3 accepts a team name; the connection record does not carry it.
            "team_name" if semantics.accepts_team_name() => {
                optional_string(&key, value)?;
            }
            "conn_id" => {
                return Err(Error::invalid_value(
                    "the JSON may not hold `conn_id` (it is given by the lookup)",
                ));
            }
            other => {
                return Err(Error::invalid_value(format!(
                    "unexpected key {} in the connection JSON",
                    py_repr(other)
                )));
            }
        }
    }
    if let Some(uri_text) = uri_value {
        let mixed = [
            &connection.conn_type,
            &connection.host,
            &connection.login,
            &connection.password,
            &connection.schema,
            &connection.extra,
        ]
        .iter()
        .any(|f| f.as_deref().is_some_and(|s| !s.is_empty()))
            || connection.port.is_some_and(|p| p != 0);
        if mixed {
            return Err(Error::invalid_value(
                "You must create an object using the URI or individual values (conn_type, host, \
                 login, password, schema, port or extra).You can't mix these two ways to create \
                 this object.",
            ));
        }
        let mut parsed = uri::parse_uri(&uri_text, semantics)?;
        parsed.description = connection.description;
        return Ok(parsed);
    }
    validate_extra(connection.extra.as_deref(), semantics)?;
    Ok(connection)
}

fn string_field(key: &str, value: PyValue) -> Result<String, Error> {
    match value {
        PyValue::Str(s) => Ok(s),
        other => Err(Error::invalid_value(format!(
            "`{key}` must be a string, got {}",
            other.type_name()
        ))),
    }
}

fn optional_string(key: &str, value: PyValue) -> Result<Option<String>, Error> {
    match value {
        PyValue::Null => Ok(None),
        other => string_field(key, other).map(Some),
    }
}

/// Python's `int(port)` for a truthy JSON value, in `i64`.
fn py_int_port(value: &PyValue) -> Result<i64, Error> {
    let bad = |shown: String| {
        Error::invalid_value(format!(
            "Expected integer value for `port`, but got {shown} instead."
        ))
    };
    match value {
        PyValue::Bool(b) => Ok(i64::from(*b)),
        PyValue::Int(digits) => digits.parse().map_err(|_| bad(digits.clone())),
        PyValue::Float(f) if f.is_finite() => {
            let t = f.trunc();
            if t.abs() < 9.2e18 {
                Ok(t as i64)
            } else {
                Err(bad(pyjson::float_repr(*f)))
            }
        }
        PyValue::Float(f) => Err(bad(pyjson::float_repr(*f))),
        PyValue::Str(s) => py_int_str(s).ok_or_else(|| bad(py_repr(s))),
        other => Err(Error::invalid_value(format!(
            "`port` must be a number or a string, got {}",
            other.type_name()
        ))),
    }
}

/// Python's `int(str)` in base 10: surrounding whitespace, a sign, digits with single `_`
/// between them. Python also accepts non-ASCII decimal digits; we take ASCII only.
fn py_int_str(text: &str) -> Option<i64> {
    let text = text.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c));
    let (negative, body) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let mut value: i64 = 0;
    for c in body.chars().filter(|c| *c != '_') {
        let digit = c.to_digit(10)?;
        value = value.checked_mul(10)?.checked_add(i64::from(digit))?;
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORE: ConnectionSemantics = ConnectionSemantics::Core;

    fn parse(text: &str) -> Connection {
        from_json(text, CORE).unwrap()
    }

    #[test]
    fn fields_and_normalisation() {
        let c = parse(
            r#"{"conn_type": "postgresql", "host": "h", "login": "u", "password": "p", "schema": "db", "port": "5432", "extra": {"a": [1, 2.5], "é": null}}"#,
        );
        assert_eq!(c.conn_type.as_deref(), Some("postgres"));
        assert_eq!(c.port, Some(5432));
        assert_eq!(
            c.extra.as_deref(),
            Some(r#"{"a": [1, 2.5], "\u00e9": null}"#)
        );
        assert_eq!(
            parse(r#"{"conn_type": "google-cloud"}"#)
                .conn_type
                .as_deref(),
            Some("google_cloud")
        );
        assert_eq!(
            parse(r#"{"conn_type": "Postgresql"}"#).conn_type.as_deref(),
            Some("Postgresql")
        );
    }

    #[test]
    fn port_has_python_int_semantics() {
        for (port, want) in [
            (r#"" 5432 ""#, 5432),
            (r#""1_000""#, 1000),
            ("1.9", 1),
            ("true", 1),
            ("-1", -1),
            (r#""0""#, 0),
        ] {
            assert_eq!(
                parse(&format!(r#"{{"port": {port}}}"#)).port,
                Some(want),
                "{port}"
            );
        }
        for falsy in ["0", r#""""#, "null", "false"] {
            assert_eq!(
                parse(&format!(r#"{{"port": {falsy}}}"#)).port,
                None,
                "{falsy}"
            );
        }
        let e = from_json(r#"{"port": "abc"}"#, CORE).unwrap_err();
        assert_eq!(
            e.message(),
            "Expected integer value for `port`, but got 'abc' instead."
        );
        assert!(from_json(r#"{"port": "1__0"}"#, CORE).is_err());
        assert!(from_json(r#"{"port": [1]}"#, CORE).is_err());
    }

    #[test]
    fn falsy_values_and_unknown_keys() {
        let c = parse(r#"{"extra": {}, "conn_type": "", "password": ""}"#);
        assert_eq!((c.extra, c.conn_type, c.password), (None, None, None));
        assert!(
            from_json(r#"{"hostname": "x"}"#, CORE)
                .unwrap_err()
                .message()
                .contains("'hostname'")
        );
        assert!(from_json(r#"{"conn_id": "x"}"#, CORE).is_err());
        assert!(from_json(r#"{"extra": "not json"}"#, CORE).is_err());
        assert!(from_json(r#"{"extra": [1]}"#, CORE).is_err());
    }

    #[test]
    fn uri_key_and_mixing() {
        let c = parse(r#"{"uri": "mysql://u:p@h:3306/s", "description": "d"}"#);
        assert_eq!(
            (c.host.as_deref(), c.description.as_deref()),
            (Some("h"), Some("d"))
        );
        assert!(from_json(r#"{"uri": "mysql://h", "host": "x"}"#, CORE).is_err());
    }

    #[test]
    fn the_constructors_differ_where_airflow_does() {
        let [core, sdk, af2] = ConnectionSemantics::ALL;
        let empty_password = r#"{"password": ""}"#;
        assert_eq!(from_json(empty_password, core).unwrap().password, None);
        assert_eq!(from_json(empty_password, af2).unwrap().password, None);
        assert_eq!(
            from_json(empty_password, sdk).unwrap().password.as_deref(),
            Some("")
        );
        let team = r#"{"conn_type": "http", "team_name": "t"}"#;
        assert!(from_json(team, core).is_ok());
        assert!(from_json(team, sdk).is_err());
        assert!(from_json(team, af2).is_err());
        for extra in [r#"{"extra": "notjson"}"#, r#"{"extra": [1, 2]}"#] {
            assert!(from_json(extra, core).is_err());
            assert!(from_json(extra, sdk).is_ok());
            assert!(from_json(extra, af2).is_ok());
        }
        assert_eq!(
            from_json(r#"{"uri": "x://h?a=1"}"#, sdk)
                .unwrap()
                .extra
                .as_deref(),
            Some(r#"{"a": "1"}"#)
        );
    }

    #[test]
    fn errors_never_quote_the_password() {
        let e = from_json(r#"{"password": "PASSWORDVALUE", "bad json"#, CORE).unwrap_err();
        assert!(!e.to_string().contains("PASSWORDVALUE"));
        let e = from_json(r#"{"password": "PASSWORDVALUE", "port": "x"}"#, CORE).unwrap_err();
        assert!(!e.to_string().contains("PASSWORDVALUE"));
    }

    #[test]
    fn only_ascii_digits_are_taken() {
        assert_eq!(py_int_str(" +42 "), Some(42));
        assert_eq!(py_int_str("\u{663}"), None);
        assert_eq!(py_int_str("99999999999999999999"), None);
    }
}
