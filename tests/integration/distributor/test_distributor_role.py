"""The distributor signs as its own role with IAM enforced, so its policy is under test: the distributor that
Terraform put beside the session's stack (environments/local, home_distributor) is fed from its master queue
as the event source would feed it, forwards to a pool queue once per job, keeps its idempotency records and
rejects to the master dead-letter queue; with one statement (the idempotency records one) taken away, nothing
is forwarded and the denial is the reason.

The pool queue is this module's own, and the role's rights over the stack's task queue are moved to it
(role_users.rebind), so the stack's queue keeps whatever other tests left there. The event source's receive
and delete sign as the role too: on AWS the mapping polls the master queue with the function's role.
"""

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from gpujobs import aws_clients
from gpujobs.aws_clients import Credentials
from gpujobs.settings import load_settings
from local import emulator as emulator_process
from local.distributor_source import poll_once
from local.role_users import ServiceRoles, delete_stand_in, stand_in_for_role, without_statements
from services.distributor_lambda import handler
from services.distributor_lambda.distribution import BatchOutcome, Verdict
from services.distributor_lambda.forward_ledger import COMPLETED, record_id

pytestmark = pytest.mark.integration

POLL_LIMIT = 20
"""Receive rounds before a drain gives up: the batches here are a few messages each."""


def task_body(task_id: str) -> str:
    return json.dumps({"task_id": task_id, "api_path": "/api/v1/camera-angle/jobs",
                       "request_body": {"image_url": "s3://inputs/cat.png", "prompt": f"rotate {task_id}"}})


@dataclass
class Distribution:
    """The stack's home distributor with a pool queue of the test's own, run as `credentials` (None: the
    session's identity, on an emulator that enforces no IAM)."""

    region: str
    master_url: str
    dlq_url: str
    pool_url: str
    table: str
    environment: dict[str, str]
    admin_sqs: Any
    outcomes: list[BatchOutcome] = field(default_factory=list)

    def run_as(self, credentials: Credentials | None) -> Callable[[], tuple[int, int]]:
        """Install a distributor built from the function's environment with these credentials; return one
        event-source round signing with them too."""
        handler.install_instance(handler.build_distributor(load_settings("distributor", self.environment),
                                                           credentials=credentials))
        sqs = aws_clients.client("sqs", self.region, credentials=credentials)
        return lambda: poll_once(sqs, self.master_url, handler.lambda_handler, wait_s=0, region=self.region)

    def send(self, bodies: list[str]) -> None:
        self.admin_sqs.send_message_batch(QueueUrl=self.master_url, Entries=[
            {"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies)])

    def drain(self, url: str) -> list[dict[str, Any]]:
        got: list[dict[str, Any]] = []
        for _ in range(POLL_LIMIT):
            batch = self.admin_sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=600,
                                                   MessageAttributeNames=["All"]).get("Messages", [])
            if not batch:
                return got
            got.extend(batch)
        raise AssertionError(f"{url} did not drain in {POLL_LIMIT} receives")

    def clear(self, url: str) -> None:
        for message in self.drain(url):
            self.admin_sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])

    def record(self, key: str) -> dict[str, Any] | None:
        return aws_clients.client("dynamodb", self.region).get_item(
            TableName=self.table, Key={"id": {"S": record_id(key)}}, ConsistentRead=True).get("Item")


def run_until_empty(round_: Callable[[], tuple[int, int]]) -> int:
    """Event-source rounds until the master queue has nothing visible; the failures they reported."""
    failures = 0
    for _ in range(POLL_LIMIT):
        handled, failed = round_()
        failures += failed
        if handled == 0:
            return failures
    raise AssertionError(f"master queue not drained after {POLL_LIMIT} rounds")


@pytest.fixture
def distribution(stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Distribution]:
    home = stack["home_distributor"]
    assert home is not None, "the session's stack is applied with home_distributor on (tests/conftest.py)"
    region = stack["aws_region"]
    sqs = aws_clients.client("sqs", region)
    pool_url = sqs.create_queue(QueueName=f"distributor_pool_{uuid.uuid4().hex[:8]}",
                                Attributes={"VisibilityTimeout": "3600"})["QueueUrl"]
    environment = {**home["environment"], "REGION_QUEUES": json.dumps({region: pool_url})}
    distribution = Distribution(region, home["master_queue_url"], home["master_dlq_url"], pool_url,
                                environment["IDEMPOTENCY_TABLE"], environment, sqs)
    # A message the distributor hands back is visible again at once, so a test can show what a second
    # delivery does without waiting out the master queue's visibility timeout.
    visibility = sqs.get_queue_attributes(QueueUrl=distribution.master_url,
                                          AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"]
    sqs.set_queue_attributes(QueueUrl=distribution.master_url, Attributes={"VisibilityTimeout": "0"})
    record_metrics = handler._record_metrics

    def observed(outcome: BatchOutcome) -> None:
        """What each invocation decided, kept for the test; the handler's own metrics step still runs."""
        distribution.outcomes.append(outcome)
        record_metrics(outcome)

    monkeypatch.setattr(handler, "_record_metrics", observed)
    yield distribution
    handler.install_instance(None)
    sqs.delete_queue(QueueUrl=pool_url)
    sqs.set_queue_attributes(QueueUrl=distribution.master_url, Attributes={"VisibilityTimeout": visibility})
    for url in (distribution.master_url, distribution.dlq_url):
        distribution.clear(url)


@pytest.fixture
def stand_ins(roles: ServiceRoles, running_emulator: emulator_process.Emulator, stack: dict[str, Any],
              distribution: Distribution) -> Iterator[Callable[..., Credentials | None]]:
    """Make users carrying the distributor role's documents, its rights over the stack's task queue moved to
    the test's pool queue (None on an emulator that enforces no IAM)."""
    made: list[str] = []
    role_name = stack["home_distributor"]["role_arn"].rsplit("/", 1)[-1]
    pool_arn = distribution.admin_sqs.get_queue_attributes(
        QueueUrl=distribution.pool_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    def make(variant: str, edit: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> Credentials | None:
        if not running_emulator.enforces_iam:
            return None
        user = f"distributor-{variant}-{uuid.uuid4().hex[:8]}"
        identity = stand_in_for_role(roles.iam, role_name, user, {stack["task_queue_arn"]: pool_arn}, edit)
        made.append(user)
        return identity.credentials

    yield make
    for user in made:
        delete_stand_in(roles.iam, user)


def test_the_distributor_forwards_once_records_and_rejects_under_its_role(distribution, stand_ins):
    first, second = f"dt-{uuid.uuid4().hex[:12]}", f"dt-{uuid.uuid4().hex[:12]}"
    round_ = distribution.run_as(stand_ins("role"))

    distribution.send([task_body(first), task_body(second), task_body(first), "{not json"])
    assert run_until_empty(round_) == 0
    distribution.send([task_body(first)])  # a later delivery of a forwarded job
    assert run_until_empty(round_) == 0

    forwarded = distribution.drain(distribution.pool_url)
    assert sorted(json.loads(m["Body"])["task_id"] for m in forwarded) == sorted([first, second])
    assert {m["MessageAttributes"]["distributor_region"]["StringValue"] for m in forwarded} == {distribution.region}
    for task_id in (first, second):
        record = distribution.record(f"task:{task_id}")
        assert record is not None and record["status"]["S"] == COMPLETED, record
        assert json.loads(record["data"]["S"]) == {"region": distribution.region}
    dead = distribution.drain(distribution.dlq_url)
    assert [m["Body"] for m in dead] == ["{not json"]
    assert "not JSON" in dead[0]["MessageAttributes"]["distributor_rejection"]["StringValue"]
    verdicts = [o.verdict for outcome in distribution.outcomes for o in outcome.by_message_id.values()]
    assert sorted(v.value for v in verdicts) == ["duplicate", "duplicate", "forwarded", "forwarded", "rejected"]


@pytest.mark.moto_only(reason="needs an emulator that enforces IAM for the role's stand-in user")
def test_the_distributor_needs_its_idempotency_records_statement(distribution, stand_ins):
    task_id = f"dt-{uuid.uuid4().hex[:12]}"
    round_ = distribution.run_as(stand_ins("no-records", lambda d: without_statements(d, {"IdempotencyRecords"})))
    distribution.send([task_body(task_id)])
    assert round_() == (1, 1)
    [outcome] = distribution.outcomes[-1].by_message_id.values()
    assert outcome.verdict is Verdict.FAILED and "AccessDenied" in outcome.detail, outcome
    assert "dynamodb:PutItem" in outcome.detail, outcome
    assert distribution.drain(distribution.pool_url) == []
    assert distribution.record(f"task:{task_id}") is None

    # The same message, handed back, is forwarded by the role as Terraform made it.
    assert run_until_empty(distribution.run_as(stand_ins("whole"))) == 0
    assert [json.loads(m["Body"])["task_id"] for m in distribution.drain(distribution.pool_url)] == [task_id]
