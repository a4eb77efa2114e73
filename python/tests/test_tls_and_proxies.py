"""The wheel over real TLS and through a proxy: moto (signature checking on) behind a loopback TLS
front whose certificate comes from a CA made here with ``cryptography``; the CA trusted through
``verify`` and ``AWS_CA_BUNDLE``; a certificate for another name refused with the reason; and
HTTPS through a ``CONNECT`` proxy named by ``HTTPS_PROXY``, its credentials in no error."""

from __future__ import annotations

import base64
import datetime
import json
import os
import socket
import ssl
import subprocess
import sys
import threading

import pytest

from airflow_ssm_wasm import SsmSecretsError, _native
from airflow_ssm_wasm._component import component_path
from conftest import put

cryptography = pytest.importorskip("cryptography")
from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(obj) -> bytes:
    return obj.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A CA (its PEM bundle on disk) and a function making ``(cert, key)`` files signed by it."""
    directory = tmp_path_factory.mktemp("pki")
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("wheel test CA")).issuer_name(_name("wheel test CA"))
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .sign(ca_key, hashes.SHA256()))
    bundle = directory / "ca.pem"
    bundle.write_bytes(_pem(ca))

    def leaf(host: str) -> tuple[str, str]:
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder().subject_name(_name(host)).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        cert_path, key_path = directory / f"{host}.pem", directory / f"{host}.key"
        cert_path.write_bytes(_pem(cert))
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        return str(cert_path), str(key_path)

    return str(bundle), leaf


def _pipe(a: socket.socket, b: socket.socket) -> None:
    def copy(src, dst):
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    threading.Thread(target=copy, args=(a, b), daemon=True).start()
    threading.Thread(target=copy, args=(b, a), daemon=True).start()


class TlsFront:
    """Terminates TLS on a loopback port with ``cert`` and passes the bytes to ``backend``."""

    def __init__(self, cert: tuple[str, str], backend: str):
        host, port = backend.removeprefix("http://").split(":")
        self.backend = (host, int(port))
        self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.context.load_cert_chain(*cert)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.handshakes = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                client, _ = self.listener.accept()
                tls = self.context.wrap_socket(client, server_side=True)
            except OSError:
                continue
            self.handshakes += 1
            _pipe(tls, socket.create_connection(self.backend))

    @property
    def url(self) -> str:
        return f"https://localhost:{self.port}"


class ConnectProxy:
    """A CONNECT proxy on a loopback port recording each request line and Proxy-Authorization."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.seen: list[tuple[str, str | None]] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            client, _ = self.listener.accept()
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk:
                    break
                head += chunk
            lines = head.split(b"\r\n\r\n", 1)[0].decode().split("\r\n")
            auth = next((line.split(":", 1)[1].strip() for line in lines[1:]
                         if line.lower().startswith("proxy-authorization:")), None)
            self.seen.append((lines[0], auth))
            method, target, _ = lines[0].split(" ")
            host, port = target.rsplit(":", 1)
            upstream = socket.create_connection((host, int(port)))
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            _pipe(client, upstream)


@pytest.fixture(scope="module")
def tls_moto(moto_endpoint, ssm, pki):
    put(ssm, {"/airflow/variables/tls-a": "over TLS a", "/airflow/variables/tls-b": "over TLS b"})
    bundle, leaf = pki
    return TlsFront(leaf("localhost"), moto_endpoint), bundle


def test_get_parameter_and_get_parameters_over_tls_trusting_verify(tls_moto):
    front, bundle = tls_moto
    kwargs = {"endpoint_url": front.url, "region_name": "us-east-1", "verify": bundle}
    backend = _native.Backend(component_path(), json.dumps(kwargs))
    assert backend.get_variable("tls-a") == "over TLS a"
    assert backend.get_variables(["tls-a", "tls-b", "tls-missing"]) == ["over TLS a", "over TLS b", None]
    assert front.handshakes >= 1


def test_aws_ca_bundle_in_a_fresh_process(tls_moto):
    """The environment variable, as a worker sets it, read by the host in a new process."""
    front, bundle = tls_moto
    kwargs = {"endpoint_url": front.url, "region_name": "us-east-1"}
    script = ("import json, sys; from airflow_ssm_wasm import _native; "
              "from airflow_ssm_wasm._component import component_path; "
              "print(_native.Backend(component_path(), sys.argv[1]).get_variable('tls-b'))")
    env = dict(os.environ, AWS_CA_BUNDLE=bundle)
    out = subprocess.run([sys.executable, "-c", script, json.dumps(kwargs)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert (out.returncode, out.stdout) == (0, "over TLS b\n"), out.stderr


def test_a_certificate_for_another_name_is_refused_with_the_reason(moto_endpoint, pki):
    bundle, leaf = pki
    front = TlsFront(leaf("other.example"), moto_endpoint)
    kwargs = {"endpoint_url": front.url, "region_name": "us-east-1", "verify": bundle}
    backend = _native.Backend(component_path(), json.dumps(kwargs))
    with pytest.raises(SsmSecretsError) as raised:
        backend.get_variable("tls-a")
    assert raised.value.kind == "transport"
    assert "not valid for name" in str(raised.value), str(raised.value)


def test_https_through_a_connect_proxy_with_credentials(tls_moto):
    front, bundle = tls_moto
    proxy = ConnectProxy()
    kwargs = {"endpoint_url": front.url, "region_name": "us-east-1", "verify": bundle}
    script = ("import sys; from airflow_ssm_wasm import _native; "
              "from airflow_ssm_wasm._component import component_path; "
              "print(_native.Backend(component_path(), sys.argv[1]).get_variable('tls-a'))")
    env = dict(os.environ, HTTPS_PROXY=f"http://alice:hunter2@127.0.0.1:{proxy.port}")
    out = subprocess.run([sys.executable, "-c", script, json.dumps(kwargs)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert (out.returncode, out.stdout) == (0, "over TLS a\n"), out.stderr
    assert "hunter2" not in out.stdout + out.stderr
    basic = "Basic " + base64.b64encode(b"alice:hunter2").decode()
    assert proxy.seen == [(f"CONNECT localhost:{front.port} HTTP/1.1", basic)]
