"""Fixtures for the worker's unit tests: moto in process, a fake Unified API, a worker in a thread."""

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import boto3
import pytest
from moto import mock_aws

from gpujobs.task_store import STATUS_INDEX, TaskStore
from services.adapter.worker import Worker
from services.adapter.worker_config import WorkerConfig
from tests.doubles.fake_unified_api import FakeUnifiedApi

CAMERA = "/api/v1/camera-angle/jobs"


def wait_for(predicate: Callable[[], Any], timeout_s: float = 15.0, every_s: float = 0.05) -> Any:
    """Poll until `predicate()` is truthy; fail the test after `timeout_s`."""
    limit = time.monotonic() + timeout_s
    while time.monotonic() < limit:
        value = predicate()
        if value:
            return value
        time.sleep(every_s)
    raise AssertionError(f"condition not met within {timeout_s} s")


def job_body(task_id: str, api_path: str = CAMERA, **request: Any) -> str:
    request_body = {"image_url": "s3://inputs/cat.png", "prompt": f"rotate {task_id}", **request}
    return json.dumps({"task_id": task_id, "api_path": api_path, "request_body": request_body})


@dataclass
class Aws:
    sqs: Any
    db: Any
    queue_url: str
    dlq_url: str
    table: str
    store: TaskStore

    def send(self, body: str) -> str:
        return self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)["MessageId"]

    def counts(self, url: str | None = None) -> tuple[int, int]:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=url or self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def empty(self) -> bool:
        return self.counts() == (0, 0)


@pytest.fixture
def aws(monkeypatch) -> Iterator[Aws]:
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                       "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        sqs = boto3.client("sqs", region_name="us-east-1")
        db = boto3.client("dynamodb", region_name="us-east-1")
        name = f"tasks-{uuid.uuid4().hex[:8]}"
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        queue_url = sqs.create_queue(QueueName=name, Attributes={
            "VisibilityTimeout": "300",
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}),
        })["QueueUrl"]
        db.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "task_id", "KeyType": "HASH"}],
            AttributeDefinitions=[
                {"AttributeName": "task_id", "AttributeType": "S"},
                {"AttributeName": "status", "AttributeType": "S"},
                {"AttributeName": "created_at", "AttributeType": "N"},
            ],
            GlobalSecondaryIndexes=[{
                "IndexName": STATUS_INDEX,
                "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"},
                              {"AttributeName": "created_at", "KeyType": "RANGE"}],
                "Projection": {"ProjectionType": "ALL"},
            }],
            BillingMode="PAY_PER_REQUEST",
        )
        yield Aws(sqs, db, queue_url, dlq_url, name, TaskStore(name, db))


@pytest.fixture
def fake_api() -> Iterator[FakeUnifiedApi]:
    fake = FakeUnifiedApi().start()
    yield fake
    fake.stop()


@pytest.fixture
def config(aws: Aws, fake_api: FakeUnifiedApi) -> WorkerConfig:
    """Short timings so every path runs in a second or two."""
    return WorkerConfig(
        queue_url=aws.queue_url, table_name=aws.table, dlq_url=None, aws_region="us-east-1",
        api_url=fake_api.url, concurrency=2, wait_time_s=1, visibility_timeout_s=10,
        heartbeat_interval_s=0.5, poll_interval_s=0.05, max_poll_interval_s=0.2, job_timeout_s=30,
        shutdown_grace_s=0.5, retry_budget_s=5, max_resubmits=2, dlq_sweep_interval_s=1, worker_id="w-test",
    )


@contextmanager
def running(worker: Worker) -> Iterator[Worker]:
    """The worker's loop in a thread; stopped and joined (bounded) on exit."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            worker.run()
        except BaseException as exc:  # surfaced to the test below
            errors.append(exc)

    thread = threading.Thread(target=target, name="worker-loop", daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        worker.stop()
        thread.join(30)
        assert not thread.is_alive(), "worker loop did not stop"
        assert not errors, errors


@pytest.fixture
def make_worker(aws: Aws, config: WorkerConfig) -> Callable[..., Worker]:
    def make(**changes: Any) -> Worker:
        return Worker(replace(config, **changes), sqs=aws.sqs, dynamodb=aws.db)
    return make


def new_task_id() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"
