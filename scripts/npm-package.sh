#!/usr/bin/env bash
# Builds the npm package in one step: target/npm/airflow-ssm-secrets-<version>.tgz, the
# component transpiled by jco inside. Install it with `npm install <that file>`.
source "$(dirname "$0")/common.sh"
build_npm_package
