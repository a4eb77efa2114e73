#!/usr/bin/env bash
# Builds the Python wheel users install (`airflow-ssm-wasm`: the native host and the component
# inside) into target/wheels/, and prints its path. `pip install` of that file is all a user does.
source "$(dirname "$0")/common.sh"
build_wheel
echo "==> wheel: $SSM_SECRETS_WHEEL"
