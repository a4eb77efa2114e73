"""The Airflow secrets backend class: ``[secrets] backend =
airflow_ssm_wasm.SystemsManagerParameterStoreWasmBackend`` with Airflow's own
``backend_kwargs``.

Import it from the package (``from airflow_ssm_wasm import ...``), which takes care of the
import order with Airflow; this module imports Airflow at its top.
"""

from __future__ import annotations

import json
from typing import Any

import airflow
from airflow.secrets import BaseSecretsBackend

from airflow_ssm_wasm import _native
from airflow_ssm_wasm._component import component_path

_DEFAULTS = {
    "connections_prefix": "/airflow/connections",
    "variables_prefix": "/airflow/variables",
    "config_prefix": "/airflow/config",
}

_AIRFLOW_2 = int(airflow.__version__.split(".", 1)[0]) < 3


def _semantics(connection_class: type) -> str | None:
    """Whose parsing to reproduce for ``connection_class``, or ``None`` for a class we do not
    know (Airflow's own ``deserialize_connection`` then parses the value)."""
    module = getattr(connection_class, "__module__", "")
    if module.startswith("airflow.sdk."):
        return "task-sdk"
    if module == "airflow.models.connection":
        return "airflow2" if _AIRFLOW_2 else "core"
    return None


class SystemsManagerParameterStoreWasmBackend(BaseSecretsBackend):
    """Airflow's ``SystemsManagerParameterStoreBackend``, with the lookups (naming, signing,
    SSM calls, connection parsing) running in the sandboxed component.

    Connections come back as instances of whichever ``Connection`` class Airflow set on the
    backend (core's on the scheduler and API server, the task SDK's in tasks, Airflow 2.10's
    on 2.10), parsed exactly as that class parses them. Not found is ``None``; a failure
    raises ``SsmSecretsError`` (Airflow's own backend raises botocore's ``ClientError``),
    which Airflow's lookup loop logs before trying its next source, as it does for the
    original backend. One object may be used from many threads.

    With ``sidecar_url`` (e.g. ``"http://127.0.0.1:2773"``) the lookups go to the worker's
    sidecar (``python -m airflow_ssm_wasm serve``), which keeps one cache for every task process
    and the whole worker under SSM's quota; this process then needs no AWS credentials, only the
    sidecar's token in ``AWS_TOKEN`` (or ``AWS_SESSION_TOKEN`` / ``AWS_CONTAINER_AUTHORIZATION_TOKEN``,
    a value or ``file://<path>``). The sidecar refuses a backend whose prefixes or lookup
    patterns differ from its own.
    """

    def __init__(self, connections_prefix: str | None = _DEFAULTS["connections_prefix"],
                 connections_lookup_pattern: str | None = None,
                 variables_prefix: str | None = _DEFAULTS["variables_prefix"],
                 variables_lookup_pattern: str | None = None,
                 config_prefix: str | None = _DEFAULTS["config_prefix"],
                 config_lookup_pattern: str | None = None,
                 **kwargs: Any):
        super().__init__()
        self.connections_prefix = connections_prefix
        self.variables_prefix = variables_prefix
        self.config_prefix = config_prefix
        backend_kwargs = dict(kwargs)
        backend_kwargs.update(
            connections_prefix=connections_prefix,
            connections_lookup_pattern=connections_lookup_pattern,
            variables_prefix=variables_prefix,
            variables_lookup_pattern=variables_lookup_pattern,
            config_prefix=config_prefix,
            config_lookup_pattern=config_lookup_pattern,
        )
        sidecar_url = backend_kwargs.pop("sidecar_url", None)
        if sidecar_url is not None:
            self._native = _native.SidecarClient(sidecar_url, json.dumps(backend_kwargs))
        else:
            self._native = _native.Backend(component_path(), json.dumps(backend_kwargs))

    def get_conn_value(self, conn_id: str, team_name: str | None = None) -> str | None:
        return self._native.get_conn_value(conn_id, team_name)

    def get_connection(self, conn_id: str, team_name: str | None = None):
        """The connection, as an instance of the class Airflow set on this backend."""
        connection_class = self._connection_class_in_use()
        semantics = _semantics(connection_class)
        if semantics is None:
            return super().get_connection(conn_id, team_name=team_name) if not _AIRFLOW_2 \
                else super().get_connection(conn_id)
        fields = self._native.get_connection(conn_id, team_name, semantics)
        if fields is None:
            return None
        _, conn_type, description, host, schema, login, password, port, extra = fields
        return connection_class(
            conn_id=conn_id, conn_type=conn_type, description=description, host=host,
            schema=schema, login=login, password=password, port=port, extra=extra,
        )

    def _connection_class_in_use(self) -> type:
        connection_class = getattr(self, "_connection_class", None)
        if connection_class is None:
            from airflow.models.connection import Connection as connection_class
        return connection_class

    def get_variable(self, key: str, team_name: str | None = None) -> str | None:
        return self._native.get_variable(key, team_name)

    def get_config(self, key: str) -> str | None:
        return self._native.get_config(key)
