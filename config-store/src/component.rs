//! The glue: `wasi:config/store` exported, answered with the imported lookups.
//!
//! The backend is opened once per instance, at the first call, from [`crate::settings`]; a host
//! that keeps the instance keeps the backend's credentials and cache. `get(key)` is the
//! backend's `get-variable(key)` under the configured prefix: a missing parameter (or a key the
//! lookup pattern excludes) is `none`.
//!
//! The store is exported under two names with the same interface text (`wasi:config/store` at
//! `@0.2.0-draft` and at Spin's `@0.2.0-draft-2024-09-27`); both are answered by the same code
//! and share the instance's backend.

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
            "wasi:config/store@0.2.0-draft-2024-09-27": generate,
        },
    });

    use super::Adapter;
    export!(Adapter with_types_in self);
}

use bindings::airflow_ssm::secrets::lookup::Backend;
use bindings::airflow_ssm::secrets::types::{self, Error};
use bindings::exports::wasi::config0_2_0_draft::store as draft;
use bindings::exports::wasi::config0_2_0_draft_2024_09_27::store as spin;

thread_local! {
    static BACKEND: OnceCell<Result<Backend, StoreError>> = const { OnceCell::new() };
}

struct Adapter;

/// `get(key)`, whichever name it was called by.
fn get(key: &str) -> Result<Option<String>, StoreError> {
    BACKEND.with(|cell| {
        let backend = cell.get_or_init(open).as_ref().map_err(Clone::clone)?;
        backend
            .get_variable(key, None)
            .map_err(|e| failure::store_error(mirror(e)))
    })
}

/// `wasi:config/store` under one of its names: `get` and `get-all`, with [`StoreError`] given
/// back as that name's `error` (the same variant).
macro_rules! export_store {
    ($store:ident) => {
        impl $store::Guest for Adapter {
            fn get(key: String) -> Result<Option<String>, $store::Error> {
                get(&key).map_err(|e| match e {
                    StoreError::Upstream(m) => $store::Error::Upstream(m),
                    StoreError::Io(m) => $store::Error::Io(m),
                })
            }

            fn get_all() -> Result<Vec<(String, String)>, $store::Error> {
                Err(match failure::get_all_unsupported() {
                    StoreError::Upstream(m) => $store::Error::Upstream(m),
                    StoreError::Io(m) => $store::Error::Io(m),
                })
            }
        }
    };
}

export_store!(draft);
export_store!(spin);

fn open() -> Result<Backend, StoreError> {
    let kwargs = settings::backend_kwargs(|name| std::env::var(name).ok());
    Backend::open(&kwargs).map_err(|e| failure::store_error(mirror(e)))
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
