//! The store data every component of this host runs with: the WASI context (environment and
//! read-only preopens), the WASI HTTP context, the resource table, and the egress hook that
//! decides where requests may go. Sessions, `serve` and commands all use it; it names none of
//! them.

use std::path::PathBuf;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{FsPerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

use crate::egress::EgressHooks;

/// WASI, WASI HTTP and the egress hook of one store.
pub struct HostState {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: EgressHooks,
}

impl HostState {
    /// The state of a store whose WASI context is `wasi` and whose outgoing requests go
    /// through `hooks`.
    pub fn new(wasi: WasiCtx, hooks: EgressHooks) -> Self {
        HostState {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks,
        }
    }

    /// The egress hooks.
    pub fn hooks(&self) -> &EgressHooks {
        &self.hooks
    }
}

/// A WASI context builder with least privilege: `env` and nothing else of the process, no
/// sockets (requests go through `wasi:http` and its hook), and each of `read_only_dirs`
/// preopened read-only under its own path.
pub fn least_privilege(
    env: &[(String, String)],
    read_only_dirs: &[PathBuf],
) -> wasmtime::Result<WasiCtxBuilder> {
    let mut builder = WasiCtx::builder();
    builder
        .envs(env)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false);
    for dir in read_only_dirs {
        let guest = dir.to_string_lossy();
        builder.preopened_dir(dir, guest.as_ref(), FsPerms::ReadOnly)?;
    }
    Ok(builder)
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for HostState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}
