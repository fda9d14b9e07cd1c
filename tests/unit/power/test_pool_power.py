"""The power logic of one pool in the multi-region mode: its instance and queue in its own region
(us-west-2), the task table in the home region (us-east-1). A table of the same name in us-west-2 catches
a client built for the wrong region: moto in process keeps regions apart."""

from dataclasses import dataclass
from typing import Any

import pytest

from gpujobs import aws_clients
from gpujobs.power_policy import PowerFacts
from gpujobs.task_model import Task
from gpujobs.task_store import TaskStore
from services.shutdown_lambda.handler import build_handler
from services.shutdown_lambda.power_facts import FactsReader
from tests.doubles.lambda_context import LambdaContext
from tests.task_table import create_task_table
from tests.unit.moto_world import MotoClients
from tests.unit.power.conftest import queue_job
from tests.unit.power.power_testkit import load_event

HOME, POOL_REGION = "us-east-1", "us-west-2"
IDLE_FOR = 2 * 3600
OTHER = "eu-west-1"


@dataclass
class PoolWorld:
    home: TaskStore
    local: TaskStore
    ec2: Any
    sqs: Any
    queue_url: str
    instance_id: str
    now: int

    def state(self) -> str:
        reservations = self.ec2.describe_instances(InstanceIds=[self.instance_id])["Reservations"]
        return reservations[0]["Instances"][0]["State"]["Name"]

    def invoke(self, event_file: str = "schedule.json") -> dict[str, Any]:
        handler = build_handler(clock=lambda: self.now, sleep=lambda _s: None)
        return handler(load_event(event_file), LambdaContext())


@pytest.fixture
def pool_world(moto_clients: MotoClients, monkeypatch: pytest.MonkeyPatch) -> PoolWorld:
    instance_id = moto_clients.instance(region=POOL_REGION)
    queue_url = moto_clients.task_queue(region=POOL_REGION)
    table = moto_clients.task_table(HOME)
    create_task_table(moto_clients.client("dynamodb", POOL_REGION), table)
    for key, value in {"AWS_REGION": POOL_REGION, "AWS_DEFAULT_REGION": POOL_REGION, "DYNAMODB_TABLE": table,
                       "GPU_INSTANCE_ID": instance_id, "SQS_QUEUE_URL": queue_url}.items():
        monkeypatch.setenv(key, value)
    aws_clients.reset_clients()
    return PoolWorld(TaskStore(table, moto_clients.client("dynamodb", HOME)),
                     TaskStore(table, moto_clients.client("dynamodb", POOL_REGION)),
                     moto_clients.client("ec2", POOL_REGION), moto_clients.client("sqs", POOL_REGION), queue_url,
                     instance_id, moto_clients.launch_time(instance_id, POOL_REGION) + IDLE_FOR)


def processing(store: TaskStore, task_id: str, now: int, pool: str | None = None) -> None:
    """A task a worker (of `pool`) claimed a minute ago (its lease still held)."""
    store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {}, now - 120))
    store.claim(task_id, "w-1", now - 60, lease_s=280, pool=pool)


def finished(store: TaskStore, task_id: str, at: int, pool: str) -> None:
    store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {}, at - 60))
    store.claim(task_id, "w-1", at - 30, lease_s=280, pool=pool)
    store.complete(task_id, "w-1", "s3://results/x.png", at)


def pooled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMODB_REGION", HOME)
    monkeypatch.setenv("GPU_POOL", POOL_REGION)


def read_facts(world: PoolWorld, pool: str | None) -> PowerFacts:
    return FactsReader(world.instance_id, world.queue_url, world.home, world.ec2, world.sqs,
                       clock=lambda: world.now, pool=pool).read()


def busy_elsewhere(world: PoolWorld) -> None:
    """Another pool's work and a fresh pending task, which no pool has claimed yet."""
    world.home.create(Task.new("job-pending", "/api/v1/camera-angle/jobs", {}, world.now - 10))
    processing(world.home, "job-east", world.now, pool=OTHER)
    finished(world.home, "job-east-done", world.now - 5, pool=OTHER)
    world.home.record_activity(world.now - 5, pool=OTHER)


def test_task_facts_come_from_the_table_in_dynamodb_region(pool_world: PoolWorld,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMODB_REGION", HOME)
    processing(pool_world.home, "job-home", pool_world.now)
    response = pool_world.invoke()
    assert (response["acted"], response["reason"]) == ("nothing", "job running")
    assert pool_world.state() == "running"


def test_instance_and_queue_are_read_in_the_pool_region(pool_world: PoolWorld,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMODB_REGION", HOME)
    monkeypatch.setenv("AWS_DEFAULT_REGION", HOME)  # AWS_REGION (us-west-2) names the pool's region
    pool_world.ec2.stop_instances(InstanceIds=[pool_world.instance_id])
    queue_job(pool_world.home, pool_world.sqs, pool_world.queue_url, "job-forwarded", pool_world.now - 10)
    response = pool_world.invoke()
    assert (response["action"], response["acted"]) == ("start", "started")
    assert pool_world.state() in ("pending", "running")


def test_pool_facts_ignore_pending_tasks_and_other_pools(pool_world: PoolWorld) -> None:
    busy_elsewhere(pool_world)
    facts = read_facts(pool_world, POOL_REGION)
    assert (facts.pending_count, facts.newest_pending_created_at) == (0, None)
    assert (facts.processing, facts.last_finished_at, facts.last_activity_at) == ((), None, None)


def test_pool_facts_count_this_pools_work(pool_world: PoolWorld) -> None:
    busy_elsewhere(pool_world)
    processing(pool_world.home, "job-west", pool_world.now, pool=POOL_REGION)
    finished(pool_world.home, "job-west-done", pool_world.now - 300, pool=POOL_REGION)
    pool_world.home.record_activity(pool_world.now - 200, pool=POOL_REGION)
    facts = read_facts(pool_world, POOL_REGION)
    assert [t.task_id for t in facts.processing] == ["job-west"]
    assert (facts.last_finished_at, facts.last_activity_at, facts.pending_count) == (
        pool_world.now - 300, pool_world.now - 200, 0)


def test_without_a_pool_the_facts_count_every_task(pool_world: PoolWorld) -> None:
    busy_elsewhere(pool_world)
    facts = read_facts(pool_world, None)
    assert (facts.pending_count, facts.newest_pending_created_at) == (1, pool_world.now - 10)
    assert [t.task_id for t in facts.processing] == ["job-east"]
    assert facts.last_finished_at == pool_world.now - 5


def test_idle_pool_is_stopped_while_another_pool_works(pool_world: PoolWorld,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pooled(monkeypatch)
    busy_elsewhere(pool_world)
    response = pool_world.invoke()
    assert (response["action"], response["acted"], response["idle_s"]) == ("stop", "stopped", IDLE_FOR)
    assert pool_world.state() == "stopped"


def test_pool_job_holds_its_instance_on(pool_world: PoolWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    pooled(monkeypatch)
    processing(pool_world.home, "job-west", pool_world.now, pool=POOL_REGION)
    response = pool_world.invoke()
    assert (response["acted"], response["reason"]) == ("nothing", "job running")


def test_stopped_pool_starts_for_its_queue_not_for_a_pending_task(pool_world: PoolWorld,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    pooled(monkeypatch)
    pool_world.ec2.stop_instances(InstanceIds=[pool_world.instance_id])
    pool_world.home.create(Task.new("job-pending", "/api/v1/camera-angle/jobs", {}, pool_world.now - 10))
    assert pool_world.invoke()["acted"] == "nothing"
    pool_world.sqs.send_message(QueueUrl=pool_world.queue_url, MessageBody="{}")
    assert pool_world.invoke()["acted"] == "started"
