"""In-process moto for the power handler's unit tests: one tagged instance, a queue and a task table."""

from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest
from moto import mock_aws

from gpujobs import aws_clients
from tests.unit.power.power_testkit import create_task_table


@dataclass
class PowerWorld:
    instance_id: str
    launch_time: int
    queue_url: str
    table_name: str


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[PowerWorld]:
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": "us-east-1",
                       "AWS_DEFAULT_REGION": "us-east-1", "POWERTOOLS_METRICS_NAMESPACE": "GpuJobs"}.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_ENDPOINT_URL", "GPUJOBS_OUTPUTS_FILE", "IDLE_MINUTES", "JOB_TIMEOUT_MINUTES", "DRY_RUN",
                "GPU_TAG_KEY", "GPU_TAG_VALUE", "GPU_POOL", "DYNAMODB_REGION"):
        monkeypatch.delenv(key, raising=False)
    aws_clients.reset_clients()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-east-1")
        instance = ec2.run_instances(
            ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="g5.xlarge",
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Purpose", "Value": "GPU-ComfyUI"}]}],
        )["Instances"][0]
        queue_url = boto3.client("sqs", region_name="us-east-1").create_queue(QueueName="gpu_tasks_queue")["QueueUrl"]
        create_task_table(boto3.client("dynamodb", region_name="us-east-1"), "task_store")
        monkeypatch.setenv("GPU_INSTANCE_ID", instance["InstanceId"])
        monkeypatch.setenv("SQS_QUEUE_URL", queue_url)
        monkeypatch.setenv("DYNAMODB_TABLE", "task_store")
        yield PowerWorld(instance["InstanceId"], int(instance["LaunchTime"].timestamp()), queue_url, "task_store")
    aws_clients.reset_clients()
