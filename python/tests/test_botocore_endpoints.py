"""The FIPS and dual-stack endpoints of ``tests/data/botocore-endpoints.json`` (which the core's
``tests/botocore_endpoints.rs`` checks row by row) are still what this virtualenv's botocore
resolves: the generator runs again here and must give the same rows, so a botocore release that
moves an endpoint, or adds a variant to a partition, fails here instead of drifting unseen.

Both virtualenvs scripts/test.sh builds (Airflow 3.3 and Airflow 2.10) hold botocore 1.44.18 today,
the version the file was written with, and both give the same rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "tests", "data")


def test_botocore_resolves_the_committed_endpoints():
    with open(os.path.join(DATA, "botocore-endpoints.json"), encoding="utf-8") as f:
        committed = json.load(f)
    run = subprocess.run(
        [sys.executable, os.path.join(DATA, "botocore-endpoints.py")],
        capture_output=True, text=True, check=True, timeout=300,
    )
    current = json.loads(run.stdout)
    key = lambda row: (row["service"], row["region"], row["fips"], row["dualstack"])  # noqa: E731
    was = {key(row): row for row in committed["rows"]}
    now = {key(row): row for row in current["rows"]}
    assert was.keys() == now.keys(), "the generator's table changed: write the file again"
    moved = [f"{k}: {was[k]} -> {now[k]}" for k in was if was[k] != now[k]]
    assert not moved, (
        f"botocore {current['botocore']} resolves {len(moved)} rows differently from botocore "
        f"{committed['botocore']} (tests/data/botocore-endpoints.json):\n" + "\n".join(moved[:20])
    )
