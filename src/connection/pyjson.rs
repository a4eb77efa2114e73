//! Python's `json.loads` and `json.dumps` (default arguments), as far as Airflow's connection
//! code depends on them: key order kept, the last duplicate key winning at the first key's
//! position, integers of any size, `NaN` / `Infinity`, and `json.dumps` formatting (`", "` and
//! `": "` separators, non-ASCII escaped, Python's float `repr`).
//!
//! Parse errors give a position, never the input.

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

/// Python's `json.loads(text)`.
pub fn loads(text: &str) -> Result<PyValue, JsonError> {
    let mut parser = Parser {
        chars: text.chars().collect(),
        pos: 0,
    };
    parser.skip_ws();
    let value = parser.value(0)?;
    parser.skip_ws();
    if parser.pos < parser.chars.len() {
        return Err(parser.error("Extra data"));
    }
    Ok(value)
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
}

impl Parser {
    fn error(&self, what: &'static str) -> JsonError {
        JsonError {
            what,
            position: self.pos,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\n' | '\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, word: &str) -> bool {
        let n = word.chars().count();
        if self.pos + n <= self.chars.len()
            && self.chars[self.pos..self.pos + n]
                .iter()
                .copied()
                .eq(word.chars())
        {
            self.pos += n;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<PyValue, JsonError> {
        if depth > MAX_DEPTH {
            return Err(self.error("Nesting too deep"));
        }
        match self.peek() {
            Some('"') => self.string().map(PyValue::Str),
            Some('{') => self.object(depth),
            Some('[') => self.array(depth),
            Some('n') if self.eat("null") => Ok(PyValue::Null),
            Some('t') if self.eat("true") => Ok(PyValue::Bool(true)),
            Some('f') if self.eat("false") => Ok(PyValue::Bool(false)),
            Some('N') if self.eat("NaN") => Ok(PyValue::Float(f64::NAN)),
            Some('I') if self.eat("Infinity") => Ok(PyValue::Float(f64::INFINITY)),
            Some('-') if self.eat("-Infinity") => Ok(PyValue::Float(f64::NEG_INFINITY)),
            Some('-' | '0'..='9') => self.number(),
            _ => Err(self.error("Expecting value")),
        }
    }

    fn number(&mut self) -> Result<PyValue, JsonError> {
        let start = self.pos;
        if self.peek() == Some('-') {
            self.pos += 1;
        }
        match self.peek() {
            Some('0') => self.pos += 1,
            Some('1'..='9') => self.digits(),
            _ => {
                self.pos = start;
                return Err(self.error("Expecting value"));
            }
        }
        let int_end = self.pos;
        let mut is_float = false;
        if self.peek() == Some('.') && matches!(self.chars.get(self.pos + 1), Some('0'..='9')) {
            self.pos += 1;
            self.digits();
            is_float = true;
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let save = self.pos;
            self.pos += 1;
            if matches!(self.peek(), Some('+' | '-')) {
                self.pos += 1;
            }
            if matches!(self.peek(), Some('0'..='9')) {
                self.digits();
                is_float = true;
            } else {
                self.pos = save;
            }
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        if is_float {
            // Python's float(): overflow gives inf, which is what Rust's parse gives too.
            Ok(PyValue::Float(
                text.parse().map_err(|_| self.error("Expecting value"))?,
            ))
        } else {
            let digits: String = self.chars[start..int_end].iter().collect();
            Ok(PyValue::Int(normalise_int(&digits)))
        }
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some('0'..='9')) {
            self.pos += 1;
        }
    }

    fn string(&mut self) -> Result<String, JsonError> {
        self.pos += 1; // opening quote
        let mut out = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error("Unterminated string"));
            };
            self.pos += 1;
            match c {
                '"' => return Ok(out),
                '\\' => {
                    let Some(e) = self.peek() else {
                        return Err(self.error("Unterminated string"));
                    };
                    self.pos += 1;
                    match e {
                        '"' => out.push('"'),
                        '\\' => out.push('\\'),
                        '/' => out.push('/'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => out.push(self.unicode_escape()?),
                        _ => return Err(self.error("Invalid \\escape")),
                    }
                }
                c if (c as u32) < 0x20 => {
                    self.pos -= 1;
                    return Err(self.error("Invalid control character"));
                }
                c => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let mut value = 0;
        for _ in 0..4 {
            let d = self
                .peek()
                .and_then(|c| c.to_digit(16))
                .ok_or_else(|| self.error("Invalid \\uXXXX escape"))?;
            value = value * 16 + d;
            self.pos += 1;
        }
        Ok(value)
    }

    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        if (0xD800..0xDC00).contains(&first) && self.eat("\\u") {
            let save = self.pos;
            let second = self.hex4()?;
            if (0xDC00..0xE000).contains(&second) {
                let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
                return char::from_u32(c).ok_or_else(|| self.error("Invalid \\uXXXX escape"));
            }
            self.pos = save;
        }
        // A lone surrogate is a valid Python str but cannot be a Rust one.
        char::from_u32(first).ok_or_else(|| self.error("Unpaired surrogate (not supported)"))
    }

    fn array(&mut self, depth: usize) -> Result<PyValue, JsonError> {
        self.pos += 1;
        let mut items = Vec::new();
        self.skip_ws();
        if self.peek() == Some(']') {
            self.pos += 1;
            return Ok(PyValue::List(items));
        }
        loop {
            self.skip_ws();
            items.push(self.value(depth + 1)?);
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(']') => {
                    self.pos += 1;
                    return Ok(PyValue::List(items));
                }
                _ => return Err(self.error("Expecting ',' delimiter")),
            }
        }
    }

    fn object(&mut self, depth: usize) -> Result<PyValue, JsonError> {
        self.pos += 1;
        let mut entries: Vec<(String, PyValue)> = Vec::new();
        self.skip_ws();
        if self.peek() == Some('}') {
            self.pos += 1;
            return Ok(PyValue::Dict(entries));
        }
        loop {
            self.skip_ws();
            if self.peek() != Some('"') {
                return Err(self.error("Expecting property name enclosed in double quotes"));
            }
            let key = self.string()?;
            self.skip_ws();
            if self.peek() != Some(':') {
                return Err(self.error("Expecting ':' delimiter"));
            }
            self.pos += 1;
            self.skip_ws();
            let value = self.value(depth + 1)?;
            match entries.iter_mut().find(|(k, _)| *k == key) {
                Some(entry) => entry.1 = value,
                None => entries.push((key, value)),
            }
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some('}') => {
                    self.pos += 1;
                    return Ok(PyValue::Dict(entries));
                }
                _ => return Err(self.error("Expecting ',' delimiter")),
            }
        }
    }
}

/// `-0012` -> `-12`, `-0` -> `0`.
fn normalise_int(text: &str) -> String {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, text),
    };
    let digits = digits.trim_start_matches('0');
    match (digits.is_empty(), negative) {
        (true, _) => "0".to_string(),
        (false, true) => format!("-{digits}"),
        (false, false) => digits.to_string(),
    }
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
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            ' '..='~' => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
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
    let sci = format!("{:e}", f.abs()); // e.g. "1.2345e3", the shortest round-trip digits
    let (mantissa, exp) = sci
        .split_once('e')
        .expect("LowerExp always has an exponent");
    let exp: i32 = exp.parse().expect("LowerExp exponent is an integer");
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if f.is_sign_negative() { "-" } else { "" };
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
