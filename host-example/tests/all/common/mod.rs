//! Running the `host-example` binary as a user would.
#![allow(dead_code)]

pub mod connect_proxy;
pub mod moto;
pub mod ssm_mock;
pub mod tls;

use std::path::PathBuf;
use std::process::{Command, Output};

/// The component under test: `$SSM_SECRETS_COMPONENT`, else the workspace's build output.
pub fn component_path() -> PathBuf {
    if let Some(path) = std::env::var_os("SSM_SECRETS_COMPONENT") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("wasm32-wasip2/component/ssm_secrets.wasm");
    assert!(
        path.exists(),
        "the component {} is missing: run `bash scripts/test.sh`",
        path.display()
    );
    path
}

/// The component compiled once for the whole test process (every module shares it).
pub fn runtime() -> &'static host_example::Runtime {
    static RUNTIME: std::sync::OnceLock<host_example::Runtime> = std::sync::OnceLock::new();
    RUNTIME.get_or_init(|| {
        host_example::Runtime::from_file(&component_path()).expect("the component compiles")
    })
}

/// The demo fixture shipped with the host.
pub fn demo_fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo.json")
}

/// The CLI with a clean environment: only `env` (plus `PATH`) reaches it.
pub fn cli(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_host-example"));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .arg("--component")
        .arg(component_path())
        .args(args);
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("host-example runs")
}

/// Stdout and stderr as text.
pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8(output.stdout.clone()).unwrap(),
        String::from_utf8(output.stderr.clone()).unwrap(),
    )
}

/// `$SSM_SECRETS_ENDPOINT`, else the workspace's `target/endpoint/ssm_endpoint.wasm`.
pub fn endpoint_path() -> PathBuf {
    if let Some(path) = std::env::var_os("SSM_SECRETS_ENDPOINT") {
        return PathBuf::from(path);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let path = target.join("endpoint/ssm_endpoint.wasm");
    assert!(
        path.exists(),
        "the endpoint {} is missing: run `bash scripts/test.sh`",
        path.display()
    );
    path
}

/// Serves a free loopback port on a thread of its own (a current-thread Tokio runtime): every
/// accepted connection goes to its own task running `handle`. Returns the address.
pub fn loopback_server<F, Fut>(handle: F) -> std::net::SocketAddr
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = std_listener.local_addr().unwrap();
    std_listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(handle(stream));
            }
        });
    });
    addr
}
