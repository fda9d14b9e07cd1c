"""A process of the GPU side killed mid-job (SIGKILL, as a crash or the OOM killer would) and started
again (as systemd does): the job completes, once, on the same ComfyUI prompt.

Without the worker taking back its own jobs at start, its job would wait out the message's visibility
timeout (300 s on this stack), far past the bound these tests wait.
"""

import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from gpujobs.task_store import TaskStore
from services.adapter.takeback import RESTARTED
from tests.fault_rig import FaultRig

pytestmark = pytest.mark.integration
STEPS = 12  # at 0.4 s a step: a job runs about 5 s, long enough to be killed in the middle
BOUND_S = 60


@pytest.fixture(scope="module")
def rig(stack: dict[str, Any], api_key: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultRig]:
    # Other modules leave jobs on the shared queue that were never meant to run; start clean (SQS refuses a
    # second purge within a minute: then one just emptied it).
    try:
        boto3.client("sqs").purge_queue(QueueUrl=stack["task_queue_url"])
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("AWS.SimpleQueueService.PurgeQueueInProgress", "PurgeQueueInProgress"):
            raise
    started = FaultRig(dict(os.environ), tmp_path_factory.mktemp("faults"), api_key)
    try:
        yield started.start_all()
    finally:
        started.stop_all()


@pytest.fixture(scope="module")
def image_url(rig: FaultRig) -> str:
    return rig.upload_input()


@pytest.fixture(scope="module")
def store(stack: dict[str, Any]) -> TaskStore:
    return TaskStore(stack["task_table_name"], boto3.client("dynamodb"))


def test_worker_killed_mid_job_is_taken_back_on_restart_and_runs_once(rig, image_url, store) -> None:
    job_id = rig.submit(image_url, STEPS)
    rig.wait_running(job_id)

    rig.kill("worker")
    rig.start("worker")
    final = rig.wait_final(job_id, BOUND_S)

    assert final["status"] == "completed", final
    row = store.get(job_id)
    assert row.attempts == 2 and row.last_error == RESTARTED  # the second attempt is the taken-back one
    assert rig.executions(row.comfy_job_id) == 1  # resumed on ComfyUI's prompt, not run again


def test_unified_api_killed_mid_job_the_job_completes_once(rig, image_url, store) -> None:
    job_id = rig.submit(image_url, STEPS)
    rig.wait_running(job_id)

    rig.kill("unified")
    rig.start("unified")
    final = rig.wait_final(job_id, BOUND_S)

    assert final["status"] == "completed", final
    row = store.get(job_id)
    assert row.attempts == 1
    assert rig.executions(row.comfy_job_id) == 1
