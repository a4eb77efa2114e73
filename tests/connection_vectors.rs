//! Airflow 3.3 connection parity, data-driven: every vector of
//! `tests/data/airflow-conn-vectors.json` (produced by running Airflow 3.3.2's core
//! `Connection`) parses to the same fields and `get_uri()`, or fails where Airflow fails.
//! Deliberate differences are listed in [`DIVERGENCES`] and in the README.

use serde_json::Value;
use ssm_secrets::connection::pyjson::{self, PyValue};
use ssm_secrets::{Connection, deserialize_connection, get_uri};

/// Vectors where we deliberately differ, by `value`, with what we do instead.
const DIVERGENCES: &[(&str, &str)] = &[];

fn vectors() -> Vec<Value> {
    serde_json::from_str(include_str!("data/airflow-conn-vectors.json")).unwrap()
}

fn field(expected: &Value, key: &str) -> Option<String> {
    expected[key].as_str().map(str::to_string)
}

fn check(vector: &Value) -> Result<(), String> {
    let conn_id = vector["conn_id"].as_str().unwrap();
    let value = vector["value"].as_str().unwrap();
    let parsed = deserialize_connection(conn_id, value);
    let Some(expected) = vector.get("expected") else {
        return match parsed {
            Err(_) => Ok(()),
            Ok(c) => Err(format!(
                "Airflow fails ({}), we parsed {c:?}",
                vector["error"]
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
    if let Some(uri) = expected["uri"].as_str() {
        let got = get_uri(&c);
        if got != uri {
            problems.push(format!("uri: got {got:?}, want {uri:?}"));
        }
        if expected["uri_roundtrip_equal"].as_bool() == Some(true) {
            match deserialize_connection(conn_id, &got) {
                Ok(again) if again == c => {}
                Ok(again) => problems.push(format!("round trip: {again:?} != {c:?}")),
                Err(e) => problems.push(format!("round trip fails: {e}")),
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[test]
fn every_vector_matches_airflow() {
    let mut failures = Vec::new();
    for vector in vectors() {
        let value = vector["value"].as_str().unwrap();
        if DIVERGENCES.iter().any(|(v, _)| *v == value) {
            continue;
        }
        if let Err(problem) = check(&vector) {
            failures.push(format!("{value:?} ({}): {problem}", vector["note"]));
        }
    }
    assert!(
        failures.is_empty(),
        "{} vectors differ:\n{}",
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

/// Connections inside the domain where Airflow's own `parse(get_uri(c)) == c` holds (the
/// vectors' `uri_roundtrip_equal` marks the losses outside it: `None` vs `""` for host, schema
/// and type, port 0, an empty login, IPv6 hosts, upper-case hosts, extras whose string values
/// look like JSON). Every other field is as hostile as a URI allows.
fn generated_connection(rng: &mut Rng) -> Connection {
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
    const SCHEMAS: &[&str] = &["db", "a/b", "with space", "x?y", "%2F"];
    let conn_type = rng.pick(TYPES).to_string();
    let host = rng.pick(HOSTS).to_string();
    let login = rng.maybe(WORDS);
    let password = login.as_ref().and_then(|_| rng.maybe(WORDS));
    let schema = rng.pick(SCHEMAS).to_string();
    let port = (!rng.next().is_multiple_of(3)).then(|| (rng.next() % 65535 + 1) as i64);
    // Extras as Airflow stores them: `json.dumps` of a dict.
    let extra = match rng.next() % 3 {
        0 => None,
        1 => {
            let entries = (0..1 + rng.next() % 3)
                .map(|i| {
                    let key = format!("k{i} {}", rng.pick(&["a", "&", "=", "ü"]));
                    (key, PyValue::Str(format!("v {}", rng.pick(WORDS))))
                })
                .collect();
            Some(pyjson::dumps(&PyValue::Dict(entries)))
        }
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
fn generated_connections_survive_get_uri_and_parse() {
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    for _ in 0..5000 {
        let c = generated_connection(&mut rng);
        let uri = get_uri(&c);
        let again = deserialize_connection("generated", &uri)
            .unwrap_or_else(|e| panic!("{uri:?} does not parse: {e} (from {c:?})"));
        assert_eq!(again, c, "{uri}");
    }
}
