"""The fleet's power run on in-process moto: a backlog scales the group out, protected instances survive a
scale-in, the group returns to zero after the idle window, and the handler picks the fleet from its settings."""

import logging
import time
import uuid

import pytest

from gpujobs import aws_clients
from gpujobs.errors import ConfigError
from gpujobs.power_policy import FleetConfig, PowerConfig
from gpujobs.settings import Settings
from gpujobs.task_store import TaskStore
from services.shutdown_lambda.fleet_actions import FleetController
from services.shutdown_lambda.handler import build_handler
from services.shutdown_lambda.power_config import PowerRunConfig
from services.shutdown_lambda.power_facts import FactsReader
from tests.doubles.lambda_context import LambdaContext
from tests.unit.moto_world import GPU_TAG, MotoClients
from tests.unit.power.conftest import queue_job

WINDOW = 1800
LOG = logging.getLogger("fleet-test")


@pytest.fixture
def fleet(moto_clients: MotoClients, monkeypatch: pytest.MonkeyPatch) -> dict:
    name = f"gpu-fleet-{uuid.uuid4().hex[:8]}"
    template = moto_clients.ec2.create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "g6e.2xlarge"})
    autoscaling = moto_clients.client("autoscaling")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name, MinSize=0, MaxSize=4, DesiredCapacity=0, AvailabilityZones=["us-east-1a"],
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"], "Version": "$Latest"},
        Tags=[{**GPU_TAG, "PropagateAtLaunch": True}])
    queue_url = moto_clients.task_queue()
    table = moto_clients.task_table()
    for key, value in {"GPU_FLEET_GROUP": name, "GPU_FLEET_MAX_SIZE": "4", "SQS_QUEUE_URL": queue_url,
                       "DYNAMODB_TABLE": table, "IDLE_MINUTES": "30"}.items():
        monkeypatch.setenv(key, value)
    aws_clients.reset_clients()
    return {"name": name, "queue_url": queue_url, "store": TaskStore(table, moto_clients.dynamodb),
            "autoscaling": autoscaling}


def controller(fleet: dict, moto: MotoClients, clock, dry_run: bool = False) -> FleetController:
    reader = FactsReader("", fleet["queue_url"], fleet["store"], moto.ec2, moto.sqs, clock)
    return FleetController(reader.read, fleet["autoscaling"], moto.ec2, fleet["name"],
                           PowerConfig(idle_window_s=WINDOW), FleetConfig(max_size=4), LOG, dry_run=dry_run)


def members(fleet: dict) -> list[dict]:
    group = fleet["autoscaling"].describe_auto_scaling_groups(AutoScalingGroupNames=[fleet["name"]])
    return group["AutoScalingGroups"][0]["Instances"]


def send(moto: MotoClients, fleet: dict, count: int) -> None:
    for _ in range(count):
        # Rows older than the window: the messages alone are the backlog, and a purge takes it away.
        queue_job(fleet["store"], moto.sqs, fleet["queue_url"], f"t-{uuid.uuid4().hex}", int(time.time()) - 10 * WINDOW)


def test_a_backlog_scales_out_at_once_and_idle_instances_wait_for_the_window(fleet, moto_clients) -> None:
    send(moto_clients, fleet, 3)
    outcome = controller(fleet, moto_clients, time.time).run("schedule")
    assert (outcome.acted, outcome.decision.desired, outcome.desired_before) == ("scaled-out", 3, 0)
    assert [m["LifecycleState"] for m in members(fleet)] == ["InService"] * 3

    moto_clients.sqs.purge_queue(QueueUrl=fleet["queue_url"])
    soon = controller(fleet, moto_clients, lambda: time.time() + WINDOW - 120).run("schedule")
    assert (soon.acted, soon.decision.desired) == ("nothing", 3)


def test_protected_instances_survive_the_scale_in_and_the_rest_return_to_zero(fleet, moto_clients) -> None:
    send(moto_clients, fleet, 3)
    controller(fleet, moto_clients, time.time).run("schedule")
    moto_clients.sqs.purge_queue(QueueUrl=fleet["queue_url"])
    busy = [m["InstanceId"] for m in members(fleet)][:2]
    fleet["autoscaling"].set_instance_protection(AutoScalingGroupName=fleet["name"], InstanceIds=busy,
                                                 ProtectedFromScaleIn=True)

    def later() -> float:
        return time.time() + WINDOW + 60

    outcome = controller(fleet, moto_clients, later).run("schedule")
    assert (outcome.acted, outcome.decision.desired) == ("scaled-in", 2)
    assert sorted(m["InstanceId"] for m in members(fleet)) == sorted(busy)

    fleet["autoscaling"].set_instance_protection(AutoScalingGroupName=fleet["name"], InstanceIds=busy,
                                                 ProtectedFromScaleIn=False)
    last = controller(fleet, moto_clients, later).run("schedule")
    assert (last.acted, last.decision.desired, members(fleet)) == ("scaled-in", 0, [])


def test_dry_run_decides_without_scaling(fleet, moto_clients) -> None:
    send(moto_clients, fleet, 2)
    outcome = controller(fleet, moto_clients, time.time, dry_run=True).run("schedule")
    assert (outcome.acted, outcome.decision.desired, members(fleet)) == ("dry-run", 2, [])


def test_the_handler_runs_the_fleet_when_its_group_is_set(fleet, moto_clients) -> None:
    send(moto_clients, fleet, 1)
    response = build_handler(clock=time.time, sleep=lambda _s: None)({"action": "evaluate"}, LambdaContext())
    assert (response["group"], response["acted"], response["desired"]) == (fleet["name"], "scaled-out", 1)
    assert len(members(fleet)) == 1


def test_config_needs_a_group_or_an_instance() -> None:
    base = {"SQS_QUEUE_URL": "https://sqs.us-east-1.amazonaws.com/1/q", "DYNAMODB_TABLE": "t"}
    fleet = PowerRunConfig.from_settings(Settings({**base, "GPU_FLEET_GROUP": "g", "GPU_FLEET_MAX_SIZE": "5",
                                                   "GPU_JOBS_PER_INSTANCE": "2"}))
    assert (fleet.fleet_group, fleet.fleet) == ("g", FleetConfig(max_size=5, jobs_per_instance=2))
    assert PowerRunConfig.from_settings(Settings({**base, "GPU_INSTANCE_ID": "i-0123456789abcdef0"})).fleet is None
    with pytest.raises(ConfigError, match="GPU_INSTANCE_ID"):
        PowerRunConfig.from_settings(Settings(base))
    with pytest.raises(ConfigError, match="GPU_FLEET_MAX_SIZE"):
        PowerRunConfig.from_settings(Settings({**base, "GPU_FLEET_GROUP": "g", "GPU_FLEET_MAX_SIZE": "0"}))
