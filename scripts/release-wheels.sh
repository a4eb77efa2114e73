#!/usr/bin/env bash
# The release artifacts of the Python package, into target/wheels/release/: manylinux_2_28 wheels
# for x86_64 and aarch64 (maturin, linked by zig against glibc 2.28's symbols, so one x86_64
# machine builds both) and the sdist (`pip` builds it where Rust is present), then `auditwheel
# show` of each wheel, failing unless the tag it claims holds. A separate script rather than a
# flag of scripts/wheel.sh: it needs its own virtualenv (zig, auditwheel) and two more rustup
# targets, and takes ~10 minutes per target on 2 cores, while wheel.sh stays the quick host
# wheel the tests install.
source "$(dirname "$0")/common.sh"

MANYLINUX=manylinux_2_28
TARGETS=(x86_64-unknown-linux-gnu aarch64-unknown-linux-gnu)
OUT=target/wheels/release

build_component

venv="${RELEASE_VENV:-$PWD/target/release-venv}"
if ! "$venv/bin/python" -c 'import ziglang, auditwheel' 2>/dev/null || [ ! -x "$venv/bin/maturin" ]; then
  echo "==> installing maturin, ziglang and auditwheel into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r python/release-requirements.txt
fi
# maturin finds zig as `python3 -m ziglang`: the virtualenv's python3 first on PATH.
export PATH="$venv/bin:$PATH"

for target in "${TARGETS[@]}"; do
  if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
    echo "==> installing the $target target"
    rustup target add "$target"
  fi
done

cp "$SSM_SECRETS_COMPONENT" python/src/airflow_ssm_wasm/ssm_secrets.wasm
rm -f "$OUT"/airflow_ssm_wasm-*
mkdir -p "$OUT"
for target in "${TARGETS[@]}"; do
  echo "==> building the $MANYLINUX wheel for $target (maturin --zig, release)"
  maturin build --quiet --release --strip --locked --zig --compatibility "$MANYLINUX" \
    --target "$target" --manifest-path python/Cargo.toml --out "$OUT"
done
echo "==> building the sdist"
maturin sdist --manifest-path python/Cargo.toml --out "$OUT"

# The tag claimed (in the file name) must be at least as old as what auditwheel finds the
# extension needs: its highest glibc symbol version, and no library outside the manylinux list.
status=0
for wheel in "$OUT"/airflow_ssm_wasm-*.whl; do
  echo "==> auditwheel show $(basename "$wheel")"
  report=$(auditwheel show "$wheel")
  echo "$report"
  claimed=$(basename "$wheel" .whl | grep -oE 'manylinux_2_[0-9]+' | sed 's/manylinux_2_//' | sort -n | tail -1)
  needed=$(tr -s ' \n' ' ' <<<"$report" | grep -oE 'consistent with the following platform tag: "manylinux_2_[0-9]+' |
    grep -oE '[0-9]+$' || true)
  if [ -z "$needed" ] || [ "$needed" -gt "$claimed" ]; then
    echo "error: $(basename "$wheel") claims manylinux_2_$claimed; auditwheel: ${needed:+manylinux_2_$needed}${needed:-no manylinux tag}" >&2
    status=1
  fi
done
[ "$status" = 0 ] || exit 1
ls -l "$OUT"
