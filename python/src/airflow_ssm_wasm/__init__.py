"""Airflow's SSM Parameter Store secrets backend, run as a sandboxed WebAssembly component."""

from airflow_ssm_wasm.component import ComponentBackend, SsmSecretsError
from airflow_ssm_wasm.backend import SystemsManagerParameterStoreWasmBackend

__all__ = ["ComponentBackend", "SsmSecretsError", "SystemsManagerParameterStoreWasmBackend"]
