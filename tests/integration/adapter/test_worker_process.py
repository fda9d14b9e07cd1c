"""The worker process against the emulator: every job ends completed or failed, exactly once."""

import json
import signal
import time

import pytest

from gpujobs import aws_clients
from gpujobs.job_metrics import JobCounter
from gpujobs.task_model import Task, TaskStatus
from services.shutdown_lambda.dead_letters import DeadLetterDrain, pool_dlq
from tests.polling import wait_until

from .conftest import CAMERA, job_body, new_task_id

pytestmark = pytest.mark.integration


def test_job_in_the_message_format_completes(queues, fake_api, workers):
    task_id = new_task_id()
    queues.store.create(Task.new(task_id, CAMERA, json.loads(job_body(task_id))["request_body"], int(time.time())))
    queues.send(job_body(task_id))
    workers.start()
    task = wait_until(lambda: queues.finished(task_id), 60, "the job to finish")
    assert task.status == TaskStatus.COMPLETED
    assert task.result_s3_uri == f"s3://results/comfyui-results/camera-angle/{task.comfy_job_id}/output.png"
    wait_until(lambda: queues.counts() == (0, 0), 30, "the message to be deleted")
    about_job = [line for line in workers.log_lines() if task_id in json.dumps(line)]
    assert about_job and all(line.get("job_id") == task_id for line in about_job)


def test_same_job_sent_twice_runs_once(queues, fake_api, workers):
    fake_api.behaviour.latency_s = 2
    task_id = new_task_id()
    queues.send(job_body(task_id))
    queues.send(job_body(task_id))
    workers.start(WORKER_CONCURRENCY="2", VISIBILITY_TIMEOUT_S="6", HEARTBEAT_INTERVAL_S="1")
    task = wait_until(lambda: queues.finished(task_id), 60, "the job to finish")
    assert task.status == TaskStatus.COMPLETED
    wait_until(lambda: queues.counts() == (0, 0), 60, "both messages to be deleted")
    assert len(fake_api.submissions_for(task_id)) == 1


def test_sigkill_mid_job_then_the_job_completes_once(queues, fake_api, workers):
    fake_api.behaviour.latency_s = 6
    task_id = new_task_id()
    queues.send(job_body(task_id))
    first = workers.start("first", VISIBILITY_TIMEOUT_S="6", HEARTBEAT_INTERVAL_S="1")
    wait_until(lambda: fake_api.submissions_for(task_id), 60, "the job to start")
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    workers.start("second", VISIBILITY_TIMEOUT_S="6", HEARTBEAT_INTERVAL_S="1")
    task = wait_until(lambda: queues.finished(task_id), 90, "the job to finish after the crash")
    assert task.status == TaskStatus.COMPLETED
    assert task.worker_id == "second" and task.attempts == 2
    assert len(fake_api.submissions_for(task_id)) == 1  # the second worker resumed the first one's run
    wait_until(lambda: queues.counts() == (0, 0), 30, "the message to be deleted")


def test_poison_messages_do_not_stop_the_loop(queues, fake_api, workers):
    named, good = new_task_id(), new_task_id()
    queues.send("{oops")
    queues.send(json.dumps({"task_id": named, "api_path": CAMERA, "request_body": {"prompt": "no image"}}))
    queues.send(job_body(good))
    process = workers.start()
    bad = wait_until(lambda: queues.finished(named), 60, "the poison task to fail")
    ok = wait_until(lambda: queues.finished(good), 60, "the good job to finish")
    assert bad.status == TaskStatus.FAILED and "image_url" in bad.error_message
    assert ok.status == TaskStatus.COMPLETED
    wait_until(lambda: queues.counts() == (0, 0), 30, "the queue to be empty")
    assert process.poll() is None
    assert any(line.get("message", "").startswith("invalid message") and line.get("message_id")
               for line in workers.log_lines())


def test_unified_api_down_then_back(queues, fake_api, workers):
    fake_api.behaviour.down = True
    task_id = new_task_id()
    queues.send(job_body(task_id))
    workers.start()
    # While /health fails the slots do not receive, so no receive counts towards the dead-letter queue.
    wait_until(lambda: fake_api.health_checks >= 3, 60, "the worker to ask for readiness again")
    assert fake_api.post_attempts == 0 and queues.counts() == (1, 0)
    # Ready again, but the first submits still answer 503: retried in process, then done once.
    fake_api.behaviour.submit_failures = 2
    fake_api.behaviour.down = False
    task = wait_until(lambda: queues.finished(task_id), 90, "the job to finish once the API is back")
    assert task.status == TaskStatus.COMPLETED
    assert fake_api.post_attempts == 3
    assert len(fake_api.submissions_for(task_id)) == 1


def test_client_error_fails_at_once(queues, fake_api, workers):
    fake_api.behaviour.submit_status = 400
    fake_api.behaviour.submit_error = "image not found: s3://inputs/cat.png"
    task_id = new_task_id()
    queues.send(job_body(task_id))
    workers.start()
    task = wait_until(lambda: queues.finished(task_id), 60, "the job to fail")
    assert task.status == TaskStatus.FAILED
    assert "image not found: s3://inputs/cat.png" in task.error_message
    assert fake_api.post_attempts == 1
    wait_until(lambda: queues.counts() == (0, 0), 30, "the message to be deleted")


def test_long_job_is_not_delivered_to_a_second_worker(queues, fake_api, workers):
    fake_api.behaviour.latency_s = 14  # more than twice the visibility timeout
    task_id = new_task_id()
    queues.send(job_body(task_id))
    short = {"VISIBILITY_TIMEOUT_S": "5", "HEARTBEAT_INTERVAL_S": "1"}
    workers.start("one", **short)
    workers.start("two", **short)
    wait_until(lambda: fake_api.submissions_for(task_id), 60, "the job to start")

    hidden_all_along = True

    def finished_while_watching():
        nonlocal hidden_all_along
        visible, _ = queues.counts()
        if visible:
            hidden_all_along = False
        return queues.finished(task_id)

    task = wait_until(finished_while_watching, 90, "the long job to finish", every_s=0.2)
    assert task.status == TaskStatus.COMPLETED
    assert hidden_all_along
    assert task.attempts == 1
    assert len(fake_api.submissions_for(task_id)) == 1


def test_sigterm_hands_the_message_back_at_once(queues, fake_api, workers):
    fake_api.behaviour.latency_s = 600
    task_id = new_task_id()
    queues.send(job_body(task_id))
    process = workers.start(SHUTDOWN_GRACE_S="1", VISIBILITY_TIMEOUT_S="120")
    wait_until(lambda: fake_api.submissions_for(task_id), 60, "the job to start")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert queues.counts() == (1, 0)  # visible now, not after the 120 s visibility timeout
    task = queues.store.get(task_id)
    assert task.status == TaskStatus.PROCESSING and task.lease_expires_at <= int(time.time())


def test_message_past_the_receive_limit_is_dead_lettered_and_the_power_run_fails_its_task(
        queues, fake_api, workers):
    fake_api.behaviour.submit_failures = 1000  # healthy, but every submit answers 503
    task_id = new_task_id()
    queues.send(job_body(task_id))
    workers.start(RETRY_BUDGET_S="0.5")
    # The second receive is the last the queue allows: the worker hands it back at once, the queue moves it.
    wait_until(lambda: queues.counts(queues.dlq_url) == (1, 0), 60, "the message to reach the DLQ", every_s=0.2)
    assert queues.finished(task_id) is None, "the worker does not fail dead letters"
    drain = DeadLetterDrain(queues.store, aws_clients.client("sqs"), JobCounter("power", "Test"), time.time)
    assert drain.drain(pool_dlq(queues.dlq_url, queues.queue_url)).failed == [task_id]
    task = queues.store.get(task_id)
    assert task.status == TaskStatus.FAILED
    assert task.error_message.startswith("moved to the dead-letter queue after 2 receives: ")
    assert "503" in task.error_message
    assert queues.counts(queues.dlq_url) == (0, 0)
