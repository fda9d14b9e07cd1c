"""moto in process, started once per test module, with fresh resources for each test.

Starting moto, resetting it and building boto3 clients is what costs (about a second for a test that
launches an instance); creating a table or a queue inside a running moto costs milliseconds. So a
module shares one moto and its clients, and each test makes its own uniquely named resources.
"""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from gpujobs import aws_clients
from tests.task_table import create_task_table

REGION = "us-east-1"
GPU_TAG = {"Key": "Purpose", "Value": "GPU-ComfyUI"}
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": REGION,
                    "AWS_REGION": REGION}
# Settings a developer's shell may hold; a unit test sees only what it sets itself.
CLEARED = ("AWS_ENDPOINT_URL", "GPUJOBS_OUTPUTS_FILE", "SQS_QUEUE_URL", "SQS_DLQ_URL", "MASTER_DLQ_URL",
           "DYNAMODB_TABLE", "DYNAMODB_REGION", "GPU_INSTANCE_ID", "GPU_POOL", "RESULTS_BUCKET", "API_KEYS_TABLE",
           "API_KEY_CACHE_S", "API_RATE_LIMIT", "API_RATE_BURST_S", "API_MAX_WAITING_JOBS", "API_WAITING_CACHE_S",
           "MAX_CONTENT_LENGTH", "GPU_STATE_CACHE_S", "IDLE_MINUTES", "JOB_TIMEOUT_MINUTES", "DRY_RUN",
           "GPU_TAG_KEY", "GPU_TAG_VALUE", "POWERTOOLS_METRICS_NAMESPACE", "WORKER_CONCURRENCY", "JOB_TIMEOUT_S",
           "VISIBILITY_TIMEOUT_S", "HEARTBEAT_INTERVAL_S", "REGION_QUEUES", "IDEMPOTENCY_TABLE",
           "OVERLOAD_THRESHOLD", "DEPTH_CACHE_TTL_S", "IDEMPOTENCY_TTL_S", "GPU_FLEET_GROUP", "GPU_FLEET_MAX_SIZE",
           "GPU_JOBS_PER_INSTANCE", "WEBHOOK_SECRET_KEY_ARN", "WEBHOOK_ALLOW_LOOPBACK", "INPUT_BUCKETS",
           "RESULT_URL_EXPIRY_S", "UPLOAD_URL_EXPIRY_S")


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


@dataclass
class MotoClients:
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)

    def client(self, service: str, region: str = REGION) -> Any:
        """A client of this moto (moto keeps regions apart), built once per module."""
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = boto3.client(service, region_name=region)
        return self._clients[key]

    @property
    def dynamodb(self) -> Any:
        return self.client("dynamodb")

    @property
    def sqs(self) -> Any:
        return self.client("sqs")

    @property
    def ec2(self) -> Any:
        return self.client("ec2")

    @property
    def s3(self) -> Any:
        """Signing as the shared factory's S3 clients do (SigV4), which presigned URLs show."""
        key = ("s3", REGION)
        if key not in self._clients:
            self._clients[key] = boto3.client("s3", region_name=REGION, config=Config(signature_version="s3v4"))
        return self._clients[key]

    def task_table(self, region: str = REGION) -> str:
        return create_task_table(self.client("dynamodb", region), unique("tasks"))

    def task_queue(self, max_receives: int | None = None, visibility_s: int = 300, region: str = REGION) -> str:
        """A fresh queue; with `max_receives`, a dead-letter queue behind it (`dlq_of` finds it)."""
        sqs = self.client("sqs", region)
        name = unique("tasks")
        attributes = {"VisibilityTimeout": str(visibility_s)}
        if max_receives is not None:
            dlq_url = sqs.create_queue(QueueName=f"{name}_dlq")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
            attributes["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": max_receives})
        return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]

    @staticmethod
    def dlq_of(queue_url: str) -> str:
        return f"{queue_url}_dlq"

    def instance(self, state: str = "running", tagged: bool = True, region: str = REGION) -> str:
        ec2 = self.client("ec2", region)
        kwargs: dict[str, Any] = {"ImageId": "ami-12c6146b", "MinCount": 1, "MaxCount": 1, "InstanceType": "g5.xlarge"}
        if tagged:
            kwargs["TagSpecifications"] = [{"ResourceType": "instance", "Tags": [GPU_TAG]}]
        instance_id = ec2.run_instances(**kwargs)["Instances"][0]["InstanceId"]
        if state == "stopped":
            ec2.stop_instances(InstanceIds=[instance_id])
        return instance_id

    def instance_state(self, instance_id: str, region: str = REGION) -> str:
        reservations = self.client("ec2", region).describe_instances(InstanceIds=[instance_id])["Reservations"]
        return reservations[0]["Instances"][0]["State"]["Name"]

    def launch_time(self, instance_id: str, region: str = REGION) -> int:
        reservations = self.client("ec2", region).describe_instances(InstanceIds=[instance_id])["Reservations"]
        return int(reservations[0]["Instances"][0]["LaunchTime"].timestamp())


@pytest.fixture(scope="module")
def moto_clients() -> Iterator[MotoClients]:
    """One in-process moto for the module, with fake credentials and none of the shell's settings."""
    with pytest.MonkeyPatch.context() as patch:
        for name in CLEARED:
            patch.delenv(name, raising=False)
        for name, value in FAKE_CREDENTIALS.items():
            patch.setenv(name, value)
        aws_clients.reset_clients()
        with mock_aws():
            yield MotoClients()
        aws_clients.reset_clients()
