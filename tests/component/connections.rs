//! `get-connection`, `parse-connection` and `connection-uri` through the component, in each
//! of the three connection semantics.

use crate::common;

use common::Recorder;
use host_example::session::CallError;
use host_example::{ConnectionSemantics, Error, Session};

const CORE: ConnectionSemantics = ConnectionSemantics::Core;

const PREFIX: &str = "/airflow/connections";

fn session(recorder: &Recorder) -> Session {
    common::open("{}", recorder)
}

#[test]
fn uri_and_json_values_become_connections() {
    let recorder = Recorder::new()
        .value(&format!("{PREFIX}/pg"), "postgresql://user:p%40ss@Db.Example.com:5432/analytics?sslmode=require")
        .value(&format!("{PREFIX}/api"), r#"{"conn_type": "http", "host": "https://api.example.com", "password": "tok", "extra": {"timeout": 30}}"#);
    let mut s = session(&recorder);

    let pg = s.get_connection("pg", None).unwrap().expect("found");
    assert_eq!(pg.conn_id.as_deref(), Some("pg"));
    assert_eq!(pg.conn_type.as_deref(), Some("postgres"));
    assert_eq!(pg.host.as_deref(), Some("db.example.com"));
    assert_eq!(
        (pg.login.as_deref(), pg.password.as_deref()),
        (Some("user"), Some("p@ss"))
    );
    assert_eq!(
        (pg.port, pg.schema.as_deref()),
        (Some(5432), Some("analytics"))
    );
    assert_eq!(pg.extra.as_deref(), Some(r#"{"sslmode": "require"}"#));
    assert_eq!(
        s.connection_uri(&pg, CORE).unwrap(),
        "postgres://user:p%40ss@db.example.com:5432/analytics?sslmode=require"
    );

    let api = s.get_connection("api", None).unwrap().expect("found");
    assert_eq!(api.host.as_deref(), Some("https://api.example.com"));
    assert_eq!(api.extra.as_deref(), Some(r#"{"timeout": 30}"#));
    assert_eq!(
        s.connection_uri(&api, CORE).unwrap(),
        "http://https://:tok@api.example.com/?__extra__=%7B%22timeout%22%3A+30%7D"
    );
}

#[test]
fn empty_value_is_not_found_and_blank_is_an_error() {
    let recorder = Recorder::new()
        .value(&format!("{PREFIX}/empty"), "")
        .value(&format!("{PREFIX}/blank"), " \n ");
    let mut s = session(&recorder);
    assert_eq!(s.get_connection("empty", None).unwrap(), None);
    assert_eq!(
        s.get_conn_value("empty", None).unwrap().as_deref(),
        Some("")
    );
    assert!(matches!(
        s.get_connection("blank", None),
        Err(CallError::Component(Error::InvalidValue(_)))
    ));
}

#[test]
fn team_value_wins_even_when_empty() {
    let recorder = Recorder::new()
        .value(&format!("{PREFIX}/t--c"), "")
        .value(&format!("{PREFIX}/c"), "http://global");
    let mut s = session(&recorder);
    assert_eq!(s.get_connection("c", Some("t")).unwrap(), None);
    assert_eq!(recorder.names(), [format!("{PREFIX}/t--c")]);
}

#[test]
fn parse_errors_never_show_the_password() {
    let recorder = Recorder::new().value(
        &format!("{PREFIX}/bad"),
        "mysql://user:SUPER-SECRET-PW@host:notaport/db",
    );
    let mut s = session(&recorder);
    let e = s.get_connection("bad", None).unwrap_err().to_string();
    assert!(e.contains("Port could not be cast"), "{e}");
    assert!(!e.contains("SUPER-SECRET-PW"), "{e}");
}

#[test]
fn documented_host_with_protocol_examples() {
    let mut s = Session::offline(common::runtime()).unwrap();
    let c = s
        .parse_connection("web", "http://https%3A%2F%2Fexample.com", CORE)
        .unwrap();
    assert_eq!(c.host.as_deref(), Some("https://example.com"));
    let c = s
        .parse_connection(
            "spark",
            "spark://spark%3A%2F%2Fspark-master-0.spark-master.spark:7077",
            CORE,
        )
        .unwrap();
    assert_eq!(
        c.host.as_deref(),
        Some("spark://spark-master-0.spark-master.spark")
    );
    assert_eq!(c.port, Some(7077));
}

#[test]
fn get_connection_parses_with_the_semantics_set_on_the_backend() {
    let recorder = Recorder::new()
        .value(&format!("{PREFIX}/typed"), "x://u:@h?n=1")
        .value(&format!("{PREFIX}/list"), "x://h?__extra__=%5B1%5D");
    let mut s = session(&recorder);
    let core = s.get_connection("typed", None).unwrap().expect("found");
    assert_eq!(
        (core.password, core.extra.as_deref()),
        (None, Some(r#"{"n": 1}"#))
    );
    assert!(matches!(
        s.get_connection("list", None),
        Err(CallError::Component(Error::InvalidValue(_)))
    ));

    s.set_connection_semantics(ConnectionSemantics::TaskSdk)
        .unwrap();
    let sdk = s.get_connection("typed", None).unwrap().expect("found");
    assert_eq!(
        (sdk.password.as_deref(), sdk.extra.as_deref()),
        (Some(""), Some(r#"{"n": "1"}"#))
    );
    let ids = ["list".to_string(), "missing".to_string()];
    let batch = s.get_connections(&ids, None).unwrap();
    assert_eq!(batch.len(), 2);
    let list = batch[0].as_ref().unwrap().as_ref().expect("found");
    assert_eq!(list.extra.as_deref(), Some("[1]"));
    assert_eq!(batch[1].as_ref().unwrap(), &None);

    s.set_connection_semantics(ConnectionSemantics::Airflow2)
        .unwrap();
    let af2 = s.get_connection("typed", None).unwrap().expect("found");
    assert_eq!(
        (af2.password, af2.extra.as_deref()),
        (None, Some(r#"{"n": "1"}"#))
    );
}

/// The component gives exactly what the natively tested core gives, for every Airflow vector
/// in each of the three semantics (`tests/connection_vectors.rs` checks the core against
/// Airflow in each).
#[test]
fn component_matches_the_core_on_every_airflow_vector_in_every_semantics() {
    let vectors: serde_json::Value =
        serde_json::from_str(include_str!("../data/airflow-conn-vectors.json")).unwrap();
    let mut s = Session::offline(common::runtime()).unwrap();
    let mut failures = Vec::new();
    for (index, vector) in vectors.as_array().unwrap().iter().enumerate() {
        let (conn_id, value) = (
            vector["conn_id"].as_str().unwrap(),
            vector["value"].as_str().unwrap(),
        );
        for semantics in ConnectionSemantics::ALL {
            let native = ssm_secrets::deserialize_connection_as(conn_id, value, semantics);
            let problem = match (s.parse_connection(conn_id, value, semantics), native) {
                (Ok(wasm), Ok(core)) if wasm != core => {
                    format!("component {wasm:?}, core {core:?}")
                }
                (Ok(wasm), Ok(core)) => {
                    let (wasm_uri, core_uri) = (
                        s.connection_uri(&wasm, semantics).unwrap(),
                        ssm_secrets::get_uri_as(&core, semantics),
                    );
                    if wasm_uri == core_uri {
                        continue;
                    }
                    format!("uri: component {wasm_uri:?}, core {core_uri:?}")
                }
                (Err(CallError::Component(Error::InvalidValue(m))), Err(e)) if m == e.message() => {
                    continue;
                }
                (wasm, core) => format!("component {wasm:?}, core {core:?}"),
            };
            failures.push(format!("vector {index} {semantics:?} {value:?}: {problem}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
