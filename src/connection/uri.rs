//! Airflow's URI parsing (core `Connection._parse_from_uri`, the task SDK's
//! `Connection.from_uri`), step for step over the `urlsplit` emulation. The three classes run
//! the same steps; they differ in the query typing, the empty password and the extra check.

use super::pyjson::{self, PyValue};
use super::pyurl::{self, SplitResult, UrlError};
use super::record::{Connection, ConnectionSemantics, normalize_conn_type, validate_extra};
use crate::error::Error;

/// The query key whose value is the whole extra as JSON text.
pub const EXTRA_KEY: &str = "__extra__";

fn url_error(e: UrlError) -> Error {
    Error::invalid_value(e.0)
}

fn invalid_connection_string() -> Error {
    Error::invalid_value("Invalid connection string.")
}

/// Parses a connection URI as `semantics` does (`conn_id` is set by the caller).
pub fn parse_uri(uri: &str, semantics: ConnectionSemantics) -> Result<Connection, Error> {
    let scheme_count = uri.matches("://").count();
    if scheme_count > 2 {
        return Err(invalid_connection_string());
    }
    let host_with_protocol = scheme_count == 2;
    let first = pyurl::urlsplit(uri).map_err(url_error)?;
    let conn_type = first.scheme.clone();

    // Python's str.replace of every "<scheme>://", on the original text.
    let rest = uri.replace(
        &format!("{conn_type}://"),
        if host_with_protocol { "" } else { "//" },
    );
    if host_with_protocol {
        let protocol_part = rest.split("://").next().unwrap_or("");
        if protocol_part.contains('@') || protocol_part.contains(':') {
            return Err(invalid_connection_string());
        }
    }
    let parts = pyurl::urlsplit(&rest).map_err(url_error)?;
    let protocol = host_with_protocol.then_some(parts.scheme.as_str());
    let host = netloc_to_hostname(&parts);
    let host = match protocol {
        Some(p) if !host.is_empty() && !p.is_empty() => format!("{p}://{host}"),
        _ => host,
    };
    let schema = parts.path.get(1..).map(pyurl::unquote).unwrap_or_default();
    let (username, password) = parts.userinfo();
    let port = parts.port().map_err(url_error)?;
    let extra = if parts.query.is_empty() {
        None
    } else {
        let (extra, verbatim) = query_to_extra(&parts.query, semantics.types_query_values());
        // A dict this wrote is an object by construction; only `__extra__` needs the check.
        if verbatim {
            validate_extra(Some(&extra), semantics)?;
        }
        Some(extra)
    };
    Ok(Connection {
        conn_id: None,
        conn_type: Some(normalize_conn_type(&conn_type)),
        description: None,
        host: Some(host),
        schema: Some(schema),
        login: username.map(pyurl::unquote),
        // Core's password setter drops a falsy password; the SDK keeps `""`.
        password: password
            .map(pyurl::unquote)
            .filter(|p| !p.is_empty() || !semantics.drops_empty_password()),
        port: port.map(i64::from),
        extra,
    })
}

/// Airflow's `_parse_netloc_to_hostname`: the unquoted `hostname`, or, when that holds a `/`,
/// the raw netloc after its last `@` and before its first `:`, unquoted.
fn netloc_to_hostname(parts: &SplitResult) -> String {
    let hostname = pyurl::unquote(&parts.hostname().unwrap_or_default());
    if !hostname.contains('/') {
        return hostname;
    }
    let netloc = parts.netloc.as_str();
    let netloc = netloc.rsplit_once('@').map_or(netloc, |(_, h)| h);
    let netloc = netloc.split_once(':').map_or(netloc, |(h, _)| h);
    pyurl::unquote(netloc)
}

/// The query as Airflow stores it: `__extra__` verbatim if present, else a JSON object of the
/// query's pairs; with `typed` (core3, since Airflow 3.2) every non-empty value that is JSON is
/// decoded, else the values stay strings. Says whether it is `__extra__` verbatim.
fn query_to_extra(query: &str, typed: bool) -> (String, bool) {
    let pairs = pyurl::parse_qs_dict(query);
    if let Some((_, extra)) = pairs.iter().find(|(k, _)| k == EXTRA_KEY) {
        return (extra.clone(), true);
    }
    let dict = pairs
        .into_iter()
        .map(|(key, value)| {
            let decoded = if value.is_empty() || !typed || !may_be_json(&value) {
                PyValue::Str(value)
            } else {
                pyjson::loads(&value).unwrap_or(PyValue::Str(value))
            };
            (key, decoded)
        })
        .collect();
    (pyjson::dumps(&PyValue::Dict(dict)), false)
}

/// Whether `json.loads` could accept `value`: its first non-blank character starts a JSON
/// value (or Python's `NaN` / `Infinity`). Saves a failed parse on most query values.
fn may_be_json(value: &str) -> bool {
    value
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .bytes()
        .next()
        .is_some_and(|b| {
            matches!(
                b,
                b'{' | b'[' | b'"' | b'-' | b'0'..=b'9' | b't' | b'f' | b'n' | b'N' | b'I'
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORE: ConnectionSemantics = ConnectionSemantics::Core;

    fn parse(uri: &str) -> Connection {
        parse_uri(uri, CORE).unwrap()
    }

    #[test]
    fn common_forms() {
        let c = parse(
            "postgresql://user:p%40ss@DB.example.com:5432/my%2Fdb?sslmode=require&timeout=10",
        );
        assert_eq!(c.conn_type.as_deref(), Some("postgres"));
        assert_eq!(c.host.as_deref(), Some("db.example.com"));
        assert_eq!(c.login.as_deref(), Some("user"));
        assert_eq!(c.password.as_deref(), Some("p@ss"));
        assert_eq!(c.port, Some(5432));
        assert_eq!(c.schema.as_deref(), Some("my/db"));
        assert_eq!(
            c.extra.as_deref(),
            Some(r#"{"sslmode": "require", "timeout": 10}"#)
        );

        let c = parse("google-cloud-platform://");
        assert_eq!(c.conn_type.as_deref(), Some("google_cloud_platform"));
        assert_eq!(
            (c.host.as_deref(), c.schema.as_deref(), c.login.as_deref()),
            (Some(""), Some(""), None)
        );
    }

    #[test]
    fn host_with_protocol() {
        assert_eq!(
            parse("http://https%3A%2F%2Fexample.com").host.as_deref(),
            Some("https://example.com")
        );
        let c = parse("spark://spark%3A%2F%2Fspark-master-0.spark-master.spark:7077");
        assert_eq!(
            c.host.as_deref(),
            Some("spark://spark-master-0.spark-master.spark")
        );
        assert_eq!(c.port, Some(7077));
        let c = parse("http://https://example.com:8080/path");
        assert_eq!(
            (c.host.as_deref(), c.port, c.schema.as_deref()),
            (Some("https://example.com"), Some(8080), Some("path"))
        );
        assert!(parse_uri("spark://spark://spark-master:7077", CORE).is_err());
        assert!(parse_uri("a://b://c://d", CORE).is_err());
        assert!(parse_uri("http://user:pw@https://h", CORE).is_err());
    }

    #[test]
    fn extra_forms() {
        let c = parse(r#"aws://?__extra__=%7B%22a%22%3A+1%7D&ignored=1"#);
        assert_eq!(c.extra.as_deref(), Some(r#"{"a": 1}"#));
        assert!(
            parse_uri("aws://?__extra__=%5B1%5D", CORE).is_err(),
            "extra must be an object"
        );
        assert_eq!(
            parse("x://h?a=1&a=2&b").extra.as_deref(),
            Some(r#"{"a": 2, "b": ""}"#)
        );
        assert_eq!(parse("x://h?").extra, None);
    }

    #[test]
    fn the_three_semantics_differ_where_airflow_does() {
        let [core, sdk, af2] = ConnectionSemantics::ALL;
        let typed = "x://h?a=1&b=true&c=";
        assert_eq!(
            parse_uri(typed, core).unwrap().extra.as_deref(),
            Some(r#"{"a": 1, "b": true, "c": ""}"#)
        );
        for s in [sdk, af2] {
            assert_eq!(
                parse_uri(typed, s).unwrap().extra.as_deref(),
                Some(r#"{"a": "1", "b": "true", "c": ""}"#)
            );
        }
        assert_eq!(parse_uri("x://u:@h", core).unwrap().password, None);
        assert_eq!(parse_uri("x://u:@h", af2).unwrap().password, None);
        assert_eq!(
            parse_uri("x://u:@h", sdk).unwrap().password.as_deref(),
            Some("")
        );
        for bad_extra in ["x://h?__extra__=%5B1%5D", "x://h?__extra__=nope"] {
            assert!(parse_uri(bad_extra, core).is_err());
            assert!(parse_uri(bad_extra, sdk).is_ok());
            assert!(parse_uri(bad_extra, af2).is_ok());
        }
        // An empty `__extra__` is falsy: nobody checks it.
        for s in ConnectionSemantics::ALL {
            assert_eq!(
                parse_uri("x://h?__extra__=", s).unwrap().extra.as_deref(),
                Some("")
            );
        }
    }

    #[test]
    fn empty_password_is_none_and_bad_ports_fail() {
        assert_eq!(parse("x://user:@h").password, None);
        assert!(parse_uri("x://h:port", CORE).is_err());
        assert!(parse_uri("x://h:70000", CORE).is_err());
    }
}
