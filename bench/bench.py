"""Benchmarks of the component through host-example against boto3, on one loopback SSM mock.

Measures: component size; the component's own CPU per get-variable (fixture upstream) and per
parse-connection (host-example's lookup_cpu example); cold start (new process to first value, and to its end) with and without the
precompiled cache; client CPU per warm lookup (host-example vs boto3, aws-sdk-ssm and a native
floor of hyper + aws-sigv4 + serde_json, bench/native, in the same run); peak memory of one CLI
lookup; a cold boto3 process. Prints a table and the ratios to the budgets
of the issues (README, "Cache, batching and start-up"). Run it with `bash scripts/bench.sh` (it builds what it needs first).
"""

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The CLI as it ships: the `dist` profile (LTO), which `scripts/bench.sh` builds.
HOST = os.environ.get("SSM_SECRETS_CLI", os.path.join(ROOT, "target/dist/host-example"))
COMPONENT = os.path.join(ROOT, "target/wasm32-wasip2/component/ssm_secrets.wasm")
# The native clients' bench (bench/native, outside the workspace), which `scripts/bench.sh` builds.
NATIVE_BENCH = os.environ.get("SSM_NATIVE_BENCH", os.path.join(ROOT, "target/native-bench/release/ssm-native-bench"))
RUNS = int(os.environ.get("BENCH_RUNS", "20"))
WARM_IDS = int(os.environ.get("BENCH_WARM_IDS", "500"))


def start_mock():
    port_file = tempfile.mktemp()
    proc = subprocess.Popen([sys.executable, os.path.join(ROOT, "bench/mock_ssm.py"), port_file])
    for _ in range(200):
        if os.path.exists(port_file) and open(port_file).read():
            return proc, int(open(port_file).read())
        time.sleep(0.02)
    raise SystemExit("the mock SSM server did not start")


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_cli(args, env):
    """Wall time, child CPU and exit code of one CLI run."""
    cpu = children_cpu()
    started = time.perf_counter()
    done = subprocess.run([HOST, "--component", COMPONENT, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"host-example failed: {done.stderr.decode()}")
    return wall, children_cpu() - cpu


def first_value(args, env):
    """Wall time from starting the CLI to reading the first line of its output, and to its end."""
    started = time.perf_counter()
    proc = subprocess.Popen([HOST, "--component", COMPONENT, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = proc.stdout.readline()
    shown = time.perf_counter() - started
    _, err = proc.communicate()
    ended = time.perf_counter() - started
    if proc.returncode != 0 or not line:
        raise SystemExit(f"host-example failed: {err.decode()}")
    return shown, ended


def peak_rss_kib(args, env):
    code = (
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code, HOST, "--component", COMPONENT, *args], env=env, capture_output=True, check=True)
    return int(out.stdout)


def main():
    mock, port = start_mock()
    endpoint = f"http://127.0.0.1:{port}"
    kwargs = json.dumps({"endpoint_url": endpoint, "region_name": "us-east-1"})
    cache = tempfile.mkdtemp(prefix="ssm-secrets-bench-")
    base_env = {"PATH": os.environ["PATH"], "AWS_ACCESS_KEY_ID": "AKIDBENCH", "AWS_SECRET_ACCESS_KEY": "bench-secret", "AWS_EC2_METADATA_DISABLED": "true"}
    cached = dict(base_env, SSM_SECRETS_CACHE_DIR=cache)
    uncached = dict(base_env, SSM_SECRETS_NO_CACHE="1")
    one = ["--backend-kwargs", kwargs, "get-conn-value", "bench"]
    results = {}
    try:
        results["component size (bytes)"] = os.path.getsize(COMPONENT)
        run_cli(one, cached)  # fill the cache
        cold_cached = [first_value(one, cached) for _ in range(RUNS)]
        cold_uncached = [run_cli(one, uncached)[0] for _ in range(max(3, RUNS // 4))]
        # The budget's measure: a new process to its first value (the value is printed, then
        # the process exits: the kernel tears down its address space, the harness reaps it).
        results["cold start, precompiled cache (ms, median)"] = statistics.median(t for t, _ in cold_cached) * 1000
        results["cold start to the process's end, precompiled cache (ms, median)"] = statistics.median(t for _, t in cold_cached) * 1000
        results["cold start, no cache (ms, median)"] = statistics.median(cold_uncached) * 1000
        # What this harness itself costs a process: Python's spawn and wait, for /bin/true.
        floor = []
        for _ in range(RUNS):
            started = time.perf_counter()
            subprocess.run(["/bin/true"], env=base_env, check=True)
            floor.append(time.perf_counter() - started)
        results["the harness's own cost, spawning /bin/true (ms, median)"] = statistics.median(floor) * 1000

        ids = [f"id{i}" for i in range(WARM_IDS)]
        _, cpu_one = run_cli(one, cached)
        _, cpu_many = run_cli(["--backend-kwargs", kwargs, "get-conn-value", *ids], cached)
        ours = (cpu_many - cpu_one) / (WARM_IDS - 1)
        results["client CPU per lookup, CLI with 500 ids (batched) (us)"] = ours * 1e6
        results["peak memory, one CLI lookup (MiB)"] = peak_rss_kib(one, cached) / 1024

        import urllib.request

        before = json.loads(urllib.request.urlopen(endpoint + "/").read())
        bench = subprocess.run(
            ["cargo", "bench", "--locked", "-q", "-p", "host-example", "--bench", "lookups"],
            cwd=ROOT, env=dict(os.environ, BENCH_ENDPOINT=endpoint, SSM_SECRETS_COMPONENT=COMPONENT),
            capture_output=True, check=True, text=True,
        )
        after = json.loads(urllib.request.urlopen(endpoint + "/").read())
        results.update(json.loads(bench.stdout.strip().splitlines()[-1]))
        batches = after.get("AmazonSSM.GetParameters", 0) - before.get("AmazonSSM.GetParameters", 0)
        results["requests for the batch of 100"] = batches

        cpu = subprocess.run(
            ["cargo", "run", "--locked", "-q", "--release", "-p", "host-example", "--example", "lookup_cpu"],
            cwd=ROOT, env=dict(os.environ, SSM_SECRETS_COMPONENT=COMPONENT),
            capture_output=True, check=True, text=True,
        )
        results.update(json.loads(cpu.stdout.strip().splitlines()[-1]))

        # The native clients on the same mock (BENCH_ROUNDS lookups each, as the lookups bench).
        native = subprocess.run([NATIVE_BENCH, endpoint], capture_output=True, check=True, text=True)
        native = json.loads(native.stdout.strip().splitlines()[-1])
        floor_us = native["client CPU per warm lookup, native floor (hyper + aws-sigv4 + serde_json) (us)"]
        sdk_us = native["client CPU per warm lookup, aws-sdk-ssm (us)"]
        host_us = results["client CPU per warm single lookup, host (us)"]
        results["client CPU per warm lookup, native floor (hyper + aws-sigv4 + serde_json) (us)"] = floor_us
        results["client CPU per warm lookup, aws-sdk-ssm (us)"] = sdk_us
        results["host / native floor CPU per warm lookup (x)"] = host_us / floor_us
        results["aws-sdk-ssm / host CPU per warm lookup (x)"] = sdk_us / host_us

        import boto3

        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", "import boto3, sys; boto3.client('ssm', endpoint_url=sys.argv[1], region_name='us-east-1', aws_access_key_id='a', aws_secret_access_key='b').get_parameter(Name='/airflow/connections/bench', WithDecryption=True)", endpoint],
            check=True,
        )
        results["cold boto3 process to first value (ms)"] = (time.perf_counter() - started) * 1000
        client = boto3.client("ssm", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b")
        client.get_parameter(Name="/airflow/connections/warmup", WithDecryption=True)
        cpu = time.process_time()
        for i in range(WARM_IDS):
            client.get_parameter(Name=f"/airflow/connections/id{i}", WithDecryption=True)
        boto = (time.process_time() - cpu) / WARM_IDS
        results["client CPU per warm lookup, boto3 (us)"] = boto * 1e6
        single = results["client CPU per warm single lookup, host (us)"] / 1e6
        results["boto3 / host CPU per warm lookup, single GetParameter each (x)"] = boto / single
        results["boto3 / CLI CPU per lookup, batched (x)"] = boto / ours if ours > 0 else float("inf")
    finally:
        mock.kill()

    budgets = {
        "component size (bytes)": ("<=", 350 * 1024),
        "cold start, precompiled cache (ms, median)": ("<=", 4),
        "component get-variable, fixture upstream (us CPU)": ("<=", 30),
        "component parse-connection, typical URI (us CPU)": ("<=", 10),
        "boto3 / CLI CPU per lookup, batched (x)": (">=", 100),
        "boto3 / host CPU per warm lookup, single GetParameter each (x)": (">=", 20),
        "peak memory, one CLI lookup (MiB)": ("<=", 30),
        "cached lookup through the host (us)": ("<=", 2),
        "requests for the batch of 100": ("<=", 10),
    }
    print("| measure | value | budget | met |\n| --- | --- | --- | --- |")
    for name, value in results.items():
        budget = budgets.get(name)
        shown = f"{value:,.1f}" if isinstance(value, float) else f"{value:,}"
        if budget:
            op, limit = budget
            met = value <= limit if op == "<=" else value >= limit
            print(f"| {name} | {shown} | {op} {limit:,} | {'yes' if met else 'NO'} |")
        else:
            print(f"| {name} | {shown} | | |")


if __name__ == "__main__":
    main()
