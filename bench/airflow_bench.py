"""Benchmarks of the Python host (the wheel) inside Airflow, against Airflow's own backend, on
one loopback SSM mock (bench/mock_ssm.py). Run by `bash scripts/bench.sh` with the Airflow 3.3
virtualenv's Python; prints a Markdown table.

Measures:
- the backend's own cold cost in a new Airflow process: after ``import airflow``, the first
  ``Variable.get`` with the backend configured (Airflow constructs it then), minus the same
  call answered by an environment variable (medians of BENCH_COLD_RUNS fresh processes each);
- warm client CPU per single lookup (one ``GetParameter`` each): our class vs Airflow's
  ``SystemsManagerParameterStoreBackend`` (boto3), same process, same mock;
- a second backend object in a warm process;
- a lookup that never reaches the network (``config_prefix: null``) and offline parsing;
- peak memory of an Airflow process (import + first Variable) with each backend.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLD_RUNS = int(os.environ.get("BENCH_COLD_RUNS", "7"))
WARM = int(os.environ.get("BENCH_WARM_LOOKUPS", "2000"))
OURS = "airflow_ssm_wasm.SystemsManagerParameterStoreWasmBackend"
AIRFLOWS = "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend"

CHILD = r"""
import json, os, resource, sys, time
import airflow
from airflow.models import Variable
# Airflow re-reads [secrets] when only its two default backends are loaded, so configuring the
# backend now makes the first Variable.get construct it: its own cold cost, without the noise
# of `import airflow` (seconds) around it.
if sys.argv[1] == "none":
    os.environ["AIRFLOW_VAR_COLD"] = "postgres://from-the-environment"
else:
    os.environ["AIRFLOW__SECRETS__BACKEND"] = sys.argv[1]
    os.environ["AIRFLOW__SECRETS__BACKEND_KWARGS"] = sys.argv[2]
started = time.perf_counter()
assert Variable.get("cold").startswith("postgres://")
done = time.perf_counter()
print(json.dumps({"first": done - started, "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def start_mock():
    port_file = tempfile.mktemp()
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "bench/mock_ssm.py"), port_file])
    for _ in range(200):
        if os.path.exists(port_file) and open(port_file).read():
            return proc, int(open(port_file).read())
        time.sleep(0.02)
    raise SystemExit("the mock SSM server did not start")


def child(env: dict, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, *args], env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"the Airflow process failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def cpu_per_call(call, n: int) -> float:
    call()
    started = time.process_time()
    for _ in range(n):
        call()
    return (time.process_time() - started) / n * 1e6


def main() -> None:
    mock, port = start_mock()
    endpoint = f"http://127.0.0.1:{port}"
    kwargs = {"endpoint_url": endpoint, "region_name": "us-east-1"}
    home = tempfile.mkdtemp(prefix="airflow-bench-home-")
    base = dict(os.environ, AIRFLOW_HOME=home, AWS_ACCESS_KEY_ID="AKIDBENCH", AWS_SECRET_ACCESS_KEY="bench-secret",
                AWS_EC2_METADATA_DISABLED="true", AIRFLOW__CORE__LOAD_EXAMPLES="False",
                SSM_SECRETS_CACHE_DIR=tempfile.mkdtemp(prefix="ssm-secrets-cache-"))
    backends = {"ours": OURS, "airflow": AIRFLOWS}
    results: dict[str, float] = {}
    try:
        child(base, OURS, json.dumps(kwargs))  # fill the precompiled cache, as the first process does
        control = statistics.median(child(base, "none")["first"] for _ in range(COLD_RUNS))
        cold = {name: [child(base, cls, json.dumps(kwargs)) for _ in range(COLD_RUNS)] for name, cls in backends.items()}
        for name in backends:
            results[f"cold cost in a new Airflow process, {name} (ms, median)"] = \
                (statistics.median(r["first"] for r in cold[name]) - control) * 1000
        results["Airflow's / our cold cost (x)"] = (results["cold cost in a new Airflow process, airflow (ms, median)"]
                                                  / results["cold cost in a new Airflow process, ours (ms, median)"])
        for name in backends:
            results[f"peak memory, Airflow process with {name} (MiB)"] = \
                statistics.median(r["rss_kib"] for r in cold[name]) / 1024

        os.environ.update({k: base[k] for k in ("AIRFLOW_HOME", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                                "AWS_EC2_METADATA_DISABLED", "SSM_SECRETS_CACHE_DIR")})
        from airflow.providers.amazon.aws.secrets.systems_manager import SystemsManagerParameterStoreBackend

        from airflow_ssm_wasm import SystemsManagerParameterStoreWasmBackend, parse_connection

        ours = SystemsManagerParameterStoreWasmBackend(**kwargs)
        theirs = SystemsManagerParameterStoreBackend(**kwargs)
        keys = [f"warm{i}" for i in range(100)]
        counter = iter(range(10**9))
        ours_us = cpu_per_call(lambda: ours.get_variable(keys[next(counter) % 100]), WARM)
        theirs_us = cpu_per_call(lambda: theirs.get_variable(keys[next(counter) % 100]), WARM // 4)
        results["client CPU per warm single lookup, ours (us)"] = ours_us
        results["client CPU per warm single lookup, Airflow's backend / boto3 (us)"] = theirs_us
        results["Airflow's / our CPU per warm lookup (x)"] = theirs_us / ours_us
        started = time.perf_counter()
        for _ in range(20):
            SystemsManagerParameterStoreWasmBackend(**kwargs)
        results["a second backend object in a warm process (us)"] = (time.perf_counter() - started) / 20 * 1e6
        no_config = SystemsManagerParameterStoreWasmBackend(config_prefix=None, **kwargs)
        results["lookup that never reaches the network (us CPU)"] = cpu_per_call(lambda: no_config.get_config("x"), WARM)
        value = "postgres://user:p%40ss@db.example.com:5432/analytics?sslmode=require"
        results["parse_connection of a typical URI (us CPU)"] = cpu_per_call(lambda: parse_connection("c", value), WARM)
    finally:
        mock.kill()

    budgets = {
        "Airflow's / our cold cost (x)": (">=", 10),
        "Airflow's / our CPU per warm lookup (x)": (">=", 20),
    }
    print("| measure | value | budget | met |\n| --- | --- | --- | --- |")
    for name, value in results.items():
        budget = budgets.get(name)
        if budget:
            op, limit = budget
            met = value <= limit if op == "<=" else value >= limit
            print(f"| {name} | {value:,.1f} | {op} {limit:,} | {'yes' if met else 'NO'} |")
        else:
            print(f"| {name} | {value:,.1f} | | |")


if __name__ == "__main__":
    main()
