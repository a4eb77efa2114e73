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
