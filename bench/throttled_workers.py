"""One Airflow worker's task processes against an SSM that throttles: many separate Python
processes, each running task after task, each task constructing a new secrets backend (as a new
task process does) and looking up a few connections and variables.

    P processes (--processes, default 16), started with multiprocessing's `spawn` (no boto3
    client or connection is shared), each with its own AIRFLOW_HOME (a temp dir; no Airflow
    database is needed: the backends' get_conn_value/get_variable do not use one)
      x R task runs each (--runs, default 20), one after the other: a NEW backend object each
        x L lookups each (--lookups, default 10): distinct names drawn from K names (--names,
          default 50; the even ones are connections `conn_NNN`, read with get_conn_value, the
          odd ones variables `var_NNN`, read with get_variable), pseudo-random from --seed.

Every process imports Airflow and the backend's module first; the clock starts when all of them
are ready, so `wall_seconds` is the lookups' time, not Python's start-up.

Backends (--backend):
- `airflow`: Airflow's own `SystemsManagerParameterStoreBackend` (boto3), with
  `{"endpoint_url": <mock>, "region_name": "us-east-1"}` under --kwargs (keys given in --kwargs
  win);
- `ours`: `airflow_ssm_wasm.SystemsManagerParameterStoreWasmBackend`, with --kwargs verbatim
  (e.g. `{"sidecar_url": ...}`), or, without --kwargs, the same endpoint_url/region_name as above
  (the in-process backend, no sidecar);
- any other value: a dotted class path, with --kwargs verbatim.

The processes get AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY=testing, AWS_DEFAULT_REGION=us-east-1
and AWS_EC2_METADATA_DISABLED=true unless those are already set; everything else is inherited.

A lookup that raises counts as a failure (Airflow's backend raises botocore's ClientError
ThrottlingException once its retries run out); not found (None) is counted apart, not as a
failure. A value that is not the mock's value for that name (bench/mock_ssm.py: it ends with
`/<id>`) is counted as `unexpected_values`. No value is ever printed.

Prints one JSON line: lookups, failures (count and the most frequent distinct errors, type and
message cut to 120 characters), not found, unexpected values, wall seconds, latencies, and the
difference of the mock's `GET /` counts between before and after the run (operations,
`throttled`, and a summary of the per-name counts).

The mock: --mock-url URL (an SSM mock already running, e.g. bench/mock_ssm.py started with
MOCK_THROTTLE_RPS=40), or, without it, this script starts bench/mock_ssm.py itself with
MOCK_THROTTLE_RPS=--throttle-rps (default 40; 0: no throttling) and stops it at the end.

usage (with the Airflow 3.3 virtualenv's Python):
    target/airflow-venv/bin/python bench/throttled_workers.py --backend airflow
    target/airflow-venv/bin/python bench/throttled_workers.py --backend airflow \\
        --mock-url http://127.0.0.1:PORT --processes 4 --runs 5
    target/airflow-venv/bin/python bench/throttled_workers.py --backend ours \\
        --mock-url http://127.0.0.1:PORT --kwargs '{"sidecar_url": "http://127.0.0.1:PORT2"}'
"""

from __future__ import annotations

import argparse
import collections
import importlib
import json
import logging
import multiprocessing
import os
import queue
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BACKENDS = {
    "airflow": "airflow.providers.amazon.aws.secrets.systems_manager.SystemsManagerParameterStoreBackend",
    "ours": "airflow_ssm_wasm.SystemsManagerParameterStoreWasmBackend",
}
AWS_DEFAULTS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
MESSAGE_CHARS = 120
ERRORS_SHOWN = 5


def lookup_names(k: int) -> list[tuple[str, str]]:
    """The K (kind, id) pairs: even indices connections, odd ones variables."""
    return [("conn", f"conn_{i:03d}") if i % 2 == 0 else ("var", f"var_{i:03d}") for i in range(k)]


def task_lookups(seed: int, process: int, run: int, lookups: int, k: int) -> list[tuple[str, str]]:
    """The lookups of one task run: distinct names when L <= K, deterministic in the seed."""
    rng = random.Random(f"{seed}:{process}:{run}")
    names = lookup_names(k)
    if lookups <= k:
        return [names[i] for i in rng.sample(range(k), lookups)]
    return [names[rng.randrange(k)] for _ in range(lookups)]


def load_class(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def describe(error: BaseException) -> tuple[str, str]:
    message = " ".join(str(error).split())
    return type(error).__name__, message[:MESSAGE_CHARS]


def child(index: int, job: dict, go, results) -> None:
    """One task process's worth of work, in its own (spawned) Python process."""
    home = tempfile.mkdtemp(prefix=f"throttled-worker-{index}-")
    os.environ["AIRFLOW_HOME"] = home
    try:
        try:
            backend_class = load_class(job["backend"])
        except BaseException as error:  # report it, do not hang the parent
            results.put(("ready", index, "%s: %s" % describe(error)))
            return
        # botocore logs "Found credentials ..." at INFO for every new client: one line per task run.
        logging.getLogger("botocore").setLevel(logging.WARNING)
        results.put(("ready", index, None))
        go.wait()

        errors: collections.Counter = collections.Counter()
        ok = not_found = unexpected = failures = 0
        latencies: list[float] = []
        task_seconds: list[float] = []
        for run in range(job["runs"]):
            lookups = task_lookups(job["seed"], index, run, job["lookups"], job["names"])
            task_started = time.perf_counter()
            try:
                backend = backend_class(**job["kwargs"])
            except Exception as error:
                failures += len(lookups)
                errors[describe(error)] += len(lookups)
                task_seconds.append(time.perf_counter() - task_started)
                continue
            for kind, ident in lookups:
                started = time.perf_counter()
                try:
                    if kind == "conn":
                        value = backend.get_conn_value(ident)
                    else:
                        value = backend.get_variable(ident)
                except Exception as error:
                    failures += 1
                    errors[describe(error)] += 1
                else:
                    if value is None:
                        not_found += 1
                    elif not (isinstance(value, str) and value.endswith("/" + ident)):
                        unexpected += 1
                    else:
                        ok += 1
                latencies.append(time.perf_counter() - started)
            task_seconds.append(time.perf_counter() - task_started)
            del backend
        results.put(("done", index, {
            "ok": ok,
            "failures": failures,
            "not_found": not_found,
            "unexpected": unexpected,
            "errors": [[list(key), n] for key, n in errors.items()],
            "latencies": latencies,
            "task_seconds": task_seconds,
        }))
    except BaseException as error:
        results.put(("done", index, {"fatal": "%s: %s" % describe(error)}))
    finally:
        shutil.rmtree(home, ignore_errors=True)


def mock_counts(url: str) -> dict:
    with urllib.request.urlopen(url.rstrip("/") + "/", timeout=30) as reply:
        return json.loads(reply.read())


def counts_difference(before: dict, after: dict) -> dict:
    diff = {}
    for key in sorted(k for k in after if k != "throttled") + ["throttled"]:
        if isinstance(after.get(key), (int, float)):
            diff[key] = after[key] - before.get(key, 0)
    names_before = before.get("names", {}) or {}
    per_name = {
        name: n - names_before.get(name, 0)
        for name, n in (after.get("names", {}) or {}).items()
        if n - names_before.get(name, 0) > 0
    }
    diff["names"] = {
        "distinct": len(per_name),
        "requests": sum(per_name.values()),
        "max_per_name": max(per_name.values(), default=0),
    }
    return diff


def start_mock(throttle_rps: int):
    port_file = tempfile.mktemp(prefix="mock-ssm-port-")
    env = dict(os.environ, MOCK_THROTTLE_RPS=str(throttle_rps))
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "bench/mock_ssm.py"), port_file], env=env)
    for _ in range(500):
        if os.path.exists(port_file) and open(port_file).read():
            port = int(open(port_file).read())
            os.unlink(port_file)
            return proc, f"http://127.0.0.1:{port}"
        time.sleep(0.02)
    proc.kill()
    raise SystemExit("the mock SSM server did not start")


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--backend", default="airflow", help="airflow, ours, or a dotted class path")
    parser.add_argument("--kwargs", help="the backend's kwargs, JSON (see the module docstring)")
    parser.add_argument("--mock-url", help="a running SSM mock; without it, bench/mock_ssm.py is started")
    parser.add_argument("--throttle-rps", type=int, default=40, help="MOCK_THROTTLE_RPS of the mock started without --mock-url")
    parser.add_argument("--processes", "-P", type=int, default=16)
    parser.add_argument("--runs", "-R", type=int, default=20, help="task runs per process")
    parser.add_argument("--lookups", "-L", type=int, default=10, help="lookups per task run")
    parser.add_argument("--names", "-K", type=int, default=50, help="distinct names drawn from")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before giving up on the processes")
    args = parser.parse_args()

    mock = None
    mock_url = args.mock_url
    if mock_url is None:
        mock, mock_url = start_mock(args.throttle_rps)
    try:
        extra = json.loads(args.kwargs) if args.kwargs else None
        if extra is not None and not isinstance(extra, dict):
            raise SystemExit("--kwargs must be a JSON object")
        defaults = {"endpoint_url": mock_url, "region_name": "us-east-1"}
        if args.backend == "airflow":
            kwargs = dict(defaults, **(extra or {}))
        elif args.backend == "ours" and extra is None:
            kwargs = defaults
        else:
            kwargs = extra or {}
        for key, value in AWS_DEFAULTS.items():
            os.environ.setdefault(key, value)
        job = {
            "backend": BACKENDS.get(args.backend, args.backend),
            "kwargs": kwargs,
            "runs": args.runs,
            "lookups": args.lookups,
            "names": args.names,
            "seed": args.seed,
        }
        return run(args, job, mock_url)
    finally:
        if mock is not None:
            mock.terminate()
            mock.wait()


def run(args, job: dict, mock_url: str) -> int:
    ctx = multiprocessing.get_context("spawn")
    go = ctx.Event()
    results = ctx.Queue()
    processes = [ctx.Process(target=child, args=(i, job, go, results), daemon=True) for i in range(args.processes)]
    deadline = time.monotonic() + args.timeout
    prepared = time.perf_counter()
    for proc in processes:
        proc.start()

    def receive(kind: str, pending: set) -> dict:
        got = {}
        while pending:
            try:
                message_kind, index, payload = results.get(timeout=1)
            except queue.Empty:
                dead = [i for i in pending if not processes[i].is_alive() and processes[i].exitcode is not None]
                if dead:
                    # Drain once more: a process may have written just before exiting.
                    try:
                        while True:
                            message_kind, index, payload = results.get(timeout=0.5)
                            if message_kind == kind:
                                got[index] = payload
                                pending.discard(index)
                    except queue.Empty:
                        pass
                    for i in [i for i in dead if i in pending]:
                        got[i] = {"fatal": f"process exited with code {processes[i].exitcode}"} if kind == "done" \
                            else f"process exited with code {processes[i].exitcode}"
                        pending.discard(i)
                if time.monotonic() > deadline:
                    raise SystemExit(f"timed out waiting for {len(pending)} processes ({kind})")
                continue
            if message_kind == kind:
                got[index] = payload
                pending.discard(index)
        return got

    try:
        ready = receive("ready", set(range(args.processes)))
        startup = time.perf_counter() - prepared
        broken = {i: e for i, e in ready.items() if e}
        before = mock_counts(mock_url)
        started = time.perf_counter()
        go.set()
        done = receive("done", {i for i in range(args.processes) if i not in broken})
        wall = time.perf_counter() - started
        after = mock_counts(mock_url)
    finally:
        for proc in processes:
            proc.join(timeout=10)
            if proc.is_alive():
                proc.terminate()

    errors: collections.Counter = collections.Counter()
    totals = collections.Counter()
    latencies: list[float] = []
    task_seconds: list[float] = []
    fatal = [f"process {i}: {e}" for i, e in sorted(broken.items())]
    for index, result in sorted(done.items()):
        if "fatal" in result:
            fatal.append(f"process {index}: {result['fatal']}")
            continue
        for key in ("ok", "failures", "not_found", "unexpected"):
            totals[key] += result[key]
        for (kind, message), n in result["errors"]:
            errors[(kind, message)] += n
        latencies.extend(result["latencies"])
        task_seconds.extend(result["task_seconds"])

    mock = counts_difference(before, after)
    requests = sum(v for k, v in mock.items() if k.startswith("AmazonSSM."))
    report = {
        "backend": job["backend"],
        "processes": args.processes,
        "runs": args.runs,
        "lookups_per_run": args.lookups,
        "names": args.names,
        "seed": args.seed,
        "lookups": sum(totals[k] for k in ("ok", "failures", "not_found", "unexpected")),
        "ok": totals["ok"],
        "failures": {
            "count": totals["failures"],
            "errors": [
                {"type": kind, "message": message, "count": n}
                for (kind, message), n in errors.most_common(ERRORS_SHOWN)
            ],
            "distinct_errors": len(errors),
        },
        "not_found": totals["not_found"],
        "unexpected_values": totals["unexpected"],
        "wall_seconds": round(wall, 3),
        "startup_seconds": round(startup, 3),
        "lookup_ms": {
            "p50": round(statistics.median(latencies) * 1000, 2) if latencies else 0.0,
            "p95": round(percentile(latencies, 0.95) * 1000, 2),
            "max": round(max(latencies, default=0.0) * 1000, 2),
        },
        "task_run_seconds": {
            "p50": round(statistics.median(task_seconds), 3) if task_seconds else 0.0,
            "max": round(max(task_seconds, default=0.0), 3),
        },
        "mock": mock,
        "mock_answered_per_second": round((requests - mock.get("throttled", 0)) / wall, 1) if wall else None,
    }
    if fatal:
        report["fatal"] = fatal[:ERRORS_SHOWN]
    print(json.dumps(report), flush=True)
    return 1 if fatal else 0


if __name__ == "__main__":
    sys.exit(main())
