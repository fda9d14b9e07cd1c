"""A worker of one pool in the multi-region mode: its queue in its own region (us-west-2), the task table
in the home region (us-east-1). A table of the same name in us-west-2 catches a client built for the wrong
region: moto in process keeps regions apart."""

from dataclasses import dataclass
from typing import Any

import pytest

from gpujobs import aws_clients
from gpujobs.settings import load_settings
from gpujobs.task_model import TaskStatus
from gpujobs.task_store import TaskStore
from services.adapter.unified_api import UnifiedApi
from services.adapter.worker import Worker
from services.adapter.worker_config import WorkerConfig
from tests.doubles.fake_unified_api import FakeUnifiedApi
from tests.task_table import create_task_table
from tests.unit.moto_world import MotoClients

from .conftest import job_body, message, new_task_id

HOME, POOL_REGION = "us-east-1", "us-west-2"


@dataclass
class PoolWorld:
    home: TaskStore
    local: TaskStore


@pytest.fixture
def world(moto_clients: MotoClients, monkeypatch: pytest.MonkeyPatch) -> PoolWorld:
    table = moto_clients.task_table(HOME)
    create_task_table(moto_clients.client("dynamodb", POOL_REGION), table)
    queue_url = moto_clients.task_queue(region=POOL_REGION)
    for key, value in {"AWS_REGION": POOL_REGION, "AWS_DEFAULT_REGION": POOL_REGION, "DYNAMODB_TABLE": table,
                       "SQS_QUEUE_URL": queue_url, "WORKER_ID": "w-west"}.items():
        monkeypatch.setenv(key, value)
    aws_clients.reset_clients()
    return PoolWorld(TaskStore(table, moto_clients.client("dynamodb", HOME)),
                     TaskStore(table, moto_clients.client("dynamodb", POOL_REGION)))


def run_one_job(world: PoolWorld) -> str:
    """A hand-sent message through a worker built only from the environment, as the service builds it."""
    task_id = new_task_id()
    settings = load_settings("worker")
    worker = Worker(settings, WorkerConfig.from_settings(settings), api=UnifiedApi(FakeUnifiedApi().transport))
    worker.runner.handle(message(job_body(task_id)))
    return task_id


def rows(store: TaskStore) -> list[dict[str, Any]]:
    return store.db.scan(TableName=store.table_name, ConsistentRead=True)["Items"]


def test_worker_writes_to_the_table_in_dynamodb_region(world: PoolWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMODB_REGION", HOME)
    task_id = run_one_job(world)
    assert world.home.get(task_id).status == TaskStatus.COMPLETED
    assert rows(world.local) == [], "nothing may be written to the pool region's table of the same name"


def test_worker_records_its_pool_on_the_task_and_moves_only_its_activity_row(
        world: PoolWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMODB_REGION", HOME)
    monkeypatch.setenv("GPU_POOL", POOL_REGION)
    world.home.record_activity(100, pool="eu-west-1")
    task = world.home.get(run_one_job(world))
    assert (task.status, task.pool, task.worker_id) == (TaskStatus.COMPLETED, POOL_REGION, "w-west")
    assert world.home.last_activity(pool=POOL_REGION) is not None
    assert world.home.last_activity(pool="eu-west-1") == 100
    assert world.home.last_activity() is None
