"""The `local` environment as `terraform apply` built it on the emulator, read back with boto3 and
compared with the defaults: names, queue and table settings, roles, the power, API and dashboard resources."""

import json
from typing import Any

import boto3
import pytest

from gpujobs.settings import load_settings
from services.api.app import REQUIRED_SETTINGS as API_REQUIRED_SETTINGS
from services.shutdown_lambda.power_config import PowerRunConfig

pytestmark = pytest.mark.integration

API_ROUTES = {
    "POST /api/v1/camera-angle/jobs",
    "POST /api/v1/qwen-image-edit/jobs",
    "GET /api/v1/jobs",
    "GET /api/v1/jobs/{job_id}",
    "POST /api/v1/jobs/{job_id}/cancel",
    "GET /api/v1/camera-angle/jobs/{job_id}",
    "GET /api/v1/qwen-image-edit/jobs/{job_id}",
    "GET /health",
    "$default",
}


def aws(service: str, stack: dict[str, Any]) -> Any:
    # The emulator fixture points AWS_ENDPOINT_URL (which boto3 honours) at the emulator.
    return boto3.client(service, region_name=stack["aws_region"])


def function_environment(stack: dict[str, Any], name: str) -> dict[str, str]:
    config = aws("lambda", stack).get_function_configuration(FunctionName=name)
    return config["Environment"]["Variables"]


def test_task_queue_has_specs_settings_and_redrives_to_its_dlq(stack: dict[str, Any]) -> None:
    sqs = aws("sqs", stack)
    attributes = sqs.get_queue_attributes(QueueUrl=stack["task_queue_url"], AttributeNames=["All"])["Attributes"]
    assert stack["task_queue_url"].endswith("/gpu_tasks_queue")
    assert attributes["VisibilityTimeout"] == "300"
    assert attributes["ReceiveMessageWaitTimeSeconds"] == "20"
    assert attributes["MessageRetentionPeriod"] == "86400"
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["deadLetterTargetArn"] == stack["task_dlq_arn"]
    assert int(redrive["maxReceiveCount"]) == 3
    dlq = sqs.get_queue_attributes(QueueUrl=stack["task_dlq_url"], AttributeNames=["QueueArn"])["Attributes"]
    assert stack["task_dlq_url"].endswith("/gpu_tasks_queue_dlq")
    assert dlq["QueueArn"] == stack["task_dlq_arn"]


def test_task_table_has_key_index_ttl_recovery_and_encryption(stack: dict[str, Any]) -> None:
    dynamodb = aws("dynamodb", stack)
    table = dynamodb.describe_table(TableName=stack["task_table_name"])["Table"]
    assert table["TableName"] == "task_store"
    assert table["KeySchema"] == [{"AttributeName": "task_id", "KeyType": "HASH"}]
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    assert types == {"task_id": "S", "status": "S", "created_at": "N", "tenant": "S", "waiting_tenant": "S"}
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    indexes = {i["IndexName"]: i["KeySchema"] for i in table["GlobalSecondaryIndexes"]}
    assert indexes == {
        "status-created_at-index": [{"AttributeName": "status", "KeyType": "HASH"},
                                    {"AttributeName": "created_at", "KeyType": "RANGE"}],
        "tenant-created_at-index": [{"AttributeName": "tenant", "KeyType": "HASH"},
                                    {"AttributeName": "created_at", "KeyType": "RANGE"}],
        "waiting_tenant-created_at-index": [{"AttributeName": "waiting_tenant", "KeyType": "HASH"},
                                            {"AttributeName": "created_at", "KeyType": "RANGE"}],
    }
    assert table["SSEDescription"]["Status"] == "ENABLED"
    ttl = dynamodb.describe_time_to_live(TableName=stack["task_table_name"])["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}
    backups = dynamodb.describe_continuous_backups(TableName=stack["task_table_name"])
    recovery = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
    assert recovery["PointInTimeRecoveryStatus"] == "ENABLED"


def test_api_key_table_is_keyed_by_key_id_and_the_api_may_only_read_single_keys(stack: dict[str, Any]) -> None:
    name = load_settings("api").get("API_KEYS_TABLE")
    table = aws("dynamodb", stack).describe_table(TableName=name)["Table"]
    assert (table["TableName"], table["KeySchema"]) == ("gpu-orchestrator-api-keys",
                                                         [{"AttributeName": "key_id", "KeyType": "HASH"}])
    assert table["SSEDescription"]["Status"] == "ENABLED"
    on_keys = [s for s in _inline_statements(aws("iam", stack), "gpu-orchestrator-task-role")
               if any(str(r).endswith(f":table/{name}") for r in ([s["Resource"]] if isinstance(s["Resource"], str)
                                                                   else s["Resource"]))]
    assert [s["Action"] for s in on_keys] == [["dynamodb:GetItem"]]


def test_results_bucket_is_private_encrypted_versioned_and_expires_results(stack: dict[str, Any]) -> None:
    s3 = aws("s3", stack)
    bucket = stack["results_bucket_name"]
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]}
    assert {r["Status"] for r in rules.values()} == {"Enabled"}
    for rule_id, prefix in (("expire-results", "comfyui-results/"), ("expire-uploads", "uploads/")):
        assert (rules[rule_id]["Filter"]["Prefix"], rules[rule_id]["Expiration"]["Days"]) == (prefix, 30)
    assert "Expiration" not in rules["remove-old-versions"]  # only old versions go elsewhere
    # The TLS-only bucket policy is off in the local environment (the emulator serves plain http);
    # terraform/tests/results_bucket.tftest.hcl checks that it is on by default.


def _inline_statements(iam: Any, role: str) -> list[dict[str, Any]]:
    statements = []
    for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
        document = iam.get_role_policy(RoleName=role, PolicyName=name)["PolicyDocument"]
        document = json.loads(document) if isinstance(document, str) else document
        for statement in document["Statement"]:
            actions = statement["Action"]
            statement["Action"] = [actions] if isinstance(actions, str) else actions
            statements.append(statement)
    return statements


@pytest.mark.parametrize(("role", "allowed", "forbidden"), [
    ("gpu-orchestrator-task-role", {"ec2:StartInstances"}, {"ec2:StopInstances"}),
    ("lambda-gpu-shutdown-role", {"ec2:StopInstances", "ec2:StartInstances"}, set()),
])
def test_ec2_power_actions_require_the_gpu_tag(stack: dict[str, Any], role: str, allowed: set[str],
                                               forbidden: set[str]) -> None:
    statements = _inline_statements(aws("iam", stack), role)
    granted = {a for s in statements for a in s["Action"]}
    assert allowed <= granted and not forbidden & granted
    instance_arn_suffix = f":instance/{stack['gpu_instance_id']}"
    for statement in statements:
        if set(statement["Action"]) & {"ec2:StartInstances", "ec2:StopInstances"}:
            assert statement["Condition"] == {"StringEquals": {"ec2:ResourceTag/Purpose": "GPU-ComfyUI"}}
            resources = statement["Resource"]
            resources = [resources] if isinstance(resources, str) else resources
            assert [r for r in resources if not r.endswith(instance_arn_suffix)] == []


def test_worker_role_is_in_the_instance_profile_of_the_stand_in(stack: dict[str, Any]) -> None:
    iam = aws("iam", stack)
    profile = iam.get_instance_profile(InstanceProfileName="gpu-instance-profile")["InstanceProfile"]
    assert [r["RoleName"] for r in profile["Roles"]] == ["gpu-instance-role"]
    worker = {a for s in _inline_statements(iam, "gpu-instance-role") for a in s["Action"]}
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "dynamodb:GetItem",
            "dynamodb:UpdateItem", "dynamodb:PutItem", "s3:GetObject", "s3:PutObject"} <= worker
    assert not {a for a in worker if a.startswith("ec2:")}


def test_stand_in_instance_is_stopped_tagged_and_has_the_profile(stack: dict[str, Any], stack_info) -> None:
    # Other modules' submits start the shared stand-in, so the state checked is the one right after apply.
    assert stack_info.instance_state_after_apply == "stopped"
    reservations = aws("ec2", stack).describe_instances(InstanceIds=[stack["gpu_instance_id"]])["Reservations"]
    (instance,) = reservations[0]["Instances"]
    assert {"Key": "Purpose", "Value": "GPU-ComfyUI"} in instance["Tags"]
    assert instance["IamInstanceProfile"]["Arn"].endswith(":instance-profile/gpu-instance-profile")


def test_alarm_watches_the_queue_and_notifies_the_topic(stack: dict[str, Any]) -> None:
    (alarm,) = aws("cloudwatch", stack).describe_alarms(AlarmNames=[stack["alarm_name"]])["MetricAlarms"]
    assert stack["alarm_name"] == "QueueEmptyFor30Min"
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert alarm["Dimensions"] == [{"Name": "QueueName", "Value": "gpu_tasks_queue"}]
    assert (alarm["Period"], alarm["EvaluationPeriods"]) == (300, 6)
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == ("LessThanOrEqualToThreshold", 0.0)
    assert alarm["AlarmActions"] == [stack["shutdown_topic_arn"]]
    assert stack["shutdown_topic_arn"].endswith(":gpu-shutdown-alerts")


def test_power_lambda_is_subscribed_to_the_topic_and_allowed_to_be_invoked(stack: dict[str, Any]) -> None:
    subscriptions = aws("sns", stack).list_subscriptions_by_topic(TopicArn=stack["shutdown_topic_arn"])
    assert [(s["Protocol"], s["Endpoint"]) for s in subscriptions["Subscriptions"]] == [
        ("lambda", stack["shutdown_lambda_arn"])
    ]
    policy = json.loads(aws("lambda", stack).get_policy(FunctionName=stack["shutdown_lambda_name"])["Policy"])
    sources = {
        (s["Principal"]["Service"], s["Condition"]["ArnLike"]["AWS:SourceArn"]) for s in policy["Statement"]
    }
    assert ("sns.amazonaws.com", stack["shutdown_topic_arn"]) in sources
    assert any(principal == "events.amazonaws.com" for principal, _ in sources)


def test_power_lambda_configuration(stack: dict[str, Any]) -> None:
    config = aws("lambda", stack).get_function_configuration(FunctionName=stack["shutdown_lambda_name"])
    assert config["FunctionName"] == "shutdown-gpu-lambda"
    assert config["Handler"] == "services.shutdown_lambda.handler.lambda_handler"
    assert (config["Runtime"], config["MemorySize"], config["Timeout"]) == ("python3.11", 128, 60)
    assert config["Role"] == stack["shutdown_role_arn"]
    env = config["Environment"]["Variables"]
    assert env["GPU_INSTANCE_ID"] == stack["gpu_instance_id"]
    assert env["SQS_QUEUE_URL"] == stack["task_queue_url"]
    assert env["DYNAMODB_TABLE"] == stack["task_table_name"]
    assert env["IDLE_MINUTES"] == str(stack["idle_minutes"])
    assert "AWS_REGION" not in env  # reserved: Lambda sets it


def test_power_lambda_environment_is_all_its_configuration_needs(
    stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The service's own loader, given only the Lambda's environment, finds every setting."""
    monkeypatch.delenv("GPUJOBS_OUTPUTS_FILE", raising=False)
    for name in ("GPU_INSTANCE_ID", "SQS_QUEUE_URL", "DYNAMODB_TABLE", "IDLE_MINUTES", "JOB_TIMEOUT_MINUTES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in function_environment(stack, stack["shutdown_lambda_name"]).items():
        monkeypatch.setenv(name, value)
    settings = load_settings("power")
    assert settings.gpu_instance_id == stack["gpu_instance_id"]
    assert PowerRunConfig.from_settings(settings).policy.idle_window_s == 60 * stack["idle_minutes"]


def test_api_lambda_environment_is_all_its_configuration_needs(stack: dict[str, Any]) -> None:
    env = function_environment(stack, stack["api_function_name"])
    settings = load_settings("api", {**env, "AWS_REGION": stack["aws_region"]}).require(*API_REQUIRED_SETTINGS)
    assert (settings.queue_url, settings.table_name, settings.gpu_instance_id) == (
        stack["task_queue_url"], stack["task_table_name"], stack["gpu_instance_id"]
    )
    assert settings.results_bucket == stack["results_bucket_name"]
    assert "SQS_DLQ_URL" not in env  # the power run owns the dead letters, not the API


def test_power_role_drains_exactly_its_dead_letter_queue(stack: dict[str, Any]) -> None:
    statements = _inline_statements(aws("iam", stack), "lambda-gpu-shutdown-role")
    drain = [s for s in statements if "sqs:ReceiveMessage" in s["Action"]]
    resources = [[s["Resource"]] if isinstance(s["Resource"], str) else s["Resource"] for s in drain]
    assert [sorted(s["Action"]) for s in drain] == [
        ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"]]
    assert resources == [[stack["task_dlq_arn"]]]
    writes = {a for s in statements for a in s["Action"] if a in {"dynamodb:UpdateItem", "dynamodb:PutItem"}}
    assert writes == {"dynamodb:UpdateItem", "dynamodb:PutItem"}


def test_every_lambda_has_an_error_alarm(stack: dict[str, Any]) -> None:
    names = [stack["api_function_name"], stack["shutdown_lambda_name"]]
    alarms = aws("cloudwatch", stack).describe_alarms(AlarmNames=[f"{name}-errors" for name in names])["MetricAlarms"]
    assert sorted((a["MetricName"], a["Dimensions"][0]["Value"]) for a in alarms) == sorted(
        ("Errors", name) for name in names)


def test_schedule_invokes_the_power_lambda_every_five_minutes(stack: dict[str, Any]) -> None:
    events = aws("events", stack)
    rule = events.describe_rule(Name=stack["power_schedule_rule_name"])
    assert (rule["ScheduleExpression"], rule["State"]) == ("rate(5 minutes)", "ENABLED")
    targets = events.list_targets_by_rule(Rule=stack["power_schedule_rule_name"])["Targets"]
    assert [t["Arn"] for t in targets] == [stack["shutdown_lambda_arn"]]


def test_log_groups_have_retention(stack: dict[str, Any]) -> None:
    groups = aws("logs", stack).describe_log_groups(logGroupNamePrefix="/aws/")["logGroups"]
    retention = {g["logGroupName"]: g.get("retentionInDays") for g in groups}
    assert retention[stack["shutdown_log_group_name"]] == 1
    assert retention[f"/aws/lambda/{stack['api_function_name']}"] == 1


def test_api_routes_go_to_the_api_lambda(stack: dict[str, Any]) -> None:
    api_id = stack["api_id"]
    if api_id is None:
        pytest.skip("the stack was applied without the HTTP API (api_http_api_enabled=false: the emulator lacks it)")
    gateway = aws("apigatewayv2", stack)
    (integration,) = gateway.get_integrations(ApiId=api_id)["Items"]
    assert integration["IntegrationType"] == "AWS_PROXY"
    assert integration["PayloadFormatVersion"] == "2.0"
    function_arn = aws("lambda", stack).get_function_configuration(FunctionName=stack["api_function_name"])[
        "FunctionArn"
    ]
    assert function_arn in integration["IntegrationUri"]
    routes = gateway.get_routes(ApiId=api_id)["Items"]
    assert {r["RouteKey"] for r in routes} == API_ROUTES
    assert {r["Target"] for r in routes} == {f"integrations/{integration['IntegrationId']}"}
    (stage,) = gateway.get_stages(ApiId=api_id)["Items"]
    assert stage["StageName"] == "$default" and stage["AutoDeploy"] is True
    assert stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 50
    assert ":log-group:/aws/apigateway/" in stage["AccessLogSettings"]["DestinationArn"]


def test_api_lambda_configuration(stack: dict[str, Any]) -> None:
    config = aws("lambda", stack).get_function_configuration(FunctionName=stack["api_function_name"])
    assert config["Handler"] == "services.api.lambda_handler.lambda_handler"
    assert config["Runtime"] == "python3.11"
    assert config["Role"] == stack["api_role_arn"]


def test_dashboard_shows_queue_jobs_gpu_and_power(stack: dict[str, Any]) -> None:
    body = json.loads(aws("cloudwatch", stack).get_dashboard(DashboardName=stack["dashboard_name"])["DashboardBody"])
    titles = {w["properties"]["title"] for w in body["widgets"]}
    assert {"Queue depth", "Age of the oldest waiting job (s)", "Jobs by outcome", "GPU instance",
            "Power decisions"} <= titles
    text = json.dumps(body)
    for needle in ("ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage", "gpu_tasks_queue_dlq",
                   stack["gpu_instance_id"], stack["metrics_namespace"], stack["shutdown_log_group_name"]):
        assert needle in text


def test_host_settings_parameter_is_the_worker_environment(stack: dict[str, Any]) -> None:
    """What the GPU host's services read at each start is exactly what Terraform computed for the
    worker, so the visibility timeout and job time limit cannot disagree with the deployed queue."""
    ssm = aws("ssm", stack)
    host = stack["gpu_host"]
    parameter = ssm.get_parameter(Name=host["settings_parameter_name"])["Parameter"]
    settings = json.loads(parameter["Value"])
    assert settings == stack["worker_environment"]
    queue = aws("sqs", stack).get_queue_attributes(QueueUrl=settings["SQS_QUEUE_URL"],
                                                   AttributeNames=["VisibilityTimeout"])["Attributes"]
    assert settings["VISIBILITY_TIMEOUT_S"] == queue["VisibilityTimeout"]
    agent = json.loads(ssm.get_parameter(Name="/gpu-orchestrator/cloudwatch-agent")["Parameter"]["Value"])
    shipped = {entry["file_path"]: entry["log_group_name"]
               for entry in agent["logs"]["logs_collected"]["files"]["collect_list"]}
    assert shipped["/var/log/gpu-orchestrator/sqs-adapter.log"] == host["log_group_name"]
    assert shipped["/var/log/gpu-orchestrator/comfyui-unified-api.log"] == host["log_group_name"]
    # No build is published on the emulator (local/gpu_host runs the services in place).
    assert host["build_parameter_name"] is None and host["setup_document_name"] is None


def test_host_role_may_read_its_settings_and_ship_its_logs(stack: dict[str, Any]) -> None:
    statements = _inline_statements(aws("iam", stack), "gpu-instance-role")
    by_sid = {s.get("Sid"): s for s in statements}
    read = by_sid["ReadHostParameters"]
    resources = read["Resource"] if isinstance(read["Resource"], list) else [read["Resource"]]
    assert sorted(r.rsplit(":parameter", 1)[1] for r in resources) == [
        "/gpu-orchestrator/cloudwatch-agent", "/gpu-orchestrator/worker-environment"]
    ship = by_sid["ShipLogs"]
    assert set(ship["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}
    assert by_sid["PutHostMetrics"]["Condition"] == {"StringEquals": {"cloudwatch:namespace": "GpuOrchestrator/Host"}}
