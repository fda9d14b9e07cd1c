"""The distributor against the emulator: real queues in three regions, events built from received messages.

Resources are created here with unique names (the session stack's distributor forwards to one region) and
deleted after each test. The distributor and its event source sign as the distributor's role (the one
Terraform put beside the session's stack), its rights moved to these queues and this table and widened
from the one pool queue to the three.
"""

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from gpujobs import aws_clients
from gpujobs.aws_clients import Credentials
from gpujobs.settings import load_settings
from local import emulator as emulator_process
from local.distributor_source import poll_once
from local.role_users import ServiceRoles, delete_stand_in, stand_in_for_role
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
    credentials: Credentials | None
    """The distributor role's stand-in (None on an emulator that enforces no IAM: the session's identity)."""

    def install(self) -> None:
        """Build the distributor from the environment (as a new function instance would), signing as the role."""
        handler.install_instance(handler.build_distributor(load_settings("distributor"), credentials=self.credentials))

    def poll(self) -> tuple[int, int]:
        """One round of the event source, which polls with the function's role."""
        master_sqs = aws_clients.client("sqs", HOME, credentials=self.credentials)
        return poll_once(master_sqs, self.master_url, handler.lambda_handler, wait_s=0)

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
            handled, failed = self.poll()
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


def forward_to(queue_arns: list[str]) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """An edit of the role's documents: the forwarding statement names these queues."""
    def edit(document: dict[str, Any]) -> dict[str, Any]:
        for statement in document.get("Statement", []):
            if statement.get("Sid") == "ForwardToRegionalQueues":
                statement["Resource"] = queue_arns
        return document
    return edit


@pytest.fixture
def distribution(stack: dict[str, Any], roles: ServiceRoles, running_emulator: emulator_process.Emulator,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[Distribution]:
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
    monkeypatch.delenv("GPUJOBS_OUTPUTS_FILE", raising=False)  # this test's queues, not the stack's
    monkeypatch.setenv("REGION_QUEUES", json.dumps(regional))
    monkeypatch.setenv("MASTER_DLQ_URL", dlq)
    monkeypatch.setenv("IDEMPOTENCY_TABLE", table)
    monkeypatch.setenv("OVERLOAD_THRESHOLD", "5000")
    identity = None
    if running_emulator.enforces_iam:
        home = stack["home_distributor"]

        def queue_arn(region: str, url: str) -> str:
            return sqs[region].get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

        def table_arn(name: str) -> str:
            return dynamodb.describe_table(TableName=name)["Table"]["TableArn"]

        moved = {queue_arn(HOME, home["master_queue_url"]): queue_arn(HOME, master),
                 queue_arn(HOME, home["master_dlq_url"]): queue_arn(HOME, dlq),
                 table_arn(home["environment"]["IDEMPOTENCY_TABLE"]): table_arn(table)}
        identity = stand_in_for_role(roles.iam, home["role_arn"].rsplit("/", 1)[-1], f"distributor-regions-{suffix}",
                                     moved, forward_to([queue_arn(r, url) for r, url in regional.items()]))
    aws_clients.reset_clients()
    distribution = Distribution(master, dlq, regional, sqs, table, identity.credentials if identity else None)
    distribution.install()
    yield distribution
    handler.install_instance(None)
    if identity:
        delete_stand_in(roles.iam, identity.user_name)
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
    distribution.install()
    busy = distribution.regional_urls["us-west-2"]
    distribution.sqs["us-west-2"].send_message_batch(QueueUrl=busy, Entries=[
        {"Id": str(i), "MessageBody": "filler"} for i in range(3)])
    distribution.send([request(f"req-{i}") for i in range(30)])
    assert distribution.run_until_empty() == 0
    assert len(distribution.drain("us-west-2")) == 3
    assert sum(len(distribution.drain(r)) for r in ("eu-west-1", "us-east-1")) == 30


def test_all_overloaded_leaves_the_messages_on_the_master_queue(distribution, monkeypatch):
    monkeypatch.setenv("OVERLOAD_THRESHOLD", "1")
    distribution.install()
    for region, url in distribution.regional_urls.items():
        distribution.sqs[region].send_message(QueueUrl=url, MessageBody="filler")
    distribution.send([request(f"req-{i}") for i in range(5)])
    handled, failed = distribution.poll()
    assert (handled, failed) == (5, 5)
    attributes = distribution.sqs[HOME].get_queue_attributes(
        QueueUrl=distribution.master_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "5"
    assert all(len(distribution.drain(r)) == 1 for r in REGIONS)
