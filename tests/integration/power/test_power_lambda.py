"""The power Lambda in process against the emulator, with the clock injected (an hour or two ahead
of the instances' launch time, so they look idle unless the facts say otherwise)."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gpujobs import aws_clients
from gpujobs.power_policy import PowerConfig
from gpujobs.task_model import Task, TaskStatus
from gpujobs.task_store import TaskStore
from services.shutdown_lambda.handler import build_handler, logger
from services.shutdown_lambda.power_actions import PowerController
from services.shutdown_lambda.power_facts import FactsReader
from tests.doubles.lambda_context import LambdaContext
from tests.integration.power.conftest import PowerRig
from tests.polling import wait_until
from tests.unit.power.power_testkit import load_event

pytestmark = pytest.mark.integration

AHEAD = 2 * 3600
ROOT = Path(__file__).resolve().parents[3]


def invoke(rig: PowerRig, instance_id: str, event_file: str, monkeypatch: pytest.MonkeyPatch,
           now: int | None = None, **seams: Any) -> dict[str, Any]:
    monkeypatch.setenv("GPU_INSTANCE_ID", instance_id)
    clock_now = now if now is not None else rig.launch_time(instance_id) + AHEAD
    handler = build_handler(clock=lambda: clock_now, sleep=lambda _s: None, credentials=rig.credentials, **seams)
    return handler(load_event(event_file), LambdaContext())


@pytest.mark.parametrize("event_file", ["alarm_via_sns.json", "schedule.json"])
def test_alarm_and_schedule_stop_an_idle_running_instance(rig, monkeypatch, event_file):
    instance = rig.make_instance("running")
    response = invoke(rig, instance, event_file, monkeypatch)
    assert (response["action"], response["acted"], response["idle_s"]) == ("stop", "stopped", AHEAD)
    assert rig.state(instance) == "stopped"


def test_processing_job_holds_the_instance_on(rig, monkeypatch):
    instance = rig.make_instance("running")
    now = rig.launch_time(instance) + AHEAD
    store = TaskStore(rig.table_name, aws_clients.client("dynamodb"))
    store.create(Task.new("job-processing", "camera-angle", {}, now - 600))
    store.claim("job-processing", "worker-1", now - 590, lease_s=280)
    response = invoke(rig, instance, "alarm_via_sns.json", monkeypatch, now=now)
    assert (response["acted"], response["reason"]) == ("nothing", "job running")
    assert rig.state(instance) == "running"


def test_job_past_its_time_limit_does_not_hold_it_on(rig, monkeypatch):
    instance = rig.make_instance("running")
    now = rig.launch_time(instance) + 10 * 3600
    monkeypatch.setenv("JOB_TIMEOUT_MINUTES", "60")
    store = TaskStore(rig.table_name, aws_clients.client("dynamodb"))
    store.create(Task.new("job-stuck", "camera-angle", {}, now - 5 * 3600))
    store.claim("job-stuck", "worker-1", now - 5 * 3600, lease_s=280)
    response = invoke(rig, instance, "schedule.json", monkeypatch, now=now)
    assert response["acted"] == "stopped"
    assert "past their time limit" in response["reason"]


def test_message_in_flight_holds_the_instance_on(rig, monkeypatch):
    instance = rig.make_instance("running")
    sqs = aws_clients.client("sqs")
    sqs.send_message(QueueUrl=rig.queue_url, MessageBody='{"task_id": "job-1"}')
    assert sqs.receive_message(QueueUrl=rig.queue_url, MaxNumberOfMessages=1).get("Messages")
    response = invoke(rig, instance, "schedule.json", monkeypatch)
    assert (response["acted"], response["reason"]) == ("nothing", "job running")
    assert rig.state(instance) == "running"


def test_recent_activity_holds_the_instance_on(rig, monkeypatch):
    instance = rig.make_instance("running")
    now = rig.launch_time(instance) + AHEAD
    TaskStore(rig.table_name, aws_clients.client("dynamodb")).record_activity(now - 120)
    response = invoke(rig, instance, "schedule.json", monkeypatch, now=now)
    assert (response["acted"], response["idle_s"]) == ("nothing", 120)
    assert rig.state(instance) == "running"


def test_untagged_instance_is_never_touched(rig, monkeypatch):
    running = rig.make_instance("running", tagged=False)
    response = invoke(rig, running, "alarm_via_sns.json", monkeypatch)
    assert response["acted"] == "nothing"
    assert rig.state(running) == "running"
    stopped = rig.make_instance("stopped", tagged=False)
    rig.queue_job("job-untagged")
    assert invoke(rig, stopped, "schedule.json", monkeypatch)["acted"] == "nothing"
    assert rig.state(stopped) == "stopped"


def test_stopped_instance_with_waiting_work_is_started(rig, monkeypatch):
    instance = rig.make_instance("stopped")
    rig.queue_job("job-2")
    response = invoke(rig, instance, "schedule.json", monkeypatch)
    assert (response["action"], response["acted"]) == ("start", "started")
    assert rig.state(instance) in ("pending", "running")


def test_stopped_instance_without_work_is_left_alone(rig, monkeypatch):
    instance = rig.make_instance("stopped")
    response = invoke(rig, instance, "alarm_via_sns.json", monkeypatch)
    assert (response["acted"], response["reason"]) == ("nothing", "stopped and no work")
    assert rig.state(instance) == "stopped"


class StoppingView:
    """The emulator stops instances at once; this EC2 client reports `stopping` (and refuses to act)."""

    def __init__(self, ec2: Any) -> None:
        self._ec2 = ec2
        self.calls: list[str] = []

    def describe_instances(self, **kwargs: Any) -> dict[str, Any]:
        response = self._ec2.describe_instances(**kwargs)
        for reservation in response["Reservations"]:
            for instance in reservation["Instances"]:
                instance["State"] = {"Code": 64, "Name": "stopping"}
        return response

    def stop_instances(self, **kwargs: Any) -> None:
        self.calls.append("stop")

    def start_instances(self, **kwargs: Any) -> None:
        self.calls.append("start")


def test_stopping_instance_is_left_alone_even_with_work(rig):
    instance = rig.make_instance("running")
    rig.queue_job("job-stopping")
    ec2 = StoppingView(aws_clients.client("ec2", credentials=rig.credentials))
    now = rig.launch_time(instance) + AHEAD
    table = aws_clients.client("dynamodb", credentials=rig.credentials)
    reader = FactsReader(instance, rig.queue_url, TaskStore(rig.table_name, table), ec2,
                         aws_clients.client("sqs", credentials=rig.credentials), clock=lambda: now)
    outcome = PowerController(reader.read, ec2, PowerConfig(), logger).run("schedule")
    assert (outcome.acted, outcome.decision.reason) == ("nothing", "instance is stopping: left alone")
    assert ec2.calls == []


def test_submit_between_decision_and_stop_cancels_the_stop(rig, monkeypatch):
    instance = rig.make_instance("running")
    response = invoke(rig, instance, "alarm_via_sns.json", monkeypatch, before_stop=lambda: rig.queue_job("late"))
    assert (response["action"], response["acted"], response["reason"]) == ("none", "stop-cancelled", "work waiting")
    assert rig.state(instance) == "running"


def test_submit_during_the_stop_brings_the_instance_back(rig, monkeypatch):
    instance = rig.make_instance("running")
    response = invoke(rig, instance, "schedule.json", monkeypatch, after_stop=lambda: rig.queue_job("late"))
    assert (response["action"], response["acted"]) == ("stop", "stopped-then-started")
    assert rig.state(instance) in ("pending", "running")


def test_a_stranded_job_is_picked_up_by_the_next_scheduled_run(rig, monkeypatch):
    """The API found the instance stopping and could not start it; the next scheduled run does."""
    instance = rig.make_instance("running")
    first = invoke(rig, instance, "schedule.json", monkeypatch)
    assert first["acted"] == "stopped"
    now = rig.launch_time(instance) + AHEAD + 60
    rig.queue_job("job-stranded", now - 30)
    second = invoke(rig, instance, "schedule.json", monkeypatch, now=now)
    assert (second["action"], second["acted"]) == ("start", "started")
    assert rig.state(instance) in ("pending", "running")



def test_power_timer_runs_the_same_logic_and_stops_on_sigterm(rig, tmp_path):
    """`make up`'s power timer: settles the dead letters, starts a stopped instance once work waits;
    SIGTERM ends it promptly."""
    instance = rig.make_instance("stopped")
    rig.queue_job("job-3")
    sqs = aws_clients.client("sqs")
    store = TaskStore(rig.table_name, aws_clients.client("dynamodb"))
    store.create(Task.new("job-dead", "/api/v1/camera-angle/jobs", {}, int(time.time())))
    sqs.send_message(QueueUrl=rig.dlq_url, MessageBody='{"task_id": "job-dead"}')
    log_path = tmp_path / "power.log"
    # IDLE_MINUTES left to the outputs file's power_environment, which the timer reads.
    env = {**{k: v for k, v in os.environ.items() if k != "IDLE_MINUTES"}, **rig.environment(),
           "GPU_INSTANCE_ID": instance, "SQS_QUEUE_URL": rig.queue_url, "SQS_DLQ_URL": rig.dlq_url,
           "DYNAMODB_TABLE": rig.table_name, "POWER_CHECK_INTERVAL_S": "0.5"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", "local.power_timer"], cwd=ROOT, env=env,
                                   stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until(lambda: rig.state(instance) != "stopped" or process.poll() is not None, 60,
                   "the timer to start the instance", every_s=0.2)
        assert rig.state(instance) in ("pending", "running"), log_path.read_text()[-2000:]
        assert store.get("job-dead").status == TaskStatus.FAILED
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=15) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
    lines = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    decisions = [line for line in lines if line.get("message") == "power decision"]
    assert decisions[0]["action"] == "start"
    assert decisions[0]["config"]["idle_window_s"] == 120  # IDLE_MINUTES is 2 in the local power_environment
    assert lines[-1]["message"] == "power timer stopped"
