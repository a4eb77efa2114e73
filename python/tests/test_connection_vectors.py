"""Every vector of ``tests/data/airflow-conn-vectors.json`` stored in moto, looked up by
Airflow's own ``SystemsManagerParameterStoreBackend`` and by ours with the same connection
class set, as Airflow sets it: core ``Connection`` (Airflow 3.3 scheduler / API server), the task
SDK's ``Connection`` (Airflow 3.3 tasks), and Airflow 2.10's core ``Connection`` (when this
virtualenv runs 2.10). Both must give the same fields and ``get_uri()``, or both fail."""

from __future__ import annotations

import json
import os

import pytest
from airflow.providers.amazon.aws.secrets.systems_manager import SystemsManagerParameterStoreBackend

from airflow_ssm_wasm import SsmSecretsError, SystemsManagerParameterStoreWasmBackend
from conftest import airflow_major, connection_fields, put

VECTORS_FILE = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data", "airflow-conn-vectors.json")
with open(VECTORS_FILE, encoding="utf-8") as f:
    VECTORS = json.load(f)
PREFIX = "/vectors"


def contexts() -> list[str]:
    return ["airflow2_core"] if airflow_major() < 3 else ["airflow3_core", "airflow3_task_sdk"]


def connection_class(context: str) -> type:
    if context == "airflow3_task_sdk":
        from airflow.sdk.definitions.connection import Connection
    else:
        from airflow.models.connection import Connection
    return Connection


def set_class(backend, context: str) -> None:
    """As Airflow 3's ``initialize_secrets_backends`` does (2.10 has no connection class to set)."""
    if context != "airflow2_core":
        backend._set_connection_class(connection_class(context))


def outcome(backend, conn_id: str):
    try:
        return ("ok", connection_fields(backend.get_connection(conn_id)))
    except SsmSecretsError as error:
        assert error.kind == "invalid-value", error
        return ("error", None)
    except Exception:  # Airflow's own: ValueError, TypeError, AirflowException, ...
        return ("error", None)


def assert_same_on_every_vector(ssm, airflow, ours, context: str) -> None:
    """Stores each vector and looks it up through both backends (with ``context``'s connection
    class set): the same fields and ``get_uri()``, or both failing. Also used through the
    sidecar (test_sidecar.py)."""
    for backend in (airflow, ours):
        set_class(backend, context)
    mismatches = []
    for index, vector in enumerate(VECTORS):
        conn_id = vector["conn_id"]
        # Vectors share conn_ids; each value is stored just before its lookup, under the id as
        # given ("my conn!" too), so both backends read the same parameter.
        put(ssm, {f"{PREFIX}/{conn_id}": vector["value"]})
        want, got = outcome(airflow, conn_id), outcome(ours, conn_id)
        if want != got:
            mismatches.append(f"vector {index} {vector['value']!r}: Airflow {want}, ours {got}")
    assert not mismatches, f"{len(mismatches)} of {len(VECTORS)} differ in {context}:\n" + "\n".join(mismatches)


@pytest.mark.parametrize("context", contexts())
def test_every_vector_in_every_context(ssm, moto_endpoint, context):
    kwargs = {"connections_prefix": PREFIX, "endpoint_url": moto_endpoint, "region_name": "us-east-1"}
    airflow = SystemsManagerParameterStoreBackend(**kwargs)
    ours = SystemsManagerParameterStoreWasmBackend(**kwargs)
    assert_same_on_every_vector(ssm, airflow, ours, context)


@pytest.mark.parametrize("context", contexts())
def test_vectors_match_the_reference_file(context):
    """The reference file was produced by Airflow itself; this Airflow must agree with it,
    so the comparison above compares against the behaviour the file records."""
    from airflow.secrets import BaseSecretsBackend

    class Probe(BaseSecretsBackend):
        pass

    probe = Probe()
    set_class(probe, context)
    key = {"airflow3_core": None, "airflow3_task_sdk": "airflow3_task_sdk", "airflow2_core": "airflow2_core"}[context]
    disagreements = []
    for index, vector in enumerate(VECTORS):
        record = vector if key is None else vector["variants"][key]
        try:
            fields = connection_fields(probe.deserialize_connection(vector["conn_id"], vector["value"]))
        except Exception:
            if "error" not in record:
                disagreements.append(index)
            continue
        expected = record.get("expected")
        if expected is None or any(fields[k] != expected[k] for k in
                                   ("conn_type", "host", "schema", "login", "password", "port", "extra", "uri")):
            disagreements.append(index)
    assert not disagreements, f"this Airflow disagrees with the reference file on vectors {disagreements}"
