"""The power run owns the dead-letter queues: it fails the tasks of its pool's DLQ and of the distributor's
DLQ, leaves tasks a worker still holds, and clears what it settled."""

import io
import json
from typing import Any

import pytest

from gpujobs.job_metrics import JobCounter
from gpujobs.task_message import REJECTION_ATTRIBUTE
from gpujobs.task_model import Task, TaskStatus
from services.shutdown_lambda.dead_letters import DeadLetterDrain, distributor_dlq, pool_dlq
from services.shutdown_lambda.handler import build_handler
from tests.doubles.lambda_context import LambdaContext
from tests.unit.power.conftest import PowerWorld
from tests.unit.power.power_testkit import load_event

CAMERA = "/api/v1/camera-angle/jobs"
NOW = 1_800_000_000


def body(task_id: str) -> str:
    return json.dumps({"task_id": task_id, "api_path": CAMERA, "request_body": {"image_url": "s3://a/b.png",
                                                                                "prompt": "p"}})


def to_dlq(world: PowerWorld, message_body: str, url: str | None = None, **attributes: str) -> None:
    world.moto.sqs.send_message(QueueUrl=url or world.dlq_url, MessageBody=message_body, MessageAttributes={
        name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()})


def depth(world: PowerWorld, url: str) -> tuple[int, int]:
    attributes = world.moto.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]), int(attributes["ApproximateNumberOfMessagesNotVisible"])


def drain(world: PowerWorld, queue: Any = None) -> Any:
    out = io.StringIO()
    report = DeadLetterDrain(world.store, world.moto.sqs, JobCounter("power", "Test", out), lambda: NOW).drain(
        queue or pool_dlq(world.dlq_url, world.queue_url))
    report.counted = [json.loads(line)["job_id"] for line in out.getvalue().splitlines()]
    return report


def pending(world: PowerWorld, task_id: str) -> None:
    world.store.create(Task.new(task_id, CAMERA, {}, NOW - 600))


def test_abandoned_task_fails_naming_the_receive_limit_and_the_last_error(world: PowerWorld) -> None:
    pending(world, "t1")
    world.store.claim("t1", "w", now=NOW - 100, lease_s=50)
    assert world.store.note_retry("t1", "w", "submit to the Unified API: HTTP 503", NOW - 90)
    to_dlq(world, body("t1"))
    report = drain(world)
    task = world.store.get("t1")
    assert (report.failed, report.counted, task.status) == (["t1"], ["t1"], TaskStatus.FAILED)
    assert task.error_message == "moved to the dead-letter queue after 3 receives: submit to the Unified API: HTTP 503"
    assert depth(world, world.dlq_url) == (0, 0)


def test_task_under_a_live_lease_is_left_running(world: PowerWorld) -> None:
    pending(world, "t1")
    world.store.claim("t1", "w", now=NOW, lease_s=300)
    to_dlq(world, body("t1"))
    report = drain(world)
    assert report.still_running == ["t1"] and world.store.get("t1").status == TaskStatus.PROCESSING
    assert depth(world, world.dlq_url) == (0, 1)  # kept, hidden until a later run


def test_finished_task_keeps_its_outcome(world: PowerWorld) -> None:
    pending(world, "t1")
    world.store.claim("t1", "w", now=NOW, lease_s=300)
    world.store.complete("t1", "w", "s3://r/o.png", NOW)
    to_dlq(world, body("t1"))
    assert drain(world).already_final == ["t1"]
    assert world.store.get("t1").status == TaskStatus.COMPLETED and depth(world, world.dlq_url) == (0, 0)


def test_unknown_task_gets_a_failed_row_and_garbage_is_dropped(world: PowerWorld) -> None:
    to_dlq(world, body("t-hand"))
    to_dlq(world, "garbage")
    report = drain(world)
    assert (report.failed, report.unreadable) == (["t-hand"], 1)
    task = world.store.get("t-hand")
    assert task.status == TaskStatus.FAILED and task.job_type == CAMERA
    assert task.error_message.startswith("moved to the dead-letter queue after 3 receives: no error was recorded")
    assert depth(world, world.dlq_url) == (0, 0)


@pytest.fixture
def master_dlq(world: PowerWorld) -> str:
    return world.moto.task_queue()


def test_distributor_dead_letters_fail_their_pending_tasks(world: PowerWorld, master_dlq: str) -> None:
    pending(world, "stuck")
    pending(world, "refused")
    to_dlq(world, body("stuck"), master_dlq)
    to_dlq(world, body("refused"), master_dlq, **{REJECTION_ATTRIBUTE: "message has 10 attributes"})
    report = drain(world, distributor_dlq(master_dlq))
    assert sorted(report.failed) == ["refused", "stuck"]
    assert world.store.get("stuck").error_message == (
        "moved to the distributor's dead-letter queue after 1 receives: "
        "the distributor could not forward it to any regional queue")
    assert world.store.get("refused").error_message == "rejected by the distributor: message has 10 attributes"
    assert depth(world, master_dlq) == (0, 0)


def test_a_dead_lettered_distribution_request_is_logged_and_deleted(world: PowerWorld, master_dlq: str) -> None:
    to_dlq(world, json.dumps({"request_id": "req-1", "model_name": "m"}), master_dlq,
           **{REJECTION_ATTRIBUTE: "invalid distribution request: timestamp: Field required"})
    report = drain(world, distributor_dlq(master_dlq))
    assert (report.requests, report.failed, report.unreadable) == (1, [], 0)
    assert depth(world, master_dlq) == (0, 0)


def test_the_power_run_drains_both_queues_before_it_decides(world: PowerWorld, master_dlq: str,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASTER_DLQ_URL", master_dlq)
    now = world.launch_time + 7200
    for task_id in ("pool-dead", "master-dead"):
        world.store.create(Task.new(task_id, CAMERA, {}, now - 60))  # fresh pending tasks: work waiting
    to_dlq(world, body("pool-dead"))
    to_dlq(world, body("master-dead"), master_dlq)
    response = build_handler(clock=lambda: now, sleep=lambda _s: None)(load_event("schedule.json"), LambdaContext())
    assert sorted(response["dead_letters_failed"]) == ["master-dead", "pool-dead"]
    assert {world.store.get(t).status for t in ("pool-dead", "master-dead")} == {TaskStatus.FAILED}
    # Decided after the drain: the two tasks are no longer waiting work, only recent activity.
    assert response["reason"] == f"idle 0 s, below the {30 * 60} s window"


def test_a_dry_run_settles_nothing(world: PowerWorld) -> None:
    pending(world, "t1")
    to_dlq(world, body("t1"))
    response = build_handler(clock=lambda: NOW, sleep=lambda _s: None)(load_event("direct_dry_run.json"),
                                                                        LambdaContext())
    assert "dead_letters_failed" not in response
    assert world.store.get("t1").status == TaskStatus.PENDING and depth(world, world.dlq_url) == (1, 0)
