//! The adapter's configuration, from the environment its host grants: which SSM prefix holds
//! the configuration, and the `backend_kwargs` the lookups are opened with.
//!
//! A key `k` is the parameter `<SSM_CONFIG_PREFIX>/k`: the adapter opens the backend with
//! `variables_prefix` set to that prefix and reads keys as variables, so the backend's naming
//! rules (trailing `/` removed, leading `/` ensured, `variables_lookup_pattern`) apply as they do
//! to Airflow variables. Everything else in `SSM_SECRETS_BACKEND_KWARGS` (region, endpoint,
//! credentials, cache) is used as given.

use serde_json::Value;

/// The environment variable naming the SSM prefix of the configuration.
pub const PREFIX_VARIABLE: &str = "SSM_CONFIG_PREFIX";

/// The prefix when [`PREFIX_VARIABLE`] is unset or empty.
pub const DEFAULT_PREFIX: &str = "/app/config";

/// The environment variable holding `backend_kwargs` (the same one the endpoint reads).
pub const KWARGS_VARIABLE: &str = "SSM_SECRETS_BACKEND_KWARGS";

/// The `backend_kwargs` to open the backend with, given the environment lookup `var`.
///
/// The prefix replaces any `variables_prefix` in the kwargs. Kwargs that are not a JSON object
/// are passed through unchanged, so the backend's own `open` reports them with its
/// configuration error (which never repeats a value).
pub fn backend_kwargs(var: impl Fn(&str) -> Option<String>) -> String {
    let prefix = var(PREFIX_VARIABLE)
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_PREFIX.to_string());
    let kwargs = var(KWARGS_VARIABLE)
        .filter(|k| !k.trim().is_empty())
        .unwrap_or_else(|| "{}".to_string());
    match serde_json::from_str(&kwargs) {
        Ok(Value::Object(mut object)) => {
            object.insert("variables_prefix".to_string(), Value::from(prefix));
            Value::Object(object).to_string()
        }
        _ => kwargs,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        }
    }

    fn parsed(kwargs: &str) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::from_str(kwargs).unwrap() {
            serde_json::Value::Object(object) => object,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn empty_environment_reads_the_default_prefix() {
        let kwargs = parsed(&backend_kwargs(env(&[])));
        assert_eq!(kwargs.len(), 1);
        assert_eq!(kwargs["variables_prefix"], DEFAULT_PREFIX);
    }

    #[test]
    fn the_prefix_variable_replaces_variables_prefix_and_keeps_the_rest() {
        let kwargs = parsed(&backend_kwargs(env(&[
            (PREFIX_VARIABLE, "/svc/prod/"),
            (
                KWARGS_VARIABLE,
                r#"{"region_name": "eu-west-1", "variables_prefix": "/airflow/variables", "cache_ttl_seconds": 60}"#,
            ),
        ])));
        assert_eq!(kwargs["variables_prefix"], "/svc/prod/");
        assert_eq!(kwargs["region_name"], "eu-west-1");
        assert_eq!(kwargs["cache_ttl_seconds"], 60);
        assert_eq!(kwargs.len(), 3);
    }

    #[test]
    fn blank_values_count_as_unset() {
        let kwargs = parsed(&backend_kwargs(env(&[
            (PREFIX_VARIABLE, "  "),
            (KWARGS_VARIABLE, " "),
        ])));
        assert_eq!(kwargs["variables_prefix"], DEFAULT_PREFIX);
    }

    #[test]
    fn kwargs_are_written_back_compact_in_key_order() {
        let written = backend_kwargs(env(&[(
            KWARGS_VARIABLE,
            "{\"b\": [true, null], \"a\": 1, \"c\": {\"d\": \"e\\\"\\u0001\u{e9}\"}, \"a\": 2}",
        )]));
        assert_eq!(
            written,
            "{\"a\":2,\"b\":[true,null],\"c\":{\"d\":\"e\\\"\\u0001\u{e9}\"},\"variables_prefix\":\"/app/config\"}"
        );
        assert_eq!(parsed(&written)["c"]["d"], "e\"\u{1}\u{e9}");
    }

    #[test]
    fn kwargs_that_are_not_an_object_reach_open_unchanged() {
        for bad in ["[1, 2]", "{not json", "\"text\""] {
            assert_eq!(backend_kwargs(env(&[(KWARGS_VARIABLE, bad)])), bad);
        }
    }
}
