"""The worker signs as the GPU instance's role with IAM enforced, so its policy is under test: the same job
completes with the role's documents as Terraform made them and cannot even be claimed when one statement
(the task rows one) is taken away."""

import json
import time

import pytest

from gpujobs.task_model import Task, TaskStatus
from local.role_users import without_statements
from tests.polling import wait_until

from .conftest import CAMERA, job_body, new_task_id, worker_identity

pytestmark = [pytest.mark.integration,
              pytest.mark.moto_only(reason="needs an emulator that enforces IAM for the role's stand-in user")]


def denied_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if "AccessDenied" in json.dumps(line)]


def test_the_worker_needs_its_task_rows_statement(stack, roles, queues, fake_api, workers):
    task_id = new_task_id()
    queues.store.create(Task.new(task_id, CAMERA, json.loads(job_body(task_id))["request_body"], int(time.time())))
    queues.send(job_body(task_id))

    without_rows = worker_identity(roles, stack, queues, "no-task-rows",
                                   documents=lambda document: without_statements(document, {"TaskRows"}))
    workers.start("reduced", **without_rows, REDELIVERY_BASE_S="300")  # one delivery only
    denied = wait_until(lambda: denied_lines(workers.log_lines("reduced")), 60, "the claim to be denied")
    assert "dynamodb:UpdateItem" in json.dumps(denied[0]), denied[0]
    assert queues.store.get(task_id).status == TaskStatus.PENDING
    workers.stop_all()
    queues.sqs.purge_queue(QueueUrl=queues.queue_url)  # the handed-back message is hidden for minutes
    queues.send(job_body(task_id))

    workers.start("whole")  # the role as Terraform made it (the fixture's identity)
    task = wait_until(lambda: queues.finished(task_id), 90, "the job to finish with the whole role")
    assert task.status == TaskStatus.COMPLETED and task.worker_id == "whole"
    assert denied_lines(workers.log_lines("whole")) == []
