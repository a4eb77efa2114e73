"""``python -m airflow_ssm_wasm serve [--listen 127.0.0.1:2773] [--backend-kwargs JSON]``
(also the console script ``airflow-ssm-wasm serve``): the sidecar, one cache for every task
process of an Airflow worker.

It is configured like Airflow's backend: ``--backend-kwargs`` or ``SSM_SECRETS_BACKEND_KWARGS``
(Airflow's ``backend_kwargs`` JSON, plus the sidecar's own ``cache_*``,
``ssm_requests_per_second`` and ``batch_window_ms``), the ``AWS_*`` credentials, and the token in
``AWS_TOKEN`` / ``AWS_SESSION_TOKEN`` / ``AWS_CONTAINER_AUTHORIZATION_TOKEN`` (a value or
``file://<path>``). It prints ``listening on http://<addr>`` once it answers and stops cleanly on
SIGTERM. Task processes reach it with ``backend_kwargs`` ``{"sidecar_url": "http://<addr>", ...}``.
"""

from __future__ import annotations

import argparse
import os
import sys

from airflow_ssm_wasm._component import component_path
from airflow_ssm_wasm.errors import SsmSecretsError

DEFAULT_LISTEN = "127.0.0.1:2773"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="airflow-ssm-wasm", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the sidecar until SIGTERM")
    serve.add_argument("--listen", default=DEFAULT_LISTEN, help=f"address to bind (default {DEFAULT_LISTEN})")
    serve.add_argument("--backend-kwargs", default=None,
                       help="Airflow's backend_kwargs JSON (default: $SSM_SECRETS_BACKEND_KWARGS, else {})")
    args = parser.parse_args(argv)
    kwargs = args.backend_kwargs
    if kwargs is None:
        kwargs = os.environ.get("SSM_SECRETS_BACKEND_KWARGS", "").strip() or "{}"
    from airflow_ssm_wasm import _native

    try:
        _native.serve(component_path(), args.listen, kwargs)
    except SsmSecretsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
