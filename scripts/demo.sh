#!/usr/bin/env bash
# The main job: build the component and the wasmtime host, then look up a connection in the
# demo fixture through the whole path (kwargs -> name -> SigV4-signed GetParameter over
# wasi:http -> the host's fixture upstream -> parse). No AWS account needed.
#
# Extra arguments replace the default lookup, e.g.
#   bash scripts/demo.sh --json get-variable greeting forbidden missing
source "$(dirname "$0")/common.sh"
build_component
echo "==> building host-example (profile dist, as it ships; the first build compiles wasmtime and"
echo "    links it with LTO, ~12 min on 2 cores)"
cargo build --locked --profile dist -p host-example
if [ "$#" -eq 0 ]; then
  set -- get-connection demo_postgres
fi
echo "==> host-example --fixture host-example/fixtures/demo.json $*"
AWS_ACCESS_KEY_ID=AKIDEXAMPLEDEMO AWS_SECRET_ACCESS_KEY=demo-secret-not-a-real-key \
  target/dist/host-example \
  --fixture host-example/fixtures/demo.json \
  --backend-kwargs '{"region_name": "eu-west-1"}' \
  "$@"
