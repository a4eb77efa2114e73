"""Shared fixtures: an Airflow home of its own, test credentials, and moto's standalone SSM
server on 127.0.0.1 (signature checking on) for the whole session."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time

import pytest

os.environ.setdefault("AIRFLOW_HOME", tempfile.mkdtemp(prefix="airflow-home-"))
os.environ.update(
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    AWS_EC2_METADATA_DISABLED="true",
    AWS_DEFAULT_REGION="us-east-1",
)
# Our class first (before Airflow), as a user's DAG file or plugin may do it.
import airflow_ssm_wasm  # noqa: E402,F401


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def moto_endpoint():
    port = free_port()
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
    yield endpoint
    server.kill()
    server.wait()


@pytest.fixture(scope="session")
def ssm(moto_endpoint):
    import boto3

    return boto3.client("ssm", endpoint_url=moto_endpoint, region_name="us-east-1")


def put(ssm, parameters: dict[str, str]) -> None:
    for name, value in parameters.items():
        ssm.put_parameter(Name=name, Value=value, Type="SecureString", Overwrite=True)


def airflow_major() -> int:
    import airflow

    return int(airflow.__version__.split(".", 1)[0])


def connection_fields(connection):
    """Every field of an Airflow connection and its ``get_uri()`` (``None`` stays ``None``)."""
    if connection is None:
        return None
    fields = {k: getattr(connection, k) for k in
              ("conn_id", "conn_type", "description", "host", "schema", "login", "password", "port", "extra")}
    fields["uri"] = connection.get_uri()
    fields["class"] = f"{type(connection).__module__}.{type(connection).__qualname__}"
    return fields
