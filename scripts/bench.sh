#!/usr/bin/env bash
# Benchmarks (never part of the tests): builds the component, the host and bench/native (the
# AWS SDK for Rust and a native floor), prepares the moto virtualenv for boto3, and runs
# bench/bench.py against a loopback SSM mock; then the Python wheel inside Airflow against
# Airflow's own backend (bench/airflow_bench.py), the sidecar (bench/sidecar_bench.py), and the
# npm package in Node against the AWS SDK for JavaScript v3 (bench/node/bench.mjs).
source "$(dirname "$0")/common.sh"
build_component
cargo build --locked --profile dist -p host-example
# The native clients (aws-sdk-ssm, and the floor of hyper + aws-sigv4 + serde_json): a crate
# outside the workspace with its own lock and target directory; bench/bench.py runs it.
cargo build --release --locked --manifest-path bench/native/Cargo.toml --target-dir target/native-bench
MOTO_VENV="${MOTO_VENV:-$PWD/target/moto-venv}"
if [ ! -x "$MOTO_VENV/bin/python" ]; then
  python3 -m venv "$MOTO_VENV"
  "$MOTO_VENV/bin/pip" install --quiet --disable-pip-version-check -r host-example/tests/moto/requirements.txt
fi
"$MOTO_VENV/bin/python" bench/bench.py

# The Python host inside Airflow 3.3 against Airflow's own backend (the test virtualenv).
build_wheel
airflow_venv "${AIRFLOW_VENV:-$PWD/target/airflow-venv}" python/tests/requirements.txt
"${AIRFLOW_VENV:-$PWD/target/airflow-venv}/bin/python" bench/airflow_bench.py

# The sidecar (one cache per worker): a task process's cached lookup through it against Airflow's
# own warm lookup, SSM requests per 1,000 task lookups, its memory after 10,000 names.
"${AIRFLOW_VENV:-$PWD/target/airflow-venv}/bin/python" bench/sidecar_bench.py

# Node: the npm package (installed from its tarball, as a user does) against
# @aws-sdk/client-ssm, bench/node's only (dev) dependency, on the same loopback mock.
build_npm_package
(cd bench/node && npm install --no-audit --no-fund --loglevel=error &&
  npm install --no-save --no-audit --no-fund --loglevel=error "$SSM_SECRETS_NPM_PACKAGE" &&
  node bench.mjs)
