"""Stopping with jobs running, transient faults that outlast the retries, and the DLQ sweep in the loop."""

import time

import pytest

from gpujobs.errors import ConfigError
from gpujobs.task_model import Task, TaskStatus

from .conftest import job_body, new_task_id, running, wait_for


def raw_item(aws, task_id):
    return aws.db.get_item(TableName=aws.table, Key={"task_id": {"S": task_id}}, ConsistentRead=True)["Item"]


def test_stop_hands_back_unfinished_jobs_at_once_and_the_next_worker_resumes(aws, fake_api, make_worker):
    fake_api.behaviour.latency_s = 600
    task_id = new_task_id()
    aws.send(job_body(task_id))
    worker = make_worker(shutdown_grace_s=0.3)
    with running(worker):
        wait_for(lambda: (aws.store.find(task_id) or Task.new("x", "", {}, 0)).comfy_job_id)
    # Visible again at once, not after the 10 s visibility timeout; the lease let go too.
    assert aws.counts() == (1, 0)
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.PROCESSING
    assert task.lease_expires_at <= int(time.time())
    assert raw_item(aws, task_id)["last_error"]["S"] == "the worker stopped before the job finished"

    fake_api.behaviour.latency_s = 0
    with running(make_worker(worker_id="w-next")):
        done = wait_for(lambda: aws.store.get(task_id).status.terminal and aws.store.get(task_id))
    assert done.status == TaskStatus.COMPLETED and done.worker_id == "w-next" and done.attempts == 2
    # The second worker polled the job the first one submitted instead of running it again.
    assert len(fake_api.submissions_for(task_id)) == 1


def test_stop_lets_a_job_finish_within_the_grace_period(aws, fake_api, make_worker):
    fake_api.behaviour.latency_s = 1.0
    task_id = new_task_id()
    aws.send(job_body(task_id))
    with running(make_worker(shutdown_grace_s=20)):
        wait_for(lambda: (aws.store.find(task_id) or Task.new("x", "", {}, 0)).comfy_job_id)
    assert aws.store.get(task_id).status == TaskStatus.COMPLETED
    assert aws.empty()


def test_transient_fault_outlasting_retries_hides_the_message_and_notes_the_error(aws, fake_api, make_worker):
    fake_api.behaviour.down = True
    task_id = new_task_id()
    aws.send(job_body(task_id))
    with running(make_worker(retry_budget_s=0.5)):
        wait_for(lambda: "last_error" in raw_item(aws, task_id) if aws.store.find(task_id) else False)
        wait_for(lambda: aws.counts() == (0, 1))
    item = raw_item(aws, task_id)
    assert "503" in item["last_error"]["S"]
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.PROCESSING and task.lease_expires_at <= int(time.time())
    # Not visible again soon: the redelivery delay for a first receive is at least 15 s.
    assert aws.counts() == (0, 1)


def test_loop_sweeps_the_dead_letter_queue(aws, fake_api, make_worker):
    task_id = new_task_id()
    aws.store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {}, 1))
    aws.sqs.send_message(QueueUrl=aws.dlq_url, MessageBody=job_body(task_id))
    with running(make_worker(dlq_url=aws.dlq_url)):
        task = wait_for(lambda: aws.store.get(task_id).status.terminal and aws.store.get(task_id))
        wait_for(lambda: aws.counts(aws.dlq_url) == (0, 0))
    assert task.status == TaskStatus.FAILED
    assert task.error_message.startswith("moved to the dead-letter queue after 3 receives: ")


def test_missing_queue_stops_the_worker_at_start(aws, make_worker):
    worker = make_worker(queue_url=aws.queue_url + "-missing", retry_budget_s=0.1)
    with pytest.raises(ConfigError, match="SQS_QUEUE_URL"):
        worker.run()


def test_unreadable_dead_letter_does_not_stop_the_loop(aws, fake_api, make_worker):
    aws.sqs.send_message(QueueUrl=aws.dlq_url, MessageBody="{not json")
    task_id = new_task_id()
    aws.send(job_body(task_id))
    with running(make_worker(dlq_url=aws.dlq_url)):
        wait_for(lambda: aws.store.find(task_id) and aws.store.get(task_id).status.terminal)
        wait_for(lambda: aws.counts(aws.dlq_url) == (0, 0))
    assert aws.store.get(task_id).status == TaskStatus.COMPLETED
