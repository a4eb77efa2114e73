"""Writes botocore-endpoints.json: the SSM and STS endpoints botocore resolves for each region,
with FIPS and dual-stack off and on, or the error it raises instead.

For every (service, region, fips, dualstack) row, a client is built as Airflow builds its SSM and
STS clients: ``boto3.Session(region_name=...).client(service, config=Config(use_fips_endpoint=...,
use_dualstack_endpoint=...))`` (the sessions share one botocore session, so the service models
are read once). One call (``GetParameter`` / ``GetCallerIdentity``) is started
and stopped at ``before-send``: nothing leaves the machine, and the URL recorded is the one
botocore's endpoint rule set chose for the request (``client.meta.endpoint_url`` comes from the
older endpoints.json resolver, and differs for some partitions). ``error`` is the exception
botocore raises at client creation or when resolving the endpoint (a variant the partition does
not have), as ``"<class>: <message>"``.

The regions: every region of botocore 1.44's partitions.json, one unlisted region matching each
partition's pattern, and one matching no partition (botocore falls back to ``aws``).
The environment is emptied of AWS settings first, so only the Config decides.
Run with the Airflow 3 virtualenv's Python:
    target/airflow-venv/bin/python tests/data/botocore-endpoints.py > tests/data/botocore-endpoints.json
"""
import json
import os

for name in list(os.environ):
    if name.startswith("AWS_"):
        del os.environ[name]
os.environ.update(
    AWS_CONFIG_FILE=os.devnull,
    AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    AWS_EC2_METADATA_DISABLED="true",
)

import boto3  # noqa: E402
import botocore  # noqa: E402
import botocore.session  # noqa: E402
from botocore.config import Config  # noqa: E402

REGIONS = [
    # aws
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1",
    "eu-south-1", "eu-south-2", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ap-northeast-1",
    "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2", "ap-east-1", "ap-east-2",
    "af-south-1", "il-central-1", "me-central-1", "me-south-1", "me-west-1", "mx-central-1",
    "sa-east-1", "sa-west-1", "us-north-9",
    # aws-cn
    "cn-north-1", "cn-northwest-1", "cn-south-9",
    # aws-us-gov
    "us-gov-west-1", "us-gov-east-1", "us-gov-north-9",
    # aws-iso, aws-iso-b, aws-iso-e, aws-iso-f
    "us-iso-east-1", "us-iso-west-1", "us-iso-north-9",
    "us-isob-east-1", "us-isob-west-1", "us-isob-north-9",
    "eu-isoe-west-1", "eu-isoe-north-9",
    "us-isof-south-1", "us-isof-east-1", "us-isof-north-9",
    # aws-eusc
    "eusc-de-east-1", "eusc-de-west-9",
    # no partition's pattern: botocore uses aws
    "xx-north-1",
]
CALLS = {"ssm": ("get_parameter", {"Name": "x"}), "sts": ("get_caller_identity", {})}


class Stop(Exception):
    """Raised at before-send: the request was built, and is not sent."""


# One botocore session for every row: its loader reads each service model once.
BOTOCORE_SESSION = botocore.session.get_session()


def resolve(service, region, fips, dualstack):
    session = boto3.Session(
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        region_name=region,
        botocore_session=BOTOCORE_SESSION,
    )
    row = {"service": service, "region": region, "fips": fips, "dualstack": dualstack}
    try:
        client = session.client(
            service, config=Config(use_fips_endpoint=fips, use_dualstack_endpoint=dualstack)
        )
        seen = {}

        def stop(request, **_):
            seen["url"] = request.url
            raise Stop()

        client.meta.events.register("before-send", stop)
        method, params = CALLS[service]
        try:
            getattr(client, method)(**params)
        except Stop:
            pass
        scheme, rest = seen["url"].split("://", 1)
        row["url"] = f"{scheme}://{rest.split('/', 1)[0]}"
    except botocore.exceptions.BotoCoreError as e:
        row["error"] = f"{type(e).__name__}: {e}".strip()
    return row


rows = [
    resolve(service, region, fips, dualstack)
    for service in ("ssm", "sts")
    for region in REGIONS
    for fips in (False, True)
    for dualstack in (False, True)
]
print('{"botocore": ' + json.dumps(botocore.__version__) + ', "rows": [')
print(",\n".join(json.dumps(row) for row in rows))
print("]}")
