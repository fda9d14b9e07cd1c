"""A stalled dependency during a submit, and a message removed behind the system's back, on an emulator
of this module's own (SIGSTOP freezes every service it emulates at once; the session's emulator is left
alone).

Frozen, the emulator accepts connections and never answers: the API's deadlines must turn that into a
503 with Retry-After, not a hang. A task write that timed out may still land when the emulator thaws;
the power run's sweep then ends that row, as it ends a task whose message was purged.
"""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests

from gpujobs import aws_clients
from gpujobs.settings import Settings
from gpujobs.task_model import TaskStatus
from gpujobs.task_store import TaskStore, deserialize
from local import emulator as emulator_process
from local.emulator import free_port
from local.processes import stop
from services.shutdown_lambda.handler import build_run
from services.shutdown_lambda.power_config import PowerRunConfig
from tests.fault_rig import new_key_table
from tests.polling import wait_until
from tests.task_table import create_task_table

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
CAMERA = "/api/v1/camera-angle/jobs"
BODY = {"image_url": "s3://inputs/cat.png", "prompt": "orbit"}
IDLE_MINUTES = 1


@dataclass
class Frozen:
    """The module's emulator, its resources, and an API on them."""

    moto: emulator_process.Emulator
    env: dict[str, str]
    table: str
    queue_url: str
    instance_id: str
    api_url: str
    api_key: str = ""

    def client(self, service: str) -> Any:
        admin = self.moto.admin.credentials  # the emulator enforces IAM: its admin makes and reads everything
        return boto3.client(service, endpoint_url=self.moto.endpoint, region_name=self.env["AWS_REGION"],
                            aws_access_key_id=admin.access_key_id, aws_secret_access_key=admin.secret_access_key)

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def rows(self) -> list[dict[str, Any]]:
        items = self.client("dynamodb").scan(TableName=self.table, ConsistentRead=True)["Items"]
        return [deserialize(i) for i in items]

    def queued(self) -> int:
        attributes = self.client("sqs").get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=["All"])
        names = ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                 "ApproximateNumberOfMessagesDelayed")
        return sum(int(attributes["Attributes"][n]) for n in names)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code < 500
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Frozen]:
    logs = tmp_path_factory.mktemp("stall")
    moto = emulator_process.start(log_path=logs / "moto.log")
    env = {k: v for k, v in os.environ.items() if k != "GPUJOBS_OUTPUTS_FILE"}
    env.update(moto.environment())
    api = None
    try:
        probe = Frozen(moto, env, "", "", "", "")
        table = create_task_table(probe.client("dynamodb"), "stall_tasks")
        queue_url = probe.client("sqs").create_queue(QueueName="stall_tasks")["QueueUrl"]
        instance_id = probe.client("ec2").run_instances(
            ImageId="ami-12c6146b", MinCount=1, MaxCount=1, InstanceType="g6e.xlarge",
            TagSpecifications=[{"ResourceType": "instance",
                                "Tags": [{"Key": "Purpose", "Value": "GPU-ComfyUI"}]}])["Instances"][0]["InstanceId"]
        keys_table, api_key = new_key_table(probe.client("dynamodb"), "stall_keys")
        port = free_port()
        api_env = {**env, "SQS_QUEUE_URL": queue_url, "DYNAMODB_TABLE": table, "API_KEYS_TABLE": keys_table,
                   "API_WORKERS": "1", "INPUT_BUCKETS": "inputs",
                   "API_THREADS": "4", "PYTHONPATH": str(ROOT)}
        api = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "-c", "services/api/gunicorn.conf.py",
             "--bind", f"127.0.0.1:{port}", "services.api.wsgi:app"],
            cwd=ROOT, env=api_env, stdout=open(logs / "api.log", "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115
            start_new_session=True)
        api_url = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(f"{api_url}/health"), 60, "the API to answer", every_s=0.2)
        yield Frozen(moto, env, table, queue_url, instance_id, api_url, api_key)
    finally:
        if api is not None:
            stop([api], timeout_s=20, group=True)
        moto.stop()


def power_run(frozen: Frozen, monkeypatch: pytest.MonkeyPatch, clock_ahead_s: float) -> Any:
    """One power run of this module's pool, in process, on this module's emulator, its clock `clock_ahead_s`
    in the future (so that the idle window has passed)."""
    for key, value in frozen.moto.environment().items():
        monkeypatch.setenv(key, value)  # the endpoint keys the client cache; the module's admin signs
    settings = Settings({"AWS_REGION": frozen.env["AWS_REGION"], "SQS_QUEUE_URL": frozen.queue_url,
                         "DYNAMODB_TABLE": frozen.table, "GPU_INSTANCE_ID": frozen.instance_id,
                         "IDLE_MINUTES": str(IDLE_MINUTES)})
    config = PowerRunConfig.from_settings(settings)
    # Signed as this emulator's admin in so many words: a default-chain session made earlier in the process
    # may hold the session emulator's identity.
    run = build_run(settings, config, lambda: time.time() + clock_ahead_s, dry_run=False, sleep=lambda _s: None,
                    restart_wait_s=0, credentials=frozen.moto.admin.credentials)
    _outcome, report = run.run("test")
    aws_clients.reset_clients()
    return report


def test_a_stalled_emulator_gets_a_503_with_retry_after_and_leaves_nothing_pending(
        frozen: Frozen, monkeypatch: pytest.MonkeyPatch) -> None:
    os.kill(frozen.moto.process.pid, signal.SIGSTOP)  # the emulator this module started, by its PID
    try:
        submit = requests.post(f"{frozen.api_url}{CAMERA}", json=BODY, timeout=30, headers=frozen.auth())
        status = requests.get(f"{frozen.api_url}/api/v1/jobs/00000000-0000-4000-8000-000000000000", timeout=30,
                              headers=frozen.auth())
    finally:
        os.kill(frozen.moto.process.pid, signal.SIGCONT)

    for response in (submit, status):
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "service_unavailable"
        assert int(response.headers["Retry-After"]) > 0
    assert submit.json()["error"]["details"]["dependency"] == "dynamodb"

    wait_until(lambda: emulator_process.is_up(frozen.moto.endpoint), 30, "the emulator to thaw")
    assert frozen.queued() == 0  # nothing was enqueued
    # Whichever call the stall caught first answered the 503. Had it been the task write, that write may
    # still land once the emulator thaws (it was in the socket's buffer): a row pending with no message.
    # The power run ends any such row; afterwards no task is left pending.
    report = power_run(frozen, monkeypatch, IDLE_MINUTES * 60 + 1)
    rows = frozen.rows()
    assert all(row["status"] == TaskStatus.FAILED.value for row in rows), rows
    assert sorted(report.stranded) == sorted(row["task_id"] for row in rows)


def test_a_purged_message_leaves_its_task_failed_by_the_power_run_with_a_reason(
        frozen: Frozen, monkeypatch: pytest.MonkeyPatch) -> None:
    response = requests.post(f"{frozen.api_url}{CAMERA}", json=BODY, timeout=10, headers=frozen.auth())
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    frozen.client("sqs").purge_queue(QueueUrl=frozen.queue_url)

    assert power_run(frozen, monkeypatch, 0).stranded == []  # within the idle window it may still be sent
    report = power_run(frozen, monkeypatch, IDLE_MINUTES * 60 + 1)
    again = power_run(frozen, monkeypatch, IDLE_MINUTES * 60 + 1)

    assert job_id in report.stranded and job_id not in again.stranded  # once
    task = TaskStore(frozen.table, frozen.client("dynamodb")).get(job_id)
    assert task.status == TaskStatus.FAILED
    assert task.error_message.startswith("no message for this task was left on its queue")
    body = requests.get(f"{frozen.api_url}/api/v1/jobs/{job_id}", timeout=10, headers=frozen.auth()).json()
    assert body["status"] == "failed" and "submit it again" in body["error"]
