"""Loading the ssm-secrets component with wasmtime-py and calling its lookups.

The component sees only the ``AWS_*`` environment variables (plus the shared-file locations
under ``~/.aws``), and read-only preopens of the directories those files live in. wasmtime-py
offers no hook on outgoing HTTP, so unlike the Rust host this one cannot restrict the endpoints
the component reaches; the component itself only ever contacts the endpoints its configuration
implies.
"""

from __future__ import annotations

import json
import os
import threading
from importlib import resources

import wasmtime
import wasmtime.component as wc

INTERFACE = "airflow-ssm:secrets/lookup@0.1.0"


class SsmSecretsError(Exception):
    """A lookup failed. ``kind`` is the WIT error case (``access-denied``, ``throttled``,
    ``service``, ``configuration``, ...); ``code`` the AWS error code where there is one. The
    message never holds a secret."""

    def __init__(self, kind: str, message: str, code: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.code = code


def _error(variant) -> SsmSecretsError:
    payload = variant.payload
    if isinstance(payload, str):
        return SsmSecretsError(variant.tag, f"{variant.tag}: {payload}")
    code, status, message = payload.code, payload.status, payload.message
    return SsmSecretsError(variant.tag, f"{variant.tag}: {code} (HTTP {status}): {message}", code)


def _unwrap(value):
    """``result<T, error>`` arrives as ``T`` or as an error ``Variant``."""
    if isinstance(value, wc.Variant) and value.tag in {
        "configuration", "credentials", "access-denied", "throttled", "service", "transport", "invalid-value",
    }:
        raise _error(value)
    return value


def _component_path() -> str:
    override = os.environ.get("SSM_SECRETS_COMPONENT")
    if override:
        return override
    return str(resources.files("airflow_ssm_wasm").joinpath("ssm_secrets.wasm"))


_ENGINE = wasmtime.Engine()
_COMPILED: dict[str, wc.Component] = {}
_LOCK = threading.Lock()


def _compiled(path: str) -> wc.Component:
    with _LOCK:
        if path not in _COMPILED:
            _COMPILED[path] = wc.Component.from_file(_ENGINE, path)
        return _COMPILED[path]


def _component_env() -> list[tuple[str, str]]:
    env = [(k, v) for k, v in os.environ.items() if k.startswith("AWS_")]
    home = os.environ.get("HOME")
    names = {k for k, _ in env}
    if home:
        for var, name in (("AWS_CONFIG_FILE", "config"), ("AWS_SHARED_CREDENTIALS_FILE", "credentials")):
            if var not in names:
                env.append((var, os.path.join(home, ".aws", name)))
    return env


def _readable_dirs(env: list[tuple[str, str]], kwargs: dict) -> list[str]:
    files = [v for k, v in env if k in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")]
    if kwargs.get("assume_role_with_web_identity_token_file"):
        files.append(kwargs["assume_role_with_web_identity_token_file"])
    dirs = {os.path.dirname(os.path.abspath(f)) for f in files}
    return sorted(d for d in dirs if os.path.isdir(d))


class ComponentBackend:
    """One component instance with one ``backend`` resource (calls are serialised)."""

    def __init__(self, backend_kwargs: dict):
        env = _component_env()
        wasi = wasmtime.WasiConfig()
        wasi.env = env
        for directory in _readable_dirs(env, backend_kwargs):
            wasi.preopen_dir(directory, directory, False)
        self._store = wasmtime.Store(_ENGINE)
        self._store.set_wasi(wasi)
        self._store.set_wasi_http()
        linker = wc.Linker(_ENGINE)
        linker.add_wasip2()
        linker.add_wasi_http()
        self._instance = linker.instantiate(self._store, _compiled(_component_path()))
        self._iface = self._instance.get_export_index(self._store, INTERFACE)
        self._lock = threading.Lock()
        self._backend = _unwrap(self._func("[static]backend.open")(self._store, json.dumps(backend_kwargs)))

    def _func(self, name: str):
        index = self._instance.get_export_index(self._store, name, self._iface)
        return self._instance.get_func(self._store, index)

    def _call(self, name: str, *args):
        with self._lock:
            return _unwrap(self._func(name)(self._store, *args))

    def get_conn_value(self, conn_id: str, team: str | None = None) -> str | None:
        return self._call("[method]backend.get-conn-value", self._backend, conn_id, team)

    def get_connection(self, conn_id: str, team: str | None = None) -> dict | None:
        record = self._call("[method]backend.get-connection", self._backend, conn_id, team)
        return None if record is None else _record(record)

    def get_variable(self, key: str, team: str | None = None) -> str | None:
        return self._call("[method]backend.get-variable", self._backend, key, team)

    def get_config(self, key: str) -> str | None:
        return self._call("[method]backend.get-config", self._backend, key)


def _record(record) -> dict:
    fields = ("conn-id", "conn-type", "description", "host", "schema", "login", "password", "port", "extra")
    return {name.replace("-", "_"): getattr(record, name) for name in fields}
