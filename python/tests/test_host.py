"""The Python host itself: egress allow-list, threads, a second backend object, errors, and a
fresh Airflow process configured through the environment."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading

import pytest

from airflow_ssm_wasm import SsmSecretsError, SystemsManagerParameterStoreWasmBackend, _native
from airflow_ssm_wasm._component import component_path
from conftest import airflow_major, free_port, put


def test_a_request_outside_the_configuration_is_refused_before_it_leaves():
    """The configured endpoint is a listener we watch; the allow-list names another one. The
    lookup fails with a transport error and the listener never sees a connection."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    kwargs = {"endpoint_url": f"http://127.0.0.1:{port}", "region_name": "us-east-1",
              "config_kwargs": {"retries": {"total_max_attempts": 1}}}
    backend = _native.Backend(component_path(), json.dumps(kwargs), allow=[f"http://127.0.0.1:{free_port()}"])
    with pytest.raises(SsmSecretsError) as raised:
        backend.get_variable("anything")
    assert raised.value.kind == "transport"
    assert "not allowed" in str(raised.value), str(raised.value)
    with pytest.raises(socket.timeout):
        listener.accept()
    listener.close()


def test_the_default_allow_list_is_the_configured_endpoint(moto_endpoint, ssm):
    put(ssm, {"/airflow/variables/allowed": "yes"})
    ours = SystemsManagerParameterStoreWasmBackend(endpoint_url=moto_endpoint, region_name="us-east-1")
    assert ours.get_variable("allowed") == "yes"


def test_eight_threads_share_one_backend_without_cross_talk(moto_endpoint, ssm):
    keys = [f"thread_{i}" for i in range(16)]
    put(ssm, {f"/airflow/variables/{key}": f"value of {key}" for key in keys})
    ours = SystemsManagerParameterStoreWasmBackend(endpoint_url=moto_endpoint, region_name="us-east-1")
    wrong: list[str] = []
    done = []

    def work(thread: int) -> None:
        for n in range(200):
            key = keys[(thread * 7 + n) % len(keys)]
            got = ours.get_variable(key)
            if got != f"value of {key}":
                wrong.append(f"thread {thread} lookup {n}: {key} -> {got!r}")
        done.append(thread)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(done) == list(range(8))
    assert not wrong, wrong[:5]


def test_errors_are_typed_and_hold_no_secret():
    secret = "SECRETKEYVALUE0123456789"
    ours = SystemsManagerParameterStoreWasmBackend(
        endpoint_url=f"http://127.0.0.1:{free_port()}", region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key=secret,
        config_kwargs={"retries": {"total_max_attempts": 1}})
    with pytest.raises(SsmSecretsError) as raised:
        ours.get_variable("hello")
    assert raised.value.kind == "transport"
    assert secret not in str(raised.value) and secret not in repr(raised.value)
    with pytest.raises(SsmSecretsError) as raised:
        SystemsManagerParameterStoreWasmBackend(connections_lookup_pattern="(", region_name="us-east-1")
    assert raised.value.kind == "configuration"


def test_fields_repr_hides_the_password():
    from airflow_ssm_wasm import parse_connection

    fields = parse_connection("c", "postgres://user:PASSWORDVALUE@h/db?token=EXTRAVALUE")
    assert fields.password == "PASSWORDVALUE"
    assert "PASSWORDVALUE" not in repr(fields) and "EXTRAVALUE" not in repr(fields)


FRESH_PROCESS = r"""
import json, sys
import airflow_ssm_wasm  # our package before Airflow, as a plugin or DAG file may import it
from airflow_ssm_wasm import SystemsManagerParameterStoreWasmBackend
out = {}
if int(__import__("airflow").__version__.split(".")[0]) >= 3:
    from airflow.sdk import Variable
    from airflow.sdk.execution_time.context import _get_connection
    conn = _get_connection("fresh")  # the task SDK's lookup: the SDK Connection class
    out["conn_class"] = type(conn).__module__
    out["extra"] = conn.extra
    out["variable"] = Variable.get("fresh")
    from airflow.configuration import secrets_backend_list
else:
    from airflow.models import Connection, Variable
    conn = Connection.get_connection_from_secrets("fresh")
    out["conn_class"] = type(conn).__module__
    out["extra"] = conn.extra
    out["variable"] = Variable.get("fresh")
    from airflow.configuration import secrets_backend_list
out["backends"] = [type(b).__name__ for b in secrets_backend_list]
print(json.dumps(out))
"""


def test_a_fresh_airflow_process_configured_by_environment(moto_endpoint, ssm, tmp_path):
    put(ssm, {"/airflow/connections/fresh": "http://h?timeout=30", "/airflow/variables/fresh": "from ssm"})
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(tmp_path),
        AIRFLOW__SECRETS__BACKEND="airflow_ssm_wasm.SystemsManagerParameterStoreWasmBackend",
        AIRFLOW__SECRETS__BACKEND_KWARGS=json.dumps({"endpoint_url": moto_endpoint, "region_name": "us-east-1"}),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
    )
    run = subprocess.run([sys.executable, "-c", FRESH_PROCESS], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["backends"][0] == "SystemsManagerParameterStoreWasmBackend"
    assert out["variable"] == "from ssm"
    if airflow_major() >= 3:
        # The task SDK keeps query values as strings; core would make 30 an integer.
        assert out["conn_class"] == "airflow.sdk.definitions.connection"
        assert out["extra"] == '{"timeout": "30"}'
    else:
        assert out["conn_class"] == "airflow.models.connection"
        assert out["extra"] == '{"timeout": "30"}'
