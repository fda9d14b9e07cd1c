"""Wake the pool's GPU when work arrives, cheaply enough for the submit path.

What the API learned is cached per process for a few seconds, so a burst of submits costs one read,
and only one thread refreshes it while the others go on with the cached value.

A single instance (GpuInstanceStarter):
`stopped` -> StartInstances; `pending`/`running` -> nothing; `stopping` cannot be started yet, so
the wake is recorded (log line and `wake_requested`) and the next refresh after the cache expires
starts it once it is `stopped`; the power Lambda also starts a stopped instance that has waiting
work. EC2 failures are logged and never fail a submit: the job is already queued.

A fleet (GpuFleetStarter, GPU_FLEET_GROUP): the API only makes sure one instance is starting. A group
whose desired capacity is 0 is set to 1 (SetDesiredCapacity, cooldown not honoured); any other desired
capacity is the power run's and left alone, as is the scale-out beyond one, which the power run decides
from the backlog. The read and the write are two calls: a power run that raised the desired capacity in
between would be set back to 1 (Auto Scaling then removes only unprotected instances, which hold no
job), and its next minute raises it again.

A job's status shows a single instance's state too (`observed_state`): a read only, never a start,
answered from the last state this process knew when it is fresh, else from one DescribeInstances cached
the same way, so polling clients cost at most one call per TTL per process.

Without either setting (the multi-region mode) the API builds no starter and makes no such call: the
job may run in any region, and each pool's power logic starts its own instance.
"""

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gpujobs import aws_clients

log = logging.getLogger(__name__)

# What this process concluded after an EC2 error: nothing known, try again after the TTL.
UNKNOWN = "unknown"


class CachedWake:
    """The cache and the single refreshing thread; a subclass's `_refresh` reads and wakes."""

    def __init__(self, ttl_s: float = 5.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._state: str | None = None
        self._checked_at = float("-inf")
        self.describe_calls = 0
        self.start_calls = 0

    def ensure_starting(self, job_id: str | None = None) -> str | None:
        """Wake the GPU if it is off; returns the state this process believes it is in."""
        if self._clock() - self._checked_at < self.ttl_s:
            return self._state
        if not self._lock.acquire(blocking=False):
            return self._state  # another thread is refreshing right now
        try:
            if self._clock() - self._checked_at < self.ttl_s:
                return self._state
            self._state = self._refresh(job_id)
            self._checked_at = self._clock()
            return self._state
        finally:
            self._lock.release()

    def observed_state(self) -> str | None:
        """The GPU's EC2 state for a job's status; None where no one instance's state tells it (a fleet)."""
        return None

    def _refresh(self, job_id: str | None) -> str:
        raise NotImplementedError


class GpuInstanceStarter(CachedWake):
    def __init__(self, instance_id: str, ec2: Any = None, ttl_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(ttl_s, clock)
        self.instance_id = instance_id
        self._ec2 = ec2
        self.wake_requested = False
        self._seen: str | None = None
        self._seen_at = float("-inf")

    @property
    def ec2(self) -> Any:
        if self._ec2 is None:
            self._ec2 = aws_clients.client("ec2")
        return self._ec2

    def observed_state(self) -> str:
        """The instance's EC2 state as this process last saw it, at most `ttl_s` old (UNKNOWN after an EC2
        error). Starts nothing: a state read here never stands in for the submit path's own check."""
        now = self._clock()
        if self._state is not None and now - self._checked_at < self.ttl_s:
            return self._state
        if self._seen is not None and now - self._seen_at < self.ttl_s:
            return self._seen
        if not self._lock.acquire(blocking=False):
            return self._seen or self._state or UNKNOWN
        try:
            self._seen, self._seen_at = self._describe(), self._clock()
            return self._seen
        finally:
            self._lock.release()

    def _describe(self) -> str:
        try:
            self.describe_calls += 1
            reservations = self.ec2.describe_instances(InstanceIds=[self.instance_id])["Reservations"]
        except (ClientError, BotoCoreError) as exc:
            log.warning("gpu instance check failed", extra={"instance_id": self.instance_id,
                                                            "error": type(exc).__name__})
            return UNKNOWN
        instances = [i for r in reservations for i in r.get("Instances", [])]
        return str(instances[0]["State"]["Name"]) if instances else UNKNOWN

    def _refresh(self, job_id: str | None) -> str:
        extra = {"job_id": job_id, "instance_id": self.instance_id}
        try:
            self.describe_calls += 1
            reservations = self.ec2.describe_instances(InstanceIds=[self.instance_id])["Reservations"]
            instances = [i for r in reservations for i in r.get("Instances", [])]
            if not instances:
                log.error("gpu instance not found", extra=extra)
                return UNKNOWN
            state = instances[0]["State"]["Name"]
            if state == "stopped":
                self.start_calls += 1
                self.ec2.start_instances(InstanceIds=[self.instance_id])
                self.wake_requested = False
                log.info("gpu instance was stopped; start requested", extra=extra)
                return "pending"
            if state == "stopping":
                self.wake_requested = True
                log.warning("gpu instance is stopping; it must be started again once stopped", extra=extra)
            elif state in ("pending", "running"):
                self.wake_requested = False
            else:
                log.error("gpu instance cannot be started", extra={**extra, "state": state})
            return state
        except (ClientError, BotoCoreError) as exc:
            log.warning("gpu instance check failed; the job stays queued",
                        extra={**extra, "error": type(exc).__name__, "detail": str(exc)[:300]})
            return UNKNOWN


# What GpuFleetStarter believes: the group was at 0 and is now starting one instance, or it has capacity.
STARTING = "starting"
IN_SERVICE = "in_service"


class GpuFleetStarter(CachedWake):
    def __init__(self, group: str, autoscaling: Any = None, ttl_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(ttl_s, clock)
        self.group = group
        self._autoscaling = autoscaling

    @property
    def autoscaling(self) -> Any:
        if self._autoscaling is None:
            self._autoscaling = aws_clients.client("autoscaling")
        return self._autoscaling

    def _refresh(self, job_id: str | None) -> str:
        extra = {"job_id": job_id, "group": self.group}
        try:
            self.describe_calls += 1
            groups = self.autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[self.group])
            found = groups.get("AutoScalingGroups", [])
            if not found:
                log.error("gpu fleet group not found", extra=extra)
                return UNKNOWN
            if found[0]["DesiredCapacity"] > 0:
                return IN_SERVICE
            self.start_calls += 1
            self.autoscaling.set_desired_capacity(AutoScalingGroupName=self.group, DesiredCapacity=1,
                                                  HonorCooldown=False)
            log.info("gpu fleet was at zero; one instance requested", extra=extra)
            return STARTING
        except (ClientError, BotoCoreError) as exc:
            log.warning("gpu fleet check failed; the job stays queued",
                        extra={**extra, "error": type(exc).__name__, "detail": str(exc)[:300]})
            return UNKNOWN
