"""`terraform destroy` of the local environment leaves nothing behind.

Applied into its own state with a name prefix, so the session's stack (the `stack` fixture) on the
same emulator is not disturbed; resources are found by that prefix before and after the destroy.
"""

import json
import os
from pathlib import Path
from typing import Any

import boto3
import pytest

from scripts import build_lambda_packages
from tests.terraform.terraform_cli import TERRAFORM_DIR, run_tf

pytestmark = pytest.mark.integration

PREFIX = "tdestroy-"
LOCAL_ENV = TERRAFORM_DIR / "environments" / "local"


def leftovers(prefix: str, instance_id: str, with_http_api: bool) -> list[str]:
    """Every resource of the emulator whose name carries `prefix`, plus the stand-in if not terminated."""
    region = os.environ.get("AWS_REGION", "us-east-1")

    def client(service: str) -> Any:
        return boto3.client(service, region_name=region)

    found = [f"sqs:{url}" for url in client("sqs").list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])]
    found += [f"dynamodb:{t}" for t in client("dynamodb").list_tables()["TableNames"] if t.startswith(prefix)]
    found += [f"s3:{b['Name']}" for b in client("s3").list_buckets()["Buckets"] if b["Name"].startswith(prefix)]
    iam = client("iam")
    found += [f"iam-role:{r['RoleName']}" for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(prefix)]
    found += [
        f"iam-profile:{p['InstanceProfileName']}" for p in iam.list_instance_profiles()["InstanceProfiles"]
        if p["InstanceProfileName"].startswith(prefix)
    ]
    found += [
        f"lambda:{f['FunctionName']}" for f in client("lambda").list_functions()["Functions"]
        if f["FunctionName"].startswith(prefix)
    ]
    found += [
        f"sns:{t['TopicArn']}" for t in client("sns").list_topics()["Topics"]
        if t["TopicArn"].rsplit(":", 1)[1].startswith(prefix)
    ]
    cloudwatch = client("cloudwatch")
    found += [f"alarm:{a['AlarmName']}" for a in cloudwatch.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]]
    found += [
        f"dashboard:{d['DashboardName']}"
        for d in cloudwatch.list_dashboards(DashboardNamePrefix=prefix)["DashboardEntries"]
    ]
    found += [f"rule:{r['Name']}" for r in client("events").list_rules(NamePrefix=prefix)["Rules"]]
    if with_http_api:
        apis = client("apigatewayv2").get_apis()["Items"]
        found += [f"api:{a['Name']}" for a in apis if a["Name"].startswith(prefix)]
    found += [
        f"logs:{g['logGroupName']}" for g in client("logs").describe_log_groups()["logGroups"]
        if prefix in g["logGroupName"]
    ]
    reservations = client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
    found += [
        f"ec2:{i['InstanceId']}:{i['State']['Name']}" for r in reservations for i in r["Instances"]
        if i["State"]["Name"] != "terminated"
    ]
    return found


def test_destroy_leaves_nothing_behind(emulator: str, tmp_path: Path) -> None:
    build_lambda_packages.build([], build_lambda_packages.DEFAULT_OUT)
    state = tmp_path / "destroy-check.tfstate"
    data_dir = tmp_path / "data"  # TF_DATA_DIR holds a terraform.tfstate of its own (backend metadata)
    variables = [f"-var=name_prefix={PREFIX}", f"-state={state}"]
    init = run_tf(["init", "-input=false", "-no-color"], LOCAL_ENV, data_dir)
    assert init.returncode == 0, init.stderr
    apply = run_tf(["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=20", *variables],
                   LOCAL_ENV, data_dir)
    assert apply.returncode == 0, apply.stderr
    output = run_tf(["output", "-json", f"-state={state}"], LOCAL_ENV, data_dir)
    assert output.returncode == 0, output.stderr
    outputs = json.loads(output.stdout)
    instance_id = outputs["gpu_instance_id"]["value"]
    assert outputs["task_table_name"]["value"] == f"{PREFIX}task_store"

    with_http_api = outputs["api_id"]["value"] is not None
    before = leftovers(PREFIX, instance_id, with_http_api)
    kinds = {entry.split(":")[0] for entry in before}
    expected = {"sqs", "dynamodb", "s3", "iam-role", "iam-profile", "lambda", "sns", "alarm", "dashboard", "rule",
                "logs", "ec2"}
    if with_http_api:
        expected.add("api")
    assert kinds == expected, before

    destroy = run_tf(["destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=20", *variables],
                     LOCAL_ENV, data_dir)
    assert destroy.returncode == 0, destroy.stderr
    listed = run_tf(["state", "list", f"-state={state}"], LOCAL_ENV, data_dir)
    assert listed.stdout.strip() == ""
    assert leftovers(PREFIX, instance_id, with_http_api) == []
