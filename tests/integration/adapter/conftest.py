"""The worker as a real process (`python -m services.adapter`) against the emulator.

Each test gets its own queue and DLQ (the session's task queue is shared with other modules), the
stack's task table, and the fake Unified API in this process over real HTTP. The workers read the
outputs file's `worker_environment`, overlaid by the variables here, and sign as the GPU instance's role
with its rights over the stack's task queue moved to the test's queue.
"""

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from gpujobs import aws_clients
from gpujobs.task_store import TaskStore
from local.processes import stop
from local.role_users import ServiceRoles
from tests.doubles.fake_unified_api import FakeUnifiedApi

ROOT = Path(__file__).resolve().parents[3]
CAMERA = "/api/v1/camera-angle/jobs"


def job_body(task_id: str, **request: Any) -> str:
    request_body = {"image_url": "s3://inputs/cat.png", "prompt": f"rotate {task_id}", **request}
    return json.dumps({"task_id": task_id, "api_path": CAMERA, "request_body": request_body})


def new_task_id() -> str:
    return f"it-{uuid.uuid4().hex[:12]}"


@dataclass
class Queues:
    sqs: Any
    queue_url: str
    dlq_url: str
    store: TaskStore
    queue_arn: str

    def send(self, body: str) -> None:
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=body)

    def counts(self, url: str | None = None) -> tuple[int, int]:
        attrs = self.sqs.get_queue_attributes(
            QueueUrl=url or self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])

    def finished(self, task_id: str):
        task = self.store.find(task_id)
        return task if task and task.status.terminal else None


@pytest.fixture
def queues(stack) -> Iterator[Queues]:
    """A fresh task queue with its own DLQ (2 receives), deleted after the test."""
    sqs = aws_clients.client("sqs")
    name = f"adapter-it-{uuid.uuid4().hex[:8]}"
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    queue_url = sqs.create_queue(QueueName=name, Attributes={
        "VisibilityTimeout": "300",
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2}),
    })["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    yield Queues(sqs, queue_url, dlq_url, TaskStore(stack["task_table_name"], aws_clients.client("dynamodb")),
                 queue_arn)
    for url in (queue_url, dlq_url):
        sqs.delete_queue(QueueUrl=url)


@pytest.fixture
def fake_api() -> Iterator[FakeUnifiedApi]:
    fake = FakeUnifiedApi().start()
    yield fake
    fake.stop()


@dataclass
class Workers:
    """Worker processes started by a test; all stopped by PID at teardown."""

    base_env: dict[str, str]
    log_dir: Path
    started: list[subprocess.Popen] = field(default_factory=list)

    def start(self, name: str = "worker", **env: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (handed to the child)
        process = subprocess.Popen([sys.executable, "-m", "services.adapter"], cwd=ROOT,
                                   env={**self.base_env, "WORKER_ID": name, **env},
                                   stdout=log, stderr=subprocess.STDOUT)
        self.started.append(process)
        return process

    def log_lines(self, name: str = "worker") -> list[dict[str, Any]]:
        lines = []
        for raw in (self.log_dir / f"{name}.log").read_text().splitlines():
            try:
                lines.append(json.loads(raw))
            except json.JSONDecodeError:
                lines.append({"message": raw})
        return lines

    def stop_all(self) -> None:
        stop(self.started)


def worker_identity(roles: ServiceRoles, stack: dict[str, Any], queues: Queues, variant: str = "role",
                    documents: Callable[[dict[str, Any]], dict[str, Any]] | None = None) -> dict[str, str]:
    """The variables that make a worker sign as the GPU instance's role over the test's queue; `documents`
    edits each of the role's policy documents first (to show that a statement is needed), under a user
    of its own named by `variant`."""
    identity = roles.rebound("worker", f"worker-{variant}-{queues.queue_arn.rsplit(':', 1)[-1]}",
                             {stack["task_queue_arn"]: queues.queue_arn}, edit=documents)
    return identity.environment() if identity else {}


@pytest.fixture
def workers(stack, roles: ServiceRoles, queues: Queues, fake_api: FakeUnifiedApi,
            tmp_path: Path) -> Iterator[Workers]:
    env = {
        **os.environ,
        **worker_identity(roles, stack, queues),
        "SQS_QUEUE_URL": queues.queue_url,
        "DYNAMODB_TABLE": stack["task_table_name"],
        "UNIFIED_API_URL": fake_api.url,
        "WAIT_TIME_S": "1",
        "POLL_INTERVAL_S": "0.1",
        "MAX_POLL_INTERVAL_S": "0.5",
        "VISIBILITY_TIMEOUT_S": "30",
        "HEARTBEAT_INTERVAL_S": "2",
        "SHUTDOWN_GRACE_S": "2",
        "REDELIVERY_BASE_S": "1",
    }
    running = Workers(env, tmp_path)
    yield running
    running.stop_all()
