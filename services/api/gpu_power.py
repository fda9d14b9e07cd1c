"""Wake the stopped GPU instance when work arrives, cheaply enough for the submit path.

The instance state is cached per process for a few seconds, so a burst of submits costs one
DescribeInstances, and only one thread refreshes it while the others go on with the cached value.
`stopped` -> StartInstances; `pending`/`running` -> nothing; `stopping` cannot be started yet, so
the wake is recorded (log line and `wake_requested`) and the next refresh after the cache expires
starts it once it is `stopped`; the power Lambda also starts a stopped instance that has waiting
work. EC2 failures are logged and never fail a submit: the job is already queued.

A job's status shows the state too (`observed_state`): a read only, never a start, answered from the
last state this process knew when it is fresh, else from one DescribeInstances cached the same way, so
polling clients cost at most one call per TTL per process.

Without GPU_INSTANCE_ID (the multi-region mode) the API builds no starter and makes no EC2 call:
the job may run in any region, and each pool's power logic starts its own instance.
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


class GpuInstanceStarter:
    def __init__(self, instance_id: str, ec2: Any = None, ttl_s: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.instance_id = instance_id
        self.ttl_s = ttl_s
        self._ec2 = ec2
        self._clock = clock
        self._lock = threading.Lock()
        self._state: str | None = None
        self._checked_at = float("-inf")
        self.wake_requested = False
        self._seen: str | None = None
        self._seen_at = float("-inf")
        self.describe_calls = 0
        self.start_calls = 0

    @property
    def ec2(self) -> Any:
        if self._ec2 is None:
            self._ec2 = aws_clients.client("ec2")
        return self._ec2

    def ensure_starting(self, job_id: str | None = None) -> str | None:
        """Start the instance if it is stopped; returns the state this process believes it is in."""
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
