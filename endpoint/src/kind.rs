//! Which of Airflow's lookups a request asks for: named by the routes that find it and the
//! replies that answer it. A leaf.

/// Which of Airflow's lookups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `get-conn-value` / `get-connection`.
    Connection,
    /// `get-variable`.
    Variable,
    /// `get-config`.
    Config,
}
