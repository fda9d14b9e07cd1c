"""A worker in a thread against moto and the fake Unified API: the paths a job can take."""

import json
import time

from gpujobs.activity import last_activity
from gpujobs.task_model import Task, TaskStatus

from .conftest import job_body, new_task_id, running, wait_for


def finished(aws, task_id):
    task = aws.store.find(task_id)
    return task if task and task.status.terminal else None


def test_job_completes_and_message_is_deleted(aws, fake_api, make_worker):
    task_id = new_task_id()
    aws.store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {"image_url": "s3://a/b.png", "prompt": "x"}, 1))
    aws.send(job_body(task_id))
    with running(make_worker()):
        task = wait_for(lambda: finished(aws, task_id))
        wait_for(aws.empty)
    assert task.status == TaskStatus.COMPLETED
    assert task.result_s3_uri.startswith("s3://results/comfyui-results/camera-angle/")
    assert task.comfy_job_id == fake_api.submissions_for(task_id)[0].job_id
    assert task.worker_id == "w-test" and task.attempts == 1
    assert last_activity(aws.table, aws.db) is not None


def test_hand_sent_message_creates_the_row(aws, fake_api, make_worker):
    task_id = new_task_id()
    aws.send(job_body(task_id))
    with running(make_worker()):
        task = wait_for(lambda: finished(aws, task_id))
    assert task.status == TaskStatus.COMPLETED
    assert task.job_type == "/api/v1/camera-angle/jobs"
    assert task.request_body["prompt"] == f"rotate {task_id}"


def test_duplicate_message_runs_the_job_once(aws, fake_api, make_worker):
    fake_api.behaviour.latency_s = 0.5
    task_id = new_task_id()
    aws.send(job_body(task_id))
    aws.send(job_body(task_id))
    with running(make_worker(concurrency=2, visibility_timeout_s=4)):
        wait_for(lambda: finished(aws, task_id))
        # The duplicate is hidden while the job runs, then found finished and deleted.
        wait_for(aws.empty, timeout_s=20)
    assert len(fake_api.submissions_for(task_id)) == 1
    assert aws.store.get(task_id).status == TaskStatus.COMPLETED


def test_finished_task_is_not_run_again(aws, fake_api, make_worker):
    task_id = new_task_id()
    aws.store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {}, 1))
    aws.store.cancel(task_id, 2)
    aws.send(job_body(task_id))
    with running(make_worker()):
        wait_for(aws.empty)
    assert fake_api.submissions_for(task_id) == []
    assert aws.store.get(task_id).status == TaskStatus.CANCELLED


def test_task_held_by_a_live_worker_is_left_to_it(aws, fake_api, make_worker):
    task_id = new_task_id()
    aws.store.create(Task.new(task_id, "/api/v1/camera-angle/jobs", {}, 1))
    aws.store.claim(task_id, "other-worker", now=int(time.time()), lease_s=600)
    aws.send(job_body(task_id))
    with running(make_worker()):
        wait_for(lambda: aws.counts() == (0, 1))  # received, then hidden: not deleted, not run
    assert fake_api.submissions_for(task_id) == []
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.PROCESSING and task.worker_id == "other-worker"


def test_rejected_request_fails_at_once_with_the_api_error(aws, fake_api, make_worker):
    fake_api.behaviour.submit_status = 422
    fake_api.behaviour.submit_error = "image not found: s3://inputs/cat.png"
    task_id = new_task_id()
    aws.send(job_body(task_id))
    with running(make_worker()):
        task = wait_for(lambda: finished(aws, task_id))
        wait_for(aws.empty)
    assert task.status == TaskStatus.FAILED
    assert "image not found: s3://inputs/cat.png" in task.error_message
    assert "422" in task.error_message


def test_server_errors_are_retried(aws, fake_api, make_worker):
    fake_api.behaviour.submit_failures = 2
    fake_api.behaviour.status_failures = 2
    task_id = new_task_id()
    aws.send(job_body(task_id))
    with running(make_worker()):
        task = wait_for(lambda: finished(aws, task_id))
    assert task.status == TaskStatus.COMPLETED
    assert len(fake_api.submissions_for(task_id)) == 1


def test_lost_job_is_resubmitted(aws, fake_api, make_worker):
    fake_api.behaviour.forget_jobs = 1
    task_id = new_task_id()
    aws.send(job_body(task_id))
    with running(make_worker()):
        task = wait_for(lambda: finished(aws, task_id))
    assert task.status == TaskStatus.COMPLETED
    submissions = fake_api.submissions_for(task_id)
    assert len(submissions) == 2
    assert task.comfy_job_id == submissions[1].job_id


def test_job_lost_too_often_fails(aws, fake_api, make_worker):
    fake_api.behaviour.forget_jobs = 100
    task_id = new_task_id()
    aws.send(job_body(task_id))
    with running(make_worker(max_resubmits=2)):
        task = wait_for(lambda: finished(aws, task_id))
    assert task.status == TaskStatus.FAILED
    assert "lost the job 3 times" in task.error_message
    assert len(fake_api.submissions_for(task_id)) == 3


def test_workflow_failure_is_recorded(aws, fake_api, make_worker):
    fake_api.behaviour.outcome = "failed"
    task_id = new_task_id()
    aws.send(job_body(task_id))
    with running(make_worker()):
        task = wait_for(lambda: finished(aws, task_id))
        wait_for(aws.empty)
    assert task.status == TaskStatus.FAILED
    assert task.error_message == "workflow failed: out of memory"


def test_job_over_its_time_limit_fails(aws, fake_api, make_worker):
    fake_api.behaviour.latency_s = 60
    task_id = new_task_id()
    aws.send(job_body(task_id))
    with running(make_worker(job_timeout_s=1)):
        task = wait_for(lambda: finished(aws, task_id))
        wait_for(aws.empty)
    assert task.status == TaskStatus.FAILED
    assert task.error_message == "exceeded time limit of 1 s"


def test_poison_messages_are_removed_and_the_loop_goes_on(aws, fake_api, make_worker):
    named = new_task_id()
    good = new_task_id()
    aws.send("this is not json")
    aws.send(json.dumps({"api_path": "/api/v1/camera-angle/jobs"}))
    aws.send(json.dumps({"task_id": named, "api_path": "/api/v1/camera-angle/jobs",
                         "request_body": {"image_url": "ftp://nope", "prompt": "x"}}))
    aws.send(job_body(good))
    with running(make_worker(concurrency=1)):
        bad = wait_for(lambda: finished(aws, named))
        ok = wait_for(lambda: finished(aws, good))
        wait_for(aws.empty)
    assert bad.status == TaskStatus.FAILED
    assert "invalid request_body" in bad.error_message and "image_url" in bad.error_message
    assert ok.status == TaskStatus.COMPLETED
    assert fake_api.submissions_for(named) == []


def test_unknown_api_path_fails_the_named_task(aws, fake_api, make_worker):
    task_id = new_task_id()
    aws.store.create(Task.new(task_id, "/api/v1/other/jobs", {}, 1))
    aws.send(json.dumps({"task_id": task_id, "api_path": "/api/v1/other/jobs", "request_body": {}}))
    with running(make_worker()):
        task = wait_for(lambda: finished(aws, task_id))
        wait_for(aws.empty)
    assert task.status == TaskStatus.FAILED
    assert "unknown api_path" in task.error_message


def test_outcomes_are_counted(aws, fake_api, make_worker, capsys):
    done, rejected = new_task_id(), new_task_id()
    aws.send(job_body(done))
    with running(make_worker()):
        wait_for(lambda: finished(aws, done))
        fake_api.behaviour.submit_status = 422
        aws.send(job_body(rejected))
        wait_for(lambda: finished(aws, rejected))
    counts = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert sorted((c["job_id"], "JobsCompleted" in c, "JobsFailed" in c) for c in counts) == sorted(
        [(done, True, False), (rejected, False, True)])
