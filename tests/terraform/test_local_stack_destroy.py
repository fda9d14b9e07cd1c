"""Soak (`make soak`, not in `make test`): the multi-region local environment applies to the emulator
with every piece wired, and `terraform destroy` leaves nothing, in either region.

Applied into its own state with a name prefix, so a session's stack (the `stack` fixture) on the
same emulator is not disturbed; resources are found by that prefix, in both regions, before and
after the destroy. `make test` checks the same wiring on mocked providers in a second
(terraform/environments/local/tests), and the single-region stack on the emulator once per session.
"""

import json
import os
from pathlib import Path
from typing import Any

import boto3
import pytest

from scripts import build_lambda_packages
from tests.terraform.terraform_cli import TERRAFORM_DIR, run_tf

pytestmark = [pytest.mark.integration, pytest.mark.soak]

PREFIX = "tdestroy-"
LOCAL_ENV = TERRAFORM_DIR / "environments" / "local"
HOME_REGION = os.environ.get("AWS_REGION", "us-east-1")
SECOND_REGION = "us-west-2"
REGIONAL_KINDS = {"sqs", "lambda", "sns", "alarm", "rule", "logs", "ec2"}


def leftovers(prefix: str, instance_id: str, with_http_api: bool, region: str = HOME_REGION) -> list[str]:
    """Every resource of the emulator in `region` whose name carries `prefix`, plus the stand-in if not
    terminated. Global kinds (IAM, S3) and the home-only ones are listed for the home region only."""

    def client(service: str) -> Any:
        return boto3.client(service, region_name=region)

    found = [f"sqs:{url}" for url in client("sqs").list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])]
    found += [f"lambda:{f['FunctionName']}" for f in client("lambda").list_functions()["Functions"]
              if f["FunctionName"].startswith(prefix)]
    found += [f"sns:{t['TopicArn']}" for t in client("sns").list_topics()["Topics"]
              if t["TopicArn"].rsplit(":", 1)[1].startswith(prefix)]
    cloudwatch = client("cloudwatch")
    found += [f"alarm:{a['AlarmName']}" for a in cloudwatch.describe_alarms(AlarmNamePrefix=prefix)["MetricAlarms"]]
    found += [f"rule:{r['Name']}" for r in client("events").list_rules(NamePrefix=prefix)["Rules"]]
    found += [f"logs:{g['logGroupName']}" for g in client("logs").describe_log_groups()["logGroups"]
              if prefix in g["logGroupName"]]
    reservations = client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
    found += [f"ec2:{i['InstanceId']}:{i['State']['Name']}" for r in reservations for i in r["Instances"]
              if i["State"]["Name"] != "terminated"]
    if region != HOME_REGION:
        return found
    found += [f"dynamodb:{t}" for t in client("dynamodb").list_tables()["TableNames"] if t.startswith(prefix)]
    found += [f"s3:{b['Name']}" for b in client("s3").list_buckets()["Buckets"] if b["Name"].startswith(prefix)]
    iam = client("iam")
    found += [f"iam-role:{r['RoleName']}" for r in iam.list_roles()["Roles"] if r["RoleName"].startswith(prefix)]
    found += [
        f"iam-profile:{p['InstanceProfileName']}" for p in iam.list_instance_profiles()["InstanceProfiles"]
        if p["InstanceProfileName"].startswith(prefix)
    ]
    found += [
        f"dashboard:{d['DashboardName']}"
        for d in cloudwatch.list_dashboards(DashboardNamePrefix=prefix)["DashboardEntries"]
    ]
    if with_http_api:
        apis = client("apigatewayv2").get_apis()["Items"]
        found += [f"api:{a['Name']}" for a in apis if a["Name"].startswith(prefix)]
    return found


def check_multi_region_wiring(outputs: dict[str, Any]) -> None:
    """What the deployed functions read: the API sends to the master queue and wakes nothing, the
    distributor forwards to both pools and is fed in batches, the second pool reaches the home table."""
    def environment(region: str, function: str) -> dict[str, str]:
        config = boto3.client("lambda", region_name=region).get_function_configuration(FunctionName=function)
        return config["Environment"]["Variables"]

    api = environment(HOME_REGION, outputs["api_function_name"])
    assert api["SQS_QUEUE_URL"] == outputs["submit_queue_url"]
    assert "distributor_master_queue" in api["SQS_QUEUE_URL"]
    assert "GPU_INSTANCE_ID" not in api

    distributor = environment(HOME_REGION, outputs["distributor_function_name"])
    assert json.loads(distributor["REGION_QUEUES"]) == {
        HOME_REGION: outputs["task_queue_url"],
        SECOND_REGION: outputs["second_pool"]["worker_environment"]["SQS_QUEUE_URL"],
    }
    mappings = [m for m in boto3.client("lambda", region_name=HOME_REGION).list_event_source_mappings()
                ["EventSourceMappings"] if m["FunctionArn"].endswith(f":{outputs['distributor_function_name']}")]
    assert [(m["EventSourceArn"].rsplit(":", 1)[1], m.get("FunctionResponseTypes")) for m in mappings] == [
        (f"{PREFIX}distributor_master_queue", ["ReportBatchItemFailures"])]

    home_power = environment(HOME_REGION, outputs["shutdown_lambda_name"])
    assert (home_power["GPU_POOL"], home_power["SQS_QUEUE_URL"]) == (HOME_REGION, outputs["task_queue_url"])

    second = outputs["second_pool"]
    power = environment(SECOND_REGION, second["shutdown_lambda_name"])
    assert power["GPU_POOL"] == SECOND_REGION
    assert (power["DYNAMODB_TABLE"], power["DYNAMODB_REGION"]) == (outputs["task_table_name"], HOME_REGION)
    assert power["GPU_INSTANCE_ID"] == second["gpu_instance_id"]
    queue_url = second["worker_environment"]["SQS_QUEUE_URL"]
    assert power["SQS_QUEUE_URL"] == queue_url
    boto3.client("sqs", region_name=SECOND_REGION).get_queue_attributes(QueueUrl=queue_url)  # it exists there
    instance = boto3.client("ec2", region_name=SECOND_REGION).describe_instances(
        InstanceIds=[second["gpu_instance_id"]])["Reservations"][0]["Instances"][0]
    assert instance["State"]["Name"] == "stopped"


def test_multi_region_apply_is_wired_and_destroy_leaves_nothing(emulator: str, tmp_path: Path) -> None:
    build_lambda_packages.build([], build_lambda_packages.DEFAULT_OUT)
    state = tmp_path / "destroy-check.tfstate"
    data_dir = tmp_path / "data"  # TF_DATA_DIR holds a terraform.tfstate of its own (backend metadata)
    variables = [f"-var=name_prefix={PREFIX}", "-var=distributor_enabled=true",
                 f"-var=second_region={SECOND_REGION}", f"-state={state}"]
    init = run_tf(["init", "-input=false", "-no-color"], LOCAL_ENV, data_dir)
    assert init.returncode == 0, init.stderr
    apply = run_tf(["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=20", *variables],
                   LOCAL_ENV, data_dir)
    assert apply.returncode == 0, apply.stderr
    output = run_tf(["output", "-json", f"-state={state}"], LOCAL_ENV, data_dir)
    assert output.returncode == 0, output.stderr
    outputs = {name: entry["value"] for name, entry in json.loads(output.stdout).items()}
    instance_id = outputs["gpu_instance_id"]
    second_instance_id = outputs["second_pool"]["gpu_instance_id"]
    assert outputs["task_table_name"] == f"{PREFIX}task_store"
    check_multi_region_wiring(outputs)

    with_http_api = outputs["api_id"] is not None
    before = leftovers(PREFIX, instance_id, with_http_api)
    kinds = {entry.split(":")[0] for entry in before}
    expected = {"sqs", "dynamodb", "s3", "iam-role", "iam-profile", "lambda", "sns", "alarm", "dashboard", "rule",
                "logs", "ec2"}
    if with_http_api:
        expected.add("api")
    assert kinds == expected, before
    second_before = leftovers(PREFIX, second_instance_id, with_http_api, SECOND_REGION)
    assert {entry.split(":")[0] for entry in second_before} == REGIONAL_KINDS, second_before

    destroy = run_tf(["destroy", "-auto-approve", "-input=false", "-no-color", "-parallelism=20", *variables],
                     LOCAL_ENV, data_dir)
    assert destroy.returncode == 0, destroy.stderr
    listed = run_tf(["state", "list", f"-state={state}"], LOCAL_ENV, data_dir)
    assert listed.stdout.strip() == ""
    assert leftovers(PREFIX, instance_id, with_http_api) == []
    assert leftovers(PREFIX, second_instance_id, with_http_api, SECOND_REGION) == []
