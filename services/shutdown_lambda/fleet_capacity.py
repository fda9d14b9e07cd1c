"""A fleet's launches that AWS refused for want of GPUs, kept in the pool's capacity row, so that a
waiting job's status says why its GPU is not up.

Auto Scaling retries a refused launch by itself and, with a mixed-instances policy, tries the pool's
other types in order; what it does not do is tell the client whose job waits. Its scaling activities
say it: a launch refused for want of capacity ends `Failed` with InsufficientInstanceCapacity in its
message. Each fleet run that has fewer instances than it wants reads the newest activity, and a
refused launch counts one shortfall in the pool's capacity row (the row a single instance's starts
write, which the job status shows as `gpu_capacity`), once per activity. A group that has what it
wants clears the row. Reading the activities never fails the run: the scaling decision is made.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from gpujobs.capacity_policy import CapacityState

log = logging.getLogger(__name__)

SHORTFALL_CODE = "InsufficientInstanceCapacity"


@dataclass
class FleetCapacityWatch:
    autoscaling: Any
    group: str
    load: Callable[[], CapacityState]
    save: Callable[[CapacityState], None]
    types: tuple[str, ...] = ()
    metrics: Any = None
    """Counts each shortfall as `CapacityShortfalls`, the metric the pool's capacity alarm watches."""

    def note(self, wanted: int, serving: int) -> CapacityState:
        """Record what the group's newest launch says, given the instances wanted and those serving
        (running or starting); returns the pool's capacity state afterwards."""
        state = self.load()
        if serving >= wanted:
            if state.short:
                state = CapacityState()
                self.save(state)
            return state
        try:
            activities = self.autoscaling.describe_scaling_activities(
                AutoScalingGroupName=self.group, MaxRecords=1).get("Activities", [])
        except (ClientError, BotoCoreError) as exc:
            log.warning("scaling activities unreadable", extra={"group": self.group, "error": str(exc)})
            return state
        newest = activities[0] if activities else None
        if (newest is None or newest.get("StatusCode") != "Failed"
                or SHORTFALL_CODE not in (newest.get("StatusMessage") or "")):
            return state
        at = int(newest["StartTime"].timestamp())
        if state.last_shortfall_at is not None and at <= state.last_shortfall_at:
            return state  # this refusal is counted already
        state = CapacityState(state.shortfalls + 1, at, self.types)
        self.save(state)
        if self.metrics is not None:
            self.metrics.add_metric(name="CapacityShortfalls", unit=MetricUnit.Count, value=1)
        log.warning("the group's launch found no GPU capacity", extra={
            "group": self.group, "shortfalls": state.shortfalls, "detail": newest.get("StatusMessage", "")[:300]})
        return state
