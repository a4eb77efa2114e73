//! The command-line contract of the README's "CLI" section: arguments, output and exit codes.
//!
//! ```text
//! host-example [--component PATH] [--backend-kwargs JSON] [--fixture FILE] [--json]
//!              [--connection-semantics core|task-sdk|airflow2] COMMAND ...
//!   get-conn-value  CONN_ID...
//!   get-connection  CONN_ID...
//!   get-variable    KEY...
//!   get-config      KEY...
//!   parse-connection CONN_ID VALUE        offline: no network
//!   serve [--listen 127.0.0.1:2773]       the local secrets endpoint (see `crate::sidecar`)
//! ```
//!
//! Exit status: 0 found; 3 not found; 1 error; 2 usage error. With several ids: 1 if any lookup
//! failed, else 3 if any was not found, else 0.

use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use crate::session::{CallError, Session};
use crate::{Connection, ConnectionSemantics};

/// The usage text.
pub const USAGE: &str = "\
usage: host-example [--component PATH] [--backend-kwargs JSON] [--fixture FILE] [--json]
                    [--connection-semantics core|task-sdk|airflow2] COMMAND ...

commands:
  get-conn-value  CONN_ID...       raw connection values
  get-connection  CONN_ID...       connections as JSON objects
  get-variable    KEY...           raw variable values
  get-config      KEY...           raw config values
  parse-connection CONN_ID VALUE   parse a connection value offline
  serve [--listen ADDR]            the sidecar: the lookups over HTTP (default 127.0.0.1:2773),
                                   one cache, batched and rate-capped SSM requests; see the README

options:
  --component PATH       the component (.wasm); default: $SSM_SECRETS_COMPONENT, then
                         ../wasm32-wasip2/component/ssm_secrets.wasm next to this program
  --backend-kwargs JSON  Airflow's [secrets] backend_kwargs object (default {}; for serve,
                         $SSM_SECRETS_BACKEND_KWARGS)
  --fixture FILE         answer SSM requests from a JSON file of parameters (no AWS needed)
  --json                 print every result as one JSON line
  --connection-semantics core|task-sdk|airflow2
                         whose connection parsing to reproduce: Airflow 3 core (default),
                         the Airflow 3 task SDK (what tasks get), or Airflow 2.10 core
  -h, --help             this text

exit status: 0 found, 3 not found, 1 error, 2 usage error
";

/// Exit codes.
pub mod exit {
    /// Every lookup found its value.
    pub const FOUND: i32 = 0;
    /// A lookup failed.
    pub const ERROR: i32 = 1;
    /// Bad arguments.
    pub const USAGE: i32 = 2;
    /// A lookup found nothing.
    pub const NOT_FOUND: i32 = 3;
}

/// A lookup command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// `get-conn-value`
    GetConnValue,
    /// `get-connection`
    GetConnection,
    /// `get-variable`
    GetVariable,
    /// `get-config`
    GetConfig,
    /// `parse-connection`
    ParseConnection,
    /// `serve`: its operand is the `--listen` address, when given.
    Serve,
}

/// Parsed arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// `--component`
    pub component: Option<PathBuf>,
    /// `--backend-kwargs`
    pub backend_kwargs: String,
    /// `--fixture`
    pub fixture: Option<PathBuf>,
    /// `--json`
    pub json: bool,
    /// `--connection-semantics`
    pub semantics: ConnectionSemantics,
    /// The command.
    pub command: Command,
    /// Its operands.
    pub operands: Vec<String>,
}

/// What parsing the arguments asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// Run a command.
    Run(Args),
    /// Print the usage and exit 0.
    Help,
}

/// Parses the arguments after the program name. `Err` is a usage error message.
pub fn parse_args(args: &[String]) -> Result<Parsed, String> {
    let mut component = None;
    let mut backend_kwargs = None;
    let mut fixture = None;
    let mut json = false;
    let mut semantics = ConnectionSemantics::Core;
    let mut rest = args.iter();
    let command = loop {
        let Some(arg) = rest.next() else {
            return Err("a command is required".into());
        };
        let mut value = |name: &str| {
            rest.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match arg.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "--json" => json = true,
            "--component" => component = Some(PathBuf::from(value("--component")?)),
            "--backend-kwargs" => backend_kwargs = Some(value("--backend-kwargs")?),
            "--fixture" => fixture = Some(PathBuf::from(value("--fixture")?)),
            "--connection-semantics" => {
                let name = value("--connection-semantics")?;
                semantics = crate::parse_semantics(&name).ok_or_else(|| {
                    format!(
                        "--connection-semantics must be core, task-sdk or airflow2, not {name:?}"
                    )
                })?;
            }
            "get-conn-value" => break Command::GetConnValue,
            "get-connection" => break Command::GetConnection,
            "get-variable" => break Command::GetVariable,
            "get-config" => break Command::GetConfig,
            "parse-connection" => break Command::ParseConnection,
            "serve" => break Command::Serve,
            other if other.starts_with('-') => return Err(format!("unknown option {other}")),
            other => return Err(format!("unknown command {other:?}")),
        }
    };
    let mut operands: Vec<String> = rest.cloned().collect();
    match command {
        Command::Serve => {
            operands = match operands.as_slice() {
                [] => Vec::new(),
                [flag, addr] if flag == "--listen" => {
                    addr.parse::<std::net::SocketAddr>().map_err(|_| {
                        format!("--listen needs an address such as 127.0.0.1:2773, not {addr:?}")
                    })?;
                    vec![addr.clone()]
                }
                _ => return Err("serve takes only --listen ADDR".into()),
            };
        }
        Command::ParseConnection if operands.len() != 2 => {
            return Err("parse-connection needs CONN_ID and VALUE".into());
        }
        _ if operands.is_empty() => return Err("at least one id is required".into()),
        _ => {}
    }
    // The sidecar, like the endpoint component, may take its kwargs from the environment.
    let backend_kwargs = backend_kwargs
        .or_else(|| {
            (command == Command::Serve)
                .then(|| std::env::var(crate::sidecar::KWARGS_VARIABLE).ok())
                .flatten()
                .filter(|k| !k.trim().is_empty())
        })
        .unwrap_or_else(|| "{}".to_string());
    Ok(Parsed::Run(Args {
        component,
        backend_kwargs,
        fixture,
        json,
        semantics,
        command,
        operands,
    }))
}

/// A connection as the CLI prints it: exactly the keys the README's "CLI" section lists, in order.
#[derive(Debug, Serialize)]
pub struct ConnectionJson<'a> {
    conn_id: &'a Option<String>,
    conn_type: &'a Option<String>,
    description: &'a Option<String>,
    host: &'a Option<String>,
    schema: &'a Option<String>,
    login: &'a Option<String>,
    password: &'a Option<String>,
    port: &'a Option<i64>,
    extra: &'a Option<String>,
    uri: &'a str,
}

/// The JSON text of a connection with its `uri`.
pub fn connection_json(c: &Connection, uri: &str) -> String {
    serde_json::to_string(&ConnectionJson {
        conn_id: &c.conn_id,
        conn_type: &c.conn_type,
        description: &c.description,
        host: &c.host,
        schema: &c.schema,
        login: &c.login,
        password: &c.password,
        port: &c.port,
        extra: &c.extra,
        uri,
    })
    .expect("strings and integers always serialise")
}

/// One lookup's outcome, ready to print.
pub enum Outcome {
    /// A raw value.
    Value(String),
    /// A connection's JSON text.
    Connection(String),
    /// Not found.
    NotFound,
    /// Failed, with a message free of secrets.
    Failed(String),
}

/// Runs the lookups of one command, batched (`GetParameters`, at most 10 names a request);
/// connections are parsed and serialised with `semantics`.
pub fn lookups(
    session: &mut Session,
    command: Command,
    ids: &[String],
    semantics: ConnectionSemantics,
) -> Vec<Outcome> {
    let values = |r: Result<Vec<Result<Option<String>, crate::Error>>, CallError>| {
        r.map(|all| {
            all.into_iter()
                .map(|one| match one {
                    Ok(Some(v)) => Outcome::Value(v),
                    Ok(None) => Outcome::NotFound,
                    Err(e) => Outcome::Failed(crate::error_message(&e)),
                })
                .collect()
        })
    };
    let outcomes: Result<Vec<Outcome>, CallError> = match command {
        Command::GetConnValue => values(session.get_conn_values(ids, None)),
        Command::GetVariable => values(session.get_variables(ids, None)),
        Command::GetConfig => values(session.get_configs(ids)),
        Command::GetConnection => session
            .set_connection_semantics(semantics)
            .and_then(|()| session.get_connections(ids, None))
            .and_then(|all| {
                all.into_iter()
                    .map(|one| match one {
                        Ok(Some(c)) => {
                            let uri = session.connection_uri(&c, semantics)?;
                            Ok(Outcome::Connection(connection_json(&c, &uri)))
                        }
                        Ok(None) => Ok(Outcome::NotFound),
                        Err(e) => Ok(Outcome::Failed(crate::error_message(&e))),
                    })
                    .collect()
            }),
        Command::ParseConnection | Command::Serve => unreachable!("not a lookup"),
    };
    outcomes.unwrap_or_else(|e| ids.iter().map(|_| Outcome::Failed(e.to_string())).collect())
}

/// Prints outcomes and returns the exit status.
pub fn report(outcomes: &[Outcome], json: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let (mut failed, mut missing) = (false, false);
    for outcome in outcomes {
        let line = match (outcome, json) {
            (Outcome::Value(v), false) => Some(v.clone()),
            (Outcome::Value(v), true) => Some(serde_json::Value::from(v.as_str()).to_string()),
            (Outcome::Connection(c), _) => Some(c.clone()),
            (Outcome::NotFound, false) => None,
            (Outcome::NotFound, true) => Some("null".to_string()),
            (Outcome::Failed(m), true) => Some(serde_json::json!({ "error": m }).to_string()),
            (Outcome::Failed(m), false) => {
                let _ = writeln!(err, "error: {m}");
                None
            }
        };
        failed |= matches!(outcome, Outcome::Failed(_));
        missing |= matches!(outcome, Outcome::NotFound);
        if let Some(line) = line {
            let _ = writeln!(out, "{line}");
        }
    }
    if failed {
        exit::ERROR
    } else if missing {
        exit::NOT_FOUND
    } else {
        exit::FOUND
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Parsed, String> {
        parse_args(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn options_then_command_then_ids() {
        let Parsed::Run(a) = args(&[
            "--json",
            "--backend-kwargs",
            "{\"a\":1}",
            "get-variable",
            "x",
            "y",
        ])
        .unwrap() else {
            panic!("expected a command")
        };
        assert_eq!(a.command, Command::GetVariable);
        assert_eq!(a.operands, ["x", "y"]);
        assert!(a.json);
        assert_eq!(a.backend_kwargs, "{\"a\":1}");
    }

    #[test]
    fn usage_errors() {
        assert!(args(&[]).is_err());
        assert!(args(&["get-variable"]).is_err());
        assert!(args(&["parse-connection", "only-id"]).is_err());
        assert!(args(&["--bogus", "get-variable", "x"]).is_err());
        assert!(args(&["frobnicate", "x"]).is_err());
        assert!(args(&["--fixture"]).is_err());
        assert_eq!(args(&["--help"]).unwrap(), Parsed::Help);
        assert!(args(&["--connection-semantics", "sdk", "get-connection", "c"]).is_err());
        assert!(args(&["serve", "--listen"]).is_err());
        assert!(args(&["serve", "--listen", "nowhere"]).is_err());
        assert!(args(&["serve", "x"]).is_err());
    }

    #[test]
    fn serve_and_its_address() {
        let serve = |list: &[&str]| match args(list).unwrap() {
            Parsed::Run(a) => (a.command, a.operands),
            Parsed::Help => panic!("expected a command"),
        };
        assert_eq!(serve(&["serve"]), (Command::Serve, vec![]));
        assert_eq!(
            serve(&["--fixture", "f.json", "serve", "--listen", "127.0.0.1:0"]),
            (Command::Serve, vec!["127.0.0.1:0".to_string()])
        );
    }

    #[test]
    fn connection_semantics_option() {
        let semantics = |list: &[&str]| match args(list).unwrap() {
            Parsed::Run(a) => a.semantics,
            Parsed::Help => panic!("expected a command"),
        };
        assert_eq!(
            semantics(&["get-connection", "c"]),
            ConnectionSemantics::Core
        );
        for (name, want) in [
            ("core", ConnectionSemantics::Core),
            ("task-sdk", ConnectionSemantics::TaskSdk),
            ("airflow2", ConnectionSemantics::Airflow2),
        ] {
            assert_eq!(
                semantics(&[
                    "--connection-semantics",
                    name,
                    "parse-connection",
                    "c",
                    "x://h"
                ]),
                want
            );
        }
    }

    fn run_report(outcomes: &[Outcome], json: bool) -> (i32, String, String) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = report(outcomes, json, &mut out, &mut err);
        (
            code,
            String::from_utf8(out).unwrap(),
            String::from_utf8(err).unwrap(),
        )
    }

    #[test]
    fn exit_codes_and_json_lines() {
        let all = [
            Outcome::Value("v".into()),
            Outcome::NotFound,
            Outcome::Failed("boom".into()),
        ];
        assert_eq!(
            run_report(&all, true),
            (
                1,
                "\"v\"\nnull\n{\"error\":\"boom\"}\n".into(),
                String::new()
            )
        );
        assert_eq!(
            run_report(&all, false),
            (1, "v\n".into(), "error: boom\n".into())
        );
        assert_eq!(
            run_report(&[Outcome::Value("v".into()), Outcome::NotFound], false).0,
            3
        );
        assert_eq!(
            run_report(&[Outcome::NotFound], false),
            (3, String::new(), String::new())
        );
        assert_eq!(run_report(&[Outcome::Value("v".into())], false).0, 0);
    }

    #[test]
    fn connection_keys_are_the_contract() {
        let c = Connection {
            conn_id: Some("c".into()),
            conn_type: Some("http".into()),
            description: None,
            host: Some("h".into()),
            schema: Some("".into()),
            login: None,
            password: None,
            port: Some(80),
            extra: None,
        };
        assert_eq!(
            connection_json(&c, "http://h:80"),
            r#"{"conn_id":"c","conn_type":"http","description":null,"host":"h","schema":"","login":null,"password":null,"port":80,"extra":null,"uri":"http://h:80"}"#
        );
    }
}
