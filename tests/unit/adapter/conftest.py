"""Fixtures for the worker's unit tests: moto in process (one per module, fresh resources per test), the
fake Unified API called in process, and a fake clock, so a job's whole life runs without waiting."""

import io
import json
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from gpujobs.job_metrics import JobCounter
from gpujobs.settings import Settings
from gpujobs.task_store import TaskStore
from services.adapter.heartbeat import InFlight
from services.adapter.job_runner import JobRunner
from services.adapter.retry_policy import Retrier, RetryPolicy
from services.adapter.unified_api import UnifiedApi
from services.adapter.worker import Worker
from services.adapter.worker_config import WorkerConfig
from tests.doubles.fake_clock import FakeClock
from tests.doubles.fake_unified_api import FakeUnifiedApi
from tests.unit.moto_world import MotoClients

CAMERA = "/api/v1/camera-angle/jobs"
PUBLIC_ADDRESS = "93.184.215.14"


def public_resolver(host: str) -> list[str]:
    return [PUBLIC_ADDRESS]


def job_body(task_id: str, api_path: str = CAMERA, **request: Any) -> str:
    request_body = {"image_url": "s3://inputs/cat.png", "prompt": f"rotate {task_id}", **request}
    return json.dumps({"task_id": task_id, "api_path": api_path, "request_body": request_body})


def message(body: str, receive_count: int = 1) -> dict[str, Any]:
    """A received SQS message as the worker sees it."""
    return {"MessageId": f"m-{uuid.uuid4().hex[:8]}", "ReceiptHandle": f"r-{uuid.uuid4().hex}", "Body": body,
            "Attributes": {"ApproximateReceiveCount": str(receive_count)}}


def new_task_id() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


@dataclass
class Aws:
    sqs: Any
    db: Any
    queue_url: str
    table: str
    store: TaskStore

    @property
    def settings(self) -> Settings:
        return Settings({"AWS_REGION": "us-east-1", "SQS_QUEUE_URL": self.queue_url, "DYNAMODB_TABLE": self.table})

    def send(self, body: str) -> str:
        return self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)["MessageId"]

    def counts(self) -> tuple[int, int]:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def raw(self, task_id: str) -> dict[str, Any]:
        return self.db.get_item(TableName=self.table, Key={"task_id": {"S": task_id}}, ConsistentRead=True)["Item"]


@pytest.fixture
def aws(moto_clients: MotoClients) -> Aws:
    """A fresh task table and a task queue with a redrive limit of 3, in this module's moto."""
    table = moto_clients.task_table()
    queue_url = moto_clients.task_queue(max_receives=3)
    return Aws(moto_clients.sqs, moto_clients.dynamodb, queue_url, table, TaskStore(table, moto_clients.dynamodb))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def fake_api(clock: FakeClock) -> FakeUnifiedApi:
    """The fake Unified API, called in process and on the fake clock."""
    return FakeUnifiedApi(clock=clock.monotonic)


@pytest.fixture
def config() -> WorkerConfig:
    return WorkerConfig(concurrency=2, wait_time_s=0, visibility_timeout_s=300, heartbeat_interval_s=60,
                        poll_interval_s=1, max_poll_interval_s=5, job_timeout_s=1800, shutdown_grace_s=0.5,
                        retry_budget_s=60, max_resubmits=2, worker_id="w-test")


@dataclass
class Runner:
    """A JobRunner on the fake clock, the in-process API and the module's moto; its counts go to `out`."""

    runner: JobRunner
    inflight: InFlight
    clock: FakeClock
    out: io.StringIO

    def handle(self, body: str, receive_count: int = 1) -> Any:
        return self.runner.handle(message(body, receive_count))

    def counted(self) -> list[tuple[str, str]]:
        records = [json.loads(line) for line in self.out.getvalue().splitlines()]
        return [(r["job_id"], next(k for k in ("JobsCompleted", "JobsFailed") if k in r)) for r in records]


@pytest.fixture
def make_runner(aws: Aws, fake_api: FakeUnifiedApi, clock: FakeClock,
                config: WorkerConfig) -> Callable[..., Runner]:
    def make(settings: Settings | None = None, max_receives: int | None = 3, **changes: Any) -> Runner:
        worker_config = replace(config, **changes)
        policy = RetryPolicy(budget_s=worker_config.retry_budget_s, redelivery_base_s=worker_config.redelivery_base_s,
                             max_receives=max_receives)
        retrier = Retrier(policy, clock.abandon, random.Random(7), monotonic=clock.monotonic, wait=clock.wait)
        inflight = InFlight()
        out = io.StringIO()
        # Looked up on each call, so a test may wrap the transport after the runner is built.
        api = UnifiedApi(lambda method, path, body, headers: fake_api.transport(method, path, body, headers))
        runner = JobRunner(settings or aws.settings, worker_config, aws.store, api,
                           inflight, retrier, JobCounter("worker", "Test", out), clock=clock.time,
                           resolver=public_resolver)
        return Runner(runner, inflight, clock, out)

    return make


@pytest.fixture
def runner(make_runner: Callable[..., Runner]) -> Runner:
    return make_runner()


@pytest.fixture
def make_worker(aws: Aws, config: WorkerConfig) -> Callable[..., Worker]:
    """A whole worker (its loop runs in a thread, in real time) on the module's moto and an in-process API."""

    def make(api: FakeUnifiedApi, settings: Settings | None = None, **changes: Any) -> Worker:
        return Worker(settings or aws.settings, replace(config, **changes), sqs=aws.sqs, dynamodb=aws.db,
                      api=UnifiedApi(api.transport), resolver=public_resolver)

    return make
