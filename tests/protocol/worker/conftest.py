"""The worker as a process (`python -m services.adapter`) on the real Unified API (gunicorn) in front of
the ComfyUI double, with a task queue and table of the module's own in the session's emulator. One
set of processes serves the module; a test that restarts the double or the Unified API leaves it
running again. The worker and the Unified API sign as the GPU instance's role, its rights over the stack's
task queue and results bucket moved to the module's queue and bucket."""

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from gpujobs import aws_clients
from gpujobs.task_model import Task
from gpujobs.task_store import TaskStore
from gpujobs.workflow_spec import load_workflows
from local.processes import stop
from local.role_users import ServiceRoles
from services.unified_api.jobs import job_id_for
from tests.protocol.unified_api.harness import ROOT, Double, Unified
from tests.task_table import create_task_table

WORKFLOWS = load_workflows()


@dataclass
class Gpu:
    """The worker's world: its queue and table, the double and the Unified API, the worker's log."""

    sqs: Any
    queue_url: str
    store: TaskStore
    double: Double
    unified: Unified
    worker_log: Path

    def submit(self, workflow: str, body: dict[str, Any]) -> tuple[str, str]:
        """A task row as the API writes it (pending, the folder's hash) and its message; (task id, job id)."""
        spec = WORKFLOWS[workflow]
        task_id = f"proto-{uuid.uuid4().hex[:12]}"
        self.store.create(Task.new(task_id, spec.api_path, body, int(time.time()), workflow_hash=spec.content_hash))
        self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(
            {"task_id": task_id, "api_path": spec.api_path, "request_body": body}))
        return task_id, job_id_for(task_id)

    def row(self, task_id: str) -> Task:
        return self.store.get(task_id)

    def finished(self, task_id: str) -> Task | None:
        task = self.store.find(task_id)
        return task if task and task.status.terminal else None

    def log_lines(self) -> list[str]:
        return self.worker_log.read_text().splitlines()


@pytest.fixture(scope="module")
def gpu(stack: dict[str, Any], roles: ServiceRoles, bucket: str,
        tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gpu]:
    base = tmp_path_factory.mktemp("worker-gpu")
    (base / "comfyui").mkdir()
    sqs, dynamodb = aws_clients.client("sqs"), aws_clients.client("dynamodb")
    name = f"proto-worker-{uuid.uuid4().hex[:8]}"
    table = create_task_table(dynamodb, name)
    queue_url = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    identity = roles.rebound("worker", name, {stack["task_queue_arn"]: queue_arn,
                                              stack["results_bucket_arn"]: f"arn:aws:s3:::{bucket}"})
    role = identity.environment() if identity else {}
    double = Double(base / "comfyui", base / "double.log").start()
    unified = Unified(double, bucket, base / "unified.log", **role).start()
    env = {**os.environ, **role, "SQS_QUEUE_URL": queue_url, "DYNAMODB_TABLE": table, "UNIFIED_API_URL": unified.url,
           "WAIT_TIME_S": "1", "POLL_INTERVAL_S": "0.1", "MAX_POLL_INTERVAL_S": "0.5", "STATUS_WAIT_S": "2",
           "VISIBILITY_TIMEOUT_S": "30", "HEARTBEAT_INTERVAL_S": "0.5", "WORKER_ID": "proto-worker",
           "PYTHONPATH": str(ROOT)}
    env.pop("GPUJOBS_OUTPUTS_FILE", None)
    worker_log = base / "worker.log"
    worker = subprocess.Popen([sys.executable, "-m", "services.adapter"], cwd=ROOT, env=env,
                              stdout=open(worker_log, "ab"), stderr=subprocess.STDOUT)  # noqa: SIM115
    try:
        yield Gpu(sqs, queue_url, TaskStore(table, dynamodb), double, unified, worker_log)
    finally:
        stop([worker], timeout_s=30)
        unified.stop()
        double.stop()
        sqs.delete_queue(QueueUrl=queue_url)
        dynamodb.delete_table(TableName=table)


@pytest.fixture(autouse=True)
def fresh_knobs(gpu: Gpu) -> None:
    gpu.double.reset()
