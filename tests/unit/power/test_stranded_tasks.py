"""The power run's sweep fails the tasks no message can run any more, once, and leaves the others."""

import io
import json

import pytest

from gpujobs.job_metrics import JobCounter
from gpujobs.task_model import Task, TaskStatus
from gpujobs.task_store import TaskStore
from services.shutdown_lambda.stranded_tasks import LEASE_GRACE_S, WORKER_GONE, StrandedTaskSweep
from tests.unit.moto_world import MotoClients, unique

IDLE_S = 600
NOW = 1_800_000_000
DAY = 86400


@pytest.fixture
def store(moto_clients: MotoClients) -> TaskStore:
    return TaskStore(moto_clients.task_table(), moto_clients.dynamodb)


def _queue(moto_clients: MotoClients, retention_s: int = 4 * DAY) -> str:
    return moto_clients.sqs.create_queue(QueueName=unique("q"),
                                         Attributes={"MessageRetentionPeriod": str(retention_s)})["QueueUrl"]


def _sweep(moto_clients: MotoClients, store: TaskStore, queue_url: str, now: int = NOW, **kwargs) -> list[str]:
    sweep = StrandedTaskSweep(store, moto_clients.sqs, JobCounter("power", "Test", io.StringIO()), lambda: now,
                              IDLE_S, queue_url, **kwargs)
    return sweep.sweep().failed


def _pending(store: TaskStore, age_s: int) -> str:
    task = Task.new(unique("t"), "/api/v1/camera-angle/jobs", {"prompt": "p"}, NOW - age_s)
    store.create(task)
    return task.task_id


def _processing(store: TaskStore, age_s: int, lease_left_s: int, pool: str | None = None) -> str:
    task_id = _pending(store, age_s)
    store.claim(task_id, "i-0abc", NOW - 300, lease_left_s + 300, pool=pool)
    return task_id


def test_pending_past_the_idle_window_with_an_empty_queue_fails_once(moto_clients, store) -> None:
    queue_url = _queue(moto_clients)
    old, young = _pending(store, IDLE_S + 1), _pending(store, IDLE_S - 60)

    assert _sweep(moto_clients, store, queue_url) == [old]
    assert _sweep(moto_clients, store, queue_url) == []

    failed = store.get(old)
    assert failed.status == TaskStatus.FAILED
    assert "no message for this task was left on its queue after 10 min pending" in failed.error_message
    assert store.get(young).status == TaskStatus.PENDING


def test_a_queue_holding_messages_leaves_pending_tasks_until_retention(moto_clients, store) -> None:
    queue_url = _queue(moto_clients, retention_s=DAY)
    moto_clients.sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"task_id": "other"}))
    waiting, expired = _pending(store, IDLE_S + 1), _pending(store, DAY + 1)

    assert _sweep(moto_clients, store, queue_url) == [expired]
    assert store.get(waiting).status == TaskStatus.PENDING
    assert "longer than its queue keeps a message (86400 s)" in store.get(expired).error_message


def test_processing_with_a_lapsed_lease_and_nothing_in_flight_fails(moto_clients, store) -> None:
    queue_url = _queue(moto_clients)
    gone = _processing(store, 900, lease_left_s=-LEASE_GRACE_S - 1)
    just_lapsed = _processing(store, 900, lease_left_s=-5)
    held = _processing(store, 900, lease_left_s=100)

    assert _sweep(moto_clients, store, queue_url) == [gone]
    failed = store.get(gone)
    assert failed.error_message == WORKER_GONE
    assert failed.finished_at == failed.lease_expires_at < NOW  # it stopped then: no fresh GPU activity
    assert store.get(just_lapsed).status == TaskStatus.PROCESSING
    assert store.get(held).status == TaskStatus.PROCESSING


def test_a_message_in_flight_keeps_a_lapsed_task(moto_clients, store) -> None:
    queue_url = _queue(moto_clients)
    task_id = _processing(store, 900, lease_left_s=-LEASE_GRACE_S - 1)
    moto_clients.sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({"task_id": task_id}))
    moto_clients.sqs.receive_message(QueueUrl=queue_url, VisibilityTimeout=300)

    assert _sweep(moto_clients, store, queue_url) == []
    assert store.get(task_id).status == TaskStatus.PROCESSING


def test_behind_the_distributor_pending_tasks_end_only_past_both_retentions(moto_clients, store) -> None:
    pool_queue, master_queue = _queue(moto_clients, retention_s=DAY), _queue(moto_clients, retention_s=2 * DAY)
    moto_clients.sqs.send_message(QueueUrl=master_queue, MessageBody=json.dumps({"task_id": "other"}))
    within, beyond = _pending(store, 2 * DAY), _pending(store, 3 * DAY + 1)
    other_pool = _processing(store, 900, lease_left_s=-LEASE_GRACE_S - 1, pool="us-west-2")
    mine = _processing(store, 900, lease_left_s=-LEASE_GRACE_S - 1, pool="us-east-1")

    remote = _sweep(moto_clients, store, pool_queue, pool="us-east-1")
    assert remote == [mine]  # a pool without the master queue ends only its own processing tasks
    home = _sweep(moto_clients, store, pool_queue, pool="us-east-1", master_queue_url=master_queue)
    assert home == [beyond]
    assert store.get(within).status == TaskStatus.PENDING
    assert store.get(other_pool).status == TaskStatus.PROCESSING


def test_behind_the_distributor_the_idle_rule_needs_every_queue_empty(moto_clients, store) -> None:
    pool_queue, master_queue, peer_queue = _queue(moto_clients), _queue(moto_clients), _queue(moto_clients)
    stranded = _pending(store, IDLE_S + 1)
    peer_sqs: list[str] = []

    def sweep_home(peers: dict[str, str]) -> list[str]:
        def sqs_for(pool: str):
            peer_sqs.append(pool)
            return moto_clients.sqs
        return _sweep(moto_clients, store, pool_queue, pool="us-east-1", master_queue_url=master_queue,
                      peer_queues=peers, sqs_for=sqs_for)

    moto_clients.sqs.send_message(QueueUrl=peer_queue, MessageBody=json.dumps({"task_id": stranded}))
    assert sweep_home({"eu-west-1": peer_queue}) == []  # its message may be that one, in another pool
    assert peer_sqs == ["eu-west-1"]
    missing = peer_queue.rsplit("/", 1)[0] + "/" + unique("gone")
    moto_clients.sqs.purge_queue(QueueUrl=peer_queue)
    assert sweep_home({"eu-west-1": peer_queue, "ap-south-1": missing}) == []  # one pool unread: wait
    assert store.get(stranded).status == TaskStatus.PENDING

    assert sweep_home({"eu-west-1": peer_queue}) == [stranded]
    assert "no message for this task was left on its queue after 10 min" in store.get(stranded).error_message
