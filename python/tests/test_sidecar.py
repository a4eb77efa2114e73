"""The sidecar (``python -m airflow_ssm_wasm serve``) end to end: task processes with
``sidecar_url`` and no AWS credentials get what Airflow's own backend gets while SSM (moto, behind
a counting forwarder) sees each name at most once; the reference vectors through it in every
context; a throttling SSM (bench/mock_ssm.py) under bench/throttled_workers.py; its guard (token,
naming, metrics, no secret in its output, SIGTERM) and its command line."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from airflow.providers.amazon.aws.secrets.systems_manager import SystemsManagerParameterStoreBackend

from airflow_ssm_wasm import SsmSecretsError, SystemsManagerParameterStoreWasmBackend
from conftest import Sidecar, airflow_major, connection_fields, free_port, put
from test_connection_vectors import PREFIX, assert_same_on_every_vector, contexts, set_class

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MOTO = {"region_name": "us-east-1"}

CONNECTIONS = {
    "w_pg": "postgresql://user:p%40ss@db.example.com:5432/analytics?sslmode=require&connect_timeout=10",
    "w_json_http": '{"conn_type": "http", "host": "https://api.example.com", "login": "svc", "password": "t0k",'
                   ' "extra": {"timeout": 30, "verify": false}}',
    "w_unicode": "mysql://%C3%BCser:pa%24%24@h%C3%B6st:3306/db%2Fname?q=%E2%9C%93",
    "w_extra_json": "aws://?__extra__=%7B%22region_name%22%3A+%22eu-west-1%22%7D",
    "w_redis": "redis://:s3cr%2Ft%3F@cache:6379/0",
    "w_json_pg": '{"conn_type": "postgres", "host": "pg", "port": 5432, "schema": "db", "login": "a b",'
                 ' "password": "p@ss:w/rd#1"}',
    "w_spark": "spark://spark%3A%2F%2Fspark-master-0.spark:7077",
    "w_proto": "http://https://example.com:8080/path",
    "w_json_extra": '{"conn_type": "generic", "description": "d\\u00e9j\\u00e0 \\u2713",'
                    ' "extra": {"nested": {"a": [1, 2]}, "unicode": "v\\u00e4lue"}}',
    "w_sftp": "sftp://deploy@bastion.example.com:22/?key_file=%2Fhome%2Fdeploy%2F.ssh%2Fid_rsa&no_host_key_check=true",
}
VARIABLES = {
    "w_hello": "world", "w_json": '{"a": 1, "b": [true, null]}', "w_spaces": "  keep  ",
    "w_unicode": "välue ✓ 日本", "w_lines": "line1\nline2\n", "w_csv": "a,b,c",
    "w_long": "x" * 2000, "w_percent": "%2F stays %s", "w_quotes": 'say "hi" \\ back', "w_shell": "$HOME ${x} `y`",
}
MISSING = "w_missing"  # asked for as a connection and as a variable: not found, cached as such

TASK = inspect.getsource(connection_fields) + r'''
import json, random, sys
request = json.loads(sys.argv[1])
from airflow_ssm_wasm import SystemsManagerParameterStoreWasmBackend
backend = SystemsManagerParameterStoreWasmBackend(sidecar_url=request["sidecar_url"])
if int(__import__("airflow").__version__.split(".")[0]) >= 3:
    from airflow.sdk.definitions.connection import Connection  # as Airflow's task runner sets it
    backend._set_connection_class(Connection)
lookups = [("conn", c) for c in request["connections"]] + [("var", v) for v in request["variables"]]
random.Random(request["seed"]).shuffle(lookups)
print("ready", flush=True)
sys.stdin.readline()  # all processes start their lookups together
out = {"connections": {}, "variables": {}}
for kind, key in lookups:
    if kind == "conn":
        out["connections"][key] = connection_fields(backend.get_connection(key))
    else:
        out["variables"][key] = backend.get_variable(key)
print(json.dumps(out))
'''


def task_env(token: str, home: str) -> dict:
    """A task process's environment: an Airflow home of its own, no AWS variable but the
    sidecar's token (it needs no credentials)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    return dict(env, AIRFLOW_HOME=home, AWS_TOKEN=token)


def test_concurrent_task_processes_share_one_cache(ssm, moto_endpoint, forwarder, start_sidecar, tmp_path):
    put(ssm, {f"/airflow/connections/{k}": v for k, v in CONNECTIONS.items()})
    put(ssm, {f"/airflow/variables/{k}": v for k, v in VARIABLES.items()})
    sidecar = start_sidecar(dict(MOTO, endpoint_url=forwarder.url, cache_ttl_seconds=300))
    connections, variables = [*CONNECTIONS, MISSING], [*VARIABLES, MISSING]
    processes = []
    for index in range(8):
        request = {"sidecar_url": sidecar.url, "connections": connections, "variables": variables, "seed": index}
        processes.append(subprocess.Popen(
            [sys.executable, "-c", TASK, json.dumps(request)], env=task_env(sidecar.token, str(tmp_path / f"home{index}")),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for process in processes:
        assert process.stdout.readline().strip() == "ready", process.communicate(timeout=60)[1][-3000:]
    for process in processes:
        process.stdin.write("go\n")
        process.stdin.flush()
    results = []
    for process in processes:
        out, err = process.communicate(timeout=180)
        assert process.returncode == 0, err[-3000:]
        results.append(json.loads(out.strip().splitlines()[-1]))

    airflow = SystemsManagerParameterStoreBackend(endpoint_url=moto_endpoint, **MOTO)
    set_class(airflow, "airflow3_task_sdk" if airflow_major() >= 3 else "airflow2_core")
    expected = json.loads(json.dumps({
        "connections": {c: connection_fields(airflow.get_connection(c)) for c in connections},
        "variables": {v: airflow.get_variable(v) for v in variables},
    }))
    assert expected["connections"][MISSING] is None and expected["variables"]["w_hello"] == "world"
    for index, result in enumerate(results):
        assert result == expected, f"task process {index}"

    seen = forwarder.names()
    wanted = {f"/airflow/connections/{c}" for c in connections} | {f"/airflow/variables/{v}" for v in variables}
    assert set(seen) == wanted, "every name reaches moto through the forwarder"
    assert max(seen.values()) == 1, {name: n for name, n in seen.items() if n > 1}


@pytest.fixture(scope="module")
def vectors_sidecar(moto_endpoint):
    # No cache: the vectors share conn_ids, and each value is stored just before its lookup.
    sidecar = Sidecar({"connections_prefix": PREFIX, "endpoint_url": moto_endpoint, "cache_ttl_seconds": 0, **MOTO})
    yield sidecar
    assert sidecar.stop()[0] == 0


@pytest.mark.parametrize("context", contexts())
def test_every_vector_through_the_sidecar(ssm, moto_endpoint, vectors_sidecar, monkeypatch, context):
    monkeypatch.setenv("AWS_TOKEN", vectors_sidecar.token)
    airflow = SystemsManagerParameterStoreBackend(connections_prefix=PREFIX, endpoint_url=moto_endpoint, **MOTO)
    ours = SystemsManagerParameterStoreWasmBackend(connections_prefix=PREFIX, sidecar_url=vectors_sidecar.url)
    assert_same_on_every_vector(ssm, airflow, ours, context)


def run_bench(*args: str, env: dict) -> dict:
    run = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "throttled_workers.py"),
                          "--processes", "16", "--runs", "20", "--lookups", "10", "--names", "50", *args],
                         env=env, capture_output=True, text=True, timeout=900)
    print(run.stdout, run.stderr[-2000:], sep="\n")
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(airflow_major() < 3, reason="the throttling comparison runs on Airflow 3")
def test_throttling_ssm_airflow_alone_versus_the_sidecar(start_sidecar):
    port_file = tempfile.mktemp(prefix="mock-ssm-port-")
    mock = subprocess.Popen([sys.executable, os.path.join(ROOT, "bench", "mock_ssm.py"), port_file],
                            env=dict(os.environ, MOCK_THROTTLE_RPS="40"))
    try:
        deadline = time.time() + 30
        while not (os.path.exists(port_file) and open(port_file).read()):
            assert time.time() < deadline and mock.poll() is None, "the mock did not start"
            time.sleep(0.05)
        mock_url = f"http://127.0.0.1:{int(open(port_file).read())}"
        sidecar = start_sidecar(dict(MOTO, endpoint_url=mock_url),
                                env={"AWS_ACCESS_KEY_ID": "dummy", "AWS_SECRET_ACCESS_KEY": "dummy"})
        env = dict(os.environ, AWS_TOKEN=sidecar.token)
        airflow = run_bench("--backend", "airflow", "--mock-url", mock_url, env=env)
        ours = run_bench("--backend", "ours", "--mock-url", mock_url,
                         "--kwargs", json.dumps({"sidecar_url": sidecar.url}), env=env)
    finally:
        mock.terminate()
        mock.wait()
        if os.path.exists(port_file):
            os.unlink(port_file)
    print(f"Airflow's own backend: {airflow['failures']['count']} of {airflow['lookups']} lookups failed")
    assert airflow["lookups"] == 16 * 20 * 10 and "fatal" not in airflow
    assert ours["lookups"] == ours["ok"] == 16 * 20 * 10 and "fatal" not in ours
    assert ours["failures"]["count"] == 0 and ours["unexpected_values"] == 0
    assert ours["mock"]["names"]["max_per_name"] <= 1 and ours["mock"]["throttled"] == 0


def status_of(url: str, token: str | None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"X-Aws-Parameters-Secrets-Token": token} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_the_guard(ssm, forwarder, start_sidecar, monkeypatch):
    marker = os.urandom(8).hex()
    put(ssm, {"/airflow/variables/guard": f"VAR-{marker}",
              "/airflow/connections/guard": f"postgres://u:PW-{marker}@h:5432/db?token=EXTRA-{marker}"})
    sidecar = start_sidecar(dict(MOTO, endpoint_url=forwarder.url))
    for name in ("AWS_TOKEN", "AWS_SESSION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    def error_of(token: str | None, url: str = sidecar.url, **kwargs) -> SsmSecretsError:
        if token is not None:
            monkeypatch.setenv("AWS_TOKEN", token)
        backend = SystemsManagerParameterStoreWasmBackend(sidecar_url=url, **kwargs)
        with pytest.raises(SsmSecretsError) as raised:
            backend.get_variable("guard")
        return raised.value

    missing = error_of(None)
    assert missing.kind == "configuration" and sidecar.url in str(missing), missing
    wrong = error_of("not-the-token")
    assert wrong.kind == "configuration" and sidecar.url in str(wrong) and "token" in str(wrong), wrong
    down_url = f"http://127.0.0.1:{free_port()}"
    down = error_of(sidecar.token, url=down_url)
    assert down.kind == "transport" and down_url in str(down) and "Connection refused" in str(down), down
    mismatch = error_of(sidecar.token, variables_prefix="/elsewhere")
    assert mismatch.kind == "configuration" and mismatch.code == "NamingMismatch", mismatch

    ours = SystemsManagerParameterStoreWasmBackend(sidecar_url=sidecar.url)
    assert ours.get_variable("guard") == f"VAR-{marker}"
    assert ours.get_connection("guard").password == f"PW-{marker}"
    metrics = f"{sidecar.url}/metrics"
    assert status_of(metrics, None)[0] == 403 and status_of(metrics, "not-the-token")[0] == 403
    status, text = status_of(metrics, sidecar.token)
    assert status == 200 and "ssm_sidecar_" in text and marker not in text
    returncode, out, err = sidecar.stop()
    assert returncode == 0, err[-3000:]
    assert out.startswith("listening on ")
    for output in (out, err):
        assert marker not in output and sidecar.token not in output


def test_the_command_line():
    script = os.path.join(os.path.dirname(sys.executable), "airflow-ssm-wasm")
    assert subprocess.run([script, "serve", "--help"], capture_output=True, timeout=60).returncode == 0
    bad = subprocess.run([sys.executable, "-m", "airflow_ssm_wasm", "serve", "--backend-kwargs", '{"connections_prefix": 5}'],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode != 0 and "connections_prefix" in bad.stderr, bad.stderr
