"""JobRunner.handle, message in, verdict out: every path a job can take, on a fake clock, with the fake
Unified API called in process and the task table in moto. Nothing here waits on a thread or a real clock."""

import json

from gpujobs.task_model import Task, TaskStatus
from services.adapter.job_runner import Action

from .conftest import CAMERA, job_body, new_task_id

BODY = {"image_url": "s3://inputs/cat.png", "prompt": "from the row"}


def pending(aws, task_id, body=None, api_path=CAMERA, now=1):
    aws.store.create(Task.new(task_id, api_path, body or dict(BODY), now))


def test_job_completes_and_its_outcome_is_recorded_before_the_delete(aws, runner, fake_api):
    task_id = new_task_id()
    pending(aws, task_id)
    verdict = runner.handle(job_body(task_id))
    assert (verdict.action, verdict.task_id) == (Action.DELETE, task_id)
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.COMPLETED and task.worker_id == "w-test" and task.attempts == 1
    assert task.result_s3_uri == f"s3://results/comfyui-results/camera-angle/{task.comfy_job_id}/output.png"
    [submitted] = fake_api.submissions
    # The task named in the submit; the job id recorded in the outcome's own write.
    assert (submitted.task_id, task.comfy_job_id, task.progress) == (task_id, submitted.job_id, 1.0)
    assert aws.store.last_activity() == int(runner.clock.now)
    assert runner.counted() == [(task_id, "JobsCompleted")]
    assert task.gpu_seconds == 0  # the fake GPU answered at once


def test_each_attempt_adds_the_time_its_worker_held_the_job(aws, runner, fake_api):
    """gpu_seconds: claim to outcome, on the worker's clock, added by the write that records the outcome."""
    fake_api.behaviour.latency_s = 20
    task_id = new_task_id()
    pending(aws, task_id)
    aws.store.claim(task_id, "dead-worker", now=int(runner.clock.now) - 400, lease_s=300)
    aws.store.note_retry(task_id, "dead-worker", "GPU host went away", int(runner.clock.now) - 350, held_s=50)
    assert runner.handle(job_body(task_id), receive_count=2).action == Action.DELETE
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.COMPLETED and task.finished_at - task.started_at >= 20
    assert task.gpu_seconds == 50 + (task.finished_at - task.started_at)


def test_the_rows_request_runs_not_the_messages_copy(aws, runner, fake_api):
    task_id = new_task_id()
    pending(aws, task_id)
    tampered = json.dumps({"task_id": task_id, "api_path": "/api/v1/qwen-image-edit/jobs",
                           "request_body": {"image_url": "https://169.254.169.254/latest", "prompt": "other"}})
    assert runner.handle(tampered).action == Action.DELETE
    [submitted] = fake_api.submissions
    assert (submitted.api_path, submitted.body) == (CAMERA, BODY)
    assert aws.store.get(task_id).status == TaskStatus.COMPLETED


def test_hand_sent_message_is_validated_as_a_submit_then_run(aws, runner, fake_api):
    task_id = new_task_id()
    assert runner.handle(job_body(task_id, steps=6)).action == Action.DELETE
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.COMPLETED and task.job_type == CAMERA
    # Stored as the API stores a submit: every field of the model, unset ones left out, the seed drawn.
    seed = task.request_body.pop("seed")
    assert task.request_body == {"image_url": "s3://inputs/cat.png", "prompt": f"rotate {task_id}", "steps": 6}
    assert 0 <= seed <= 2**53 - 1
    assert fake_api.submissions[0].body == {**task.request_body, "seed": seed}
    # No folder hash on a row made from a message: none is sent, so the GPU side compares nothing.
    assert task.workflow_hash is None and fake_api.submissions[0].workflow_hash is None


def test_invalid_hand_sent_message_leaves_a_failed_row_and_runs_nothing(aws, runner, fake_api):
    task_id = new_task_id()
    verdict = runner.handle(json.dumps({"task_id": task_id, "api_path": CAMERA,
                                        "request_body": {"image_url": "ftp://nope", "prompt": "x"}}))
    assert verdict.action == Action.DELETE
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.FAILED
    assert task.error_message.startswith("rejected the queue message: invalid request_body: image_url")
    assert task.finished_at is not None and fake_api.post_attempts == 0
    assert runner.counted() == [(task_id, "JobsFailed")]


def test_hand_sent_message_gets_the_address_check_of_a_submit(aws, runner, fake_api):
    task_id = new_task_id()
    body = json.dumps({"task_id": task_id, "api_path": CAMERA,
                       "request_body": {"image_url": "https://169.254.169.254/latest/meta-data", "prompt": "x"}})
    assert runner.handle(body).action == Action.DELETE
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.FAILED and "image_url" in task.error_message
    assert "non-public" in task.error_message and fake_api.post_attempts == 0


def test_hand_sent_message_with_an_unknown_path_fails_its_row(aws, runner):
    task_id = new_task_id()
    runner.handle(json.dumps({"task_id": task_id, "api_path": "/api/v1/other/jobs", "request_body": {}}))
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.FAILED and "unknown api_path" in task.error_message


def test_a_body_naming_no_task_is_dropped(aws, runner, fake_api):
    for body in ("this is not json", json.dumps({"api_path": CAMERA}), json.dumps({"task_id": "has space"})):
        assert runner.handle(body).action == Action.DELETE
    assert fake_api.post_attempts == 0


def test_row_with_an_unknown_workflow_fails(aws, runner, fake_api):
    task_id = new_task_id()
    pending(aws, task_id, api_path="/api/v1/other/jobs")
    assert runner.handle(job_body(task_id)).action == Action.DELETE
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.FAILED and "unknown api_path" in task.error_message
    assert fake_api.post_attempts == 0


def test_finished_task_is_not_run_again(aws, runner, fake_api):
    task_id = new_task_id()
    pending(aws, task_id)
    aws.store.cancel(task_id, 2)
    assert runner.handle(job_body(task_id)).action == Action.DELETE
    assert fake_api.post_attempts == 0 and aws.store.get(task_id).status == TaskStatus.CANCELLED


def test_task_held_by_a_live_worker_is_hidden_until_its_lease_would_lapse(aws, runner, fake_api):
    task_id = new_task_id()
    now = int(runner.clock.now)
    pending(aws, task_id)
    aws.store.claim(task_id, "other-worker", now=now, lease_s=600)
    verdict = runner.handle(job_body(task_id))
    assert verdict.action == Action.DEFER and 601 <= verdict.delay_s <= 603
    task = aws.store.get(task_id)
    assert (task.status, task.worker_id, fake_api.post_attempts) == (TaskStatus.PROCESSING, "other-worker", 0)


def test_duplicate_of_a_job_running_here_waits_for_it(aws, runner, fake_api):
    task_id = new_task_id()
    runner.inflight.reserve_task(task_id)
    verdict = runner.handle(job_body(task_id))
    assert (verdict.action, verdict.delay_s) == (Action.DEFER, 300)
    assert fake_api.post_attempts == 0


def test_rejected_request_fails_at_once_with_the_api_error(aws, runner, fake_api):
    fake_api.behaviour.submit_status = 422
    fake_api.behaviour.submit_error = "image not found: s3://inputs/cat.png"
    task_id = new_task_id()
    pending(aws, task_id)
    assert runner.handle(job_body(task_id)).action == Action.DELETE
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.FAILED
    assert task.error_message == ("the Unified API rejected the job: HTTP 422: prompt_rejected: "
                                  "image not found: s3://inputs/cat.png")
    assert fake_api.post_attempts == 1 and runner.counted() == [(task_id, "JobsFailed")]


def test_server_errors_are_retried_with_backoff(aws, runner, fake_api):
    fake_api.behaviour.submit_failures = 2
    fake_api.behaviour.status_failures = 2
    task_id = new_task_id()
    pending(aws, task_id)
    assert runner.handle(job_body(task_id)).action == Action.DELETE
    assert aws.store.get(task_id).status == TaskStatus.COMPLETED
    assert len(fake_api.submissions) == 1 and fake_api.post_attempts == 3
    assert len(runner.clock.waited) >= 4  # two submit retries and two poll retries, on the fake clock


def test_slow_job_is_polled_until_it_ends(aws, runner, fake_api):
    fake_api.behaviour.latency_s = 20
    task_id = new_task_id()
    pending(aws, task_id)
    assert runner.handle(job_body(task_id)).action == Action.DELETE
    assert aws.store.get(task_id).status == TaskStatus.COMPLETED
    waits = runner.clock.waited
    assert sum(waits) >= 20 and waits[0] == 1 and max(waits) <= 5  # grows by 1.5x up to the cap


def test_lost_job_is_resubmitted(aws, runner, fake_api):
    fake_api.behaviour.forget_jobs = 1
    task_id = new_task_id()
    pending(aws, task_id)
    runner.handle(job_body(task_id))
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.COMPLETED
    assert [s.job_id for s in fake_api.submissions][-1] == task.comfy_job_id and len(fake_api.submissions) == 2


def test_job_lost_too_often_fails(aws, runner, fake_api):
    fake_api.behaviour.forget_jobs = 100
    task_id = new_task_id()
    pending(aws, task_id)
    runner.handle(job_body(task_id))
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.FAILED and "lost the job 3 times" in task.error_message
    assert len(fake_api.submissions) == 3


def test_workflow_failure_is_recorded(aws, runner, fake_api):
    fake_api.behaviour.outcome = "failed"
    task_id = new_task_id()
    pending(aws, task_id)
    runner.handle(job_body(task_id))
    task = aws.store.get(task_id)
    assert (task.status, task.error_message) == (TaskStatus.FAILED, "workflow failed: out of memory")


def test_job_over_its_time_limit_fails(aws, make_runner, fake_api):
    fake_api.behaviour.latency_s = 600
    task_id = new_task_id()
    pending(aws, task_id)
    runner = make_runner(job_timeout_s=60)
    assert runner.handle(job_body(task_id)).action == Action.DELETE
    task = aws.store.get(task_id)
    assert (task.status, task.error_message) == (TaskStatus.FAILED, "exceeded time limit of 60 s")
    assert fake_api.cancels == [fake_api.submissions[0].job_id]  # the GPU stops working on it too


def test_an_earlier_attempts_job_is_polled_not_run_again(aws, runner, fake_api):
    task_id = new_task_id()
    pending(aws, task_id)
    now = int(runner.clock.now)
    aws.store.claim(task_id, "dead-worker", now=now - 400, lease_s=300)
    # The dead worker's submit; it wrote nothing about it to the row.
    fake_api.transport("POST", CAMERA, dict(BODY), {"X-Task-Id": task_id})
    assert runner.handle(job_body(task_id), receive_count=2).action == Action.DELETE
    task = aws.store.get(task_id)
    assert (task.status, task.worker_id, task.attempts) == (TaskStatus.COMPLETED, "w-test", 2)
    assert len(fake_api.submissions) == 1


def test_fault_outlasting_the_retries_hands_the_message_back_and_notes_why(aws, runner, fake_api):
    fake_api.behaviour.down = True
    task_id = new_task_id()
    pending(aws, task_id)
    verdict = runner.handle(job_body(task_id), receive_count=1)
    assert verdict.action == Action.RETRY_LATER and 15 <= verdict.delay_s <= 30
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.PROCESSING and task.lease_expires_at <= runner.clock.now
    assert "503" in task.last_error and task.last_error.startswith("submit to the Unified API")


def test_on_its_last_receive_the_message_is_left_to_the_dead_letter_queue(aws, runner, fake_api):
    fake_api.behaviour.down = True
    task_id = new_task_id()
    pending(aws, task_id)
    verdict = runner.handle(job_body(task_id), receive_count=3)  # the queue allows 3
    assert (verdict.action, verdict.delay_s) == (Action.RETRY_LATER, 0)
    assert "503" in aws.store.get(task_id).last_error


def test_stopping_worker_lets_go_of_a_running_job(aws, runner, fake_api):
    fake_api.behaviour.latency_s = 600
    task_id = new_task_id()
    pending(aws, task_id)
    runner.clock.abandon.set()
    verdict = runner.handle(job_body(task_id))
    assert verdict.action == Action.RELEASE
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.PROCESSING and task.lease_expires_at <= runner.clock.now
    assert task.last_error == "the worker stopped before the job finished"


def _on_status_read(fake_api, action, after=1):
    """Run `action` when the worker reads the job's status for the `after`-th time."""
    reads = []
    answer = fake_api.transport

    def transport(method, path, body, headers):
        if method == "GET" and path.startswith("/api/v1/jobs/"):
            reads.append(path)
            if len(reads) == after:
                action()
        return answer(method, path, body, headers)

    fake_api.transport = transport


def _as_the_heartbeat_finds_it(aws, runner, task_id):
    """What the heartbeat does when its lease renewal is refused: flag the job, keeping the row it found."""
    [job] = runner.inflight.snapshot()
    job.lose_lease(aws.store.get(task_id))


def test_a_task_cancelled_while_it_runs_is_let_go_and_cancelled_on_the_gpu(aws, runner, fake_api):
    fake_api.behaviour.latency_s = 600
    task_id = new_task_id()
    pending(aws, task_id)

    def cancel_the_row():
        aws.store.cancel(task_id, int(runner.clock.now))
        _as_the_heartbeat_finds_it(aws, runner, task_id)

    _on_status_read(fake_api, cancel_the_row)
    assert runner.handle(job_body(task_id)).action == Action.DELETE
    assert aws.store.get(task_id).status == TaskStatus.CANCELLED
    assert fake_api.cancels == [f"comfy-{task_id}"]


def test_a_cancel_asked_for_while_it_runs_cancels_it_on_the_gpu(aws, runner, fake_api):
    fake_api.behaviour.latency_s = 600
    task_id = new_task_id()
    pending(aws, task_id)

    def ask_to_cancel():
        aws.store.request_cancel(task_id, int(runner.clock.now))
        [job] = runner.inflight.snapshot()
        job.cancel_requested = aws.store.renew_lease(task_id, "w-test", int(runner.clock.now), 300).cancel_requested

    _on_status_read(fake_api, ask_to_cancel)
    assert runner.handle(job_body(task_id)).action == Action.DELETE
    task = aws.store.get(task_id)
    assert (task.status, task.error_message) == (TaskStatus.CANCELLED, "cancelled at the client's request")
    assert fake_api.cancels == [f"comfy-{task_id}"]


def test_a_cancel_asked_for_as_the_gpu_finished_keeps_the_result(aws, runner, fake_api):
    fake_api.behaviour.latency_s = 600
    task_id = new_task_id()
    pending(aws, task_id)

    def ask_to_cancel():
        aws.store.request_cancel(task_id, int(runner.clock.now))
        runner.inflight.snapshot()[0].cancel_requested = True

    _on_status_read(fake_api, ask_to_cancel)
    answer = fake_api.transport

    def finished_by_the_cancel(method, path, body, headers):
        if path.endswith("/cancel"):
            fake_api.behaviour.latency_s = 0  # the GPU finished just before the cancel arrived
        return answer(method, path, body, headers)

    fake_api.transport = finished_by_the_cancel
    assert runner.handle(job_body(task_id)).action == Action.DELETE
    assert fake_api.cancels == [f"comfy-{task_id}"]
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.COMPLETED and task.result_s3_uri


def test_a_cancel_asked_for_before_a_takeover_runs_nothing(aws, runner, fake_api):
    task_id = new_task_id()
    pending(aws, task_id)
    aws.store.claim(task_id, "w-dead", now=1, lease_s=1)
    aws.store.request_cancel(task_id, 2)
    assert runner.handle(job_body(task_id)).action == Action.DELETE
    assert aws.store.get(task_id).status == TaskStatus.CANCELLED
    assert fake_api.submissions == []


def test_a_task_taken_over_by_another_worker_is_left_running_on_the_gpu(aws, runner, fake_api):
    fake_api.behaviour.latency_s = 600
    task_id = new_task_id()
    pending(aws, task_id)

    def take_over():
        later = int(runner.clock.now) + 1000  # our lease lapsed meanwhile
        aws.store.claim(task_id, "w-other", now=later, lease_s=300)
        _as_the_heartbeat_finds_it(aws, runner, task_id)

    _on_status_read(fake_api, take_over)
    assert runner.handle(job_body(task_id)).action == Action.LEAVE
    assert aws.store.get(task_id).worker_id == "w-other"
    assert fake_api.cancels == []  # the other worker polls the same job (its id comes from the task id)


def test_cancelled_on_the_gpu_ends_the_task_cancelled(aws, runner, fake_api):
    fake_api.behaviour.outcome = "cancelled"
    task_id = new_task_id()
    pending(aws, task_id)
    assert runner.handle(job_body(task_id)).action == Action.DELETE
    task = aws.store.get(task_id)
    assert (task.status, task.error_message) == (TaskStatus.CANCELLED, "interrupted at node 5 (KSampler)")
    assert task.comfy_job_id == f"comfy-{task_id}" and runner.counted() == []


def test_the_rows_workflow_hash_is_sent_with_the_task_id(aws, runner, fake_api):
    task_id = new_task_id()
    aws.store.create(Task.new(task_id, CAMERA, dict(BODY), 1, workflow_hash="ab" * 32))
    runner.handle(job_body(task_id))
    [submitted] = fake_api.submissions
    assert (submitted.task_id, submitted.workflow_hash) == (task_id, "ab" * 32)


def test_a_resubmit_that_finds_the_job_finished_records_it_without_polling(aws, runner, fake_api):
    task_id = new_task_id()
    pending(aws, task_id)
    fake_api.transport("POST", CAMERA, dict(BODY), {"X-Task-Id": task_id})  # done by an earlier attempt
    polled = []
    _on_status_read(fake_api, lambda: polled.append(1))
    assert runner.handle(job_body(task_id)).action == Action.DELETE
    assert aws.store.get(task_id).status == TaskStatus.COMPLETED and not polled


def test_progress_is_kept_for_the_heartbeat(aws, runner, fake_api):
    fake_api.behaviour.latency_s = 20
    task_id = new_task_id()
    pending(aws, task_id)
    seen = []
    _on_status_read(fake_api, lambda: seen.append(runner.inflight.snapshot()[0].progress), after=3)
    runner.handle(job_body(task_id))
    assert seen and 0 < seen[0] < 1  # what the next lease renewal writes (test_heartbeat.py)


def test_activity_is_written_once_no_other_job_runs_here(aws, runner):
    first, second = new_task_id(), new_task_id()
    pending(aws, first)
    pending(aws, second)
    runner.inflight.reserve_task("still-running")
    runner.handle(job_body(first))
    assert aws.store.last_activity() is None  # the running job holds the GPU on, and its end comes later
    runner.clock.advance(30)
    runner.inflight.release_task("still-running")
    runner.handle(job_body(second))
    assert aws.store.last_activity() == int(runner.clock.now)


def test_the_pool_is_recorded_on_the_task_and_its_activity_row(aws, make_runner):
    task_id = new_task_id()
    pending(aws, task_id)
    runner = make_runner(settings=aws.settings.with_values(GPU_POOL="us-west-2"))
    runner.handle(job_body(task_id))
    assert aws.store.get(task_id).pool == "us-west-2"
    assert aws.store.last_activity(pool="us-west-2") == int(runner.clock.now)
    assert aws.store.last_activity() is None
