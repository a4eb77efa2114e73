//! `ssm-config-store`: a component that exports `wasi:config/store@0.2.0-draft` and answers it
//! from SSM Parameter Store through the `airflow-ssm:secrets/lookup` interface it imports.
//! Composed with the lookup component (`wac plug`), every component that reads `wasi:config`
//! gets its values from Parameter Store, with requests signed inside the sandbox.
//!
//! - [`settings`]: the prefix and `backend_kwargs`, from the environment the host grants;
//! - [`failure`]: the lookup's errors as the store's `upstream` / `io` errors;
//! - `component` (wasm32 only): the WASI glue, one backend per instance.
#![deny(unsafe_code)]

pub mod failure;
pub mod settings;

#[cfg(target_arch = "wasm32")]
mod component;
