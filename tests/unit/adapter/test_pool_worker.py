"""A worker of one pool in the multi-region mode: its queue in its own region (us-west-2), the task table
in the home region (us-east-1). A table of the same name in us-west-2 catches a client built for the wrong
region: moto in process keeps regions apart."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from moto import mock_aws

from gpujobs import aws_clients
from gpujobs.activity import last_activity, record_activity
from gpujobs.task_model import TaskStatus
from gpujobs.task_store import TaskStore
from services.adapter.worker import Worker
from services.adapter.worker_config import WorkerConfig
from tests.doubles.fake_unified_api import FakeUnifiedApi
from tests.unit.power.power_testkit import create_task_table

from .conftest import job_body, new_task_id, running, wait_for

HOME, POOL_REGION, TABLE = "us-east-1", "us-west-2", "task_store"


@dataclass
class PoolWorld:
    home: TaskStore
    local: TaskStore
    queue_url: str


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch, fake_api: FakeUnifiedApi) -> Iterator[PoolWorld]:
    for key in ("AWS_ENDPOINT_URL", "GPUJOBS_OUTPUTS_FILE", "SQS_DLQ_URL", "WORKER_CONCURRENCY", "JOB_TIMEOUT_S",
                "HEARTBEAT_INTERVAL_S", "GPU_POOL", "DYNAMODB_REGION"):
        monkeypatch.delenv(key, raising=False)
    for key, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_REGION": POOL_REGION,
                       "AWS_DEFAULT_REGION": POOL_REGION, "DYNAMODB_TABLE": TABLE, "COMFYUI_API_URL": fake_api.url,
                       "WAIT_TIME_S": "1", "VISIBILITY_TIMEOUT_S": "10", "POLL_INTERVAL_S": "0.05",
                       "SHUTDOWN_GRACE_S": "1", "WORKER_ID": "w-west"}.items():
        monkeypatch.setenv(key, value)
    aws_clients.reset_clients()
    with mock_aws():
        home_db, local_db = (boto3.client("dynamodb", region_name=r) for r in (HOME, POOL_REGION))
        create_task_table(home_db, TABLE)
        create_task_table(local_db, TABLE)
        queue_url = boto3.client("sqs", region_name=POOL_REGION).create_queue(QueueName="tasks_us_west_2")["QueueUrl"]
        monkeypatch.setenv("SQS_QUEUE_URL", queue_url)
        yield PoolWorld(TaskStore(TABLE, home_db), TaskStore(TABLE, local_db), queue_url)
    aws_clients.reset_clients()


def run_one_job(world: PoolWorld) -> str:
    """A hand-sent message through a worker built only from the environment, as the service builds it."""
    task_id = new_task_id()
    boto3.client("sqs", region_name=POOL_REGION).send_message(QueueUrl=world.queue_url, MessageBody=job_body(task_id))
    with running(Worker(WorkerConfig.from_env())):
        wait_for(lambda: (t := world.home.find(task_id)) is not None and t.status.terminal)
    return task_id


def rows(store: TaskStore) -> list[dict[str, Any]]:
    return store.db.scan(TableName=store.table_name, ConsistentRead=True)["Items"]


def test_worker_writes_to_the_table_in_dynamodb_region(world: PoolWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMODB_REGION", HOME)
    task_id = run_one_job(world)
    assert world.home.get(task_id).status == TaskStatus.COMPLETED
    assert rows(world.local) == [], "nothing may be written to the pool region's table of the same name"


def test_worker_records_its_pool_on_the_task(world: PoolWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMODB_REGION", HOME)
    monkeypatch.setenv("GPU_POOL", POOL_REGION)
    task = world.home.get(run_one_job(world))
    assert (task.status, task.pool, task.worker_id) == (TaskStatus.COMPLETED, POOL_REGION, "w-west")


def test_worker_moves_only_its_pool_activity_row(world: PoolWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMODB_REGION", HOME)
    monkeypatch.setenv("GPU_POOL", POOL_REGION)
    record_activity(TABLE, 100, world.home.db, pool="eu-west-1")
    run_one_job(world)
    assert last_activity(TABLE, world.home.db, pool=POOL_REGION) is not None
    assert last_activity(TABLE, world.home.db, pool="eu-west-1") == 100
    assert last_activity(TABLE, world.home.db) is None
