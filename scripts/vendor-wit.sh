#!/usr/bin/env bash
# Re-vendors the WASI 0.2 WIT packages under wit/deps/ from the `wasip2` crate's package in the
# local cargo registry (the machines that build this project cannot reach OCI registries or GitHub).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo fetch --target wasm32-wasip2 >/dev/null
src=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/wasip2-2.0.1+wasi-0.2.12/wit/deps | head -n 1)
for pkg in cli clocks filesystem http io random sockets; do
  cp "$src/$pkg.wit" "wit/deps/$pkg.wit"
done
echo "vendored WASI 0.2.12 WIT from $src"
