//! The imported `wasi:config/store`, with its errors mirrored into [`crate::report`]'s: one
//! macro, called by each binary with its world, so both consumers run the same code and differ
//! only in the name they import.

/// Generates, in the module it is called in, the bindings of the consumer world `$world` and
/// `get` / `get_all` over its `wasi:config/store`; `$package` is the module wit-bindgen gives
/// that world's `wasi:config` version (the version is in the name, as both are in the
/// bindings' WIT).
macro_rules! import_store {
    ($world:tt, $package:ident) => {
        #[allow(unsafe_code, missing_docs, clippy::all)]
        mod bindings {
            wit_bindgen::generate!({
                world: $world,
                path: ["../wit/deps/config", "../wit/deps/config-2024-09-27", "wit"],
                generate_all,
            });
        }

        use crate::report::StoreError;
        use bindings::wasi::$package::store;

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
    };
}
