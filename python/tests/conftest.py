"""Shared fixtures: an Airflow home of its own, test credentials, moto's standalone SSM server on
127.0.0.1 (signature checking on) for the whole session, a counting forwarder in front of it, and
the sidecar (``python -m airflow_ssm_wasm serve``) as a process the tests start and stop."""

from __future__ import annotations

import collections
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

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


class _Forward(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        server: Forwarder = self.server
        body = self.rfile.read(int(self.headers["content-length"]))
        request = json.loads(body or b"{}")
        names = [request["Name"]] if "Name" in request else list(request.get("Names", []))
        with server.lock:
            server.seen.append((self.headers.get("x-amz-target"), names))
        # Every header as sent, Host too: moto checks the signature against it.
        upstream = http.client.HTTPConnection(server.upstream.hostname, server.upstream.port, timeout=60)
        upstream.request("POST", self.path, body=body, headers=dict(self.headers))
        reply = upstream.getresponse()
        data = reply.read()
        upstream.close()
        self.send_response(reply.status)
        for name, value in reply.getheaders():
            if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                self.send_header(name, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class Forwarder(ThreadingHTTPServer):
    """Forwards each POST to ``upstream`` and relays the reply, recording its ``x-amz-target``
    and the parameter names it asks for: what reaches moto is what this saw."""

    daemon_threads = True

    def __init__(self, upstream: str):
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream = urlsplit(upstream)
        self.seen: list[tuple[str, list[str]]] = []
        self.lock = threading.Lock()
        self.url = f"http://127.0.0.1:{self.server_address[1]}"

    def names(self) -> collections.Counter:
        with self.lock:
            return collections.Counter(name for _, names in self.seen for name in names)


@pytest.fixture
def forwarder(moto_endpoint):
    server = Forwarder(moto_endpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


class Sidecar:
    """``python -m airflow_ssm_wasm serve`` on a free port with ``backend_kwargs``, its own
    random token in ``AWS_TOKEN`` and this process's AWS variables; stdout and stderr go to files
    read by ``stop()``."""

    def __init__(self, backend_kwargs: dict, env: dict | None = None):
        self.token = secrets.token_hex(16)
        self._dir = tempfile.mkdtemp(prefix="sidecar-")
        self._stopped = None
        with open(self._path("out"), "ab") as out, open(self._path("err"), "ab") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "airflow_ssm_wasm", "serve", "--listen", "127.0.0.1:0",
                 "--backend-kwargs", json.dumps(backend_kwargs)],
                env={**os.environ, "AWS_TOKEN": self.token, **(env or {})}, stdout=out, stderr=err)
        deadline = time.time() + 60
        while True:
            line, newline, _ = self._read("out").partition("\n")
            if newline and line.startswith("listening on "):
                break
            if self.process.poll() is not None or time.time() > deadline:
                self.stop()
                raise AssertionError(f"the sidecar did not start: {self._stopped}")
            time.sleep(0.05)
        self.url = line.removeprefix("listening on ").strip()

    def _path(self, name: str) -> str:
        return os.path.join(self._dir, name)

    def _read(self, name: str) -> str:
        with open(self._path(name), encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self) -> tuple[int, str, str]:
        """SIGTERM, then the exit status, stdout and stderr (the same ones when called again)."""
        if self._stopped is None:
            if self.process.poll() is None:
                self.process.send_signal(signal.SIGTERM)
                try:
                    self.process.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
            self._stopped = (self.process.returncode, self._read("out"), self._read("err"))
            shutil.rmtree(self._dir, ignore_errors=True)
        return self._stopped


@pytest.fixture
def start_sidecar():
    """Starts sidecars (``start_sidecar(backend_kwargs)``) and stops those still running."""
    started: list[Sidecar] = []

    def start(backend_kwargs: dict, env: dict | None = None) -> Sidecar:
        started.append(Sidecar(backend_kwargs, env))
        return started[-1]

    yield start
    for sidecar in started:
        sidecar.stop()
