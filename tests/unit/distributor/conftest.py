"""Regional queues, the master DLQ and the idempotency table in moto, in process; a fake clock and context."""

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from gpujobs import aws_clients
from gpujobs.settings import Settings
from services.distributor_lambda import handler
from services.distributor_lambda.distribution import Distributor
from services.distributor_lambda.distributor_config import DistributorConfig

EVENTS = Path(__file__).resolve().parents[2] / "events" / "distributor"
REGIONS = ["eu-west-1", "us-east-1", "us-west-2"]
HOME = "us-east-1"
TABLE = "distributor_idempotency_test"


def load_event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@dataclass
class FakeClock:
    now: float = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Aws:
    queue_urls: dict[str, str]
    dlq_url: str
    clients: dict[str, Any]
    dynamodb: Any
    clock: FakeClock = field(default_factory=FakeClock)

    def settings(self, region_queues: dict[str, str] | None = None) -> Settings:
        return Settings({"REGION_QUEUES": json.dumps(region_queues or self.queue_urls), "MASTER_DLQ_URL": self.dlq_url,
                         "IDEMPOTENCY_TABLE": TABLE})

    def install(self, seed: int = 7, sqs_for: Any = None, region_queues: dict[str, str] | None = None,
                **knobs: Any) -> Distributor:
        """Build the distributor the handler will use, with this clock and a seeded random source."""
        distributor = handler.build_distributor(self.settings(region_queues), DistributorConfig(**knobs),
                                                clock=self.clock, rng=random.Random(seed), sqs_for=sqs_for)
        handler.install_instance(distributor)
        return distributor

    def fill(self, region: str, count: int) -> None:
        """Put `count` filler messages on a regional queue, so its depth is `count`."""
        for start in range(0, count, 10):
            self.clients[region].send_message_batch(QueueUrl=self.queue_urls[region], Entries=[
                {"Id": str(i), "MessageBody": "filler"} for i in range(start, min(count, start + 10))
            ])

    def depth(self, region: str) -> int:
        attrs = self.clients[region].get_queue_attributes(QueueUrl=self.queue_urls[region],
                                                          AttributeNames=["ApproximateNumberOfMessages"])
        return int(attrs["Attributes"]["ApproximateNumberOfMessages"])

    def drain(self, region: str | None = None, url: str | None = None) -> list[dict[str, Any]]:
        sqs = self.clients[region or HOME]
        url = url or self.queue_urls[region or HOME]
        got: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"],
                                        VisibilityTimeout=600).get("Messages", [])
            if not batch:
                return got
            got.extend(batch)

    def records(self) -> list[dict[str, Any]]:
        return self.dynamodb.scan(TableName=TABLE, ConsistentRead=True)["Items"]


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aws]:
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_DEFAULT_REGION": HOME,
                       "AWS_REGION": HOME}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("GPUJOBS_OUTPUTS_FILE", raising=False)
    aws_clients.reset_clients()
    with mock_aws():
        clients = {region: boto3.client("sqs", region_name=region) for region in REGIONS}
        urls = {region: clients[region].create_queue(QueueName=f"tasks_{region}")["QueueUrl"] for region in REGIONS}
        dlq = clients[HOME].create_queue(QueueName="distributor_master_dlq")["QueueUrl"]
        dynamodb = boto3.client("dynamodb", region_name=HOME)
        dynamodb.create_table(TableName=TABLE, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        yield Aws(urls, dlq, clients, dynamodb)
        handler.install_instance(None)
    aws_clients.reset_clients()
