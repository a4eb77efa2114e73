//! Runs a `wasi:cli/run` command component once under this host's least privilege: e.g. a
//! component composed with the `wasi:config` adapter and the lookup component
//! (`build_config_store` in scripts/common.sh), which imports only WASI.
//!
//! The component sees the given arguments and environment and nothing else: no files, no
//! sockets, and outgoing HTTP only through the same `wasi:http` hook (egress policy, timeout
//! caps, upstream) and outgoing handler the lookups use. Its stdout and stderr are captured.

use std::path::Path;

use wasmtime::Store;
use wasmtime::component::Linker;
use wasmtime_wasi::p2::bindings::CommandPre;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

use crate::egress::{EgressHooks, EgressPolicy, TimeoutCaps, Upstream};
use crate::host_state::{HostState, least_privilege};

/// The most output kept from each of stdout and stderr.
const OUTPUT_CAPACITY: usize = 1024 * 1024;

/// What a run grants the command.
pub struct CommandOptions {
    /// The arguments after the program name.
    pub args: Vec<String>,
    /// The whole environment the command sees.
    pub env: Vec<(String, String)>,
    /// The endpoints it may reach (e.g. [`EgressPolicy::for_backend`] of its kwargs).
    pub policy: EgressPolicy,
    /// Where allowed requests go.
    pub upstream: Upstream,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    /// Whether `run` returned `ok`.
    pub success: bool,
    /// What it wrote to stdout.
    pub stdout: String,
    /// What it wrote to stderr.
    pub stderr: String,
}

/// Compiles the command at `path` (through the precompiled cache, as [`crate::Runtime::load`])
/// and runs it once with `options`. A trap or a component that is not a command is an error;
/// `run` returning `err` is a [`CommandOutput`] with `success` false.
pub async fn run_command(path: &Path, options: CommandOptions) -> wasmtime::Result<CommandOutput> {
    let engine = crate::runtime::new_engine()?;
    let (component, _) = crate::runtime::load_component(&engine, path)?;
    let mut linker = Linker::<HostState>::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
    crate::http_import::add_to_linker(&mut linker)?;
    let pre = CommandPre::new(linker.instantiate_pre(&component)?)?;

    let (stdout, stderr) = (
        MemoryOutputPipe::new(OUTPUT_CAPACITY),
        MemoryOutputPipe::new(OUTPUT_CAPACITY),
    );
    let mut args = vec![path.file_name().map_or_else(
        || "command".to_string(),
        |name| name.to_string_lossy().into_owned(),
    )];
    args.extend(options.args);
    let mut builder = least_privilege(&options.env, &[])?;
    builder
        .args(&args)
        .stdout(stdout.clone())
        .stderr(stderr.clone());
    let hooks = EgressHooks::new(options.policy, options.upstream, TimeoutCaps::default());
    let state = HostState::new(builder.build(), hooks);
    let mut store = Store::new(&engine, state);
    let command = pre.instantiate_async(&mut store).await?;
    let result = command.wasi_cli_run().call_run(&mut store).await?;
    let text = |pipe: &MemoryOutputPipe| String::from_utf8_lossy(&pipe.contents()).into_owned();
    Ok(CommandOutput {
        success: result.is_ok(),
        stdout: text(&stdout),
        stderr: text(&stderr),
    })
}
