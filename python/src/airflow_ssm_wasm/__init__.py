"""Airflow's SSM Parameter Store secrets backend, run as a sandboxed WebAssembly component.

``[secrets] backend = airflow_ssm_wasm.SystemsManagerParameterStoreWasmBackend``.

The backend class is resolved lazily (module ``__getattr__``): Airflow instantiates the
configured backend *while* ``import airflow`` runs, so a package that imported Airflow at its
top would be half-initialised when Airflow asks it for the class. Here, asking for the class
imports Airflow first; if Airflow then asks for the class in turn, the nested request finds
Airflow already importing and defines the class at once.
"""

from __future__ import annotations

from airflow_ssm_wasm.errors import SsmSecretsError

__all__ = ["SsmSecretsError", "SystemsManagerParameterStoreWasmBackend", "parse_connection", "connection_uri"]

_LAZY = {
    "SystemsManagerParameterStoreWasmBackend": "airflow_ssm_wasm._backend",
    "parse_connection": "airflow_ssm_wasm._component",
    "connection_uri": "airflow_ssm_wasm._component",
}


def __getattr__(name: str):
    module_name = _LAZY.get(name)
    if module_name is None:
        raise AttributeError(f"module 'airflow_ssm_wasm' has no attribute {name!r}")
    if module_name == "airflow_ssm_wasm._backend":
        import airflow  # noqa: F401  (may re-enter this function: see the module doc)
    import importlib

    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value
