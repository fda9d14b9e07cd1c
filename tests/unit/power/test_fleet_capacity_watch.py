"""A fleet's launch refused for want of GPUs reaches the pool's capacity row once, and a group that has
what it wants clears it; reading the activities never fails the run."""

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from gpujobs.capacity_policy import CapacityState
from services.shutdown_lambda.fleet_capacity import FleetCapacityWatch

REFUSED = ("Could not launch On-Demand Instances. InsufficientInstanceCapacity - We currently do not have "
           "sufficient g6e.2xlarge capacity.")
NO_SHORTFALL = CapacityState()


class Activities:
    def __init__(self, *activities: dict[str, Any], error: bool = False) -> None:
        self.activities, self.error, self.calls = list(activities), error, 0

    def describe_scaling_activities(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        if self.error:
            raise ClientError({"Error": {"Code": "Throttling", "Message": "slow down"}}, "DescribeScalingActivities")
        return {"Activities": self.activities[:kwargs.get("MaxRecords", 100)]}


def activity(status: str, message: str, at: int) -> dict[str, Any]:
    return {"StatusCode": status, "StatusMessage": message, "StartTime": datetime.fromtimestamp(at, UTC)}


def watch(autoscaling: Activities, state: CapacityState = NO_SHORTFALL) -> tuple[FleetCapacityWatch, list]:
    saved: list[CapacityState] = []
    current = [state]

    def save(new: CapacityState) -> None:
        saved.append(new)
        current[0] = new

    return FleetCapacityWatch(autoscaling, "fleet", lambda: current[0], save, ("g6e.2xlarge", "g5.2xlarge")), saved


class Metrics:
    def __init__(self) -> None:
        self.added: list[str] = []

    def add_metric(self, name: str, unit: Any, value: float) -> None:
        self.added.append(name)


def test_a_refused_launch_counts_one_shortfall_however_often_it_is_read() -> None:
    capacity, saved = watch(Activities(activity("Failed", REFUSED, 1000)))
    capacity.metrics = Metrics()
    first = capacity.note(wanted=2, serving=0)
    assert first == CapacityState(1, 1000, ("g6e.2xlarge", "g5.2xlarge")) and first.short
    assert capacity.note(wanted=2, serving=0) == first and len(saved) == 1
    assert capacity.metrics.added == ["CapacityShortfalls"], "the capacity alarm counts it once"


def test_a_later_refusal_counts_again_and_a_full_group_clears_the_row() -> None:
    autoscaling = Activities(activity("Failed", REFUSED, 1000))
    capacity, saved = watch(autoscaling)
    capacity.note(2, 0)
    autoscaling.activities = [activity("Failed", REFUSED, 1300)]
    assert capacity.note(2, 0).shortfalls == 2
    assert capacity.note(2, 2) == CapacityState() and saved[-1] == CapacityState()


def test_other_failures_and_successes_are_no_shortfall() -> None:
    for newest in (activity("Successful", "Launching a new EC2 instance: i-1", 1000),
                   activity("Failed", "Launching a new EC2 instance failed: InvalidAMIID.NotFound", 1000)):
        capacity, saved = watch(Activities(newest))
        assert capacity.note(1, 0) == CapacityState() and saved == []


def test_a_group_with_what_it_wants_reads_no_activities_and_an_unreadable_one_changes_nothing() -> None:
    quiet = Activities(activity("Failed", REFUSED, 1000))
    capacity, saved = watch(quiet)
    assert capacity.note(1, 1) == CapacityState() and quiet.calls == 0 and saved == []
    short = CapacityState(1, 900, ("g6e.2xlarge",))
    capacity, saved = watch(Activities(error=True), short)
    assert capacity.note(2, 0) == short and saved == []
