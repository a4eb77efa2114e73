"""Benchmarks of the sidecar (one cache per worker), run by `bash scripts/bench.sh` with the
Airflow 3.3 virtualenv's Python after the wheel is installed; prints a Markdown table.

One loopback SSM mock (bench/mock_ssm.py, each reply in one write) serves both sides, in the
same run:
- a lookup from a task process through the sidecar, cached: wall time per lookup (p50, p99)
  and the task process's CPU per lookup, against Airflow's own backend's warm lookup (boto3,
  one GetParameter each) on the same mock;
- SSM requests per 1,000 task lookups: 100 task runs (a new backend object each, as a new task
  process makes) x 10 lookups over 50 names, for both;
- the sidecar's resident memory at start and after 10,000 distinct names (its cache holds
  10,000 by default), asked for from 32 threads (the bench sidecar's cap on SSM requests is
  raised to 1,000 a second: the mock does not throttle).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WARM = int(os.environ.get("BENCH_WARM_LOOKUPS", "2000"))
TOKEN = "bench-sidecar-token-0123456789"


def start_mock() -> tuple[subprocess.Popen, str]:
    port_file = tempfile.mktemp()
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "bench/mock_ssm.py"), port_file])
    for _ in range(200):
        if os.path.exists(port_file) and open(port_file).read():
            return proc, f"http://127.0.0.1:{int(open(port_file).read())}"
        time.sleep(0.02)
    raise SystemExit("the mock SSM server did not start")


def mock_requests(mock_url: str) -> int:
    counts = json.load(urllib.request.urlopen(mock_url + "/"))
    return sum(v for k, v in counts.items() if k.startswith("AmazonSSM."))


def start_sidecar(mock_url: str) -> tuple[subprocess.Popen, str]:
    # The mock does not throttle: a cap far above SSM's lets 10,000 names in in seconds.
    kwargs = json.dumps({"endpoint_url": mock_url, "region_name": "us-east-1", "ssm_requests_per_second": 1000})
    env = dict(os.environ, AWS_TOKEN=TOKEN, AWS_ACCESS_KEY_ID="AKIDBENCH", AWS_SECRET_ACCESS_KEY="bench-secret")
    proc = subprocess.Popen([sys.executable, "-m", "airflow_ssm_wasm", "serve", "--listen", "127.0.0.1:0",
                             "--backend-kwargs", kwargs], env=env, stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline()
    if not line.startswith("listening on "):
        raise SystemExit(f"the sidecar did not start: {line!r}")
    return proc, line.split()[-1]


def stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)


def rss_mib(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of `pid` (MiB)."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            fields[name] = value.split()
    return int(fields["VmRSS"][0]) / 1024, int(fields["VmHWM"][0]) / 1024


def timed(call, n: int) -> tuple[float, float, float]:
    """p50 and p99 wall time (us) of `n` calls, and CPU per call (us)."""
    call()
    walls = []
    cpu = time.process_time()
    for _ in range(n):
        started = time.perf_counter()
        call()
        walls.append(time.perf_counter() - started)
    cpu = (time.process_time() - cpu) / n * 1e6
    walls.sort()
    return walls[len(walls) // 2] * 1e6, walls[int(len(walls) * 0.99)] * 1e6, cpu


def task_runs(make_backend, runs: int = 100, lookups: int = 10, names: int = 50) -> None:
    """`runs` task runs, each with a new backend object and `lookups` lookups over `names`."""
    for run in range(runs):
        backend = make_backend()
        for k in range(lookups):
            n = (run * 7 + k * 13) % names
            if n % 2:
                assert backend.get_variable(f"var_{n:03d}") is not None
            else:
                assert backend.get_conn_value(f"conn_{n:03d}") is not None


def main() -> None:
    os.environ.update(AIRFLOW_HOME=tempfile.mkdtemp(prefix="airflow-bench-home-"), AWS_ACCESS_KEY_ID="AKIDBENCH",
                      AWS_SECRET_ACCESS_KEY="bench-secret", AWS_EC2_METADATA_DISABLED="true", AWS_TOKEN=TOKEN)
    from airflow.providers.amazon.aws.secrets.systems_manager import SystemsManagerParameterStoreBackend

    from airflow_ssm_wasm import SystemsManagerParameterStoreWasmBackend

    results: dict[str, str] = {}
    load = os.getloadavg()
    mock, mock_url = start_mock()
    # A first start fills the precompiled cache, as the first start on a worker does; the
    # sidecar measured is a second, as after any restart.
    stop(start_sidecar(mock_url)[0])
    sidecar, sidecar_url = start_sidecar(mock_url)
    try:
        results["sidecar RSS at start (MiB)"] = f"{rss_mib(sidecar.pid)[0]:.1f}"
        theirs = SystemsManagerParameterStoreBackend(endpoint_url=mock_url, region_name="us-east-1")
        ours = SystemsManagerParameterStoreWasmBackend(sidecar_url=sidecar_url)
        keys = [f"warm{i}" for i in range(100)]
        for key in keys:
            ours.get_variable(key)  # the sidecar's cache holds them from now on
        counter = iter(range(10**9))
        p50, p99, cpu = timed(lambda: ours.get_variable(keys[next(counter) % 100]), WARM)
        results["ours: task process -> sidecar, cached: p50 / p99 (us)"] = f"{p50:,.0f} / {p99:,.0f}"
        results["ours: client CPU per cached lookup (us)"] = f"{cpu:,.0f}"
        t50, t99, tcpu = timed(lambda: theirs.get_variable(keys[next(counter) % 100]), WARM // 4)
        results["Airflow's backend: warm lookup, p50 / p99 (us)"] = f"{t50:,.0f} / {t99:,.0f}"
        results["Airflow's backend: client CPU per warm lookup (us)"] = f"{tcpu:,.0f}"
        results["Airflow's / our client CPU per lookup (x)"] = f"{tcpu / cpu:,.1f}"

        # SSM requests per 1,000 task lookups: 100 task runs x 10 lookups over 50 names each.
        before = mock_requests(mock_url)
        task_runs(lambda: SystemsManagerParameterStoreBackend(endpoint_url=mock_url, region_name="us-east-1"))
        results["Airflow's backend: SSM requests per 1,000 task lookups"] = f"{mock_requests(mock_url) - before:,}"
        before = mock_requests(mock_url)
        task_runs(lambda: SystemsManagerParameterStoreWasmBackend(sidecar_url=sidecar_url))
        results["ours through the sidecar: SSM requests per 1,000 task lookups"] = f"{mock_requests(mock_url) - before:,}"

        # 10,000 distinct names through the sidecar from 32 threads (batches of 10), then its memory.
        before = mock_requests(mock_url)
        with concurrent.futures.ThreadPoolExecutor(32) as pool:
            list(pool.map(lambda i: ours.get_variable(f"distinct_{i:05d}"), range(10_000)))
        rss, peak = rss_mib(sidecar.pid)
        results["sidecar RSS / peak after 10,000 distinct names (MiB)"] = f"{rss:.1f} / {peak:.1f}"
        results["SSM requests for those 10,000 names"] = f"{mock_requests(mock_url) - before:,}"
    finally:
        stop(sidecar)
        mock.kill()
    print(f"load average before: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}; after: "
          + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print("| measure | value |\n| --- | --- |")
    for name, value in results.items():
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
