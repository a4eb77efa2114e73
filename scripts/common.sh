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

# The size tools, pinned; installed once and kept under target/ (see README "Size").
WASM_TOOLS_VERSION=1.263.0

# `wasm-tools` (unbundle, embed, new, strip, validate) in target/tools, built once from crates.io.
ensure_wasm_tools() {
  WASM_TOOLS="$PWD/target/tools/bin/wasm-tools"
  if ! "$WASM_TOOLS" --version 2>/dev/null | grep -q " $WASM_TOOLS_VERSION\b"; then
    echo "==> installing wasm-tools $WASM_TOOLS_VERSION into target/tools (once, a few minutes)"
    cargo install --locked --quiet --root target/tools wasm-tools --version "$WASM_TOOLS_VERSION" \
      --no-default-features --features component,strip,validate
  fi
}

# `wasm-opt` (binaryen), from the system; installed with apt-get when missing and possible.
ensure_wasm_opt() {
  command -v wasm-opt >/dev/null && return
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  if command -v apt-get >/dev/null && { [ -z "$sudo" ] || command -v sudo >/dev/null; }; then
    echo "==> installing binaryen (wasm-opt) with apt-get"
    $sudo apt-get install -y -qq binaryen >/dev/null ||
      { $sudo apt-get update -qq && $sudo apt-get install -y -qq binaryen >/dev/null; }
  fi
  command -v wasm-opt >/dev/null || {
    echo "error: wasm-opt is needed to shrink the component: install binaryen" \
      "(apt-get install binaryen, brew install binaryen, or a release from" \
      "github.com/WebAssembly/binaryen) and put wasm-opt on PATH" >&2
    return 1
  }
}

# The component, built with the size-tuned `component` profile, then shrunk: binaryen does not
# read components, so the core module is taken out (`unbundle`), run through `wasm-opt -Oz`,
# given back the component's own world (`embed`) and wrapped again (`new`), as the toolchain's
# wasm-component-ld does; custom sections (names) are dropped. The result replaces cargo's file
# (a plain `cargo build` puts the unshrunk one back) and is cached by the input's SHA-256 in
# target/wasm32-wasip2/component/shrunk/.
build_component() {
  ensure_wasm_target
  echo "==> building the component (wasm32-wasip2, profile component)"
  cargo build --locked --target wasm32-wasip2 --profile component
  local dir="${CARGO_TARGET_DIR:-$PWD/target}/wasm32-wasip2/component"
  export SSM_SECRETS_COMPONENT="$dir/ssm_secrets.wasm"
  local cache
  cache="$dir/shrunk/$(sha256sum "$dir/deps/ssm_secrets.wasm" | cut -c1-64).wasm"
  if [ ! -f "$cache" ]; then
    ensure_wasm_tools
    ensure_wasm_opt
    echo "==> shrinking the component (wasm-opt -Oz on its core module)"
    mkdir -p "$dir/shrunk"
    local work
    work=$(mktemp -d "$dir/shrunk/work.XXXXXX") # its own: builds may run side by side
    "$WASM_TOOLS" component wit "$dir/deps/ssm_secrets.wasm" -o "$work/world.wit"
    "$WASM_TOOLS" component unbundle "$dir/deps/ssm_secrets.wasm" --threshold 65536 \
      --module-dir "$work" -o "$work/outer.wasm"
    if [ ! -f "$work/unbundled-module0.wasm" ] || [ -e "$work/unbundled-module1.wasm" ]; then
      echo "error: expected exactly one large core module in the component" >&2
      return 1
    fi
    wasm-opt -Oz --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int \
      --enable-mutable-globals --enable-multivalue --enable-reference-types \
      "$work/unbundled-module0.wasm" -o "$work/core.wasm"
    "$WASM_TOOLS" component embed "$work/world.wit" --world root "$work/core.wasm" \
      -o "$work/embedded.wasm"
    "$WASM_TOOLS" component new "$work/embedded.wasm" -o "$work/component.wasm"
    "$WASM_TOOLS" strip --all "$work/component.wasm" -o "$work/stripped.wasm"
    "$WASM_TOOLS" validate "$work/stripped.wasm"
    find "$dir/shrunk" -maxdepth 1 -name '*.wasm' -mmin +60 -delete # older builds' outputs
    mv "$work/stripped.wasm" "$cache"
    rm -rf "$work"
  fi
  # A new file, not cargo's hard link to deps/ (which keeps the unshrunk input).
  cp "$cache" "$dir/ssm_secrets.wasm.tmp.$$"
  mv "$dir/ssm_secrets.wasm.tmp.$$" "$SSM_SECRETS_COMPONENT"
  echo "==> component: $SSM_SECRETS_COMPONENT ($(wc -c <"$SSM_SECRETS_COMPONENT") bytes)"
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

# `wac` (wac-cli, pinned, without the registry client) in target/tools, built once from crates.io.
WAC_VERSION=0.12.0
ensure_wac() {
  WAC="$PWD/target/tools/bin/wac"
  if ! "$WAC" --version 2>/dev/null | grep -q " $WAC_VERSION\b"; then
    echo "==> installing wac-cli $WAC_VERSION into target/tools (once, a few minutes)"
    cargo install --locked --quiet --root target/tools wac-cli --version "$WAC_VERSION" \
      --no-default-features
  fi
}

# `wasmtime` (wasmtime-cli, pinned to the host's wasmtime 48) in target/tools, built once from
# crates.io: `wasmtime serve` runs the composed endpoint (docs/endpoint.md). A long build (20
# CPU-minutes: 25 min on a busy 2-core machine), done only by scripts/test.sh's last step.
WASMTIME_VERSION=48.0.8
ensure_wasmtime() {
  WASMTIME="$PWD/target/tools/bin/wasmtime"
  if ! "$WASMTIME" --version 2>/dev/null | grep -q "^wasmtime $WASMTIME_VERSION\b"; then
    echo "==> installing wasmtime-cli $WASMTIME_VERSION into target/tools (once, 10-25 minutes)"
    cargo install --locked --quiet --root target/tools wasmtime-cli --version "$WASMTIME_VERSION"
  fi
}

# The local secrets endpoint: the `endpoint/` crate (a wasi:http/proxy component importing
# `airflow-ssm:secrets/lookup`) built with the `component` profile, then composed with the lookup
# component by `wac plug` into target/endpoint/ssm_endpoint.wasm, which imports only WASI.
build_endpoint() {
  build_component
  echo "==> building the endpoint (wasm32-wasip2, profile component)"
  cargo build --locked --target wasm32-wasip2 --profile component -p ssm-endpoint
  ensure_wac
  ensure_wasm_tools
  mkdir -p target/endpoint
  export SSM_SECRETS_ENDPOINT="$PWD/target/endpoint/ssm_endpoint.wasm"
  echo "==> composing the endpoint with the lookup component (wac plug)"
  "$WAC" plug --plug "$SSM_SECRETS_COMPONENT" \
    target/wasm32-wasip2/component/ssm_endpoint.wasm -o "$SSM_SECRETS_ENDPOINT.tmp"
  "$WASM_TOOLS" validate "$SSM_SECRETS_ENDPOINT.tmp"
  if "$WASM_TOOLS" component wit "$SSM_SECRETS_ENDPOINT.tmp" | grep -E '^\s*import ' |
    grep -v ' wasi:'; then
    echo "error: the composed endpoint imports something other than WASI" >&2
    return 1
  fi
  mv "$SSM_SECRETS_ENDPOINT.tmp" "$SSM_SECRETS_ENDPOINT"
  echo "==> endpoint: $SSM_SECRETS_ENDPOINT ($(wc -c <"$SSM_SECRETS_ENDPOINT") bytes)"
}

# SSM as wasi:config: the `config-store/` adapter (exports `wasi:config/store` as
# `@0.2.0-draft` and as Spin's `@0.2.0-draft-2024-09-27`, imports `airflow-ssm:secrets/lookup`)
# plugged with the lookup component by `wac plug` into target/config-store/ssm_config_store.wasm,
# which imports only WASI; then the test consumers (`config-store/consumer/`, wasi:cli commands
# that read keys through `wasi:config/store`: `config_consumer` by the draft's name,
# `config_consumer_spin` by Spin's) each plugged with that into target/config-store/.
build_config_store() {
  build_component
  echo "==> building the wasi:config adapter and its test consumers (wasm32-wasip2, profile component)"
  cargo build --locked --target wasm32-wasip2 --profile component -p ssm-config-store \
    -p ssm-config-consumer
  ensure_wac
  ensure_wasm_tools
  mkdir -p target/config-store
  export SSM_CONFIG_STORE="$PWD/target/config-store/ssm_config_store.wasm"
  export SSM_CONFIG_CONSUMER="$PWD/target/config-store/config_consumer.wasm"
  export SSM_CONFIG_CONSUMER_SPIN="$PWD/target/config-store/config_consumer_spin.wasm"
  local built=target/wasm32-wasip2/component file name
  echo "==> composing the wasi:config adapter with the lookup component (wac plug)"
  "$WAC" plug --plug "$SSM_SECRETS_COMPONENT" "$built/ssm_config_store.wasm" \
    -o "$SSM_CONFIG_STORE.tmp"
  # Both names exported: the draft's and Spin's (the same interface text).
  for name in 'wasi:config/store@0.2.0-draft' 'wasi:config/store@0.2.0-draft-2024-09-27'; do
    if ! "$WASM_TOOLS" component wit "$SSM_CONFIG_STORE.tmp" | grep -x "  export $name;" >/dev/null; then
      echo "error: the wasi:config store does not export $name" >&2
      return 1
    fi
  done
  # The Spin consumer is built against Spin's name only, so plugging it shows that name served.
  if ! "$WASM_TOOLS" component wit "$built/config_consumer_spin.wasm" |
    grep -x '  import wasi:config/store@0.2.0-draft-2024-09-27;' >/dev/null; then
    echo "error: config_consumer_spin does not import Spin's wasi:config/store name" >&2
    return 1
  fi
  echo "==> composing the test consumers with the SSM wasi:config store (wac plug)"
  "$WAC" plug --plug "$SSM_CONFIG_STORE.tmp" "$built/config_consumer.wasm" \
    -o "$SSM_CONFIG_CONSUMER.tmp"
  "$WAC" plug --plug "$SSM_CONFIG_STORE.tmp" "$built/config_consumer_spin.wasm" \
    -o "$SSM_CONFIG_CONSUMER_SPIN.tmp"
  for file in "$SSM_CONFIG_STORE.tmp" "$SSM_CONFIG_CONSUMER.tmp" "$SSM_CONFIG_CONSUMER_SPIN.tmp"; do
    "$WASM_TOOLS" validate "$file"
    # Only WASI 0.2's own interfaces: not our lookups, and no `wasi:config` left unplugged.
    if "$WASM_TOOLS" component wit "$file" | grep -E '^\s*import ' |
      grep -Ev ' wasi:(cli|clocks|filesystem|http|io|random|sockets)/'; then
      echo "error: $file imports something other than WASI" >&2
      return 1
    fi
  done
  mv "$SSM_CONFIG_STORE.tmp" "$SSM_CONFIG_STORE"
  mv "$SSM_CONFIG_CONSUMER.tmp" "$SSM_CONFIG_CONSUMER"
  mv "$SSM_CONFIG_CONSUMER_SPIN.tmp" "$SSM_CONFIG_CONSUMER_SPIN"
  echo "==> wasi:config store: $SSM_CONFIG_STORE ($(wc -c <"$SSM_CONFIG_STORE") bytes)"
  for file in "$SSM_CONFIG_CONSUMER" "$SSM_CONFIG_CONSUMER_SPIN"; do
    echo "==> test consumer: $file ($(wc -c <"$file") bytes)"
  done
}

# The npm package: the component (build_component) transpiled by jco into js/generated/, and js/
# packed into target/npm/airflow-ssm-secrets-<version>.tgz (its version is the Cargo
# workspace's). `npm install <that file>` is all a user does: no install script, no dependency.
build_npm_package() {
  build_component
  local version
  version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"$/\1/p' Cargo.toml)
  local js_version
  js_version=$(node -p 'require("./js/package.json").version')
  if [ "$version" != "$js_version" ]; then
    echo "error: js/package.json has version $js_version, the Cargo workspace $version" >&2
    return 1
  fi
  echo "==> transpiling the component for Node (jco) into js/generated"
  (cd js && npm install --no-audit --no-fund --loglevel=error && npm run --silent build)
  mkdir -p target/npm
  echo "==> packing js/ into target/npm"
  local tgz
  tgz=$(cd js && npm pack --silent --pack-destination ../target/npm | tail -n 1)
  export SSM_SECRETS_NPM_PACKAGE="$PWD/target/npm/$tgz"
  echo "==> npm package: $SSM_SECRETS_NPM_PACKAGE ($(wc -c <"$SSM_SECRETS_NPM_PACKAGE") bytes)"
}
