//! Airflow's rules for turning a lookup (kind, id, team) into SSM parameter names.
//!
//! `SystemsManagerParameterStoreBackend` strips trailing `/` from a prefix, joins prefix and id
//! with `/`, ensures a leading `/`, and filters ids with `re.match(pattern, id, re.IGNORECASE)`.
//! With a team it asks for `<prefix>/<team>--<id>` first. Nothing in the id is escaped.

use crate::error::Error;

mod pattern;

/// One kind of lookup (connections, variables or config): its prefix and optional filter.
#[derive(Debug, Clone)]
pub struct Lookup {
    prefix: String,
    pattern: Option<LookupPattern>,
}

/// The team separator of Airflow's multi-team mode.
pub const TEAM_SEPARATOR: &str = "--";

impl Lookup {
    /// A lookup under `prefix` (all trailing `/` removed, as Python's `rstrip("/")`).
    pub fn new(prefix: &str, pattern: Option<LookupPattern>) -> Self {
        Lookup {
            prefix: prefix.trim_end_matches('/').to_string(),
            pattern,
        }
    }

    /// The prefix after normalisation.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The SSM names to request for `id`, in order; empty when Airflow would not look it up.
    ///
    /// With a non-empty `team` the team-scoped name comes first and the plain name is the
    /// fallback used only when the first is not found. With `multi_team` on, an id that contains
    /// the team separator is ambiguous and is not looked up.
    pub fn parameter_names(&self, id: &str, team: Option<&str>, multi_team: bool) -> Vec<String> {
        if multi_team && id.contains(TEAM_SEPARATOR) {
            return Vec::new();
        }
        if let Some(pattern) = &self.pattern
            && !pattern.matches(id)
        {
            return Vec::new();
        }
        let mut names = Vec::with_capacity(2);
        if let Some(team) = team.filter(|t| !t.is_empty()) {
            names.push(self.path(&[team, TEAM_SEPARATOR, id]));
        }
        names.push(self.path(&[id]));
        names
    }

    /// `/{prefix}/{id}`, the leading `/` added when the prefix has none; the id given in parts.
    fn path(&self, id: &[&str]) -> String {
        // `{prefix}/{id}` starts with `/` when the prefix does or is empty.
        let leading = if self.prefix.is_empty() || self.prefix.starts_with('/') {
            ""
        } else {
            "/"
        };
        let mut path = String::with_capacity(
            leading.len() + self.prefix.len() + 1 + id.iter().map(|p| p.len()).sum::<usize>(),
        );
        for part in [leading, &self.prefix, "/"]
            .into_iter()
            .chain(id.iter().copied())
        {
            path.push_str(part);
        }
        path
    }
}

/// A `*_lookup_pattern`: Python `re.match(pattern, id, re.IGNORECASE)`, i.e. case-insensitive
/// and anchored at the start only (the syntax accepted is in `pattern.rs`).
#[derive(Debug, Clone)]
pub struct LookupPattern {
    pattern: pattern::Pattern,
}

impl LookupPattern {
    /// Compiles `pattern`; `key` names the kwarg in the error.
    pub fn new(key: &str, pattern: &str) -> Result<Self, Error> {
        let pattern = pattern::Pattern::new(pattern).map_err(|why| {
            Error::configuration(format!(
                "backend_kwargs `{key}` is not a regular expression we match exactly as Python does: {why}"
            ))
        })?;
        Ok(LookupPattern { pattern })
    }

    /// Whether `id` passes the filter.
    pub fn matches(&self, id: &str) -> bool {
        self.pattern.matches(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(prefix: &str, pattern: Option<&str>, id: &str, team: Option<&str>) -> Vec<String> {
        let pattern = pattern.map(|p| LookupPattern::new("p", p).unwrap());
        Lookup::new(prefix, pattern).parameter_names(id, team, false)
    }

    #[test]
    fn prefixes_are_normalised_like_airflow() {
        for (prefix, want) in [
            ("/airflow/connections", "/airflow/connections/c1"),
            ("airflow/connections", "/airflow/connections/c1"),
            ("airflow/connections///", "/airflow/connections/c1"),
            ("", "/c1"),
            ("/", "/c1"),
            ("//", "/c1"),
            ("/a//b/", "/a//b/c1"),
            (" /x/ ", "/ /x/ /c1"),
        ] {
            assert_eq!(names(prefix, None, "c1", None), [want], "prefix {prefix:?}");
        }
    }

    #[test]
    fn ids_are_sent_verbatim() {
        assert_eq!(names("/p", None, "/leading", None), ["/p//leading"]);
        assert_eq!(names("/p", None, "", None), ["/p/"]);
        assert_eq!(names("/p", None, "db:3", None), ["/p/db:3"]);
    }

    #[test]
    fn lookup_pattern_is_re_match_ignorecase() {
        assert_eq!(names("/p", Some("te"), "test_conn", None).len(), 1);
        assert_eq!(names("/p", Some("T.*"), "test", None).len(), 1);
        assert!(names("/p", Some("conn"), "test_conn", None).is_empty());
        assert_eq!(names("/p", Some("aws_.*|s3_.*"), "S3_logs", None).len(), 1);
        assert!(names("/p", Some("test$"), "test_conn", None).is_empty());
    }

    #[test]
    fn team_name_comes_first_then_the_plain_name() {
        assert_eq!(
            names("/p", None, "c1", Some("team_a")),
            ["/p/team_a--c1", "/p/c1"]
        );
        assert_eq!(names("/p", None, "c1", Some("")), ["/p/c1"]);
        assert_eq!(names("", None, "c1", Some("t")), ["/t--c1", "/c1"]);
    }

    #[test]
    fn multi_team_refuses_ambiguous_ids() {
        let lookup = Lookup::new("/p", None);
        assert!(
            lookup
                .parameter_names("prod--c1", Some("t"), true)
                .is_empty()
        );
        assert_eq!(
            lookup.parameter_names("prod--c1", None, false),
            ["/p/prod--c1"]
        );
    }

    #[test]
    fn invalid_pattern_is_a_configuration_error() {
        let e = LookupPattern::new("connections_lookup_pattern", "(").unwrap_err();
        assert!(e.to_string().contains("connections_lookup_pattern"));
    }
}
