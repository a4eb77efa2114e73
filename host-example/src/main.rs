//! `host-example`: look up Airflow connections, variables and config options in SSM Parameter
//! Store through the sandboxed component. See `host_example::cli` for the contract.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use host_example::cli::{self, Args, Command, Outcome, Parsed, exit};
use host_example::fixture::Fixture;
use host_example::{Runtime, Session, SessionOptions, Upstream, sidecar};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match cli::parse_args(&args) {
        Ok(Parsed::Help) => {
            print!("{}", cli::USAGE);
            exit::FOUND
        }
        Ok(Parsed::Run(args)) => run(args),
        Err(message) => {
            eprintln!("error: {message}\n\n{}", cli::USAGE);
            exit::USAGE
        }
    };
    ExitCode::from(code as u8)
}

fn fail(message: impl std::fmt::Display) -> i32 {
    eprintln!("error: {message}");
    exit::ERROR
}

/// `--component`, then `$SSM_SECRETS_COMPONENT`, then the build output next to this program.
fn component_path(args: &Args) -> PathBuf {
    wasm_path(
        args,
        "SSM_SECRETS_COMPONENT",
        "wasm32-wasip2/component/ssm_secrets.wasm",
    )
}

/// `--component`, then the variable `var`, then `built` under this program's target directory.
fn wasm_path(args: &Args, var: &str, built: &str) -> PathBuf {
    if let Some(path) = &args.component {
        return path.clone();
    }
    if let Some(path) = std::env::var_os(var) {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    let target_dir = exe
        .parent()
        .and_then(|p| p.parent())
        .unwrap_or(exe.as_path());
    target_dir.join(built)
}

/// `serve`: the sidecar over HTTP until SIGTERM or SIGINT.
fn serve(args: &Args, upstream: Upstream) -> i32 {
    let path = component_path(args);
    if !path.exists() {
        return fail(format!(
            "component not found at {}: build it with `source scripts/common.sh && \
             build_component`, or pass --component",
            path.display()
        ));
    }
    let listen = args
        .operands
        .first()
        .map_or(sidecar::DEFAULT_LISTEN, String::as_str);
    let listen = match listen.parse() {
        Ok(listen) => listen,
        Err(_) => return fail(format!("--listen: not an address: {listen:?}")),
    };
    let process = SessionOptions::new(Upstream::Network).aws_env_from_process();
    let options = sidecar::SidecarOptions {
        listen,
        backend_kwargs: args.backend_kwargs.clone(),
        env: process.env,
        proxies: process.proxies,
        upstream,
        instances: sidecar::DEFAULT_INSTANCES,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => return fail(format!("cannot start the server's runtime: {e}")),
    };
    match runtime.block_on(sidecar::run(&path, options)) {
        Ok(()) => exit::FOUND,
        Err(e) => fail(e),
    }
}

fn upstream(args: &Args) -> Result<Upstream, String> {
    match &args.fixture {
        Some(path) => Fixture::from_file(path).map(|fixture| Upstream::Fixture(Arc::new(fixture))),
        None => Ok(Upstream::Network),
    }
}

fn run(args: Args) -> i32 {
    if args.command == Command::Serve {
        return match upstream(&args) {
            Ok(upstream) => serve(&args, upstream),
            Err(message) => fail(message),
        };
    }
    let path = component_path(&args);
    if !path.exists() {
        return fail(format!(
            "component not found at {}: build it with `cargo build --target wasm32-wasip2 \
             --profile component`, or pass --component",
            path.display()
        ));
    }
    let runtime = match Runtime::load(&path) {
        Ok(runtime) => runtime,
        Err(e) => return fail(format!("cannot load the component: {e}")),
    };
    // One write for all the values (a line-buffered stdout makes a system call per id), flushed
    // before exiting; errors go to stderr as they come.
    let mut stdout = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let mut stderr = std::io::stderr().lock();

    if args.command == Command::ParseConnection {
        let outcome = Session::offline(&runtime)
            .map_err(|e| e.to_string())
            .and_then(|mut session| {
                let c = session
                    .parse_connection(&args.operands[0], &args.operands[1], args.semantics)
                    .map_err(|e| e.to_string())?;
                let uri = session
                    .connection_uri(&c, args.semantics)
                    .map_err(|e| e.to_string())?;
                Ok(cli::connection_json(&c, &uri))
            });
        let outcome = match outcome {
            Ok(json) => Outcome::Connection(json),
            Err(message) => Outcome::Failed(message),
        };
        let code = cli::report(&[outcome], args.json, &mut stdout, &mut stderr);
        exit_without_teardown(code, &mut stdout);
    }

    let upstream = match upstream(&args) {
        Ok(upstream) => upstream,
        Err(message) => return fail(message),
    };
    let options = SessionOptions::new(upstream).aws_env_from_process();
    let outcomes: Vec<Outcome> = match Session::open(&runtime, &args.backend_kwargs, options) {
        Ok(mut session) => {
            let outcomes = cli::lookups(&mut session, args.command, &args.operands, args.semantics);
            std::mem::forget(session);
            outcomes
        }
        Err(e) => args
            .operands
            .iter()
            .map(|_| Outcome::Failed(e.to_string()))
            .collect(),
    };
    let code = cli::report(&outcomes, args.json, &mut stdout, &mut stderr);
    exit_without_teardown(code, &mut stdout)
}

/// Ends the process as soon as the results are written: the store, the instance, the compiled
/// component and the engine are not dropped one allocation and one mapping at a time (a few
/// tenths of a millisecond of a ~3 ms run), the kernel reclaims them at once. Nothing is lost:
/// stdout is flushed here, stderr is unbuffered, the precompiled cache is written (and synced)
/// before the component is used, and pooled connections need no goodbye.
fn exit_without_teardown(code: i32, stdout: &mut impl Write) -> ! {
    let _ = stdout.flush();
    std::process::exit(code)
}
