//! The parser and the string writer against serde_json (the dev-dependency they replace in the
//! component): the same values for valid documents, an error for every document serde_json
//! refuses, and the same bytes for escaped strings and written documents.

use super::*;

/// serde_json's value in ours, for comparison.
fn from_serde(value: &serde_json::Value) -> Value {
    match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Number(Number(n.to_string())),
        serde_json::Value::String(s) => Value::String(s.clone()),
        serde_json::Value::Array(items) => Value::Array(items.iter().map(from_serde).collect()),
        serde_json::Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), from_serde(v)))
                .collect(),
        ),
    }
}

/// Numbers compared by value (serde_json normalises `1E2` to `100.0` and `-0` to `-0.0`; we
/// keep the text).
fn normalised(value: &Value) -> Value {
    match value {
        Value::Number(n) => {
            Value::Number(Number(format!("{:?}", n.as_str().parse::<f64>().unwrap())))
        }
        Value::Array(items) => Value::Array(items.iter().map(normalised).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), normalised(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

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

#[test]
fn valid_documents_read_as_serde_json_reads_them() {
    for text in VALID {
        let want: serde_json::Value = serde_json::from_str(text).unwrap();
        let got = parse(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        assert_eq!(normalised(&got), normalised(&from_serde(&want)), "{text}");
    }
}

#[test]
fn documents_serde_json_refuses_are_refused() {
    for text in INVALID {
        assert!(
            serde_json::from_str::<serde_json::Value>(text).is_err(),
            "{text}"
        );
        assert!(parse(text.as_bytes()).is_err(), "{text:?} was accepted");
    }
    assert!(parse(b"\"\xff\"").is_err(), "invalid UTF-8 in a string");
    let deep = "[".repeat(200) + &"]".repeat(200);
    assert!(parse(deep.as_bytes()).is_err(), "nesting is bounded");
    let fine = "[".repeat(100) + &"]".repeat(100);
    assert!(parse(fine.as_bytes()).is_ok());
}

#[test]
fn errors_say_where_and_whether_the_text_ended_early() {
    let e = parse(b"{\n  \"a\": tru").unwrap_err();
    assert_eq!((e.truncated, e.line, e.column), (true, 2, 11));
    let e = parse(b"[1,\n x]").unwrap_err();
    assert_eq!((e.truncated, e.line, e.column), (false, 2, 2));
    assert!(parse(b"{\"a\": [1, 2").unwrap_err().truncated);
}

#[test]
fn numbers_keep_their_text_and_read_as_integers_or_floats() {
    let Value::Number(n) = parse(b"18446744073709551615").unwrap() else {
        panic!("a number")
    };
    assert_eq!(n.as_u64(), Some(u64::MAX));
    let Value::Number(n) = parse(b"18446744073709551616").unwrap() else {
        panic!("a number")
    };
    assert_eq!(n.as_u64(), None);
    assert_eq!(n.as_str(), "18446744073709551616");
    let Value::Number(n) = parse(b"2.5e1").unwrap() else {
        panic!("a number")
    };
    assert!(!n.is_integer());
    assert_eq!(n.as_u64(), None);
    assert_eq!(n.as_str(), "2.5e1");
    let Value::Number(n) = parse(b"-3").unwrap() else {
        panic!("a number")
    };
    assert_eq!(n.as_u64(), None);
}

#[test]
fn strings_are_written_as_serde_json_writes_them() {
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
        let mut ours = String::new();
        write_string(&mut ours, s);
        assert_eq!(ours, serde_json::to_string(s).unwrap(), "{s:?}");
    }
}

#[test]
fn written_strings_read_back() {
    for s in ["x", "a\"b", "\u{0}\u{7f}\u{e9}\u{1F600}", "\\u0041"] {
        let mut out = String::new();
        write_string(&mut out, s);
        assert_eq!(parse(out.as_bytes()).unwrap(), Value::String(s.to_string()));
    }
}

#[test]
fn documents_are_written_as_serde_json_writes_them() {
    for text in VALID {
        let value = parse(text.as_bytes()).unwrap();
        let mut ours = String::new();
        write_value(&mut ours, &value);
        assert_eq!(parse(ours.as_bytes()).unwrap(), value, "{text}");
        // serde_json writes numbers in its own form (`1E2` as `100.0`); ours keep their text.
        // `-0` it writes as `0`.
        if !text.contains(['.', 'e', 'E']) && text.trim() != "-0" {
            let theirs: serde_json::Value = serde_json::from_str(text).unwrap();
            assert_eq!(ours, theirs.to_string(), "{text}");
        }
    }
}
