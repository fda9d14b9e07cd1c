"""The API built by its factory against moto in process: its own table, queue and stopped GPU instance."""

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import pytest
from botocore.exceptions import ClientError
from flask.testing import FlaskClient

from gpujobs.api_keys import KeyTable
from gpujobs.settings import Settings
from services.api.api_config import ApiConfig
from services.api.app import create_app
from tests.task_table import create_api_key_table, create_task_table
from tests.unit.moto_world import MotoClients

PUBLIC_ADDRESS = "93.184.215.14"
REGION = "us-east-1"
INPUT_BUCKET = "inputs"
UNLIMITED = ApiConfig(rate_limit=100_000.0, max_waiting_jobs=100_000, input_buckets=frozenset({INPUT_BUCKET}))


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
    key_table_name: str
    key: str  # a key of tenant "acme", which the test client sends unless told otherwise
    s3: Any
    bucket: str  # the results bucket; s3://inputs/... is an input bucket's object


    @property
    def settings(self) -> Settings:
        return Settings({"AWS_REGION": REGION, "SQS_QUEUE_URL": self.queue_url, "DYNAMODB_TABLE": self.table_name,
                         "GPU_INSTANCE_ID": self.instance_id, "API_KEYS_TABLE": self.key_table_name,
                         "RESULTS_BUCKET": self.bucket, "INPUT_BUCKETS": INPUT_BUCKET})

    @property
    def keys(self) -> KeyTable:
        return KeyTable(self.key_table_name, self.dynamodb)

    def new_key(self, tenant: str, rate_limit: float | None = None) -> str:
        return self.keys.create(tenant, 1_700_000_000, rate_limit)[0]

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


@pytest.fixture
def aws(moto_clients: MotoClients) -> Iterator[Aws]:
    """A fresh task table, queue and stopped GPU-tagged instance for one test, removed after it."""
    dynamodb, sqs, ec2 = moto_clients.dynamodb, moto_clients.sqs, moto_clients.ec2
    table = f"task_store_{uuid4().hex[:8]}"
    create_task_table(dynamodb, table)
    key_table = create_api_key_table(dynamodb, f"api_keys_{uuid4().hex[:8]}")
    key = KeyTable(key_table, dynamodb).create("acme", 1_700_000_000)[0]
    queue_url = sqs.create_queue(QueueName=f"gpu_tasks_{uuid4().hex[:8]}")["QueueUrl"]
    instance_id = ec2.run_instances(
        ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="g6e.2xlarge",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Purpose", "Value": "GPU-ComfyUI"}]}],
    )["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[instance_id])
    bucket = f"results-{uuid4().hex[:8]}"
    moto_clients.s3.create_bucket(Bucket=bucket)
    yield Aws(dynamodb, sqs, ec2, table, queue_url, instance_id, key_table, key, moto_clients.s3, bucket)
    for cleanup in (lambda: dynamodb.delete_table(TableName=table), lambda: dynamodb.delete_table(TableName=key_table),
                    lambda: sqs.delete_queue(QueueUrl=queue_url),
                    lambda: ec2.terminate_instances(InstanceIds=[instance_id])):
        with contextlib.suppress(ClientError):
            cleanup()


def keyed_client(key: str) -> type[FlaskClient]:
    """A test client class that sends `key` as a Bearer token unless a request sets Authorization itself
    (`headers={"Authorization": ""}` sends none)."""

    class KeyedClient(FlaskClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {key}"

    return KeyedClient


@pytest.fixture
def make_app(aws: Aws) -> Callable[..., Any]:
    def build(**overrides: Any) -> Any:
        kwargs: dict[str, Any] = {
            # Limits far above what a test sends; the tests of the limits set their own.
            "config": UNLIMITED, "dynamodb": aws.dynamodb, "sqs": aws.sqs, "ec2": aws.ec2, "s3": aws.s3,
            "resolver": public_resolver,
        }
        kwargs.update(overrides)
        settings = kwargs.pop("settings", aws.settings)
        app = create_app(settings, **kwargs)
        app.test_client_class = keyed_client(aws.key)
        return app

    return build


@pytest.fixture
def app(make_app: Callable[..., Any]) -> Any:
    return make_app()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()
