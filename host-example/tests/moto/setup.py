"""Prepares a moto standalone server for the end-to-end tests (run with the moto venv's python).

Creates an IAM user `airflow-reader` allowed to read SSM parameters, a user `airflow-assumer`
allowed only to assume the role `ssm-reader` (which may read SSM parameters), stores the test
parameters, then switches moto's signature and IAM checking on for every later request. Prints
the keys and the role ARN as JSON on stdout.

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

iam.create_user(UserName="airflow-assumer")
iam.put_user_policy(
    UserName="airflow-assumer",
    PolicyName="assume-only",
    PolicyDocument=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
        }
    ),
)
assumer = iam.create_access_key(UserName="airflow-assumer")["AccessKey"]

role = iam.create_role(
    RoleName="ssm-reader",
    AssumeRolePolicyDocument=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "*", "Federated": "*"},
                    "Action": ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity"],
                }
            ],
        }
    ),
)["Role"]
iam.put_role_policy(
    RoleName="ssm-reader",
    PolicyName="read-parameters",
    PolicyDocument=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "*"}],
        }
    ),
)

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

print(
    json.dumps(
        {
            "access_key_id": key["AccessKeyId"],
            "secret_access_key": key["SecretAccessKey"],
            "assumer_key_id": assumer["AccessKeyId"],
            "assumer_secret": assumer["SecretAccessKey"],
            "role_arn": role["Arn"],
        }
    )
)
