"""GpuInstanceStarter: what it does for each instance state, and how its cache bounds EC2 calls."""

import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from services.api.gpu_power import UNKNOWN, GpuInstanceStarter
from tests.polling import wait_until


class FakeEc2:
    def __init__(self, state: str) -> None:
        self.state = state
        self.describes = 0
        self.starts = 0
        self.error: Exception | None = None
        self.gate: threading.Event | None = None

    def describe_instances(self, InstanceIds: list[str]) -> dict[str, Any]:
        self.describes += 1
        if self.gate is not None:
            self.gate.wait(5)
        if self.error is not None:
            raise self.error
        return {"Reservations": [{"Instances": [{"InstanceId": InstanceIds[0], "State": {"Name": self.state}}]}]}

    def start_instances(self, InstanceIds: list[str]) -> dict[str, Any]:
        self.starts += 1
        self.state = "pending"
        return {}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def starter(ec2: FakeEc2, clock: Clock, ttl_s: float = 5.0) -> GpuInstanceStarter:
    return GpuInstanceStarter("i-0abc", ec2, ttl_s=ttl_s, clock=clock)


@pytest.mark.parametrize(("state", "starts", "believed"), [
    ("stopped", 1, "pending"), ("pending", 0, "pending"), ("running", 0, "running"),
    ("stopping", 0, "stopping"), ("terminated", 0, "terminated"),
])
def test_action_per_state(state: str, starts: int, believed: str) -> None:
    ec2 = FakeEc2(state)
    gpu = starter(ec2, Clock())
    assert gpu.ensure_starting("job-1") == believed
    assert ec2.starts == starts
    assert gpu.wake_requested is (state == "stopping")


def test_stopping_instance_is_started_once_it_has_stopped() -> None:
    ec2, clock = FakeEc2("stopping"), Clock()
    gpu = starter(ec2, clock)
    gpu.ensure_starting()
    assert gpu.wake_requested and ec2.starts == 0
    ec2.state = "stopped"
    clock.now += 5.1
    assert gpu.ensure_starting() == "pending"
    assert ec2.starts == 1 and not gpu.wake_requested


def test_state_is_cached_for_the_ttl() -> None:
    ec2, clock = FakeEc2("running"), Clock()
    gpu = starter(ec2, clock)
    for _ in range(50):
        gpu.ensure_starting()
    assert ec2.describes == 1
    clock.now += 4.9
    gpu.ensure_starting()
    assert ec2.describes == 1
    clock.now += 0.2
    gpu.ensure_starting()
    assert ec2.describes == 2


def test_zero_ttl_describes_every_time() -> None:
    ec2 = FakeEc2("running")
    gpu = starter(ec2, Clock(), ttl_s=0.0)
    for _ in range(3):
        gpu.ensure_starting()
    assert ec2.describes == 3


def test_only_one_thread_refreshes_while_others_go_on() -> None:
    ec2 = FakeEc2("running")
    ec2.gate = threading.Event()
    gpu = starter(ec2, Clock())
    refresher = threading.Thread(target=gpu.ensure_starting)
    refresher.start()
    wait_until(lambda: ec2.describes, 5, "the refresh to call EC2", every_s=0.001)
    assert gpu.ensure_starting() is None  # did not wait for the refresh, made no second call
    ec2.gate.set()
    refresher.join(5)
    assert ec2.describes == 1
    assert gpu.ensure_starting() == "running"  # the refreshed state, from the cache


@pytest.mark.parametrize("error", [
    ClientError({"Error": {"Code": "UnauthorizedOperation", "Message": "no"}}, "DescribeInstances"),
    EndpointConnectionError(endpoint_url="https://ec2.example"),
])
def test_ec2_errors_are_absorbed_and_cached(error: Exception) -> None:
    ec2, clock = FakeEc2("stopped"), Clock()
    ec2.error = error
    gpu = starter(ec2, clock)
    assert gpu.ensure_starting("job-2") == UNKNOWN
    gpu.ensure_starting("job-3")
    assert ec2.describes == 1  # an outage costs one call per TTL, not one per submit
    ec2.error = None
    clock.now += 6
    assert gpu.ensure_starting() == "pending"
    assert ec2.starts == 1


def test_the_status_view_reads_the_state_once_per_ttl_and_never_starts_it() -> None:
    ec2, clock = FakeEc2("stopped"), Clock()
    starter = GpuInstanceStarter("i-1", ec2, ttl_s=5.0, clock=clock)
    assert [starter.observed_state() for _ in range(10)] == ["stopped"] * 10
    assert (ec2.describes, ec2.starts) == (1, 0)
    clock.now += 5.0
    ec2.state = "stopping"
    assert starter.observed_state() == "stopping" and ec2.describes == 2
    # What it saw never stands in for the submit path's own check: a submit still starts a stopped instance.
    ec2.state = "stopped"
    assert starter.ensure_starting("job") == "pending" and ec2.starts == 1
    assert starter.observed_state() == "pending" and ec2.describes == 3, "the submit's fresher state is used"
    ec2.error = EndpointConnectionError(endpoint_url="https://ec2")
    clock.now += 10.0
    assert starter.observed_state() == UNKNOWN
