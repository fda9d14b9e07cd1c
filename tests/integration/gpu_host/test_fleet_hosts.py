"""A fleet's instances share their pool's queue: several emulated GPU hosts, each following an instance of
its own in the emulator (its own ports, ComfyUI double and worker id), take the jobs of one burst between
them, and every job runs exactly once.

No Auto Scaling group is needed for this: what a fleet adds to the job path is more workers on one
queue; the group's scaling is `make soak`'s (tests/terraform/test_fleet_pool_apply.py). The jobs go in
as the API writes them (JobSubmitter: the pending row, then the message), signing as the session."""

import io
import sys
from typing import Any

import boto3
import pytest
from PIL import Image

from gpujobs import aws_clients
from gpujobs.job_metrics import JobCounter
from gpujobs.settings import load_settings
from gpujobs.task_model import TaskStatus
from gpujobs.task_store import TaskStore
from gpujobs.workflows import load_registry
from local.emulator import free_port
from local.role_users import write_env_file
from services.api.job_submission import JobSubmitter
from tests.polling import wait_until

from .conftest import answers

pytestmark = pytest.mark.integration

HOSTS = 2
JOBS = 6


@pytest.fixture
def instance_ids(stack):
    """Running instances of our own (the stack's image): the stack's own instance and power are untouched."""
    ec2 = aws_clients.client("ec2")
    image = ec2.describe_instances(InstanceIds=[stack["gpu_instance_id"]])["Reservations"][0]["Instances"][0]["ImageId"]
    created = ec2.run_instances(ImageId=image, MinCount=HOSTS, MaxCount=HOSTS, InstanceType="t3.micro")["Instances"]
    ids = [i["InstanceId"] for i in created]
    yield ids
    ec2.terminate_instances(InstanceIds=ids)


def empty_the_queue(sqs: Any, queue_url: str) -> None:
    """Other modules leave jobs that were never meant to run. A purge is allowed once a minute per queue, and
    another module may just have made it: then what is visible is received and deleted."""
    try:
        sqs.purge_queue(QueueUrl=queue_url)
        return
    except sqs.exceptions.PurgeQueueInProgress:
        pass
    for _ in range(100):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def test_each_host_of_a_fleet_runs_jobs_and_every_job_runs_once(stack, roles, instance_ids, processes, tmp_path):
    sqs = boto3.client("sqs")
    empty_the_queue(sqs, stack["task_queue_url"])
    role = roles.environment("worker")
    role_file = write_env_file(tmp_path / "gpu-instance.env", role)
    hosts = []
    for n, instance_id in enumerate(instance_ids):
        unified_port = free_port()
        processes(
            [sys.executable, "-m", "local.gpu_host"],
            {"GPU_INSTANCE_ID": instance_id, "BOOT_DELAY_S": "0", "LOCAL_GPU_POLL_S": "0.2",
             "LOCAL_UNIFIED_API_PORT": str(unified_port), "LOCAL_COMFYUI_PORT": str(free_port()),
             "LOCAL_COMFYUI_DIR": str(tmp_path / f"comfyui-{n}"), "LOCAL_COMFYUI_KNOBS": '{"step_latency_s": 0.1}',
             "COMFYUI_POLL_INTERVAL_S": "0.1", "WORKER_CONCURRENCY": "1", "WAIT_TIME_S": "1",
             "POLL_INTERVAL_S": "0.2", "STATUS_WAIT_S": "5", "SHUTDOWN_GRACE_S": "5",
             **({"LOCAL_GPU_ROLE_ENV_FILE": str(role_file)} if role else {})},
            log_name=f"gpu-host-{n}",
        )
        hosts.append((instance_id, f"http://127.0.0.1:{unified_port}/health", tmp_path / f"gpu-host-{n}.log"))
    for instance_id, health, log in hosts:
        wait_until(lambda h=health, f=log: answers(h) and "worker started" in f.read_text(), 90,
                   f"the double, the Unified API and the worker of {instance_id}", every_s=0.2)

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(buffer, format="PNG")
    bucket = stack["results_bucket_name"]
    boto3.client("s3").put_object(Bucket=bucket, Key="inputs/fleet.png", Body=buffer.getvalue())
    settings = load_settings("api")
    store = TaskStore(stack["task_table_name"], boto3.client("dynamodb"))
    submitter = JobSubmitter(store=store, sqs=sqs, queue_url=stack["task_queue_url"],
                             counter=JobCounter.of("api", settings))
    workflow = load_registry(settings).by_name["camera-angle"]
    request = workflow.validate({"image_url": f"s3://{bucket}/inputs/fleet.png", "prompt": "orbit", "steps": 8})
    job_ids = [submitter.submit(workflow, request, "fleet-test").task_id for _ in range(JOBS)]

    def ended() -> list[Any] | None:
        tasks = [store.get(job_id) for job_id in job_ids]
        return tasks if all(t.status in (TaskStatus.COMPLETED, TaskStatus.FAILED) for t in tasks) else None

    tasks = wait_until(ended, 90, "every job to end", every_s=0.25)
    assert [(t.status, t.attempts) for t in tasks] == [(TaskStatus.COMPLETED, 1)] * JOBS
    assert all(t.result_s3_uri and t.comfy_job_id for t in tasks)
    assert len({t.comfy_job_id for t in tasks}) == JOBS  # one ComfyUI prompt per job
    assert {t.worker_id for t in tasks} == set(instance_ids)  # each instance's worker took part

    def queue_empty() -> bool:
        attributes = sqs.get_queue_attributes(QueueUrl=stack["task_queue_url"], AttributeNames=[
            "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]) == 0

    wait_until(queue_empty, 10, "every message deleted, none left to run again")
