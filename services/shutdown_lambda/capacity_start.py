"""Start a stopped GPU instance when AWS may have no GPU for it: the types `capacity_policy` names,
in order, each set on the stopped instance before StartInstances, and the pool's capacity state kept
between runs so that the next run backs off and the job status can say why the GPU is not up.

`load` and `save` read and write the pool's capacity state (the task table's pool row); `clock`
gives epoch seconds. Only InsufficientInstanceCapacity (and its cousin InstanceLimitExceeded, for
one type) moves on to the next type; any other error goes to the caller as before.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import ClientError

from gpujobs.capacity_policy import CapacityConfig, CapacityState, after_shortfall, after_start, plan_start

# Errors that mean "not this type now", so another type (or a later try) may work.
NO_CAPACITY = {"InsufficientInstanceCapacity", "InstanceLimitExceeded", "Unsupported"}

# acted: started | start-no-capacity | start-backing-off | start-rejected


@dataclass
class CapacityStarter:
    """`instance_types`: the preferred type, then the fallbacks (GPU_INSTANCE_TYPES); empty: the
    instance keeps its own type, and only the backoff applies."""

    ec2: Any
    load: Callable[[], CapacityState]
    save: Callable[[CapacityState], None]
    clock: Callable[[], float]
    logger: logging.Logger | Any
    metrics: Any = None
    instance_types: tuple[str, ...] = ()
    base_backoff_s: int = 60
    max_backoff_s: int = 900

    def start(self, instance_id: str) -> str:
        now = int(self.clock())
        current = self._instance_type(instance_id)
        config = CapacityConfig(self.instance_types or (current or "its own type",), self.base_backoff_s,
                                self.max_backoff_s)
        state = self.load()
        plan = plan_start(state, now, config)
        if plan.waits:
            self.logger.warning("start deferred: no GPU capacity", extra={
                "instance_id": instance_id, "reason": plan.reason, "retry_at": plan.retry_at})
            return "start-backing-off"
        tried: list[str] = []
        for instance_type in plan.types:
            if current is not None and instance_type != current:
                self.ec2.modify_instance_attribute(InstanceId=instance_id, InstanceType={"Value": instance_type})
                current = instance_type
            try:
                self.ec2.start_instances(InstanceIds=[instance_id])
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code")
                if code == "IncorrectInstanceState":
                    self.logger.warning("start rejected: instance changed state", extra={"instance_id": instance_id})
                    return "start-rejected"
                if code not in NO_CAPACITY:
                    raise
                tried.append(instance_type)
                self.logger.warning("no capacity for the GPU type", extra={
                    "instance_id": instance_id, "instance_type": instance_type, "error": code})
                continue
            self.save(after_start())
            if state.short:
                self.logger.info("GPU capacity back", extra={"instance_id": instance_id, "instance_type": instance_type,
                                                             "shortfalls": state.shortfalls})
            return "started"
        shortfall = after_shortfall(state, tuple(tried), now)
        self.save(shortfall)
        if self.metrics is not None:
            self.metrics.add_metric(name="CapacityShortfalls", unit=MetricUnit.Count, value=1)
        self.logger.error("no GPU capacity for any type; retrying with backoff", extra={
            "instance_id": instance_id, "types_tried": tried, "shortfalls": shortfall.shortfalls})
        return "start-no-capacity"

    def _instance_type(self, instance_id: str) -> str | None:
        """The stopped instance's type now (None when it cannot be read: then it is not changed)."""
        reservations = self.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        instances = [i for r in reservations for i in r.get("Instances", [])]
        return instances[0].get("InstanceType") if instances else None
