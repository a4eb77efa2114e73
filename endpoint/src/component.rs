//! The WASI glue: `wasi:http/incoming-handler` in, the imported lookups, the reply out.
//!
//! Configuration comes from the environment the host grants: `SSM_SECRETS_BACKEND_KWARGS`
//! (default `{}`) and the token variables. The backend is opened once per instance and kept, so
//! a host that keeps the instance warm keeps the component's cache.

use std::cell::OnceCell;

use crate::reply::{self, AwsError, ConnectionFields, Failure, Prefixes, Reply};
use crate::route::{self, Kind, Route};

#[allow(unsafe_code, missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        world: "airflow-ssm:endpoint/endpoint",
        path: ["../wit", "wit"],
        with: {
            "wasi:http/types@0.2.12": wasip2::http::types,
            "wasi:io/poll@0.2.12": wasip2::io::poll,
            "wasi:io/error@0.2.12": wasip2::io::error,
            "wasi:io/streams@0.2.12": wasip2::io::streams,
            "wasi:clocks/monotonic-clock@0.2.12": wasip2::clocks::monotonic_clock,
            "airflow-ssm:secrets/types@0.2.0": generate,
            "airflow-ssm:secrets/lookup@0.2.0": generate,
        },
    });

    use super::Endpoint;
    export!(Endpoint with_types_in self);
}

use bindings::airflow_ssm::secrets::lookup::{self, Backend};
use bindings::airflow_ssm::secrets::types::{ConnectionSemantics, Error};
use wasip2::http::types::{
    Fields, IncomingRequest, Method, OutgoingBody, OutgoingResponse, ResponseOutparam,
};

/// The environment variable holding `backend_kwargs`.
const KWARGS_VARIABLE: &str = "SSM_SECRETS_BACKEND_KWARGS";

struct State {
    token: Result<String, String>,
    backend: Result<Backend, Failure>,
    prefixes: Prefixes,
}

impl State {
    fn load() -> State {
        let var = |name: &str| std::env::var(name).ok();
        let kwargs = var(KWARGS_VARIABLE)
            .filter(|k| !k.trim().is_empty())
            .unwrap_or_else(|| "{}".to_string());
        State {
            token: route::token_from(var, |path: &str| std::fs::read_to_string(path)),
            backend: Backend::open(&kwargs).map_err(failure),
            prefixes: Prefixes::from_kwargs(&kwargs),
        }
    }
}

thread_local! {
    static STATE: OnceCell<State> = const { OnceCell::new() };
}

struct Endpoint;

impl bindings::exports::wasi::http::incoming_handler::Guest for Endpoint {
    fn handle(request: IncomingRequest, response_out: ResponseOutparam) {
        let method = match request.method() {
            Method::Get => "GET".to_string(),
            Method::Head => "HEAD".to_string(),
            Method::Post => "POST".to_string(),
            Method::Put => "PUT".to_string(),
            Method::Delete => "DELETE".to_string(),
            Method::Connect => "CONNECT".to_string(),
            Method::Options => "OPTIONS".to_string(),
            Method::Trace => "TRACE".to_string(),
            Method::Patch => "PATCH".to_string(),
            Method::Other(other) => other,
        };
        let target = request.path_with_query().unwrap_or_else(|| "/".to_string());
        let headers = request.headers().entries();
        drop(request);
        let reply = STATE.with(|cell| {
            let state = cell.get_or_init(State::load);
            let token = state.token.as_deref().map_err(String::as_str);
            match route::route(&method, &target, &headers, token) {
                Ok(route) => serve(state, route),
                Err(reply) => reply,
            }
        });
        send(response_out, &reply);
    }
}

fn serve(state: &State, route: Route) -> Reply {
    match route {
        Route::Ping => return Reply::ok("healthy".to_string()),
        Route::Metrics => {
            return reply::error_reply(
                404,
                "not-found",
                "NotFound",
                "this host keeps no metrics: /metrics is served by the sidecar",
            );
        }
        _ => {}
    }
    let backend = match &state.backend {
        Ok(backend) => backend,
        Err(f) => return reply::failure_reply(f),
    };
    let what = match &route {
        Route::Parameter { name } => reply::describe(None, name),
        Route::Airflow { kind, key, .. } => reply::describe(Some(*kind), key),
        Route::Ping | Route::Metrics => unreachable!("answered above"),
    };
    let outcome = match route {
        Route::Ping | Route::Metrics => unreachable!("answered above"),
        Route::Parameter { name } => match state.prefixes.lookup_for(&name) {
            None => {
                return reply::error_reply(
                    400,
                    "bad-request",
                    "ValidationException",
                    "only names under the configured connections, variables and config \
                     prefixes are served",
                );
            }
            Some((kind, key)) => raw(backend, kind, &key, None)
                .map(|v| v.map(|value| reply::parameter_json(&name, &value))),
        },
        Route::Airflow {
            kind: Kind::Connection,
            key,
            team,
            raw: false,
        } => connection(backend, &key, team.as_deref()),
        Route::Airflow {
            kind, key, team, ..
        } => raw(backend, kind, &key, team.as_deref())
            .map(|v| v.map(|value| reply::value_json(&key, &value))),
    };
    match outcome {
        Ok(Some(body)) => Reply::ok(body),
        Ok(None) => reply::not_found(&what),
        Err(f) => reply::failure_reply(&f),
    }
}

fn raw(
    backend: &Backend,
    kind: Kind,
    key: &str,
    team: Option<&str>,
) -> Result<Option<String>, Failure> {
    match kind {
        Kind::Connection => backend.get_conn_value(key, team),
        Kind::Variable => backend.get_variable(key, team),
        Kind::Config => backend.get_config(key),
    }
    .map_err(failure)
}

fn connection(
    backend: &Backend,
    conn_id: &str,
    team: Option<&str>,
) -> Result<Option<String>, Failure> {
    let Some(c) = backend.get_connection(conn_id, team).map_err(failure)? else {
        return Ok(None);
    };
    let uri = lookup::connection_uri(&c, ConnectionSemantics::Core).map_err(failure)?;
    Ok(Some(reply::connection_json(&ConnectionFields {
        strings: [
            &c.conn_id,
            &c.conn_type,
            &c.description,
            &c.host,
            &c.schema,
            &c.login,
            &c.password,
        ],
        port: c.port,
        extra: &c.extra,
        uri: &uri,
    })))
}

fn failure(e: Error) -> Failure {
    let aws = |e: bindings::airflow_ssm::secrets::types::AwsError| AwsError {
        code: e.code,
        message: e.message,
        status: e.status,
    };
    match e {
        Error::Configuration(m) => Failure::Configuration(m),
        Error::Credentials(m) => Failure::Credentials(m),
        Error::AccessDenied(e) => Failure::AccessDenied(aws(e)),
        Error::Throttled(e) => Failure::Throttled(aws(e)),
        Error::Service(e) => Failure::Service(aws(e)),
        Error::Transport(m) => Failure::Transport(m),
        Error::InvalidValue(m) => Failure::InvalidValue(m),
    }
}

/// Sends `reply`; a client that went away is not an error of ours.
fn send(out: ResponseOutparam, reply: &Reply) {
    let body = reply.body.as_bytes();
    let fields = [
        ("content-type", reply.content_type().as_bytes().to_vec()),
        ("content-length", body.len().to_string().into_bytes()),
        ("cache-control", b"no-store".to_vec()),
    ]
    .map(|(name, value)| (name.to_string(), value));
    let mut list = fields.to_vec();
    if reply.status == 405 {
        list.push(("allow".to_string(), b"GET".to_vec()));
    }
    let headers = Fields::from_list(&list).unwrap_or_else(|_| Fields::new());
    let response = OutgoingResponse::new(headers);
    let _ = response.set_status_code(reply.status);
    let Ok(outgoing) = response.body() else {
        return;
    };
    ResponseOutparam::set(out, Ok(response));
    if let Ok(stream) = outgoing.write() {
        for chunk in body.chunks(4096) {
            if stream.blocking_write_and_flush(chunk).is_err() {
                break;
            }
        }
    }
    let _ = OutgoingBody::finish(outgoing, None);
}
