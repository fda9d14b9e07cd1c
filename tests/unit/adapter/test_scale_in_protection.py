"""A fleet's worker protects its own instance from scale-in while it holds a job, and hands a message back
when its instance is already leaving the group."""

import uuid
from typing import Any

from botocore.exceptions import ClientError

from gpujobs.settings import Settings
from gpujobs.task_model import TaskStatus
from services.adapter.scale_in_protection import ScaleInProtection
from tests.doubles.fake_unified_api import FakeUnifiedApi
from tests.polling import wait_until
from tests.worker_loop import running

from .conftest import job_body, new_task_id


def group_with_one_instance(moto_clients) -> tuple[Any, str, str]:
    name = f"gpu-fleet-{uuid.uuid4().hex[:8]}"
    template = moto_clients.ec2.create_launch_template(
        LaunchTemplateName=name, LaunchTemplateData={"ImageId": "ami-12c6146b", "InstanceType": "g6e.2xlarge"})
    autoscaling = moto_clients.client("autoscaling")
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name, MinSize=0, MaxSize=2, DesiredCapacity=1, AvailabilityZones=["us-east-1a"],
        LaunchTemplate={"LaunchTemplateId": template["LaunchTemplate"]["LaunchTemplateId"], "Version": "$Latest"})
    instance_id = autoscaling.describe_auto_scaling_groups(
        AutoScalingGroupNames=[name])["AutoScalingGroups"][0]["Instances"][0]["InstanceId"]
    return autoscaling, name, instance_id


def protected(autoscaling: Any, instance_id: str) -> bool:
    found = autoscaling.describe_auto_scaling_instances(InstanceIds=[instance_id])["AutoScalingInstances"]
    return bool(found[0]["ProtectedFromScaleIn"])


class RefusingGroup:
    """An Auto Scaling client whose protection call fails, with the instance in a given lifecycle state."""

    def __init__(self, lifecycle_state: str) -> None:
        self.lifecycle_state = lifecycle_state
        self.refused = 0

    def set_instance_protection(self, **_kwargs: Any) -> None:
        self.refused += 1
        raise ClientError({"Error": {"Code": "ValidationError", "Message": "not in service"}}, "SetInstanceProtection")

    def describe_auto_scaling_instances(self, **_kwargs: Any) -> dict[str, Any]:
        return {"AutoScalingInstances": [{"LifecycleState": self.lifecycle_state}]}


def test_the_instance_is_protected_while_the_job_runs_and_released_after(aws, make_worker, moto_clients):
    autoscaling, group, instance_id = group_with_one_instance(moto_clients)
    settings = Settings({**aws.settings.values, "GPU_FLEET_GROUP": group, "GPU_INSTANCE_ID": instance_id})
    api = FakeUnifiedApi()
    api.behaviour.latency_s = 1.5
    task_id = new_task_id()
    aws.send(job_body(task_id))
    with running(make_worker(api, settings=settings)):
        wait_until(lambda: api.submissions, 10, "the job to start")
        assert protected(autoscaling, instance_id)
        wait_until(lambda: aws.store.get(task_id).status == TaskStatus.COMPLETED, 10, "the job to finish")
        wait_until(lambda: not protected(autoscaling, instance_id), 10, "the protection to be lifted")


def test_protection_is_held_until_the_last_job_ends(moto_clients):
    autoscaling, group, instance_id = group_with_one_instance(moto_clients)
    protection = ScaleInProtection(autoscaling, group, instance_id)
    assert protection.acquire() and protection.acquire()
    protection.release()
    assert protected(autoscaling, instance_id)
    protection.release()
    assert not protected(autoscaling, instance_id)


def test_a_leaving_instance_refuses_the_job_and_an_in_service_one_runs_it_unprotected():
    assert not ScaleInProtection(RefusingGroup("Terminating:Wait"), "g", "i-1").acquire()
    assert ScaleInProtection(RefusingGroup("InService"), "g", "i-1").acquire()


def test_the_worker_hands_the_message_back_and_stops_when_its_instance_is_leaving(aws, make_worker):
    api = FakeUnifiedApi()
    task_id = new_task_id()
    aws.send(job_body(task_id))
    worker = make_worker(api)
    group = RefusingGroup("Terminating:Wait")
    worker.protection = ScaleInProtection(group, "g", "i-1")
    with running(worker):
        wait_until(lambda: worker._stopping.is_set(), 10, "the worker to stop taking messages")
    assert (group.refused, api.submissions, aws.store.find(task_id), aws.counts()) == (1, [], None, (1, 0))


def test_a_single_instance_worker_has_no_protection(aws):
    assert ScaleInProtection.of(aws.settings) is None
