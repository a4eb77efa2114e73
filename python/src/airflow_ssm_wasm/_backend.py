"""The Airflow secrets backend class: ``[secrets] backend =
airflow_ssm_wasm.SystemsManagerParameterStoreWasmBackend`` with Airflow's own
``backend_kwargs``."""

from __future__ import annotations

from typing import Any

try:  # Airflow 3
    from airflow.secrets import BaseSecretsBackend
except ImportError:  # pragma: no cover - Airflow 2.x
    from airflow.secrets.base_secrets import BaseSecretsBackend

from airflow_ssm_wasm.component import ComponentBackend

_DEFAULTS = {
    "connections_prefix": "/airflow/connections",
    "variables_prefix": "/airflow/variables",
    "config_prefix": "/airflow/config",
}


class SystemsManagerParameterStoreWasmBackend(BaseSecretsBackend):
    """Airflow's ``SystemsManagerParameterStoreBackend``, with the lookups (naming, signing,
    SSM calls, connection parsing) running in the sandboxed component.

    Not found is ``None``; a failure raises ``SsmSecretsError`` (Airflow's own backend raises
    botocore's ``ClientError``), which Airflow's lookup loop logs before trying its next
    source, as it does for the original backend.
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
        self._component = ComponentBackend(backend_kwargs)

    def get_conn_value(self, conn_id: str, team_name: str | None = None) -> str | None:
        return self._component.get_conn_value(conn_id, team_name)

    def get_connection(self, conn_id: str, team_name: str | None = None):
        """An Airflow ``Connection`` built from the component's parse of the value."""
        fields = self._component.get_connection(conn_id, team_name)
        if fields is None:
            return None
        connection_class = getattr(self, "_connection_class", None)
        if connection_class is None:
            from airflow.models.connection import Connection as connection_class
        fields.pop("conn_id")
        return connection_class(conn_id=conn_id, **fields)

    def get_variable(self, key: str, team_name: str | None = None) -> str | None:
        return self._component.get_variable(key, team_name)

    def get_config(self, key: str) -> str | None:
        return self._component.get_config(key)
