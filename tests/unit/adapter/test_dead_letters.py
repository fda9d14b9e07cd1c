"""The DLQ sweep fails abandoned tasks, leaves running ones alone and clears what it settled."""

from gpujobs.task_model import Task, TaskStatus
from services.adapter.dead_letters import max_receives_of, note_retry_error, sweep_dead_letters

from .conftest import job_body, new_task_id

NOW = 10_000


def to_dlq(aws, body):
    aws.sqs.send_message(QueueUrl=aws.dlq_url, MessageBody=body)


def sweep(aws, **kwargs):
    return sweep_dead_letters(aws.dlq_url, aws.table, NOW, sqs=aws.sqs, dynamodb=aws.db, **kwargs)


def test_abandoned_task_fails_with_the_last_error(aws):
    task_id = new_task_id()
    aws.store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {}, 1))
    aws.store.claim(task_id, "w", now=NOW - 100, lease_s=50)
    assert note_retry_error(aws.table, task_id, "w", "submit to the Unified API: HTTP 503", NOW - 90, aws.db)
    to_dlq(aws, job_body(task_id))

    report = sweep(aws, max_receives=3)

    task = aws.store.get(task_id)
    assert report.failed == [task_id]
    assert task.status == TaskStatus.FAILED
    assert task.error_message == (
        "moved to the dead-letter queue after 3 receives: submit to the Unified API: HTTP 503")
    assert aws.counts(aws.dlq_url) == (0, 0)


def test_task_under_a_live_lease_is_left_running(aws):
    task_id = new_task_id()
    aws.store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {}, 1))
    aws.store.claim(task_id, "w", now=NOW, lease_s=300)
    to_dlq(aws, job_body(task_id))

    report = sweep(aws)

    assert report.still_running == [task_id]
    assert aws.store.get(task_id).status == TaskStatus.PROCESSING
    assert aws.counts(aws.dlq_url) == (0, 1)  # kept, hidden until the next look


def test_finished_task_keeps_its_outcome(aws):
    task_id = new_task_id()
    aws.store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {}, 1))
    aws.store.claim(task_id, "w", now=NOW, lease_s=300)
    aws.store.complete(task_id, "w", "s3://r/o.png", NOW)
    to_dlq(aws, job_body(task_id))

    report = sweep(aws)

    assert report.already_final == [task_id]
    assert aws.store.get(task_id).status == TaskStatus.COMPLETED
    assert aws.counts(aws.dlq_url) == (0, 0)


def test_dead_letter_for_an_unknown_task_leaves_a_failed_row(aws):
    task_id = new_task_id()
    to_dlq(aws, job_body(task_id))
    to_dlq(aws, "garbage")

    report = sweep(aws)

    assert report.failed == [task_id] and report.unreadable == 1
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.FAILED and "dead-letter queue" in task.error_message
    assert aws.counts(aws.dlq_url) == (0, 0)


def test_only_the_lease_holder_notes_an_error(aws):
    task_id = new_task_id()
    aws.store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {}, 1))
    aws.store.claim(task_id, "w", now=NOW, lease_s=300)
    assert not note_retry_error(aws.table, task_id, "intruder", "boom", NOW, aws.db)


def test_redrive_limit_is_read_from_the_queue(aws):
    assert max_receives_of(aws.queue_url, aws.sqs) == 3
    assert max_receives_of(aws.dlq_url, aws.sqs) is None
