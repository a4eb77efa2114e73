# Shared steps of scripts/demo.sh and scripts/test.sh (sourced, not run).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The wasm32-wasip2 target, installed once (rustup is how the toolchain arrives).
ensure_wasm_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
    echo "==> installing the wasm32-wasip2 target"
    rustup target add wasm32-wasip2
  fi
}

# The component, built with the size-tuned `component` profile.
build_component() {
  ensure_wasm_target
  echo "==> building the component (wasm32-wasip2, profile component)"
  cargo build --locked --target wasm32-wasip2 --profile component
  export SSM_SECRETS_COMPONENT="$PWD/target/wasm32-wasip2/component/ssm_secrets.wasm"
}

# The Python wheel: the native host (PyO3 over host-example, built by maturin) with the
# component inside, in target/wheels/. `pip install` of that file is all a user does.
build_wheel() {
  build_component
  local venv="${BUILD_VENV:-$PWD/target/build-venv}"
  if [ ! -x "$venv/bin/maturin" ]; then
    echo "==> installing maturin into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r python/build-requirements.txt
  fi
  cp "$SSM_SECRETS_COMPONENT" python/src/airflow_ssm_wasm/ssm_secrets.wasm
  echo "==> building the Python wheel (maturin, release)"
  rm -f target/wheels/airflow_ssm_wasm-*.whl
  "$venv/bin/maturin" build --quiet --release --strip --locked --manifest-path python/Cargo.toml \
    --out target/wheels
  SSM_SECRETS_WHEEL=$(ls target/wheels/airflow_ssm_wasm-*.whl)
  export SSM_SECRETS_WHEEL
}

# A virtualenv at $1 with the requirements file $2 installed once, and the wheel (re)installed.
airflow_venv() {
  local venv=$1 requirements=$2
  if [ ! -x "$venv/bin/pytest" ]; then
    echo "==> installing $(head -n 1 "$requirements" | tr -d '#') into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
  fi
  "$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps \
    "$SSM_SECRETS_WHEEL"
}
