//! SSM as `wasi:config`: the test consumer composed with the `wasi:config/store` adapter and the
//! lookup component (`build_config_store` in scripts/common.sh) runs in wasmtime against moto's
//! standalone server on 127.0.0.1 with signature and IAM checking on. Keys read through
//! `wasi:config/store` come from Parameter Store under the configured prefix, a missing key is
//! `none`, an SSM error is the store's `upstream` error without a secret, and a request the host
//! does not allow is `io`. The store exports the interface under the draft's name and under
//! Spin's (`@0.2.0-draft-2024-09-27`), and a consumer built against Spin's name reads the same.
//!
//! moto comes from the virtualenv `scripts/test.sh` prepares (`$MOTO_VENV`, default
//! `target/moto-venv`); the composed store from `$SSM_CONFIG_STORE`, the composed consumers from
//! `$SSM_CONFIG_CONSUMER` and `$SSM_CONFIG_CONSUMER_SPIN`; `wasm-tools` from `$WASM_TOOLS`, else
//! `target/tools/bin/wasm-tools` (where scripts/common.sh installs it).

use crate::common;

use std::path::PathBuf;

use common::moto::{Moto, setup};
use host_example::command::{CommandOptions, CommandOutput, run_command};
use host_example::{EgressPolicy, Upstream};
use serde_json::{Value, json};
use wasmtime::component::Component;
use wasmtime::{Config, Engine};

/// The workspace's target directory (`$CARGO_TARGET_DIR`, else `target/`).
fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

/// `$<var>`, else `target/config-store/<file>`: a file `build_config_store` composes.
fn composed(var: &str, file: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return PathBuf::from(path);
    }
    let path = target_dir().join("config-store").join(file);
    assert!(
        path.exists(),
        "the composed {} is missing: run `bash scripts/test.sh`",
        path.display()
    );
    path
}

/// The test consumer importing `wasi:config/store@0.2.0-draft`, plugged with the store.
fn consumer_path() -> PathBuf {
    composed("SSM_CONFIG_CONSUMER", "config_consumer.wasm")
}

/// The same consumer importing Spin's `wasi:config/store@0.2.0-draft-2024-09-27`, plugged.
fn spin_consumer_path() -> PathBuf {
    composed("SSM_CONFIG_CONSUMER_SPIN", "config_consumer_spin.wasm")
}

/// The store: the adapter plugged with the lookup component.
fn store_path() -> PathBuf {
    composed("SSM_CONFIG_STORE", "ssm_config_store.wasm")
}

/// The store's two names for the same interface: the published draft's and Spin's.
const STORE_NAMES: [&str; 2] = [
    "wasi:config/store@0.2.0-draft",
    "wasi:config/store@0.2.0-draft-2024-09-27",
];

/// Runs the consumer with `args` and `env`, allowed to reach what `policy` allows.
fn consume(env: &[(String, String)], policy: EgressPolicy, args: &[&str]) -> CommandOutput {
    consume_with(&consumer_path(), env, policy, args)
}

/// Runs the consumer at `path` as [`consume`] does.
fn consume_with(
    path: &std::path::Path,
    env: &[(String, String)],
    policy: EgressPolicy,
    args: &[&str],
) -> CommandOutput {
    let options = CommandOptions {
        args: args.iter().map(|a| a.to_string()).collect(),
        env: env.to_vec(),
        policy,
        upstream: Upstream::Network,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let output = runtime.block_on(run_command(path, options)).unwrap();
    assert!(output.success, "{output:?}");
    output
}

/// The consumer's lines, parsed.
fn lines(output: &CommandOutput) -> Vec<Value> {
    output
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

const DB_HOST: &str = "db.internal.example";
const API_TOKEN: &str = "tok-7f3a9c2e-from-parameter-store";

/// moto with the app's configuration stored (and a parameter of the same name outside the
/// prefix, which must not be read), and what `tests/moto/setup.py` created.
fn moto_with_config() -> (Moto, Value) {
    let moto = Moto::start();
    let parameters = json!([
        {"name": "/app/config/db_host", "value": DB_HOST, "type": "String"},
        {"name": "/app/config/api_token", "value": API_TOKEN, "type": "SecureString"},
        {"name": "/svc/prod/db_host", "value": "prod-db.example", "type": "String"},
        {"name": "/airflow/variables/feature_flag", "value": "outside the prefix", "type": "String"},
    ]);
    let keys = setup(&moto, &parameters);
    (moto, keys)
}

#[test]
fn composed_consumer_imports_only_wasi_and_is_a_command() {
    let engine = Engine::new(&Config::new()).unwrap();
    for path in [consumer_path(), spin_consumer_path()] {
        let component = Component::from_file(&engine, &path).unwrap();
        let ty = component.component_type();
        let exports: Vec<String> = ty.exports(&engine).map(|(n, _)| n.to_string()).collect();
        assert_eq!(exports.len(), 1, "{}: {exports:?}", path.display());
        assert!(exports[0].starts_with("wasi:cli/run@0.2."), "{exports:?}");
        for (import, _) in ty.imports(&engine) {
            assert!(import.starts_with("wasi:"), "a non-WASI import: {import}");
            assert!(
                !import.starts_with("wasi:config/"),
                "wasi:config is left for the runtime: {import}"
            );
        }
    }
}

/// The composed store exports `wasi:config/store` under both names and nothing else, and
/// imports only WASI: as wasmtime reads its type, and as `wasm-tools component wit` prints it.
#[test]
fn the_store_exports_the_drafts_name_and_spins() {
    let engine = Engine::new(&Config::new()).unwrap();
    let component = Component::from_file(&engine, store_path()).unwrap();
    let ty = component.component_type();
    let mut exports: Vec<String> = ty.exports(&engine).map(|(n, _)| n.to_string()).collect();
    exports.sort();
    assert_eq!(exports, STORE_NAMES, "{exports:?}");
    for (import, _) in ty.imports(&engine) {
        assert!(import.starts_with("wasi:"), "a non-WASI import: {import}");
        assert!(!import.starts_with("wasi:config/"), "{import}");
    }

    let wasm_tools = std::env::var_os("WASM_TOOLS")
        .map(PathBuf::from)
        .unwrap_or_else(|| target_dir().join("tools/bin/wasm-tools"));
    let out = std::process::Command::new(&wasm_tools)
        .args(["component", "wit"])
        .arg(store_path())
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{} does not run ({e}): scripts/common.sh installs it",
                wasm_tools.display()
            )
        });
    assert!(out.status.success(), "{out:?}");
    let wit = String::from_utf8(out.stdout).unwrap();
    let exported: Vec<&str> = wit
        .lines()
        .filter_map(|line| line.trim().strip_prefix("export "))
        .collect();
    assert_eq!(
        exported,
        STORE_NAMES.map(|name| format!("{name};")),
        "{wit}"
    );
}

#[test]
fn wasi_config_reads_come_from_ssm_through_moto() {
    let (moto, keys) = moto_with_config();
    let key = |name: &str| keys[name].as_str().unwrap().to_string();
    let (key_id, secret) = (key("access_key_id"), key("secret_access_key"));
    let kwargs = json!({"endpoint_url": moto.endpoint, "region_name": "us-east-1"}).to_string();
    let policy = EgressPolicy::for_backend(&kwargs, &[]);
    assert_ne!(policy, EgressPolicy::deny_all());
    let env = |id: &str, secret: &str| -> Vec<(String, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID".to_string(), id.to_string()),
            ("AWS_SECRET_ACCESS_KEY".to_string(), secret.to_string()),
            ("SSM_SECRETS_BACKEND_KWARGS".to_string(), kwargs.clone()),
        ]
    };

    // Two keys under the default prefix /app/config: the values stored in SSM; a key SSM does
    // not have (though /airflow/variables/feature_flag exists) is none; get-all says why not.
    let reader = env(&key_id, &secret);
    let out = consume(
        &reader,
        policy.clone(),
        &["db_host", "api_token", "feature_flag", "--all"],
    );
    assert_eq!(
        lines(&out),
        vec![
            json!({"call": "get", "key": "db_host", "value": DB_HOST}),
            json!({"call": "get", "key": "api_token", "value": API_TOKEN}),
            json!({"call": "get", "key": "feature_flag", "value": null}),
            json!({"call": "get-all", "error": {"upstream":
                "get-all is not supported: the SSM lookups read named parameters only (no \
                 GetParametersByPath listing); read each key with get"}}),
        ],
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains(&secret) && !out.stderr.contains(&secret));

    // A consumer built against Spin's name (`wasi:config/store@0.2.0-draft-2024-09-27`),
    // plugged with the same store: the same lines.
    let spin = consume_with(
        &spin_consumer_path(),
        &reader,
        policy.clone(),
        &["db_host", "api_token", "feature_flag", "--all"],
    );
    assert_eq!(lines(&spin), lines(&out), "{}", spin.stderr);
    assert!(!spin.stdout.contains(&secret) && !spin.stderr.contains(&secret));

    // SSM_CONFIG_PREFIX chooses the prefix.
    let mut prod = reader.clone();
    prod.push(("SSM_CONFIG_PREFIX".to_string(), "/svc/prod".to_string()));
    let out = consume(&prod, policy.clone(), &["db_host", "api_token"]);
    assert_eq!(
        lines(&out),
        vec![
            json!({"call": "get", "key": "db_host", "value": "prod-db.example"}),
            json!({"call": "get", "key": "api_token", "value": null}),
        ],
        "{}",
        out.stderr
    );

    // Signed with a wrong secret: moto's SigV4 check refuses it, and the store's error is
    // `upstream` with AWS's code, and neither the wrong nor the right secret.
    let wrong = "wrong-secret-0123456789abcdefghij";
    let out = consume(&env(&key_id, wrong), policy.clone(), &["db_host"]);
    let [line] = &lines(&out)[..] else {
        panic!("{out:?}")
    };
    let message = line["error"]["upstream"].as_str().unwrap_or_else(|| {
        panic!("not an upstream error: {line}");
    });
    assert!(message.contains("SignatureDoesNotMatch"), "{message}");
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(wrong) && !text.contains(&secret), "{text}");
    }
    // Through Spin's name: the same error.
    let spin = consume_with(
        &spin_consumer_path(),
        &env(&key_id, wrong),
        policy.clone(),
        &["db_host"],
    );
    let [line] = &lines(&spin)[..] else {
        panic!("{spin:?}")
    };
    let message = line["error"]["upstream"].as_str().unwrap_or_else(|| {
        panic!("not an upstream error: {line}");
    });
    assert!(message.contains("SignatureDoesNotMatch"), "{message}");
    for text in [&spin.stdout, &spin.stderr] {
        assert!(!text.contains(wrong) && !text.contains(&secret), "{text}");
    }

    // A user IAM does not allow to read parameters: access denied, as `upstream`, no secret.
    let assumer_secret = key("assumer_secret");
    let out = consume(
        &env(&key("assumer_key_id"), &assumer_secret),
        policy.clone(),
        &["api_token"],
    );
    let [line] = &lines(&out)[..] else {
        panic!("{out:?}")
    };
    let message = line["error"]["upstream"].as_str().unwrap_or_else(|| {
        panic!("not an upstream error: {line}");
    });
    assert!(message.starts_with("SSM access denied: "), "{message}");
    assert!(message.contains("AccessDenied"), "{message}");
    assert!(!message.contains(API_TOKEN), "{message}");
    for text in [&out.stdout, &out.stderr] {
        assert!(!text.contains(&assumer_secret), "{text}");
    }

    // A host that grants no endpoint: the request never leaves, and the store says `io`.
    let out = consume(&reader, EgressPolicy::deny_all(), &["db_host"]);
    let [line] = &lines(&out)[..] else {
        panic!("{out:?}")
    };
    let message = line["error"]["io"].as_str().unwrap_or_else(|| {
        panic!("not an io error: {line}");
    });
    assert!(message.starts_with("SSM transport error: "), "{message}");
    assert!(!message.contains(&secret), "{message}");
}
