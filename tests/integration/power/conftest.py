"""Resources of our own in the session's emulator: instances, a queue and a task table per test,
so the shared stack's instance and queue are never changed by the power tests. The power logic signs as
the power role, its rights over the stack's queues moved to the rig's."""

import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from gpujobs import aws_clients
from gpujobs.task_model import Task
from gpujobs.task_store import TaskStore
from local.role_users import Identity, ServiceRoles
from tests.task_table import create_task_table

TAG = {"Key": "Purpose", "Value": "GPU-ComfyUI"}


@dataclass
class PowerRig:
    queue_url: str
    dlq_url: str
    table_name: str
    make_instance: Callable[..., str]
    identity: Identity | None = None

    @property
    def credentials(self) -> aws_clients.Credentials | None:
        """What the power logic built in this process signs with (None: the session's identity)."""
        return self.identity.credentials if self.identity else None

    def environment(self) -> dict[str, str]:
        """The variables that make a power process sign as the power role."""
        return self.identity.environment() if self.identity else {}

    def queue_job(self, task_id: str, created_at: int | None = None) -> None:
        """A submitted job: its pending row, then its message (a message no open task can use wakes nothing)."""
        store = TaskStore(self.table_name, aws_clients.client("dynamodb"))
        store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {}, int(time.time()) if created_at is None
                              else created_at))
        aws_clients.client("sqs").send_message(QueueUrl=self.queue_url, MessageBody=json.dumps({"task_id": task_id}))

    def state(self, instance_id: str) -> str:
        reservations = aws_clients.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
        return reservations[0]["Instances"][0]["State"]["Name"]

    def launch_time(self, instance_id: str) -> int:
        reservations = aws_clients.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
        return int(reservations[0]["Instances"][0]["LaunchTime"].timestamp())


@pytest.fixture
def rig(stack: dict[str, Any], roles: ServiceRoles, monkeypatch: pytest.MonkeyPatch) -> Iterator[PowerRig]:
    ec2, sqs, dynamodb = (aws_clients.client(s) for s in ("ec2", "sqs", "dynamodb"))
    suffix = uuid.uuid4().hex[:12]
    queue_url = sqs.create_queue(QueueName=f"power_tasks_{suffix}",
                                 Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
    # The power run drains its pool's DLQ: this one, never the session stack's.
    dlq_url = sqs.create_queue(QueueName=f"power_tasks_{suffix}_dlq")["QueueUrl"]
    table_name = f"power_tasks_{suffix}"
    create_task_table(dynamodb, table_name)
    image = ec2.describe_instances(InstanceIds=[stack["gpu_instance_id"]])["Reservations"][0]["Instances"][0]["ImageId"]
    created: list[str] = []

    def make_instance(state: str = "running", tagged: bool = True) -> str:
        kwargs: dict[str, Any] = {"ImageId": image, "MinCount": 1, "MaxCount": 1, "InstanceType": "g5.xlarge"}
        if tagged:
            kwargs["TagSpecifications"] = [{"ResourceType": "instance", "Tags": [TAG]}]
        instance_id = ec2.run_instances(**kwargs)["Instances"][0]["InstanceId"]
        created.append(instance_id)
        if state == "stopped":
            ec2.stop_instances(InstanceIds=[instance_id])
        return instance_id

    monkeypatch.setenv("SQS_QUEUE_URL", queue_url)
    monkeypatch.setenv("SQS_DLQ_URL", dlq_url)
    monkeypatch.setenv("DYNAMODB_TABLE", table_name)
    # The default 30-minute windows, not the short ones the local power_environment gives `make up`.
    monkeypatch.setenv("IDLE_MINUTES", "30")
    monkeypatch.setenv("JOB_TIMEOUT_MINUTES", "30")
    for key in ("DRY_RUN", "GPU_TAG_KEY", "GPU_TAG_VALUE"):
        monkeypatch.delenv(key, raising=False)
    def arn(url: str) -> str:
        return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    identity = roles.rebound("power", f"power-{suffix}", {stack["task_queue_arn"]: arn(queue_url),
                                                          stack["task_dlq_arn"]: arn(dlq_url)})
    yield PowerRig(queue_url, dlq_url, table_name, make_instance, identity)
    if created:
        ec2.terminate_instances(InstanceIds=created)
    sqs.delete_queue(QueueUrl=queue_url)
    sqs.delete_queue(QueueUrl=dlq_url)
    dynamodb.delete_table(TableName=table_name)
