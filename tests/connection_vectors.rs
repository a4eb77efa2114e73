//! Airflow connection parity, data-driven: every vector of
//! `tests/data/airflow-conn-vectors.json` (produced by running Airflow) in all three contexts
//! it records: Airflow 3.3.2's core `Connection` (`expected` / `error`), the Airflow 3 task
//! SDK's (`variants.airflow3_task_sdk`) and Airflow 2.10.5's core (`variants.airflow2_core`).
//! Each parses to the same fields, `get_uri()` and round trip (`uri_roundtrip_equal`, and the
//! re-parsed fields or error where the vector records them), or fails where Airflow fails. No
//! vector is excluded; every failure is reported with its vector index and context.

use serde_json::Value;
use ssm_secrets::connection::pyjson::{self, PyValue};
use ssm_secrets::{Connection, ConnectionSemantics, deserialize_connection_as, get_uri_as};

/// The contexts of a vector: its semantics, and where its expectation is in the vector.
const CONTEXTS: [(ConnectionSemantics, Option<&str>); 3] = [
    (ConnectionSemantics::Core, None),
    (ConnectionSemantics::TaskSdk, Some("airflow3_task_sdk")),
    (ConnectionSemantics::Airflow2, Some("airflow2_core")),
];

fn vectors() -> Vec<Value> {
    serde_json::from_str(include_str!("data/airflow-conn-vectors.json")).unwrap()
}

fn field(expected: &Value, key: &str) -> Option<String> {
    expected[key].as_str().map(str::to_string)
}

/// The fields Airflow's `uri_roundtrip_equal` compares (the keys of `uri_reparsed`).
fn uri_fields(c: &Connection) -> Value {
    serde_json::json!({
        "conn_type": c.conn_type, "host": c.host, "login": c.login, "password": c.password,
        "schema": c.schema, "port": c.port, "extra": c.extra,
    })
}

/// Checks one vector in one context: `outcome` holds `expected` or `error`.
fn check(vector: &Value, outcome: &Value, semantics: ConnectionSemantics) -> Result<(), String> {
    let conn_id = vector["conn_id"].as_str().unwrap();
    let value = vector["value"].as_str().unwrap();
    let parsed = deserialize_connection_as(conn_id, value, semantics);
    let Some(expected) = outcome.get("expected") else {
        assert!(outcome.get("error").is_some(), "neither expected nor error");
        return match parsed {
            Err(_) => Ok(()),
            Ok(c) => Err(format!(
                "Airflow fails ({}), we parsed {c:?}",
                outcome["error"]
            )),
        };
    };
    let c = parsed.map_err(|e| format!("Airflow parses, we fail: {e}"))?;
    let want = Connection {
        conn_id: field(expected, "conn_id"),
        conn_type: field(expected, "conn_type"),
        description: field(expected, "description"),
        host: field(expected, "host"),
        schema: field(expected, "schema"),
        login: field(expected, "login"),
        password: field(expected, "password"),
        port: expected["port"].as_i64(),
        extra: field(expected, "extra"),
    };
    let mut problems = Vec::new();
    let pairs = [
        ("conn_id", &c.conn_id, &want.conn_id),
        ("conn_type", &c.conn_type, &want.conn_type),
        ("description", &c.description, &want.description),
        ("host", &c.host, &want.host),
        ("schema", &c.schema, &want.schema),
        ("login", &c.login, &want.login),
        ("password", &c.password, &want.password),
        ("extra", &c.extra, &want.extra),
    ];
    for (name, got, want) in pairs {
        if got != want {
            problems.push(format!("{name}: got {got:?}, want {want:?}"));
        }
    }
    if c.port != want.port {
        problems.push(format!("port: got {:?}, want {:?}", c.port, want.port));
    }
    let uri = get_uri_as(&c, semantics);
    if expected["uri"].as_str() != Some(uri.as_str()) {
        problems.push(format!("uri: got {uri:?}, want {}", expected["uri"]));
    }
    let again = deserialize_connection_as(conn_id, &uri, semantics);
    let equal = again
        .as_ref()
        .is_ok_and(|a| uri_fields(a) == uri_fields(&c));
    if Some(equal) != expected["uri_roundtrip_equal"].as_bool() {
        problems.push(format!(
            "round trip equal: got {equal}, want {}",
            expected["uri_roundtrip_equal"]
        ));
    }
    match (
        &again,
        expected.get("uri_reparsed"),
        expected.get("uri_reparse_error"),
    ) {
        (Ok(a), Some(reparsed), _) if uri_fields(a) != *reparsed => {
            problems.push(format!("re-parsed: got {}, want {reparsed}", uri_fields(a)))
        }
        (Err(e), Some(_), _) => problems.push(format!("re-parse fails: {e}")),
        (Ok(a), _, Some(error)) => {
            problems.push(format!("re-parse gives {a:?}, Airflow fails ({error})"))
        }
        _ => {}
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[test]
fn every_vector_matches_airflow_in_every_context() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 62);
    let mut failures = Vec::new();
    let mut checked = 0;
    for (index, vector) in vectors.iter().enumerate() {
        for (semantics, variant) in CONTEXTS {
            let outcome = match variant {
                None => vector,
                Some(name) => &vector["variants"][name],
            };
            assert!(
                outcome.get("expected").is_some() || outcome.get("error").is_some(),
                "vector {index} has no {semantics:?} outcome"
            );
            checked += 1;
            if let Err(problem) = check(vector, outcome, semantics) {
                failures.push(format!(
                    "vector {index} {semantics:?} {:?} ({}): {problem}",
                    vector["value"].as_str().unwrap(),
                    vector["note"]
                ));
            }
        }
    }
    assert_eq!(checked, 62 * 3);
    assert!(
        failures.is_empty(),
        "{} of {checked} checks differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A small deterministic generator (xorshift64*), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }

    fn maybe(&mut self, items: &[&str]) -> Option<String> {
        (!self.next().is_multiple_of(4)).then(|| self.pick(items).to_string())
    }
}

/// Connections inside the domain where Airflow's own `parse(get_uri(c)) == c` holds for
/// `semantics` (the vectors' `uri_roundtrip_equal` marks the losses outside it: `None` vs `""`
/// for host, schema and type, port 0, an empty login, IPv6 hosts, upper-case hosts; in core,
/// an empty password, a non-object extra and extras whose string values look like JSON; in
/// Airflow 2.10, a host whose protocol equals the type). Every other field is as hostile as a
/// URI allows.
fn generated_connection(rng: &mut Rng, semantics: ConnectionSemantics) -> Connection {
    const TYPES: &[&str] = &[
        "postgres",
        "mysql",
        "http",
        "google_cloud_platform",
        "aws",
        "spark",
        "x.y+z",
    ];
    const HOSTS: &[&str] = &[
        "db.example.com",
        "10.0.0.1",
        "my host",
        "h@st",
        "h:st",
        "p%41th",
        "slash/host",
        "ünïcode.example",
        "https://api.example.com",
        "spark://master-0.spark",
        "a?b#c",
    ];
    const WORDS: &[&str] = &[
        "user",
        "p@ss:w/rd?#",
        "with space",
        "plus+sign",
        "100%",
        "ü",
        "a&b=c",
        "~._-",
        "\"q\"",
    ];
    // Only the task SDK keeps an empty password; only core types query values.
    const SDK_WORDS: &[&str] = &["", "1", "true", "null", "[1, 2]", "\"q\""];
    const SCHEMAS: &[&str] = &["db", "a/b", "with space", "x?y", "%2F"];
    let untyped = semantics != ConnectionSemantics::Core;
    let conn_type = rng.pick(TYPES).to_string();
    let mut host = rng.pick(HOSTS).to_string();
    if semantics == ConnectionSemantics::Airflow2 && host.starts_with(&format!("{conn_type}://")) {
        host = "db.example.com".to_string();
    }
    let login = rng.maybe(WORDS);
    let password = login.as_ref().and_then(|_| match semantics {
        ConnectionSemantics::TaskSdk if rng.next().is_multiple_of(3) => rng.maybe(SDK_WORDS),
        _ => rng.maybe(WORDS),
    });
    let schema = rng.pick(SCHEMAS).to_string();
    let port = (!rng.next().is_multiple_of(3)).then(|| (rng.next() % 65535 + 1) as i64);
    // Extras as Airflow stores them: `json.dumps` of a dict, or (SDK, Airflow 2.10) any text.
    let extra = match rng.next() % 4 {
        0 => None,
        1 => {
            let entries = (0..1 + rng.next() % 3)
                .map(|i| {
                    let key = format!("k{i} {}", rng.pick(&["a", "&", "=", "ü"]));
                    let value = if untyped && rng.next().is_multiple_of(2) {
                        rng.pick(&SDK_WORDS[1..]).to_string()
                    } else {
                        format!("v {}", rng.pick(WORDS))
                    };
                    (key, PyValue::Str(value))
                })
                .collect();
            Some(pyjson::dumps(&PyValue::Dict(entries)))
        }
        2 if untyped => Some(
            rng.pick(&["[1, 2]", "not json", "\"s\"", "{}", "1"])
                .to_string(),
        ),
        _ => Some(r#"{"n": 1, "nested": {"list": [true, null, 2.5]}, "s": "x"}"#.to_string()),
    };
    Connection {
        conn_id: Some("generated".to_string()),
        conn_type: Some(conn_type),
        description: None,
        host: Some(host),
        schema: Some(schema),
        login,
        password,
        port,
        extra,
    }
}

#[test]
fn generated_connections_survive_get_uri_and_parse_in_every_semantics() {
    for semantics in ConnectionSemantics::ALL {
        let mut rng = Rng(0x5eed_cafe_f00d_0001);
        for _ in 0..5000 {
            let c = generated_connection(&mut rng, semantics);
            let uri = get_uri_as(&c, semantics);
            let again =
                deserialize_connection_as("generated", &uri, semantics).unwrap_or_else(|e| {
                    panic!("{semantics:?}: {uri:?} does not parse: {e} (from {c:?})")
                });
            assert_eq!(again, c, "{semantics:?}: {uri}");
        }
    }
}
