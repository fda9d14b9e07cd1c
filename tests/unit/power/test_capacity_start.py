"""Starting a stopped GPU when AWS has none of its type: fallback types in order, each set on the
instance before the start; a pass without capacity is recorded and backs the next run off; the
pool's state clears on a successful start. EC2 is a scripted stand-in (capacity errors exist only
on AWS)."""

import logging
from typing import Any

import pytest
from botocore.exceptions import ClientError

from gpujobs.capacity_policy import CapacityState
from gpujobs.power_policy import PowerConfig, PowerFacts
from services.shutdown_lambda.capacity_start import CapacityStarter
from services.shutdown_lambda.power_actions import PowerController

NOW = 1_800_000_000
TYPES = ("g6e.2xlarge", "g6.2xlarge", "g5.2xlarge")


class ScriptedEc2:
    """An instance whose start fails with the scripted error per type (None: it starts)."""

    def __init__(self, instance_type: str, errors: dict[str, str | None]) -> None:
        self.instance_type = instance_type
        self.errors = errors
        self.calls: list[tuple[str, str]] = []

    def describe_instances(self, InstanceIds: list[str]) -> dict[str, Any]:
        return {"Reservations": [{"Instances": [{"InstanceId": InstanceIds[0], "InstanceType": self.instance_type}]}]}

    def modify_instance_attribute(self, InstanceId: str, InstanceType: dict[str, str]) -> None:
        self.instance_type = InstanceType["Value"]
        self.calls.append(("type", self.instance_type))

    def start_instances(self, InstanceIds: list[str]) -> None:
        self.calls.append(("start", self.instance_type))
        code = self.errors.get(self.instance_type)
        if code:
            raise ClientError({"Error": {"Code": code, "Message": "no"}}, "StartInstances")


class Metrics:
    def __init__(self) -> None:
        self.added: list[tuple[str, float]] = []

    def add_metric(self, name: str, unit: Any, value: float) -> None:
        self.added.append((name, value))


def starter(ec2: ScriptedEc2, state: CapacityState, types: tuple[str, ...] = TYPES,
            now: int = NOW) -> tuple[CapacityStarter, list[CapacityState], Metrics]:
    saved: list[CapacityState] = []
    metrics = Metrics()
    built = CapacityStarter(ec2=ec2, load=lambda: saved[-1] if saved else state, save=saved.append,
                            clock=lambda: now, logger=logging.getLogger("capacity-test"), metrics=metrics,
                            instance_types=types)
    return built, saved, metrics


def test_preferred_type_starts_without_a_type_change() -> None:
    ec2 = ScriptedEc2("g6e.2xlarge", {})
    start, saved, metrics = starter(ec2, CapacityState())
    assert start.start("i-1") == "started"
    assert ec2.calls == [("start", "g6e.2xlarge")] and saved == [CapacityState()] and metrics.added == []


def test_no_capacity_moves_to_the_next_type_in_order() -> None:
    ec2 = ScriptedEc2("g6e.2xlarge", {"g6e.2xlarge": "InsufficientInstanceCapacity"})
    start, saved, _ = starter(ec2, CapacityState())
    assert start.start("i-1") == "started"
    assert ec2.calls == [("start", "g6e.2xlarge"), ("type", "g6.2xlarge"), ("start", "g6.2xlarge")]
    assert saved == [CapacityState()]


def test_an_instance_left_on_a_fallback_type_returns_to_the_preferred_one() -> None:
    ec2 = ScriptedEc2("g5.2xlarge", {})
    start, _, _ = starter(ec2, CapacityState())
    assert start.start("i-1") == "started"
    assert ec2.calls == [("type", "g6e.2xlarge"), ("start", "g6e.2xlarge")]


def test_no_capacity_for_any_type_is_recorded_counted_and_backs_off() -> None:
    ec2 = ScriptedEc2("g6e.2xlarge", dict.fromkeys(TYPES, "InsufficientInstanceCapacity"))
    start, saved, metrics = starter(ec2, CapacityState())
    assert start.start("i-1") == "start-no-capacity"
    assert saved == [CapacityState(shortfalls=1, last_shortfall_at=NOW, types_tried=TYPES)]
    assert metrics.added == [("CapacityShortfalls", 1)]
    # The next run within the backoff does not call EC2 at all.
    ec2.calls.clear()
    again, _, _ = starter(ec2, saved[-1], now=NOW + 30)
    assert again.start("i-1") == "start-backing-off" and ec2.calls == []


def test_a_start_after_a_shortfall_clears_the_state() -> None:
    ec2 = ScriptedEc2("g5.2xlarge", {})
    start, saved, _ = starter(ec2, CapacityState(shortfalls=2, last_shortfall_at=NOW - 600, types_tried=TYPES))
    assert start.start("i-1") == "started" and saved == [CapacityState()]


def test_without_types_the_instance_keeps_its_own_and_only_backs_off() -> None:
    ec2 = ScriptedEc2("g5.2xlarge", {"g5.2xlarge": "InsufficientInstanceCapacity"})
    start, saved, _ = starter(ec2, CapacityState(), types=())
    assert start.start("i-1") == "start-no-capacity"
    assert ec2.calls == [("start", "g5.2xlarge")] and saved[-1].types_tried == ("g5.2xlarge",)


def test_other_errors_reach_the_caller() -> None:
    ec2 = ScriptedEc2("g6e.2xlarge", {"g6e.2xlarge": "UnauthorizedOperation"})
    start, saved, _ = starter(ec2, CapacityState())
    with pytest.raises(ClientError):
        start.start("i-1")
    assert saved == []


def test_the_power_run_starts_through_the_capacity_starter() -> None:
    ec2 = ScriptedEc2("g6e.2xlarge", {"g6e.2xlarge": "InsufficientInstanceCapacity"})
    start, _, _ = starter(ec2, CapacityState())
    waiting = PowerFacts(now=NOW, instance_id="i-1", instance_state="stopped", tags={"Purpose": "GPU-ComfyUI"},
                         queue_visible=1)
    controller = PowerController(read_facts=lambda: waiting, ec2=ec2, config=PowerConfig(),
                                 logger=logging.getLogger("power-test"), starter=start)
    outcome = controller.run("schedule")
    assert outcome.acted == "started" and ec2.instance_type == "g6.2xlarge"
