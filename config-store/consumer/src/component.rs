//! The imported `wasi:config/store`, with its errors mirrored into [`crate::report`]'s.

use crate::report::StoreError;

#[allow(unsafe_code, missing_docs, clippy::all)]
mod bindings {
    wit_bindgen::generate!({
        world: "airflow-ssm:config-consumer/consumer",
        path: ["../wit/deps/config", "wit"],
        generate_all,
    });
}

use bindings::wasi::config::store;

fn mirror(e: store::Error) -> StoreError {
    match e {
        store::Error::Upstream(m) => StoreError::Upstream(m),
        store::Error::Io(m) => StoreError::Io(m),
    }
}

/// `get(key)`.
pub fn get(key: &str) -> Result<Option<String>, StoreError> {
    store::get(key).map_err(mirror)
}

/// `get-all()`.
pub fn get_all() -> Result<Vec<(String, String)>, StoreError> {
    store::get_all().map_err(mirror)
}
