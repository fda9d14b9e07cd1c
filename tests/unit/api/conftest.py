"""The API built by its factory against moto in process: its own table, queue and stopped GPU instance."""

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from gpujobs import aws_clients
from gpujobs.settings import Settings
from services.api.api_config import ApiConfig
from services.api.app import create_app

PUBLIC_ADDRESS = "93.184.215.14"
REGION = "us-east-1"


def public_resolver(host: str) -> list[str]:
    return [PUBLIC_ADDRESS]


@dataclass
class Aws:
    dynamodb: Any
    sqs: Any
    ec2: Any
    table_name: str
    queue_url: str
    instance_id: str

    @property
    def settings(self) -> Settings:
        return Settings(aws_region=REGION, queue_url=self.queue_url, table_name=self.table_name,
                        gpu_instance_id=self.instance_id)

    def instance_state(self) -> str:
        reservations = self.ec2.describe_instances(InstanceIds=[self.instance_id])["Reservations"]
        return reservations[0]["Instances"][0]["State"]["Name"]

    def queue_bodies(self) -> list[str]:
        bodies: list[str] = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
            if not got:
                return bodies
            bodies.extend(m["Body"] for m in got)

    def rows(self) -> list[dict[str, Any]]:
        return self.dynamodb.scan(TableName=self.table_name, ConsistentRead=True)["Items"]


def create_task_table(dynamodb: Any, name: str) -> None:
    """The table as SPEC section 4 declares it: key task_id, GSI status-created_at-index."""
    dynamodb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "task_id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "task_id", "AttributeType": "S"},
            {"AttributeName": "status", "AttributeType": "S"},
            {"AttributeName": "created_at", "AttributeType": "N"},
        ],
        GlobalSecondaryIndexes=[{
            "IndexName": "status-created_at-index",
            "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"},
                          {"AttributeName": "created_at", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        BillingMode="PAY_PER_REQUEST",
    )


@dataclass
class MotoClients:
    dynamodb: Any
    sqs: Any
    ec2: Any


@pytest.fixture(scope="module")
def moto_clients() -> Iterator[MotoClients]:
    """One in-process moto per test module (clients are slow to build); each test makes its own resources."""
    with pytest.MonkeyPatch.context() as patch:
        for key in ("AWS_ENDPOINT_URL", "GPUJOBS_OUTPUTS_FILE", "API_KEYS", "SQS_QUEUE_URL", "DYNAMODB_TABLE",
                    "GPU_INSTANCE_ID", "MAX_CONTENT_LENGTH", "GPU_STATE_CACHE_S", "GPU_POOL",
                    "DYNAMODB_REGION"):
            patch.delenv(key, raising=False)
        for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                           "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION}.items():
            patch.setenv(key, value)
        aws_clients.reset_clients()
        with mock_aws():
            yield MotoClients(boto3.client("dynamodb", region_name=REGION), boto3.client("sqs", region_name=REGION),
                              boto3.client("ec2", region_name=REGION))
        aws_clients.reset_clients()


@pytest.fixture
def aws(moto_clients: MotoClients) -> Iterator[Aws]:
    """A fresh task table, queue and stopped GPU-tagged instance for one test, removed after it."""
    dynamodb, sqs, ec2 = moto_clients.dynamodb, moto_clients.sqs, moto_clients.ec2
    table = f"task_store_{uuid4().hex[:8]}"
    create_task_table(dynamodb, table)
    queue_url = sqs.create_queue(QueueName=f"gpu_tasks_{uuid4().hex[:8]}")["QueueUrl"]
    instance_id = ec2.run_instances(
        ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="g6e.2xlarge",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Purpose", "Value": "GPU-ComfyUI"}]}],
    )["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[instance_id])
    yield Aws(dynamodb, sqs, ec2, table, queue_url, instance_id)
    for cleanup in (lambda: dynamodb.delete_table(TableName=table), lambda: sqs.delete_queue(QueueUrl=queue_url),
                    lambda: ec2.terminate_instances(InstanceIds=[instance_id])):
        with contextlib.suppress(ClientError):
            cleanup()


@pytest.fixture
def make_app(aws: Aws) -> Callable[..., Any]:
    def build(**overrides: Any) -> Any:
        kwargs: dict[str, Any] = {
            "config": ApiConfig(), "dynamodb": aws.dynamodb, "sqs": aws.sqs, "ec2": aws.ec2,
            "resolver": public_resolver,
        }
        kwargs.update(overrides)
        settings = kwargs.pop("settings", aws.settings)
        app = create_app(settings, **kwargs)
        return app

    return build


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    return make_app()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()
