"""Prepares a moto standalone server for the end-to-end test (run with the moto venv's python).

Creates an IAM user allowed to read SSM parameters, stores the test parameters, then switches
moto's signature and IAM checking on for every later request. Prints the user's access key as
JSON on stdout.

usage: setup.py ENDPOINT_URL PARAMETERS_JSON
"""

import json
import sys
import urllib.request

import boto3

endpoint, parameters = sys.argv[1], json.loads(sys.argv[2])
admin = dict(
    endpoint_url=endpoint,
    region_name="us-east-1",
    aws_access_key_id="bootstrap",
    aws_secret_access_key="bootstrap",
)

iam = boto3.client("iam", **admin)
iam.create_user(UserName="airflow-reader")
iam.put_user_policy(
    UserName="airflow-reader",
    PolicyName="read-parameters",
    PolicyDocument=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["ssm:GetParameter", "ssm:GetParameters"],
                    "Resource": "*",
                }
            ],
        }
    ),
)
key = iam.create_access_key(UserName="airflow-reader")["AccessKey"]

ssm = boto3.client("ssm", **admin)
for item in parameters:
    ssm.put_parameter(Name=item["name"], Value=item["value"], Type=item["type"], Overwrite=True)

# From now on moto checks SigV4 and IAM on every request.
request = urllib.request.Request(
    endpoint + "/moto-api/reset-auth",
    data=b"0",
    headers={"Content-Type": "text/plain"},
    method="POST",
)
urllib.request.urlopen(request).read()

print(json.dumps({"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}))
