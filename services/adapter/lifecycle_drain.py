"""Let a fleet's instance go as soon as its worker is done, instead of at the drain hook's timeout.

A scale-in (out of the group, or back into its warm pool) holds the instance in `Terminating:Wait` for
the lifecycle hook's timeout (`fleet.drain_seconds`) so its worker can finish or hand back its messages,
and the instance is billed all that time. So the worker watches where its instance is headed: the
instance metadata service's `autoscaling/target-lifecycle-state` on EC2 (no API call, no permission),
else the group's DescribeAutoScalingInstances (an emulated host names its instance in GPU_INSTANCE_ID).
When the instance is leaving, the worker takes no more work, lets its running jobs end or hands them
back (its shutdown), and then completes the hook with CONTINUE. A failed completion is only logged:
the hook's timeout ends the wait anyway, with the same result.
"""

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from gpujobs.settings import Settings
from services.adapter.instance_identity import instance_metadata

if TYPE_CHECKING:  # scale_in_protection reads the lifecycle state through this module
    from services.adapter.scale_in_protection import ScaleInProtection

log = logging.getLogger(__name__)

# Lifecycle states (and metadata target states) of an instance on its way out of service: terminating,
# into or in the warm pool, detaching or in standby. Pending and InService instances take work.
LEAVING_PREFIXES = ("Terminat", "Warmed", "Detach", "EnteringStandby", "Standby")
CHECK_INTERVAL_S = 5.0

StateSource = Callable[[], str | None]


def leaving(state: str | None) -> bool:
    """True for a lifecycle state on the way out; an unknown state (None) is not leaving."""
    return bool(state) and str(state).startswith(LEAVING_PREFIXES)


def group_lifecycle_state(autoscaling: Any, instance_id: str) -> StateSource:
    """The instance's LifecycleState in its group (DescribeAutoScalingInstances), None when unknown."""

    def read() -> str | None:
        try:
            found = autoscaling.describe_auto_scaling_instances(InstanceIds=[instance_id])
        except (ClientError, BotoCoreError) as exc:
            log.warning("cannot read the instance's lifecycle state: %s", exc, extra={"instance_id": instance_id})
            return None
        states = [i.get("LifecycleState") for i in found.get("AutoScalingInstances", [])]
        return states[0] if states else None

    return read


def metadata_target_state(timeout_s: float = 1.0) -> StateSource:
    """The target lifecycle state from IMDSv2 (`InService`, `Terminated`, `Warmed:Stopped`, ...), None when
    the metadata service does not answer."""

    def read() -> str | None:
        return instance_metadata("autoscaling/target-lifecycle-state", timeout_s)

    return read


class LifecycleDrain:
    """Whether this instance is leaving its group, and the hook's early completion once the worker is done."""

    def __init__(self, autoscaling: Any, group: str, instance_id: str, hook: str | None,
                 state: StateSource | None = None, interval_s: float = CHECK_INTERVAL_S) -> None:
        self.autoscaling = autoscaling
        self.group = group
        self.instance_id = instance_id
        self.hook = hook
        self.state = state or group_lifecycle_state(autoscaling, instance_id)
        self.interval_s = interval_s
        self.completed = False

    @classmethod
    def of(cls, settings: Settings, protection: "ScaleInProtection | None") -> "LifecycleDrain | None":
        """A fleet's drain (None for a single instance): the hook GPU_FLEET_DRAIN_HOOK, the state from the
        metadata service on EC2, from the group when GPU_INSTANCE_ID names an emulated instance."""
        if protection is None:
            return None
        state = None if settings.gpu_instance_id else metadata_target_state()
        return cls(protection.autoscaling, protection.group, protection.instance_id,
                   settings.get("GPU_FLEET_DRAIN_HOOK"), state)

    def is_leaving(self) -> bool:
        return leaving(self.state())

    def complete(self) -> bool:
        """CompleteLifecycleAction(CONTINUE) for the drain hook; False when there is no hook or it failed."""
        extra = {"instance_id": self.instance_id, "group": self.group, "hook": self.hook}
        if not self.hook:
            log.info("no GPU_FLEET_DRAIN_HOOK: the drain hook's timeout lets the instance go", extra=extra)
            return False
        try:
            self.autoscaling.complete_lifecycle_action(
                AutoScalingGroupName=self.group, LifecycleHookName=self.hook, InstanceId=self.instance_id,
                LifecycleActionResult="CONTINUE")
        except (ClientError, BotoCoreError) as exc:  # e.g. no hook pending: the timeout ends the wait
            log.warning("drain hook not completed: %s", exc, extra=extra)
            return False
        self.completed = True
        log.info("drain hook completed: the instance may go", extra=extra)
        return True
