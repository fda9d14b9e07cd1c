"""The worker's loop around JobRunner.handle: receiving, acting on verdicts, stopping. These few run the
loop in a thread in real time (the decisions themselves are tested in test_job_decisions.py)."""

import pytest

from gpujobs.errors import ConfigError
from gpujobs.task_model import TaskStatus
from tests.doubles.fake_unified_api import FakeUnifiedApi
from tests.polling import wait_until
from tests.worker_loop import running

from .conftest import job_body, new_task_id


def finished(aws, task_id):
    task = aws.store.find(task_id)
    return task if task and task.status.terminal else None


def test_jobs_run_and_their_messages_are_deleted_while_poison_is_dropped(aws, make_worker):
    good = [new_task_id(), new_task_id()]
    aws.send("this is not json")
    for task_id in good:
        aws.send(job_body(task_id))
    with running(make_worker(FakeUnifiedApi())):
        for task_id in good:
            assert wait_until(lambda t=task_id: finished(aws, t), 10, "the job to end").status == TaskStatus.COMPLETED
        wait_until(lambda: aws.counts() == (0, 0), 10, "every message to be deleted")


def test_stop_hands_back_a_running_job_at_once_and_the_next_worker_resumes_it(aws, make_worker):
    api = FakeUnifiedApi()
    api.behaviour.latency_s = 600
    task_id = new_task_id()
    aws.send(job_body(task_id))
    with running(make_worker(api, shutdown_grace_s=0.1)):
        wait_until(lambda: api.submissions, 10, "the job to start")
    # Visible again at once, not after the visibility timeout; the lease let go and the reason noted.
    assert aws.counts() == (1, 0)
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.PROCESSING and task.last_error == "the worker stopped before the job finished"

    api.behaviour.latency_s = 0
    with running(make_worker(api, worker_id="w-next")):
        done = wait_until(lambda: finished(aws, task_id), 10, "the job to finish")
    assert (done.status, done.worker_id, done.attempts) == (TaskStatus.COMPLETED, "w-next", 2)
    assert len(api.submissions) == 1  # the second worker's submit found the first one's job


def test_stop_lets_a_job_finish_within_the_grace_period(aws, make_worker):
    api = FakeUnifiedApi()
    api.behaviour.latency_s = 0.5
    task_id = new_task_id()
    aws.send(job_body(task_id))
    with running(make_worker(api, shutdown_grace_s=20, poll_interval_s=0.05)):
        wait_until(lambda: api.submissions, 10, "the job to start")
    assert aws.store.get(task_id).status == TaskStatus.COMPLETED
    assert aws.counts() == (0, 0)


def test_a_message_past_its_retries_is_hidden_by_the_policys_delay(aws, make_worker):
    api = FakeUnifiedApi()
    api.behaviour.submit_failures = 1000  # ready by its /health, but every submit answers 503
    task_id = new_task_id()
    aws.send(job_body(task_id))
    with running(make_worker(api, retry_budget_s=0.2)):
        wait_until(lambda: (aws.store.find(task_id) or None) and aws.store.get(task_id).last_error, 10,
                   "the hand-back")
        wait_until(lambda: aws.counts() == (0, 1), 10, "the message to be hidden")


def test_no_message_is_received_while_the_unified_api_is_starting(aws, make_worker):
    api = FakeUnifiedApi()
    api.behaviour.starting = True  # /health answers 503 while ComfyUI loads
    task_id = new_task_id()
    aws.send(job_body(task_id))
    with running(make_worker(api)):
        wait_until(lambda: api.health_checks >= 3, 10, "the worker to probe /health again")
        assert aws.counts() == (1, 0)  # still in the queue, never received: no receive counts towards the DLQ
        assert api.post_attempts == 0
        api.behaviour.starting = False
        assert wait_until(lambda: finished(aws, task_id), 20, "the job to run").status == TaskStatus.COMPLETED
    received = aws.sqs.receive_message(QueueUrl=aws.queue_url, AttributeNames=["All"], WaitTimeSeconds=0)
    assert not received.get("Messages")


def test_missing_queue_stops_the_worker_at_start(aws, make_worker):
    settings = aws.settings.with_values(SQS_QUEUE_URL=aws.queue_url + "-missing")
    worker = make_worker(FakeUnifiedApi(), settings=settings, retry_budget_s=0.1)
    with pytest.raises(ConfigError, match="SQS_QUEUE_URL"):
        worker.run()


def test_the_queues_redrive_limit_reaches_the_retry_policy(aws, make_worker):
    worker = make_worker(FakeUnifiedApi())
    worker._check_queue()
    assert worker.retrier.policy.max_receives == 3
