#!/usr/bin/env bash
# Every test: the core's unit tests, the component in wasmtime (tests/), the host and its CLI,
# the end-to-end runs against moto's standalone server on 127.0.0.1, the Python wheel against
# Airflow 3.3 and 2.10 (each in its own virtualenv), the Node test (jco) and the composed endpoint
# in jco serve and wasmtime serve.
source "$(dirname "$0")/common.sh"
build_endpoint
build_config_store

export MOTO_VENV="${MOTO_VENV:-$PWD/target/moto-venv}"
if [ ! -x "$MOTO_VENV/bin/moto_server" ]; then
  echo "==> installing moto into $MOTO_VENV"
  python3 -m venv "$MOTO_VENV"
  "$MOTO_VENV/bin/pip" install --quiet --disable-pip-version-check \
    -r host-example/tests/moto/requirements.txt
fi

echo "==> cargo test (release: one wasmtime build serves the CLI and the tests)"
cargo test --locked --release --workspace

echo "==> Python: the wheel (native host + component) vs Airflow's own backend, on moto"
build_wheel
airflow_venv "${AIRFLOW_VENV:-$PWD/target/airflow-venv}" python/tests/requirements.txt
(cd python && "${AIRFLOW_VENV:-$PWD/../target/airflow-venv}/bin/pytest" -q -p no:cacheprovider tests)
echo "==> Python on Airflow 2.10: the same tests"
airflow_venv "${AIRFLOW2_VENV:-$PWD/target/airflow2-venv}" python/tests/requirements-airflow2.txt
(cd python && "${AIRFLOW2_VENV:-$PWD/../target/airflow2-venv}/bin/pytest" -q -p no:cacheprovider --disable-warnings tests)

echo "==> Node: the npm package (the component transpiled by jco) vs the Rust host, on loopback mocks"
# `npm install` (not `npm ci`): npm 11 reports jco's per-platform optional packages as missing
# from any lock file and refuses `ci`; `install` still follows the committed lock. The tests
# pack js/, install the tarball into an empty directory and type-check against it too.
(cd js && npm install --no-audit --no-fund --loglevel=error && npm run --silent build >/dev/null && npm test)

echo "==> jco serve: the composed endpoint in Node answers as host-example serve does, on moto"
cargo test --locked --release -p host-example --test all -- --ignored serve::jco_serve

echo "==> wasmtime serve: the composed endpoint in wasmtime-cli answers as host-example serve does, on moto"
ensure_wasmtime
WASMTIME="$WASMTIME" cargo test --locked --release -p host-example --test all -- --ignored \
  serve::wasmtime_serve
