"""Where the component is, and the offline connection functions over the native host.

The wheel carries the component (``ssm_secrets.wasm``) next to this file;
``SSM_SECRETS_COMPONENT`` points at another build. The native module compiles it once per
process, through the precompiled cache the CLI uses (``SSM_SECRETS_CACHE_DIR``, else
``$XDG_CACHE_HOME/ssm-secrets`` or ``~/.cache/ssm-secrets``; ``SSM_SECRETS_NO_CACHE=1`` turns it
off): a private directory, artifacts keyed by the component's SHA-256 and the engine, written
atomically.
"""

from __future__ import annotations

import os
from typing import NamedTuple

from airflow_ssm_wasm import _native

SEMANTICS = ("core", "task-sdk", "airflow2")


def component_path() -> str:
    """The component file this process loads."""
    override = os.environ.get("SSM_SECRETS_COMPONENT")
    if override:
        return override
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "ssm_secrets.wasm")


class ConnectionFields(NamedTuple):
    """A connection's fields as the component gives them (``None`` is Python's ``None``)."""

    conn_id: str | None
    conn_type: str | None
    description: str | None
    host: str | None
    schema: str | None
    login: str | None
    password: str | None
    port: int | None
    extra: str | None

    def __repr__(self) -> str:  # never show the password or the extras
        shown = self._replace(
            password=None if self.password is None else "***",
            extra=None if self.extra is None else "***",
        )
        return "ConnectionFields(" + ", ".join(f"{k}={v!r}" for k, v in shown._asdict().items()) + ")"


def parse_connection(conn_id: str, value: str, semantics: str = "core") -> ConnectionFields:
    """Parses a connection value offline as Airflow does with the chosen ``Connection`` class:
    ``core`` (Airflow 3 core), ``task-sdk`` (Airflow 3 tasks) or ``airflow2`` (Airflow 2.10)."""
    return ConnectionFields(*_native.parse_connection(component_path(), conn_id, value, semantics))


def connection_uri(fields: ConnectionFields, semantics: str = "core") -> str:
    """The chosen class's ``get_uri()`` of ``fields``."""
    return _native.connection_uri(component_path(), tuple(fields), semantics)
