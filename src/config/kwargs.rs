//! Typed reads from a kwargs object, and the error that names a key of the wrong type.

use std::time::Duration;

use serde_json::{Map, Value};

use crate::error::Error;

/// Typed reads from a kwargs object; absent and `null` are both "not given".
pub(super) struct Kwargs<'a>(pub(super) &'a Map<String, Value>);

impl<'a> Kwargs<'a> {
    pub(super) fn string(&self, key: &str) -> Result<Option<String>, Error> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(wrong_type(key, "a string or null", other)),
        }
    }

    /// A string where `""` counts as not given (Python truthiness).
    pub(super) fn truthy_string(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(self.string(key)?.filter(|s| !s.is_empty()))
    }

    pub(super) fn boolean(&self, key: &str) -> Result<Option<bool>, Error> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(wrong_type(key, "true, false or null", other)),
        }
    }

    /// A non-negative number of seconds (botocore accepts integers and floats).
    pub(super) fn seconds(&self, key: &str) -> Result<Option<Duration>, Error> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_f64()
                .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 86_400.0)
                .map(|s| Some(Duration::from_secs_f64(s)))
                .ok_or_else(|| {
                    Error::configuration(format!(
                        "backend_kwargs `{key}` must be a number of seconds between 0 and 86400"
                    ))
                }),
            Some(other) => Err(wrong_type(key, "a number of seconds", other)),
        }
    }

    pub(super) fn object(&self, key: &str) -> Result<Option<&'a Map<String, Value>>, Error> {
        match self.0.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map)),
            Some(other) => Err(wrong_type(key, "a JSON object or null", other)),
        }
    }
}

pub(super) fn wrong_type(key: &str, expected: &str, got: &Value) -> Error {
    Error::configuration(format!(
        "backend_kwargs `{key}` must be {expected}, got {}",
        type_name(got)
    ))
}

pub(super) fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
