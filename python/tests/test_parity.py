"""Parity with Airflow's own backend: the same lookups, against the same moto server on
127.0.0.1, through Airflow's ``SystemsManagerParameterStoreBackend`` and through
``SystemsManagerParameterStoreWasmBackend`` (the native host over the component), give the same
values, the same connections (fields and ``get_uri()``) and the same not-found results."""

from __future__ import annotations

import inspect

import pytest
from airflow.providers.amazon.aws.secrets.systems_manager import SystemsManagerParameterStoreBackend

from airflow_ssm_wasm import SsmSecretsError, SystemsManagerParameterStoreWasmBackend
from conftest import connection_fields, put

PARAMETERS = {
    "/airflow/connections/pg": "postgresql://user:p%40ss@db.example.com:5432/analytics?sslmode=require&connect_timeout=10",
    "/airflow/connections/json_http": '{"conn_type": "http", "host": "https://api.example.com", "login": "svc", "password": "t0k", "extra": {"timeout": 30, "verify": false}}',
    "/airflow/connections/spark": "spark://spark%3A%2F%2Fspark-master-0.spark-master.spark:7077",
    "/airflow/connections/proto": "http://https://example.com:8080/path",
    "/airflow/connections/extra_json": "aws://?__extra__=%7B%22region_name%22%3A+%22eu-west-1%22%7D",
    "/airflow/connections/unicode": "mysql://%C3%BCser:pa%24%24@h%C3%B6st:3306/db%2Fname?q=%E2%9C%93",
    "/airflow/connections/plain": "  redis://:secret@cache:6379/0  ",
    "/airflow/connections/empty": "",
    "/airflow/connections/team_a--shared": "http://team-a",
    "/airflow/connections/shared": "http://global",
    "/airflow/variables/hello": "world",
    "/airflow/variables/multi": "a,b,c",
    "/airflow/variables/spaces": "  keep  ",
    "/airflow/config/sql_alchemy_conn": "postgresql://airflow@db/airflow",
    "/custom/vars/x": "custom prefix",
    "/x": "empty prefix",
}

CONNECTION_IDS = ["pg", "json_http", "spark", "proto", "extra_json", "unicode", "plain", "empty", "missing"]

KWARG_SETS = [
    {},
    {"variables_prefix": "custom/vars/", "config_prefix": None},
    {"connections_prefix": None, "variables_prefix": ""},
    {"connections_lookup_pattern": "^(pg|spark)$", "variables_lookup_pattern": "HEL"},
    {"connections_prefix": "airflow/connections///"},
]


@pytest.fixture(scope="module")
def stored(ssm, moto_endpoint):
    put(ssm, {name: value for name, value in PARAMETERS.items() if value})
    return moto_endpoint


def backends(endpoint, kwargs):
    full = dict(kwargs, endpoint_url=endpoint, region_name="us-east-1")
    return SystemsManagerParameterStoreBackend(**full), SystemsManagerParameterStoreWasmBackend(**full)


def outcome(call):
    try:
        return ("value", call())
    except Exception as error:  # compare "it failed", not the exception classes
        return ("error", type(error).__name__ if not isinstance(error, SsmSecretsError) else "error")


@pytest.mark.parametrize("kwargs", KWARG_SETS, ids=[str(k) for k in KWARG_SETS])
def test_same_values_and_connections(stored, kwargs):
    airflow, ours = backends(stored, kwargs)
    for conn_id in CONNECTION_IDS:
        assert ours.get_conn_value(conn_id) == airflow.get_conn_value(conn_id), conn_id
        assert connection_fields(ours.get_connection(conn_id)) == connection_fields(airflow.get_connection(conn_id)), conn_id
    for key in ["hello", "multi", "spaces", "x", "missing"]:
        assert ours.get_variable(key) == airflow.get_variable(key), key
    for key in ["sql_alchemy_conn", "missing"]:
        assert ours.get_config(key) == airflow.get_config(key), key


def test_team_lookups(stored):
    airflow, ours = backends(stored, {})
    if "team_name" not in inspect.signature(airflow.get_conn_value).parameters:
        pytest.skip("this Airflow has no multi-team lookups")
    for team in ["team_a", "team_b", None]:
        assert ours.get_conn_value("shared", team_name=team) == airflow.get_conn_value("shared", team_name=team), team


def test_errors_are_exceptions_and_hold_no_secret():
    ours = SystemsManagerParameterStoreWasmBackend(endpoint_url="http://127.0.0.1:9", region_name="us-east-1",
                                                   config_kwargs={"retries": {"total_max_attempts": 1}})
    with pytest.raises(SsmSecretsError) as raised:
        ours.get_variable("hello")
    assert raised.value.kind == "transport"
    assert "testing" not in str(raised.value)
