//! The glue: `wasi:config/store` exported, answered with the imported lookups.
//!
//! The backend is opened once per instance, at the first call, from [`crate::settings`]; a host
//! that keeps the instance keeps the backend's credentials and cache. `get(key)` is the
//! backend's `get-variable(key)` under the configured prefix: a missing parameter (or a key the
//! lookup pattern excludes) is `none`.

use std::cell::OnceCell;

use crate::failure::{self, AwsError, Failure, StoreError};
use crate::settings;

#[allow(unsafe_code, missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        world: "airflow-ssm:config-store/adapter",
        path: ["../wit", "wit"],
        with: {
            "airflow-ssm:secrets/types@0.2.0": generate,
            "airflow-ssm:secrets/lookup@0.2.0": generate,
            "wasi:config/store@0.2.0-draft": generate,
        },
    });

    use super::Adapter;
    export!(Adapter with_types_in self);
}

use bindings::airflow_ssm::secrets::lookup::Backend;
use bindings::airflow_ssm::secrets::types::{self, Error};
use bindings::exports::wasi::config::store;

thread_local! {
    static BACKEND: OnceCell<Result<Backend, StoreError>> = const { OnceCell::new() };
}

struct Adapter;

impl store::Guest for Adapter {
    fn get(key: String) -> Result<Option<String>, store::Error> {
        BACKEND.with(|cell| {
            let backend = cell
                .get_or_init(open)
                .as_ref()
                .map_err(|e| export(e.clone()))?;
            backend
                .get_variable(&key, None)
                .map_err(|e| export(failure::store_error(mirror(e))))
        })
    }

    fn get_all() -> Result<Vec<(String, String)>, store::Error> {
        Err(export(failure::get_all_unsupported()))
    }
}

fn open() -> Result<Backend, StoreError> {
    let kwargs = settings::backend_kwargs(|name| std::env::var(name).ok());
    Backend::open(&kwargs).map_err(|e| failure::store_error(mirror(e)))
}

fn export(e: StoreError) -> store::Error {
    match e {
        StoreError::Upstream(m) => store::Error::Upstream(m),
        StoreError::Io(m) => store::Error::Io(m),
    }
}

fn mirror(e: Error) -> Failure {
    let aws = |e: types::AwsError| AwsError {
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
