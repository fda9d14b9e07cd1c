"""A fleet's worker whose instance is leaving its group stops taking work, lets its job end, and then
completes the drain lifecycle hook instead of holding the instance for the hook's timeout.

moto 5.2.5 does not implement CompleteLifecycleAction (its server answers 500) nor the `Terminating:Wait`
state, so the call's shape is checked with botocore's Stubber and the worker runs against a group double."""

import threading
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from gpujobs.settings import Settings
from gpujobs.task_model import TaskStatus
from services.adapter.lifecycle_drain import LifecycleDrain, leaving
from services.adapter.scale_in_protection import ScaleInProtection
from tests.doubles.fake_unified_api import FakeUnifiedApi
from tests.polling import wait_until
from tests.worker_loop import running

from .conftest import job_body, new_task_id


@pytest.mark.parametrize(("state", "expected"), [
    ("InService", False), ("Pending", False), ("Pending:Wait", False), (None, False), ("", False),
    ("Terminating", True), ("Terminating:Wait", True), ("Terminated", True), ("Warmed:Pending:Wait", True),
    ("Warmed:Stopped", True), ("Detaching", True), ("Standby", True),
])
def test_which_lifecycle_states_are_on_the_way_out(state: str | None, expected: bool) -> None:
    assert leaving(state) is expected


def stubbed_autoscaling() -> tuple[Any, Stubber]:
    client = boto3.client("autoscaling", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return client, Stubber(client)


def test_the_hook_is_completed_with_continue_for_this_instance_in_its_group() -> None:
    client, stub = stubbed_autoscaling()
    stub.add_response("complete_lifecycle_action", {}, {
        "AutoScalingGroupName": "gpu-fleet", "LifecycleHookName": "drain", "InstanceId": "i-0abc",
        "LifecycleActionResult": "CONTINUE"})
    with stub:
        assert LifecycleDrain(client, "gpu-fleet", "i-0abc", "drain").complete()
    stub.assert_no_pending_responses()


def test_a_refused_completion_is_logged_and_the_timeout_ends_the_wait() -> None:
    client, stub = stubbed_autoscaling()
    stub.add_client_error("complete_lifecycle_action", "ValidationError", "No active Lifecycle Action found")
    with stub:
        drain = LifecycleDrain(client, "gpu-fleet", "i-0abc", "drain")
        assert not drain.complete() and not drain.completed


def test_without_a_hook_name_nothing_is_called() -> None:
    client, stub = stubbed_autoscaling()
    with stub:  # any call would fail: no response is queued
        assert not LifecycleDrain(client, "gpu-fleet", "i-0abc", None).complete()


def test_the_state_is_read_from_the_group_for_an_emulated_instance() -> None:
    client, stub = stubbed_autoscaling()
    stub.add_response("describe_auto_scaling_instances", {"AutoScalingInstances": [{
        "InstanceId": "i-0abc", "AutoScalingGroupName": "gpu-fleet", "AvailabilityZone": "us-east-1a",
        "LifecycleState": "Terminating:Wait", "HealthStatus": "HEALTHY", "ProtectedFromScaleIn": False}]},
        {"InstanceIds": ["i-0abc"]})
    stub.add_client_error("describe_auto_scaling_instances", "Throttling", "slow down")
    with stub:
        drain = LifecycleDrain(client, "gpu-fleet", "i-0abc", "drain")
        assert drain.is_leaving()
        assert not drain.is_leaving()  # unknown is not leaving


def test_a_single_instance_worker_has_no_drain() -> None:
    assert LifecycleDrain.of(Settings({}), None) is None


class LeavingGroup:
    """A group whose instance a scale-in picks when the test says so; it records the hook's completion."""

    def __init__(self) -> None:
        self.state = "InService"
        self.protected = False
        self.completions: list[dict[str, Any]] = []
        self.completed = threading.Event()

    def set_instance_protection(self, ProtectedFromScaleIn: bool, **_kwargs: Any) -> None:
        self.protected = ProtectedFromScaleIn

    def describe_auto_scaling_instances(self, InstanceIds: list[str]) -> dict[str, Any]:
        return {"AutoScalingInstances": [{"InstanceId": InstanceIds[0], "LifecycleState": self.state}]}

    def complete_lifecycle_action(self, **kwargs: Any) -> dict[str, Any]:
        self.completions.append(kwargs)
        self.completed.set()
        return {}


def fleet_worker(make_worker: Any, api: FakeUnifiedApi, group: LeavingGroup) -> Any:
    worker = make_worker(api, shutdown_grace_s=20.0)  # the running job's time to end
    worker.protection = ScaleInProtection(group, "gpu-fleet", "i-0abc")
    worker.drain = LifecycleDrain(group, "gpu-fleet", "i-0abc", "drain", interval_s=0.05)
    return worker


def test_a_leaving_instance_finishes_its_job_then_completes_the_hook(aws, make_worker) -> None:
    api = FakeUnifiedApi()
    api.behaviour.latency_s = 1.0
    group = LeavingGroup()
    task_id = new_task_id()
    aws.send(job_body(task_id))
    with running(fleet_worker(make_worker, api, group)) as worker:
        wait_until(lambda: api.submissions, 10, "the job to start")
        group.state = "Terminating:Wait"  # a scale-in picked this instance (its protection lapsed meanwhile)
        wait_until(lambda: worker._stopping.is_set(), 10, "the worker to stop taking messages")
        wait_until(group.completed.is_set, 20, "the drain hook to be completed")
    task = aws.store.get(task_id)
    assert task.status == TaskStatus.COMPLETED and task.attempts == 1
    assert group.completions == [{"AutoScalingGroupName": "gpu-fleet", "LifecycleHookName": "drain",
                                  "InstanceId": "i-0abc", "LifecycleActionResult": "CONTINUE"}]
    assert not group.protected


def test_a_worker_started_on_a_leaving_instance_takes_nothing_and_completes_the_hook(aws, make_worker) -> None:
    api = FakeUnifiedApi()
    group = LeavingGroup()
    group.state = "Terminating:Wait"
    aws.send(job_body(new_task_id()))
    with running(fleet_worker(make_worker, api, group)) as worker:
        wait_until(lambda: worker._stopping.is_set(), 10, "the worker to stop")
        wait_until(group.completed.is_set, 20, "the drain hook to be completed")
    assert api.submissions == [] and len(group.completions) == 1
    assert aws.counts()[0] + aws.counts()[1] == 1  # the message is still the queue's
