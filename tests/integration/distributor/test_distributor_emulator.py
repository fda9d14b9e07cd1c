"""The distributor against the emulator: real queues in three regions, events built from received messages.

Resources are created here with unique names (the session stack may not include the distributor) and
deleted after each test.
"""

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from gpujobs import aws_clients
from local.distributor_source import poll_once
from services.distributor_lambda import handler

pytestmark = pytest.mark.integration

REGIONS = ["eu-west-1", "us-east-1", "us-west-2"]
HOME = "us-east-1"


@dataclass
class Distribution:
    master_url: str
    dlq_url: str
    regional_urls: dict[str, str]
    sqs: dict[str, Any]
    table: str

    def send(self, bodies: list[str]) -> None:
        for start in range(0, len(bodies), 10):
            self.sqs[HOME].send_message_batch(QueueUrl=self.master_url, Entries=[
                {"Id": str(i), "MessageBody": body,
                 "MessageAttributes": {"trace": {"DataType": "String", "StringValue": f"t-{start + i}"}}}
                for i, body in enumerate(bodies[start:start + 10])
            ])

    def run_until_empty(self, limit: int = 100) -> int:
        """Poll the master queue as the event source would, at most `limit` rounds; return failures seen."""
        failures = 0
        for _ in range(limit):
            handled, failed = poll_once(self.sqs[HOME], self.master_url, handler.lambda_handler, wait_s=0)
            failures += failed
            if handled == 0:
                return failures
        raise AssertionError(f"master queue not drained after {limit} polls")

    def drain(self, region: str, url: str | None = None) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        for _ in range(1000):
            batch = self.sqs[region].receive_message(QueueUrl=url or self.regional_urls[region],
                                                     MaxNumberOfMessages=10, VisibilityTimeout=600,
                                                     MessageAttributeNames=["All"]).get("Messages", [])
            if not batch:
                return got
            got.extend(batch)
        raise AssertionError("queue did not drain")


@pytest.fixture
def distribution(emulator: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Distribution]:
    suffix = uuid.uuid4().hex[:8]
    sqs = {region: boto3.client("sqs", region_name=region) for region in REGIONS}
    dynamodb = boto3.client("dynamodb", region_name=HOME)
    regional = {r: sqs[r].create_queue(QueueName=f"tasks_{r}_{suffix}",
                                       Attributes={"VisibilityTimeout": "3600"})["QueueUrl"] for r in REGIONS}
    dlq = sqs[HOME].create_queue(QueueName=f"master_dlq_{suffix}")["QueueUrl"]
    master = sqs[HOME].create_queue(QueueName=f"master_{suffix}", Attributes={"VisibilityTimeout": "600"})["QueueUrl"]
    table = f"distributor_idempotency_{suffix}"
    dynamodb.create_table(TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                          AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                          BillingMode="PAY_PER_REQUEST")
    monkeypatch.delenv("GPUJOBS_OUTPUTS_FILE", raising=False)  # the session's stack has no distributor
    monkeypatch.setenv("REGION_QUEUES", json.dumps(regional))
    monkeypatch.setenv("MASTER_DLQ_URL", dlq)
    monkeypatch.setenv("IDEMPOTENCY_TABLE", table)
    monkeypatch.setenv("OVERLOAD_THRESHOLD", "5000")
    handler.install_instance(None)
    aws_clients.reset_clients()
    yield Distribution(master, dlq, regional, sqs, table)
    handler.install_instance(None)
    for region, url in regional.items():
        sqs[region].delete_queue(QueueUrl=url)
    sqs[HOME].delete_queue(QueueUrl=master)
    sqs[HOME].delete_queue(QueueUrl=dlq)
    dynamodb.delete_table(TableName=table)


def request(request_id: str) -> str:
    return json.dumps({"request_id": request_id, "model_name": "m", "input_data_url": f"s3://in/{request_id}.json",
                       "priority": "normal", "timestamp": "2025-12-02T10:23:00Z", "metadata": {}})


def test_every_job_reaches_exactly_one_region_intact(distribution):
    bodies = [request(f"req-{i}") for i in range(60)]
    distribution.send(bodies)
    assert distribution.run_until_empty() == 0

    got = {r: distribution.drain(r) for r in REGIONS}
    assert sorted(m["Body"] for ms in got.values() for m in ms) == sorted(bodies)
    for region, messages in got.items():
        for message in messages:
            assert message["MessageAttributes"]["distributor_region"]["StringValue"] == region
            assert message["MessageAttributes"]["trace"]["StringValue"].startswith("t-")
    assert all(got.values()), "with three empty queues every region gets some of 60 jobs"


def test_duplicate_on_the_master_queue_is_forwarded_once(distribution):
    distribution.send([request("req-dup")] * 3 + [request("req-other")])
    assert distribution.run_until_empty() == 0
    distribution.send([request("req-dup")])
    assert distribution.run_until_empty() == 0
    forwarded = [json.loads(m["Body"])["request_id"] for r in REGIONS for m in distribution.drain(r)]
    assert sorted(forwarded) == ["req-dup", "req-other"]


def test_invalid_message_goes_to_the_dead_letter_queue_with_its_reason(distribution):
    distribution.send(["{not json", request("req-ok")])
    assert distribution.run_until_empty() == 0
    dead = distribution.drain(HOME, distribution.dlq_url)
    assert [m["Body"] for m in dead] == ["{not json"]
    assert "not JSON" in dead[0]["MessageAttributes"]["distributor_rejection"]["StringValue"]


def test_overloaded_region_receives_nothing(distribution, monkeypatch):
    monkeypatch.setenv("OVERLOAD_THRESHOLD", "3")
    handler.install_instance(None)
    busy = distribution.regional_urls["us-west-2"]
    distribution.sqs["us-west-2"].send_message_batch(QueueUrl=busy, Entries=[
        {"Id": str(i), "MessageBody": "filler"} for i in range(3)])
    distribution.send([request(f"req-{i}") for i in range(30)])
    assert distribution.run_until_empty() == 0
    assert len(distribution.drain("us-west-2")) == 3
    assert sum(len(distribution.drain(r)) for r in ("eu-west-1", "us-east-1")) == 30


def test_all_overloaded_leaves_the_messages_on_the_master_queue(distribution, monkeypatch):
    monkeypatch.setenv("OVERLOAD_THRESHOLD", "1")
    handler.install_instance(None)
    for region, url in distribution.regional_urls.items():
        distribution.sqs[region].send_message(QueueUrl=url, MessageBody="filler")
    distribution.send([request(f"req-{i}") for i in range(5)])
    handled, failed = poll_once(distribution.sqs[HOME], distribution.master_url, handler.lambda_handler, wait_s=0)
    assert (handled, failed) == (5, 5)
    attributes = distribution.sqs[HOME].get_queue_attributes(
        QueueUrl=distribution.master_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "5"
    assert all(len(distribution.drain(r)) == 1 for r in REGIONS)
