//! The CLI contract of the README's "CLI" section, run against the shipped demo fixture:
//! commands, several ids, `--json`, the connection keys, and the exit codes.

use crate::common;

use common::{cli, demo_fixture, text};

const CREDS: [(&str, &str); 3] = [
    ("AWS_ACCESS_KEY_ID", "AKIDDEMO"),
    ("AWS_SECRET_ACCESS_KEY", "demo-secret-key-value"),
    ("AWS_DEFAULT_REGION", "eu-west-1"),
];

fn with_fixture(extra: &[&str]) -> std::process::Output {
    let fixture = demo_fixture();
    let mut args = vec!["--fixture", fixture.to_str().unwrap()];
    args.extend_from_slice(extra);
    cli(&CREDS, &args)
}

#[test]
fn get_connection_prints_the_contract_keys() {
    let out = with_fixture(&["get-connection", "demo_postgres"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let json: serde_json::Value = serde_json::from_str(stdout.trim()).unwrap();
    let keys = [
        "conn_id",
        "conn_type",
        "description",
        "host",
        "schema",
        "login",
        "password",
        "port",
        "extra",
        "uri",
    ];
    assert_eq!(json.as_object().unwrap().len(), keys.len());
    let positions: Vec<usize> = keys
        .iter()
        .map(|k| stdout.find(&format!("\"{k}\":")).expect(k))
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "keys in contract order: {stdout}"
    );
    assert_eq!(json["conn_type"], "postgres");
    assert_eq!(json["password"], "s3cr@t");
    assert_eq!(json["port"], 5432);
    assert_eq!(json["description"], serde_json::Value::Null);
    assert_eq!(
        json["extra"],
        r#"{"sslmode": "require", "connect_timeout": 10}"#
    );
    assert!(
        json["uri"]
            .as_str()
            .unwrap()
            .starts_with("postgres://airflow:s3cr%40t@db.example.internal:5432/analytics?")
    );
}

#[test]
fn value_commands_print_the_raw_value() {
    let out = with_fixture(&["get-variable", "greeting"]);
    assert_eq!(
        (out.status.code(), text(&out).0.as_str()),
        (Some(0), "hello from SSM\n")
    );
    let out = with_fixture(&["get-config", "sql_alchemy_conn"]);
    assert_eq!(
        text(&out).0,
        "postgresql+psycopg2://airflow:airflow@db.example.internal/airflow\n"
    );
    let out = with_fixture(&["get-conn-value", "demo_spark"]);
    assert_eq!(
        text(&out).0,
        "spark://spark%3A%2F%2Fspark-master-0.spark-master.spark:7077\n"
    );
}

#[test]
fn not_found_is_exit_3_with_empty_stdout() {
    let out = with_fixture(&["get-variable", "nope"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(text(&out), (String::new(), String::new()));
}

#[test]
fn errors_are_exit_1_with_one_line_and_no_secret() {
    let out = with_fixture(&["get-variable", "forbidden"]);
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout.is_empty());
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("AccessDeniedException"), "{stderr}");
    assert!(!stderr.contains("demo-secret-key-value"));
}

#[test]
fn several_ids_in_one_call_with_json_lines() {
    let out = with_fixture(&[
        "--json",
        "get-variable",
        "greeting",
        "nope",
        "forbidden",
        "greeting",
    ]);
    let (stdout, _) = text(&out);
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    assert_eq!(lines[0], "hello from SSM");
    assert_eq!(lines[1], serde_json::Value::Null);
    assert!(
        lines[2]["error"]
            .as_str()
            .unwrap()
            .contains("AccessDeniedException")
    );
    assert_eq!(lines[3], "hello from SSM");
    assert_eq!(out.status.code(), Some(1), "any failure wins");

    let out = with_fixture(&["--json", "get-connection", "demo_http", "nope"]);
    let (stdout, _) = text(&out);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(lines[0]).unwrap()["host"],
        "https://api.example.com"
    );
    assert_eq!(lines[1], "null");
    assert_eq!(out.status.code(), Some(3), "not found without failures");
}

#[test]
fn parse_connection_documented_examples() {
    let out = cli(
        &[],
        &[
            "parse-connection",
            "web",
            "http://https%3A%2F%2Fexample.com",
        ],
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["host"], "https://example.com");
    let out = cli(
        &[],
        &[
            "parse-connection",
            "spark",
            "spark://spark%3A%2F%2Fspark-master-0.spark-master.spark:7077",
        ],
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["host"], "spark://spark-master-0.spark-master.spark");
    assert_eq!(json["port"], 7077);
    assert_eq!(out.status.code(), Some(0));

    let out = cli(
        &[],
        &["parse-connection", "bad", "mysql://u:TOPSECRET@h:xx/db"],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(!stderr.contains("TOPSECRET"), "{stderr}");
}

#[test]
fn usage_errors_are_exit_2() {
    for args in [
        &[][..],
        &["get-variable"][..],
        &["--nope", "get-variable", "x"][..],
        &["parse-connection", "x"][..],
    ] {
        let out = cli(&CREDS, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
    assert_eq!(cli(&[], &["--help"]).status.code(), Some(0));
}

#[test]
fn with_no_credentials_instance_metadata_is_tried_last() {
    // The fixture stands in for SSM only, so the metadata service is unreachable here.
    let fixture = demo_fixture();
    let env = [
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("HOME", "/nonexistent"),
    ];
    let out = cli(
        &env,
        &[
            "--fixture",
            fixture.to_str().unwrap(),
            "get-variable",
            "greeting",
        ],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains("instance metadata 169.254.169.254 unreachable"),
        "{stderr}"
    );
}

#[test]
fn configuration_errors_fail_every_id() {
    let out = with_fixture(&[
        "--backend-kwargs",
        "{\"region_name\": 5}",
        "get-variable",
        "a",
        "b",
    ]);
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr.lines().count(), 2);
    assert!(stderr.contains("`region_name`"));
}

#[test]
fn only_aws_variables_reach_the_component() {
    // A credential placed in a non-AWS variable is invisible to the component.
    let env = [
        ("SECRET_ACCESS_KEY", "x"),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("HOME", "/nonexistent"),
    ];
    let fixture = demo_fixture();
    let out = cli(
        &env,
        &[
            "--fixture",
            fixture.to_str().unwrap(),
            "get-variable",
            "greeting",
        ],
    );
    let (_, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains("unable to locate credentials"), "{stderr}");
}
