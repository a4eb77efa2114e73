//! Python's `json.loads` and `json.dumps` (default arguments), as far as Airflow's connection
//! code depends on them: key order kept, the last duplicate key winning at the first key's
//! position, integers of any size, `NaN` / `Infinity`, and `json.dumps` formatting (`", "` and
//! `": "` separators, non-ASCII escaped, Python's float `repr`).
//!
//! Parse errors give a position, never the input. Parsing (`json.loads`) is the `parse`
//! sub-module; values and `json.dumps` are here.

mod parse;

pub use parse::loads;

/// A Python value decoded from JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum PyValue {
    /// `None`.
    Null,
    /// `True` / `False`.
    Bool(bool),
    /// An integer as its decimal digits (optionally `-`), normalised: no leading zeros, no `-0`.
    Int(String),
    /// A float (`NaN` and the infinities included).
    Float(f64),
    /// A string.
    Str(String),
    /// A list.
    List(Vec<PyValue>),
    /// A dict in insertion order.
    Dict(Vec<(String, PyValue)>),
}

/// Nesting deeper than this is refused (Python would hit its recursion limit near 1000).
const MAX_DEPTH: usize = 500;

impl PyValue {
    /// Python truthiness: `None`, `False`, `0`, `0.0`, `""`, `[]` and `{}` are false.
    pub fn is_truthy(&self) -> bool {
        match self {
            PyValue::Null => false,
            PyValue::Bool(b) => *b,
            PyValue::Int(digits) => digits != "0",
            PyValue::Float(f) => *f != 0.0,
            PyValue::Str(s) => !s.is_empty(),
            PyValue::List(items) => !items.is_empty(),
            PyValue::Dict(entries) => !entries.is_empty(),
        }
    }

    /// Python's type name, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            PyValue::Null => "NoneType",
            PyValue::Bool(_) => "bool",
            PyValue::Int(_) => "int",
            PyValue::Float(_) => "float",
            PyValue::Str(_) => "str",
            PyValue::List(_) => "list",
            PyValue::Dict(_) => "dict",
        }
    }
}

/// A `json.loads` failure: what and where (character offset), never the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    /// Python's description of the problem.
    pub what: &'static str,
    /// The character offset where it was found.
    pub position: usize,
}

/// Python's `json.dumps(value)` with default arguments.
pub fn dumps(value: &PyValue) -> String {
    let mut out = String::new();
    dump_into(value, &mut out);
    out
}

fn dump_into(value: &PyValue, out: &mut String) {
    match value {
        PyValue::Null => out.push_str("null"),
        PyValue::Bool(true) => out.push_str("true"),
        PyValue::Bool(false) => out.push_str("false"),
        PyValue::Int(digits) => out.push_str(digits),
        PyValue::Float(f) => out.push_str(&float_repr(*f)),
        PyValue::Str(s) => dump_str(s, out),
        PyValue::List(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                dump_into(item, out);
            }
            out.push(']');
        }
        PyValue::Dict(entries) => {
            out.push('{');
            for (i, (key, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                dump_str(key, out);
                out.push_str(": ");
                dump_into(item, out);
            }
            out.push('}');
        }
    }
}

/// A JSON string with `ensure_ascii=True`: everything outside `' '..='~'` is escaped.
pub fn dump_str(s: &str, out: &mut String) {
    out.push('"');
    let mut run = 0; // the start of the current run of characters written as they are
    for (i, c) in s.char_indices() {
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\r' => "\\r",
            '\t' => "\\t",
            '\u{8}' => "\\b",
            '\u{c}' => "\\f",
            ' '..='~' => continue,
            _ => "",
        };
        out.push_str(&s[run..i]);
        run = i + c.len_utf8();
        if escape.is_empty() {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(&s[run..]);
    out.push('"');
}

/// Python's `float.__repr__` (and `json.dumps` of a float): the shortest round-trip digits,
/// fixed notation for decimal exponents -4..16, else `1e+16` style; `NaN`, `Infinity`.
pub fn float_repr(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sign = if f.is_sign_negative() { "-" } else { "" };
    // The standard library's shortest round-trip digits, e.g. "1.2345e3"; the rest is Python's
    // choice of notation.
    let sci = format!("{:e}", f.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let decpt = exp + 1; // value = 0.DIGITS * 10^decpt
    let n = digits.len() as i32;
    let body = if (-4 < decpt) && (decpt <= 16) {
        if decpt <= 0 {
            format!("0.{}{digits}", "0".repeat((-decpt) as usize))
        } else if decpt >= n {
            format!("{digits}{}.0", "0".repeat((decpt - n) as usize))
        } else {
            format!(
                "{}.{}",
                &digits[..decpt as usize],
                &digits[decpt as usize..]
            )
        }
    } else {
        let mantissa = if n > 1 {
            format!("{}.{}", &digits[..1], &digits[1..])
        } else {
            digits.clone()
        };
        let e = decpt - 1;
        format!("{mantissa}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs())
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod python_floats;

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(text: &str) -> String {
        dumps(&loads(text).unwrap())
    }

    #[test]
    fn dumps_formats_like_python() {
        assert_eq!(
            roundtrip(r#"{"a":1,"b":[true,null,"x"],"c":{}}"#),
            r#"{"a": 1, "b": [true, null, "x"], "c": {}}"#
        );
        assert_eq!(
            roundtrip(r#""é😀\u0001\u007f""#),
            r#""\u00e9\ud83d\ude00\u0001\u007f""#
        );
        assert_eq!(roundtrip(r#"{"a":1,"b":2,"a":3}"#), r#"{"a": 3, "b": 2}"#);
        assert_eq!(
            roundtrip("123456789012345678901234567890"),
            "123456789012345678901234567890"
        );
        assert_eq!(roundtrip("-0"), "0");
        assert_eq!(
            roundtrip("[NaN, Infinity, -Infinity]"),
            "[NaN, Infinity, -Infinity]"
        );
    }

    #[test]
    fn floats_use_python_repr() {
        for (f, want) in [
            (1.0, "1.0"),
            (1.5, "1.5"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (1.5e300, "1.5e+300"),
            (-0.0, "-0.0"),
            (123.456, "123.456"),
            (0.1, "0.1"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
        ] {
            assert_eq!(float_repr(f), want, "{f}");
        }
        assert_eq!(roundtrip("1e400"), "Infinity");
        assert_eq!(roundtrip("1E2"), "100.0");
    }

    #[test]
    fn loads_rejects_what_python_rejects() {
        for bad in [
            "",
            "{",
            "[1,]",
            "{'a':1}",
            "\"a\u{1}\"",
            "1 2",
            "01",
            "{\"a\" 1}",
            "tru",
            "\"\\x\"",
        ] {
            assert!(loads(bad).is_err(), "{bad:?}");
        }
        assert_eq!(loads("1 2").unwrap_err().what, "Extra data");
        let deep = "[".repeat(MAX_DEPTH + 2);
        assert!(loads(&deep).is_err());
    }

    #[test]
    fn truthiness_is_pythons() {
        for falsy in ["null", "false", "0", "0.0", "\"\"", "[]", "{}"] {
            assert!(!loads(falsy).unwrap().is_truthy(), "{falsy}");
        }
        for truthy in ["true", "1", "NaN", "\"0\"", "[0]", "{\"a\":null}"] {
            assert!(loads(truthy).unwrap().is_truthy(), "{truthy}");
        }
    }
}
