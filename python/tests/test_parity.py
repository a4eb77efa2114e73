"""Parity with Airflow's own backend: the same lookups, against the same moto server on
127.0.0.1, through Airflow's ``SystemsManagerParameterStoreBackend`` and through
``SystemsManagerParameterStoreWasmBackend`` (the component in wasmtime-py), give the same
values, the same connections (fields and ``get_uri()``) and the same not-found results."""

from __future__ import annotations

import inspect
import os
import socket
import subprocess
import sys
import tempfile
import time

import boto3
import pytest

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-"))
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_EC2_METADATA_DISABLED="true",
)

from airflow.providers.amazon.aws.secrets.systems_manager import SystemsManagerParameterStoreBackend  # noqa: E402

from airflow_ssm_wasm import SsmSecretsError, SystemsManagerParameterStoreWasmBackend  # noqa: E402

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
def moto_endpoint():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.time() < deadline, "moto did not start"
            time.sleep(0.1)
    ssm = boto3.client("ssm", endpoint_url=endpoint, region_name="us-east-1")
    for name, value in PARAMETERS.items():
        if value:
            ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)
    yield endpoint
    server.kill()
    server.wait()


def backends(endpoint, kwargs):
    full = dict(kwargs, endpoint_url=endpoint, region_name="us-east-1")
    return SystemsManagerParameterStoreBackend(**full), SystemsManagerParameterStoreWasmBackend(**full)


def connection_fields(connection):
    if connection is None:
        return None
    fields = {k: getattr(connection, k) for k in ("conn_type", "host", "schema", "login", "password", "port", "extra")}
    fields["uri"] = connection.get_uri()
    return fields


def outcome(call):
    try:
        return ("value", call())
    except Exception as error:  # compare "it failed", not the exception classes
        return ("error", type(error).__name__ if not isinstance(error, SsmSecretsError) else "error")


@pytest.mark.parametrize("kwargs", KWARG_SETS, ids=[str(k) for k in KWARG_SETS])
def test_same_values_and_connections(moto_endpoint, kwargs):
    airflow, ours = backends(moto_endpoint, kwargs)
    for conn_id in CONNECTION_IDS:
        assert ours.get_conn_value(conn_id) == airflow.get_conn_value(conn_id), conn_id
        assert connection_fields(ours.get_connection(conn_id)) == connection_fields(airflow.get_connection(conn_id)), conn_id
    for key in ["hello", "multi", "spaces", "x", "missing"]:
        assert ours.get_variable(key) == airflow.get_variable(key), key
    for key in ["sql_alchemy_conn", "missing"]:
        assert ours.get_config(key) == airflow.get_config(key), key


def test_team_lookups(moto_endpoint):
    airflow, ours = backends(moto_endpoint, {})
    if "team_name" not in inspect.signature(airflow.get_conn_value).parameters:
        pytest.skip("this Airflow has no multi-team lookups")
    for team in ["team_a", "team_b", None]:
        assert ours.get_conn_value("shared", team_name=team) == airflow.get_conn_value("shared", team_name=team), team


def test_errors_are_exceptions_and_hold_no_secret(moto_endpoint):
    ours = SystemsManagerParameterStoreWasmBackend(endpoint_url="http://127.0.0.1:9", region_name="us-east-1",
                                                   config_kwargs={"retries": {"total_max_attempts": 1}})
    with pytest.raises(SsmSecretsError) as raised:
        ours.get_variable("hello")
    assert raised.value.kind == "transport"
    assert "testing" not in str(raised.value)
