"""A fleet at zero is woken by a submit: its desired capacity goes from 0 to 1, once per cache window, and
a group the power run has already scaled is left alone."""

import uuid
from typing import Any

from botocore.exceptions import ClientError

from gpujobs.capacity_policy import CapacityState
from gpujobs.settings import Settings
from gpujobs.task_store import TaskStore
from services.api.gpu_power import IN_SERVICE, STARTING, UNKNOWN, GpuFleetStarter
from tests.unit.moto_world import MotoClients

CAMERA = "/api/v1/camera-angle/jobs"
JOB = {"image_url": "s3://inputs/cat.png", "prompt": "x"}


class FakeGroup:
    def __init__(self, desired: int) -> None:
        self.desired = desired
        self.sets: list[dict[str, Any]] = []
        self.error: Exception | None = None

    def describe_auto_scaling_groups(self, AutoScalingGroupNames: list[str]) -> dict[str, Any]:
        if self.error is not None:
            raise self.error
        return {"AutoScalingGroups": [{"AutoScalingGroupName": AutoScalingGroupNames[0],
                                       "DesiredCapacity": self.desired}]}

    def set_desired_capacity(self, **kwargs: Any) -> dict[str, Any]:
        self.sets.append(kwargs)
        self.desired = kwargs["DesiredCapacity"]
        return {}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_group_at_zero_is_set_to_one_without_honouring_the_cooldown() -> None:
    group = FakeGroup(0)
    assert GpuFleetStarter("gpu-fleet", group, clock=Clock()).ensure_starting("job-1") == STARTING
    assert group.sets == [{"AutoScalingGroupName": "gpu-fleet", "DesiredCapacity": 1, "HonorCooldown": False}]


def test_a_scaled_group_is_left_to_the_power_run() -> None:
    group = FakeGroup(3)
    assert GpuFleetStarter("gpu-fleet", group, clock=Clock()).ensure_starting() == IN_SERVICE
    assert group.sets == [] and group.desired == 3


def test_a_burst_costs_one_read_and_one_write_per_cache_window() -> None:
    group, clock = FakeGroup(0), Clock()
    fleet = GpuFleetStarter("gpu-fleet", group, ttl_s=5.0, clock=clock)
    for _ in range(20):
        fleet.ensure_starting()
    assert (fleet.describe_calls, fleet.start_calls, len(group.sets)) == (1, 1, 1)
    clock.now += 5.1
    group.desired = 0  # the power run scaled in to zero meanwhile
    assert fleet.ensure_starting() == STARTING
    assert (fleet.describe_calls, len(group.sets)) == (2, 2)


def test_a_failed_read_never_fails_the_submit_and_is_retried_after_the_window() -> None:
    group, clock = FakeGroup(0), Clock()
    group.error = ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "DescribeAutoScalingGroups")
    fleet = GpuFleetStarter("gpu-fleet", group, clock=clock)
    assert fleet.ensure_starting() == UNKNOWN
    assert group.sets == []
    group.error = None
    clock.now += 5.1
    assert fleet.ensure_starting() == STARTING


def test_an_unknown_group_is_reported_not_created() -> None:
    class NoGroup(FakeGroup):
        def describe_auto_scaling_groups(self, AutoScalingGroupNames: list[str]) -> dict[str, Any]:
            return {"AutoScalingGroups": []}

    group = NoGroup(0)
    assert GpuFleetStarter("gone", group, clock=Clock()).ensure_starting() == UNKNOWN
    assert group.sets == []


def fleet_group(moto_clients: MotoClients) -> tuple[Any, str]:
    name = f"gpu-fleet-{uuid.uuid4().hex[:8]}"
    template = moto_clients.ec2.create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "g6e.2xlarge"})
    autoscaling = moto_clients.client("autoscaling")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name, MinSize=0, MaxSize=3, DesiredCapacity=0, AvailabilityZones=["us-east-1a"],
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"], "Version": "$Latest"})
    return autoscaling, name


def desired(autoscaling: Any, name: str) -> int:
    return autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0][
        "DesiredCapacity"]


def test_a_submit_to_a_fleet_at_zero_launches_one_instance(make_app: Any, aws: Any, moto_clients: MotoClients) -> None:
    autoscaling, name = fleet_group(moto_clients)
    values = {k: v for k, v in aws.settings.values.items() if k != "GPU_INSTANCE_ID"}
    app = make_app(settings=Settings({**values, "GPU_FLEET_GROUP": name}), autoscaling=autoscaling)
    client = app.test_client()
    for _ in range(3):
        assert client.post(CAMERA, json=JOB).status_code == 202
    assert desired(autoscaling, name) == 1
    group = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"][0]
    assert len(group["Instances"]) == 1
    assert aws.instance_state() == "stopped"  # a fleet's API starts no instance by id
    fleet = app.extensions["gpujobs_api"].gpu
    assert (fleet.describe_calls, fleet.start_calls) == (1, 1)


def test_a_fleet_short_of_gpus_shows_it_on_a_waiting_job(make_app: Any, aws: Any, moto_clients: MotoClients) -> None:
    autoscaling, name = fleet_group(moto_clients)
    values = {k: v for k, v in aws.settings.values.items() if k != "GPU_INSTANCE_ID"}
    client = make_app(settings=Settings({**values, "GPU_FLEET_GROUP": name}), autoscaling=autoscaling).test_client()
    job_id = client.post(CAMERA, json=JOB).get_json()["job_id"]
    assert client.get(f"/api/v1/jobs/{job_id}").get_json()["gpu_capacity"] is None
    store = TaskStore(aws.table_name, aws.dynamodb)
    store.record_capacity(CapacityState(1, 1000, ("g6e.2xlarge",)), 1000)  # the fleet's power run saw a refusal
    shown = client.get(f"/api/v1/jobs/{job_id}").get_json()["gpu_capacity"]
    assert shown["shortfalls"] == 1 and shown["types_tried"] == ["g6e.2xlarge"]
