"""A fleet's power run: read the pool's work and its Auto Scaling group, decide the desired capacity,
set it on the group.

The decision is `desired_capacity()` (gpujobs/power_policy.py), the same the single instance's
`decide()` is. Auto Scaling does the rest: a scale-out starts instances (from the warm pool when
there is one), a scale-in stops or terminates unprotected ones, and never one whose worker protects
it while holding a job. Lowering the desired capacity below the protected instances is never asked.

An instance's idle time counts from the newest of its launch and the pool's last activity (a job's
end, a submit): the worker records activity per pool, not per instance, so an instance is idle for
the window only when the whole pool has been, which keeps an instance a little longer than needed
and never stops one early.
"""

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit

from gpujobs.power_policy import CapacityDecision, FleetConfig, FleetInstance, PowerConfig, PowerFacts, desired_capacity
from services.shutdown_lambda.fleet_capacity import FleetCapacityWatch

# Auto Scaling lifecycle states -> what the decision counts: starting, in service, or neither.
PENDING_STATES = ("Pending", "Pending:Wait", "Pending:Proceed")
IN_SERVICE_STATES = ("InService",)


@dataclass(frozen=True)
class GroupView:
    name: str
    desired: int
    instances: tuple[FleetInstance, ...]


def read_group(autoscaling: Any, ec2: Any, name: str, activity_at: int | None) -> GroupView:
    """The group's desired capacity and its instances, each idle since max(launch, pool activity)."""
    groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])["AutoScalingGroups"]
    if not groups:
        raise LookupError(f"no Auto Scaling group {name!r}")
    group = groups[0]
    members = group.get("Instances", [])
    launched: dict[str, int] = {}
    if members:
        reservations = ec2.describe_instances(InstanceIds=[m["InstanceId"] for m in members])["Reservations"]
        launched = {i["InstanceId"]: int(i["LaunchTime"].timestamp())
                    for r in reservations for i in r.get("Instances", []) if i.get("LaunchTime")}
    instances = []
    for member in members:
        lifecycle = member.get("LifecycleState", "")
        state = "pending" if lifecycle in PENDING_STATES else "running" if lifecycle in IN_SERVICE_STATES else lifecycle
        times = [t for t in (launched.get(member["InstanceId"]), activity_at) if t is not None]
        instances.append(FleetInstance(member["InstanceId"], state, bool(member.get("ProtectedFromScaleIn")),
                                       max(times) if times else None))
    return GroupView(name, int(group.get("DesiredCapacity", 0)), tuple(instances))


@dataclass(frozen=True)
class FleetOutcome:
    trigger: str
    group: str
    desired_before: int
    decision: CapacityDecision
    acted: str  # nothing | dry-run | scaled-out | scaled-in
    dry_run: bool

    def to_response(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger,
            "group": self.group,
            "desired_before": self.desired_before,
            "desired": self.decision.desired,
            "in_service": self.decision.in_service,
            "backlog": self.decision.backlog,
            "acted": self.acted,
            "reason": self.decision.reason,
            "idle_s": self.decision.idle_s,
            "dry_run": self.dry_run,
        }


@dataclass
class FleetController:
    """One decide-and-scale cycle for a pool's group; `read_facts` reads the pool's work live."""

    read_facts: Callable[[], PowerFacts]
    autoscaling: Any
    ec2: Any
    group: str
    config: PowerConfig
    fleet: FleetConfig
    logger: logging.Logger | Any
    metrics: Any = None
    dry_run: bool = False
    capacity: FleetCapacityWatch | None = None
    """Where a launch refused for want of GPUs is recorded for the job status (None: not recorded)."""

    def run(self, trigger: str) -> FleetOutcome:
        facts = self.read_facts()
        activity = [t for t in (facts.last_activity_at, facts.last_finished_at, facts.newest_pending_created_at)
                    if t is not None]
        view = read_group(self.autoscaling, self.ec2, self.group, max(activity) if activity else None)
        decision = desired_capacity(facts, view.instances, self.config, self.fleet)
        self.logger.info("fleet decision", extra={
            "trigger": trigger, "group": self.group, "desired_before": view.desired, "desired": decision.desired,
            "reason": decision.reason, "backlog": decision.backlog, "dry_run": self.dry_run,
            "instances": [asdict(i) for i in view.instances], "config": asdict(self.fleet),
        })
        acted = "nothing"
        if decision.desired != view.desired:
            acted = "dry-run" if self.dry_run else "scaled-out" if decision.desired > view.desired else "scaled-in"
            if not self.dry_run:
                self.autoscaling.set_desired_capacity(AutoScalingGroupName=self.group,
                                                      DesiredCapacity=decision.desired, HonorCooldown=False)
        if self.capacity is not None and not self.dry_run:
            self.capacity.note(decision.desired, decision.in_service)
        if self.metrics is not None:
            self.metrics.add_metric(name="FleetDesiredCapacity", unit=MetricUnit.Count, value=decision.desired)
            self.metrics.add_metric(name="FleetBacklog", unit=MetricUnit.Count, value=decision.backlog)
        return FleetOutcome(trigger, self.group, view.desired, decision, acted, self.dry_run)
