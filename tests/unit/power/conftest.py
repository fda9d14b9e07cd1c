"""In-process moto for the power handler's unit tests: one tagged instance, a queue with its DLQ and a task
table per test, in one moto per module."""

import json
import time
from dataclasses import dataclass

import pytest

from gpujobs import aws_clients
from gpujobs.task_model import Task
from gpujobs.task_store import TaskStore
from tests.unit.moto_world import MotoClients


@dataclass
class PowerWorld:
    instance_id: str
    launch_time: int
    queue_url: str
    dlq_url: str
    table_name: str
    store: TaskStore
    moto: MotoClients

    def state(self) -> str:
        return self.moto.instance_state(self.instance_id)

    def queue_job(self, task_id: str = "job-waiting", created_at: int | None = None) -> None:
        """A submitted job: its pending row and its message (a message no open task can use wakes nothing)."""
        queue_job(self.store, self.moto.sqs, self.queue_url, task_id, created_at)


def queue_job(store: TaskStore, sqs, queue_url: str, task_id: str, created_at: int | None = None) -> None:
    store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {"prompt": "p"},
                          int(time.time()) if created_at is None else created_at))
    sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"task_id": task_id}))


@pytest.fixture
def world(moto_clients: MotoClients, monkeypatch: pytest.MonkeyPatch) -> PowerWorld:
    instance_id = moto_clients.instance()
    queue_url = moto_clients.task_queue(max_receives=3)
    table = moto_clients.task_table()
    for name, value in {"GPU_INSTANCE_ID": instance_id, "SQS_QUEUE_URL": queue_url, "DYNAMODB_TABLE": table,
                        "SQS_DLQ_URL": moto_clients.dlq_of(queue_url)}.items():
        monkeypatch.setenv(name, value)
    aws_clients.reset_clients()
    return PowerWorld(instance_id, moto_clients.launch_time(instance_id), queue_url, moto_clients.dlq_of(queue_url),
                      table, TaskStore(table, moto_clients.dynamodb), moto_clients)
