"""In-process moto for the power handler's unit tests: one tagged instance, a queue with its DLQ and a task
table per test, in one moto per module."""

from dataclasses import dataclass

import pytest

from gpujobs import aws_clients
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
