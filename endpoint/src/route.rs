//! The guard and the routes: what a request asks for, or the reply that refuses it.
//!
//! The guard is the Secrets Manager Agent's: every route but `/ping` needs the header
//! `X-Aws-Parameters-Secrets-Token` equal to the token (compared in constant time); a request
//! with `X-Forwarded-For` is refused; GET only. Nothing here touches WASI.

pub use crate::kind::Kind;
use crate::reply::{Reply, error_reply};

/// The longest request target (path and query) served, in bytes.
pub const MAX_TARGET_BYTES: usize = 2048;

/// The header that carries the token (lower case: HTTP field names compare case-insensitively).
pub const TOKEN_HEADER: &str = "x-aws-parameters-secrets-token";

/// The variables the token is read from, first set wins (the Secrets Manager Agent's order).
pub const TOKEN_VARIABLES: [&str; 3] = [
    "AWS_TOKEN",
    "AWS_SESSION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
];

/// What an accepted request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `GET /ping`.
    Ping,
    /// `GET /systemsmanager/parameters/get?name=...`: a raw value by SSM name.
    Parameter {
        /// The SSM parameter name as asked.
        name: String,
    },
    /// `GET /airflow/{connections,variables,config}/<key>[?team=][&format=raw]`.
    Airflow {
        /// Which lookup.
        kind: Kind,
        /// The connection id or key.
        key: String,
        /// `?team=`, when given and not empty.
        team: Option<String>,
        /// `format=raw` on a connection: the value as stored (`{"key", "value"}`), for a client
        /// that parses it with its own connection class; not the parsed connection object.
        raw: bool,
    },
    /// `GET /metrics`: the host's metrics, where it has them (the sidecar).
    Metrics,
}

/// The token, from the environment the host grants: the first set of [`TOKEN_VARIABLES`], a
/// value or `file://<path>` (trailing whitespace trimmed). `Err` says why there is none.
pub fn token_from(
    var: impl Fn(&str) -> Option<String>,
    read: impl Fn(&str) -> std::io::Result<String>,
) -> Result<String, String> {
    let Some((name, value)) = TOKEN_VARIABLES
        .iter()
        .find_map(|name| var(name).filter(|v| !v.is_empty()).map(|v| (*name, v)))
    else {
        return Err(format!(
            "no token configured: the host must grant one of {} (a value or file://<path>)",
            TOKEN_VARIABLES.join(", ")
        ));
    };
    let token = match value.strip_prefix("file://") {
        Some(path) => read(path)
            .map_err(|e| format!("the token file named by {name} cannot be read: {e}"))?
            .trim_end()
            .to_string(),
        None => value,
    };
    if token.is_empty() {
        return Err(format!("the token named by {name} is empty"));
    }
    Ok(token)
}

/// Equality whose time depends on the lengths only, not on where the bytes differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let difference = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(difference) == 0
}

/// Checks a request and finds its route. `token` is the configured token, or why there is none.
pub fn route(
    method: &str,
    target: &str,
    headers: &[(String, Vec<u8>)],
    token: Result<&str, &str>,
) -> Result<Route, Reply> {
    let header = |name: &str| {
        headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
            .collect::<Vec<_>>()
    };
    if target.len() > MAX_TARGET_BYTES {
        return Err(client_error(
            400,
            &format!("the request target is longer than {MAX_TARGET_BYTES} bytes"),
        ));
    }
    if !header("x-forwarded-for").is_empty() {
        return Err(client_error(
            400,
            "requests with X-Forwarded-For are refused: this endpoint serves local callers only",
        ));
    }
    if method != "GET" {
        return Err(error_reply(
            405,
            "method-not-allowed",
            "MethodNotAllowed",
            "only GET is served",
        ));
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    if path == "/ping" {
        return Ok(Route::Ping);
    }
    let token = token.map_err(|why| error_reply(500, "no-token", "ConfigurationError", why))?;
    let given = header(TOKEN_HEADER);
    if given.len() != 1 || !constant_time_eq(given[0], token.as_bytes()) {
        return Err(error_reply(
            403,
            "forbidden",
            "AccessDeniedException",
            "the X-Aws-Parameters-Secrets-Token header is missing or wrong",
        ));
    }
    let query = parse_query(query).map_err(|m| client_error(400, &m))?;
    if path == "/metrics" {
        return Ok(Route::Metrics);
    }
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if path == "/systemsmanager/parameters/get" {
        if param("version").is_some() || param("label").is_some() {
            return Err(client_error(
                400,
                "version= and label= are not supported: the lookup interface reads the \
                 current version of a parameter only",
            ));
        }
        match param("withDecryption").as_deref() {
            None | Some("true") | Some("True") => {}
            Some(_) => {
                return Err(client_error(
                    400,
                    "withDecryption must be true: values are always decrypted, as Airflow reads them",
                ));
            }
        }
        return match param("name").filter(|n| !n.is_empty()) {
            Some(name) => Ok(Route::Parameter { name }),
            None => Err(client_error(400, "the query parameter name= is required")),
        };
    }
    for (prefix, kind) in [
        ("/airflow/connections/", Kind::Connection),
        ("/airflow/variables/", Kind::Variable),
        ("/airflow/config/", Kind::Config),
    ] {
        let Some(raw) = path.strip_prefix(prefix) else {
            continue;
        };
        let key = percent_decode(raw, false).map_err(|m| client_error(400, &m))?;
        if key.is_empty() {
            return Err(client_error(400, "a key is required after the route"));
        }
        let team = param("team").filter(|t| !t.is_empty());
        if kind == Kind::Config && team.is_some() {
            return Err(client_error(
                400,
                "team= does not apply to config: Airflow has no team-scoped config lookup",
            ));
        }
        let raw = match param("format").as_deref() {
            None | Some("") => false,
            Some("raw") if kind == Kind::Connection => true,
            Some(_) => {
                return Err(client_error(
                    400,
                    "format= takes `raw`, on connections only: variables and config are raw already",
                ));
            }
        };
        return Ok(Route::Airflow {
            kind,
            key,
            team,
            raw,
        });
    }
    Err(error_reply(
        404,
        "not-found",
        "NotFound",
        "no such route: GET /systemsmanager/parameters/get, /airflow/connections/<id>, \
         /airflow/variables/<key>, /airflow/config/<key>, /metrics or /ping",
    ))
}

fn client_error(status: u16, message: &str) -> Reply {
    error_reply(status, "bad-request", "ValidationException", message)
}

/// `application/x-www-form-urlencoded` pairs.
fn parse_query(query: &str) -> Result<Vec<(String, String)>, String> {
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            Ok((percent_decode(k, true)?, percent_decode(v, true)?))
        })
        .collect()
}

/// Percent-decoding (and `+` as a space in a query), to UTF-8.
fn percent_decode(text: &str, plus_is_space: bool) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or("a malformed percent-escape in the request target")?;
                out.push(hex);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "the request target is not UTF-8 once decoded".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: Result<&str, &str> = Ok("t0ken");

    fn with_token(value: &str) -> Vec<(String, Vec<u8>)> {
        vec![(
            "X-Aws-Parameters-Secrets-Token".into(),
            value.as_bytes().to_vec(),
        )]
    }

    fn status(r: Result<Route, Reply>) -> u16 {
        r.map(|_| 200).unwrap_or_else(|reply| reply.status)
    }

    #[test]
    fn routes() {
        let h = with_token("t0ken");
        assert_eq!(route("GET", "/ping", &[], TOKEN), Ok(Route::Ping));
        assert_eq!(
            route(
                "GET",
                "/systemsmanager/parameters/get?name=%2Fa%2Fb&withDecryption=true",
                &h,
                TOKEN
            ),
            Ok(Route::Parameter {
                name: "/a/b".into()
            })
        );
        assert_eq!(
            route("GET", "/airflow/connections/my%20db?team=t1", &h, TOKEN),
            Ok(Route::Airflow {
                kind: Kind::Connection,
                key: "my db".into(),
                team: Some("t1".into()),
                raw: false,
            })
        );
        assert_eq!(
            route("GET", "/airflow/connections/db?format=raw", &h, TOKEN),
            Ok(Route::Airflow {
                kind: Kind::Connection,
                key: "db".into(),
                team: None,
                raw: true,
            })
        );
        assert_eq!(
            status(route("GET", "/airflow/variables/v?format=raw", &h, TOKEN)),
            400
        );
        assert_eq!(
            status(route(
                "GET",
                "/airflow/connections/c?format=json",
                &h,
                TOKEN
            )),
            400
        );
        assert_eq!(route("GET", "/metrics", &h, TOKEN), Ok(Route::Metrics));
        assert_eq!(status(route("GET", "/metrics", &[], TOKEN)), 403);
        assert_eq!(
            route("GET", "/airflow/variables/a+b?team=", &h, TOKEN),
            Ok(Route::Airflow {
                kind: Kind::Variable,
                key: "a+b".into(),
                team: None,
                raw: false,
            })
        );
        assert_eq!(
            status(route("GET", "/airflow/config/x?team=t", &h, TOKEN)),
            400
        );
        assert_eq!(status(route("GET", "/nope", &h, TOKEN)), 404);
        assert_eq!(status(route("GET", "/airflow/variables/", &h, TOKEN)), 400);
        for q in ["version=2", "label=prod", "withDecryption=false", ""] {
            let target = format!("/systemsmanager/parameters/get?{q}&x=1");
            assert_eq!(status(route("GET", &target, &h, TOKEN)), 400, "{q}");
        }
    }

    #[test]
    fn guard() {
        let h = with_token("t0ken");
        let target = "/airflow/variables/x";
        assert_eq!(status(route("GET", target, &[], TOKEN)), 403);
        assert_eq!(
            status(route("GET", target, &with_token("t0ke"), TOKEN)),
            403
        );
        assert_eq!(
            status(route("GET", target, &with_token("t0keN"), TOKEN)),
            403
        );
        assert_eq!(status(route("POST", target, &h, TOKEN)), 405);
        let mut forwarded = h.clone();
        forwarded.push(("x-forwarded-for".into(), b"10.0.0.1".to_vec()));
        assert_eq!(status(route("GET", target, &forwarded, TOKEN)), 400);
        let long = format!("/airflow/variables/{}", "a".repeat(MAX_TARGET_BYTES));
        assert_eq!(status(route("GET", &long, &h, TOKEN)), 400);
        assert_eq!(status(route("GET", target, &h, Err("none"))), 500);
        assert_eq!(status(route("GET", "/ping", &[], Err("none"))), 200);
        assert_eq!(
            status(route("GET", "/airflow/variables/%zz", &h, TOKEN)),
            400
        );
        let reply = route("GET", target, &with_token("t0ke"), TOKEN).unwrap_err();
        assert!(!reply.body.contains("t0ke"));
    }

    #[test]
    fn tokens() {
        let none =
            |_: &str| -> std::io::Result<String> { Err(std::io::ErrorKind::NotFound.into()) };
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert!(token_from(vars(&[]), none).is_err());
        assert_eq!(
            token_from(
                vars(&[("AWS_SESSION_TOKEN", "s"), ("AWS_TOKEN", "a")]),
                none
            ),
            Ok("a".into())
        );
        assert_eq!(
            token_from(vars(&[("AWS_TOKEN", ""), ("AWS_SESSION_TOKEN", "s")]), none),
            Ok("s".into())
        );
        let file = |path: &str| Ok(format!("from {path}\n"));
        assert_eq!(
            token_from(
                vars(&[("AWS_CONTAINER_AUTHORIZATION_TOKEN", "file:///t")]),
                file
            ),
            Ok("from /t".into())
        );
        assert!(token_from(vars(&[("AWS_TOKEN", "file:///t")]), none).is_err());
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
