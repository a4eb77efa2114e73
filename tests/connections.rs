//! `get-connection`, `parse-connection` and `connection-uri` through the component.

mod common;

use common::Recorder;
use host_example::session::CallError;
use host_example::{Error, Session};

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
        s.connection_uri(&pg).unwrap(),
        "postgres://user:p%40ss@db.example.com:5432/analytics?sslmode=require"
    );

    let api = s.get_connection("api", None).unwrap().expect("found");
    assert_eq!(api.host.as_deref(), Some("https://api.example.com"));
    assert_eq!(api.extra.as_deref(), Some(r#"{"timeout": 30}"#));
    assert_eq!(
        s.connection_uri(&api).unwrap(),
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
        .parse_connection("web", "http://https%3A%2F%2Fexample.com")
        .unwrap();
    assert_eq!(c.host.as_deref(), Some("https://example.com"));
    let c = s
        .parse_connection(
            "spark",
            "spark://spark%3A%2F%2Fspark-master-0.spark-master.spark:7077",
        )
        .unwrap();
    assert_eq!(
        c.host.as_deref(),
        Some("spark://spark-master-0.spark-master.spark")
    );
    assert_eq!(c.port, Some(7077));
}

/// The component gives exactly what the natively tested core gives, for every Airflow vector
/// (`tests/connection_vectors.rs` checks the core against Airflow).
#[test]
fn component_matches_the_core_on_every_airflow_vector() {
    let vectors: serde_json::Value =
        serde_json::from_str(include_str!("data/airflow-conn-vectors.json")).unwrap();
    let mut s = Session::offline(common::runtime()).unwrap();
    for vector in vectors.as_array().unwrap() {
        let (conn_id, value) = (
            vector["conn_id"].as_str().unwrap(),
            vector["value"].as_str().unwrap(),
        );
        let native = ssm_secrets::deserialize_connection(conn_id, value);
        match (s.parse_connection(conn_id, value), native) {
            (Ok(wasm), Ok(core)) => {
                assert_eq!(wasm, core, "{value:?}");
                assert_eq!(
                    s.connection_uri(&wasm).unwrap(),
                    ssm_secrets::get_uri(&core),
                    "{value:?}"
                );
            }
            (Err(CallError::Component(Error::InvalidValue(m))), Err(e)) => {
                assert_eq!(m, e.message(), "{value:?}")
            }
            (wasm, core) => panic!("{value:?}: component {wasm:?}, core {core:?}"),
        }
    }
}
