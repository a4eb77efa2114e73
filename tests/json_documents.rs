//! The strict JSON documents of the component (`backend_kwargs`, SSM and STS replies, request
//! bodies, `assume_role_kwargs`), read and written with serde_json: what the component relies
//! on, tested as behaviour. Strict RFC 8259 (no `NaN`, trailing commas or comments), a later
//! duplicate key replaces an earlier one, objects in key order, errors with their kind, line
//! and column and never the text.

use ssm_secrets::ErrorKind;
use ssm_secrets::config::BackendConfig;
use ssm_secrets::credentials::sts::assume_role_form;
use ssm_secrets::endpoint::Endpoint;
use ssm_secrets::message::Response;
use ssm_secrets::ssm::{
    CONTENT_TYPE, get_parameter_request, get_parameters_request, parse_get_parameter,
};
use ssm_secrets::test_util::with_header;

const VALID: &[&str] = &[
    "null",
    " true ",
    "false",
    "0",
    "-0",
    "12345678901234567890",
    "-12",
    "1.5",
    "1e3",
    "-2.5E-3",
    r#""""#,
    r#""plain""#,
    r#""esc \" \\ \/ \b \f \n \r \t \u0041 \u00e9 \ud83d\ude00""#,
    "\"caf\u{e9} \u{1F600}\"",
    "[]",
    "[1, [2, [3]], {}]",
    r#"{"a": 1, "b": [true, null], "c": {"d": "e"}}"#,
    r#"{"dup": 1, "dup": 2}"#,
    "\n\t{\r\n \"k\" : \"v\" }\n",
    r#"{"Parameter":{"Name":"/a","Type":"SecureString","Value":"postgres://u:p@h/db","Version":1,"LastModifiedDate":1.795476998181E9,"ARN":"arn:aws:ssm:us-east-1:1:parameter/a","DataType":"text"}}"#,
];

const INVALID: &[&str] = &[
    "",
    " ",
    "nul",
    "tru",
    "NaN",
    "Infinity",
    "01",
    "1.",
    ".5",
    "1e",
    "+1",
    "--1",
    "[1,]",
    "[1 2]",
    "{\"a\":1,}",
    "{\"a\" 1}",
    "{a:1}",
    "{'a':1}",
    "\"unterminated",
    "\"bad escape \\x\"",
    "\"\\u12\"",
    "\"\\ud800\"",
    "\"\\udc00\"",
    "\"tab\tinside\"",
    "[1] [2]",
    "{} x",
    "// comment\n{}",
    "[",
    "{",
    "{\"a\":",
];

fn reply(body: impl Into<Vec<u8>>) -> Response {
    with_header(
        ssm_secrets::test_util::reply(200, body),
        "content-type",
        CONTENT_TYPE,
    )
}

/// The message of the error a `GetParameter` reply with this body gives.
fn reply_error(body: impl Into<Vec<u8>>) -> String {
    let e = parse_get_parameter(&reply(body), &[]).unwrap_err();
    assert_eq!(e.kind(), &ErrorKind::InvalidValue);
    e.to_string()
}

/// The configuration error of kwargs that are not JSON, or "" if they are.
fn kwargs_json_error(text: &str) -> String {
    match BackendConfig::from_json(text) {
        Err(e) if e.to_string().contains("not valid JSON") => e.to_string(),
        _ => String::new(),
    }
}

#[test]
fn valid_documents_are_read() {
    for text in VALID {
        let value: Result<serde_json::Value, _> = serde_json::from_str(text);
        assert!(value.is_ok(), "{text}");
        assert_eq!(kwargs_json_error(text), "", "{text}");
    }
    // A later duplicate key replaces an earlier one.
    let value: serde_json::Value = serde_json::from_str(r#"{"dup": 1, "dup": 2}"#).unwrap();
    assert_eq!(value, serde_json::json!({"dup": 2}));
    let kwargs = r#"{"region_name": "a", "region_name": "eu-west-1"}"#;
    let config = BackendConfig::from_json(kwargs).unwrap();
    assert_eq!(config.aws.region_name.as_deref(), Some("eu-west-1"));
}

#[test]
fn documents_that_are_not_strict_json_are_refused() {
    for text in INVALID {
        let value: Result<serde_json::Value, _> = serde_json::from_str(text);
        assert!(value.is_err(), "{text:?} was accepted");
        // Blank kwargs mean `{}`, as in Airflow.
        if !text.trim().is_empty() {
            assert!(
                kwargs_json_error(text).contains("line"),
                "{text:?} was accepted"
            );
        }
        // A reply's shape may be wrong before its syntax is: either way, no value.
        let message = reply_error(*text);
        assert!(message.contains("JSON"), "{text:?}: {message}");
    }
    assert!(
        reply_error(&b"{\"Parameter\":{\"Value\":\"\xff\"}}"[..]).contains("not valid JSON"),
        "invalid UTF-8 in a string"
    );
    let deep = "[".repeat(200) + &"]".repeat(200);
    assert!(
        kwargs_json_error(&deep).contains("line"),
        "nesting is bounded"
    );
    let fine = "[".repeat(100) + &"]".repeat(100);
    assert_eq!(kwargs_json_error(&fine), "");
}

#[test]
fn errors_say_where_and_whether_the_text_ended_early() {
    assert_eq!(
        kwargs_json_error("{\n  \"a\": tru"),
        "configuration error: backend_kwargs is not valid JSON (line 2, column 10)"
    );
    assert!(
        reply_error("{\"Parameter\": {\"Value\":\n x}}")
            .contains("(not valid JSON at line 2 column 2;")
    );
    assert!(
        reply_error("{\"Parameter\": {\"Value\": \"ab")
            .contains("(truncated JSON at line 1 column ")
    );
    // The wrong shape is named too; never the text.
    let message = reply_error(r#"{"Parameter":{"Value":5,"Name":"SECRETVALUE"}}"#);
    assert!(
        message.contains("JSON of the wrong shape at line 1 column"),
        "{message}"
    );
    assert!(!message.contains("SECRETVALUE"), "{message}");
}

#[test]
fn numbers_of_assume_role_kwargs_are_sent_as_python_writes_them() {
    let kwargs: serde_json::Value = serde_json::from_str(
        r#"{"Max": 18446744073709551615, "Float": 2.5e1, "Negative": -3, "Small": 1E-7}"#,
    )
    .unwrap();
    let form = assume_role_form("arn:r", kwargs.as_object().unwrap());
    let pairs: Vec<(String, String)> = form_urlencoded::parse(form.as_bytes())
        .into_owned()
        .collect();
    let get = |key: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(get("Max"), Some("18446744073709551615"));
    assert_eq!(get("Float"), Some("25.0"));
    assert_eq!(get("Negative"), Some("-3"));
    assert_eq!(get("Small"), Some("1e-07"));
}

#[test]
fn kwargs_objects_are_read_in_key_order_with_the_last_duplicate() {
    let kwargs: serde_json::Value =
        serde_json::from_str(r#"{"y": 2, "x": 1, "y": 4, "a": 0}"#).unwrap();
    let form = assume_role_form("arn:r", kwargs.as_object().unwrap());
    let pairs: Vec<(String, String)> = form_urlencoded::parse(form.as_bytes())
        .into_owned()
        .collect();
    let merged: Vec<(&str, &str)> = pairs
        .iter()
        .filter(|(k, _)| k.len() == 1)
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(merged, [("a", "0"), ("x", "1"), ("y", "4")]);
    assert!(!kwargs.as_object().unwrap().is_empty());
}

/// JSON's escaping as the AWS SDKs write it: `"` and `\` escaped, control characters as `\n`,
/// `\t`... or `\u00XX`, everything else as it is.
fn escaped(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[test]
fn request_bodies_escape_names_as_json_does() {
    let endpoint = Endpoint::regional("ssm", "eu-west-1", true);
    let mut samples: Vec<String> = (0u8..0x80).map(|b| char::from(b).to_string()).collect();
    samples.extend(
        [
            "",
            "/airflow/connections/db",
            "a\"b\\c",
            "caf\u{e9}",
            "\u{1F600}",
            "\u{2028}\u{2029}",
            "mixed \n\t\u{1}\u{1f} end",
        ]
        .map(String::from),
    );
    for s in &samples {
        let body = get_parameter_request(&endpoint, s).unwrap().into_body();
        let want = format!(r#"{{"Name":{},"WithDecryption":true}}"#, escaped(s));
        assert_eq!(String::from_utf8(body).unwrap(), want, "{s:?}");
    }
}

#[test]
fn request_bodies_read_back() {
    let endpoint = Endpoint::regional("ssm", "eu-west-1", true);
    for s in ["x", "a\"b", "\u{0}\u{7f}\u{e9}\u{1F600}", "\\u0041"] {
        let body = get_parameter_request(&endpoint, s).unwrap().into_body();
        let read: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(read["Name"], s);
    }
}

#[test]
fn batch_request_bodies_are_compact_json_in_order() {
    let endpoint = Endpoint::regional("ssm", "eu-west-1", true);
    for names in [
        vec![],
        vec!["/a".to_string()],
        vec!["/a".into(), "b\"c".into(), "/d:2".into()],
    ] {
        let body = get_parameters_request(&endpoint, &names)
            .unwrap()
            .into_body();
        let list: Vec<String> = names.iter().map(|n| escaped(n)).collect();
        let want = format!(r#"{{"Names":[{}],"WithDecryption":true}}"#, list.join(","));
        assert_eq!(String::from_utf8(body).unwrap(), want);
        let read: serde_json::Value =
            serde_json::from_slice(want.as_bytes()).expect("the body reads back");
        assert_eq!(read["Names"].as_array().map(Vec::len), Some(names.len()));
    }
}
