"""Scale-in protection of this worker's own instance while it holds a job, when the pool is a fleet.

The power run lowers the group's desired capacity; Auto Scaling then picks unprotected instances to
stop, never a protected one. So the worker protects its instance as its first job starts and lifts
the protection when its last job ends. Between receiving a message and protecting, Auto Scaling may
already have picked the instance: when protecting fails and the instance is no longer `InService`,
the worker hands the message back at once instead of starting a job that would be cut off, and
takes no more (its instance is on its way out).

The instance is GPU_INSTANCE_ID when set (an emulated host), else the instance metadata service's.
"""

import logging
import threading
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gpujobs import aws_clients
from gpujobs.errors import ConfigError
from gpujobs.settings import Settings
from services.adapter.instance_identity import ec2_instance_id
from services.adapter.lifecycle_drain import group_lifecycle_state, leaving

log = logging.getLogger(__name__)

class ScaleInProtection:
    """Counts the jobs held; protects the instance on the first and lifts it after the last."""

    def __init__(self, autoscaling: Any, group: str, instance_id: str) -> None:
        self.autoscaling = autoscaling
        self.group = group
        self.instance_id = instance_id
        self._lock = threading.Lock()
        self._held = 0

    @classmethod
    def of(cls, settings: Settings,
           credentials: aws_clients.Credentials | None = None) -> "ScaleInProtection | None":
        """The protection for a fleet's worker (GPU_FLEET_GROUP set); None for a single instance."""
        group = settings.fleet_group
        if not group:
            return None
        instance_id = settings.get("GPU_INSTANCE_ID") or ec2_instance_id(timeout_s=2.0)
        if not instance_id:
            raise ConfigError("GPU_FLEET_GROUP is set but this host's instance id is unknown: no instance "
                              "metadata service answered and GPU_INSTANCE_ID is not set")
        return cls(aws_clients.client("autoscaling", settings.aws_region, credentials=credentials), group,
                   instance_id)

    def acquire(self) -> bool:
        """Before a job: protect the instance. False when it is already leaving the group (hand the job back)."""
        with self._lock:
            self._held += 1
            if self._held > 1:
                return True
            try:
                self._set(True)
                return True
            except (ClientError, BotoCoreError) as exc:
                leaving = self._leaving()
                log.warning("scale-in protection not set: %s", exc,
                            extra={"instance_id": self.instance_id, "leaving": leaving})
                if leaving:
                    self._held -= 1
                return not leaving

    def release(self) -> None:
        """After a job: lift the protection when no other job is held."""
        with self._lock:
            self._held = max(0, self._held - 1)
            if self._held:
                return
            try:
                self._set(False)
            except (ClientError, BotoCoreError) as exc:  # the next job's acquire sets it again
                log.warning("scale-in protection not lifted: %s", exc, extra={"instance_id": self.instance_id})

    def _set(self, protected: bool) -> None:
        self.autoscaling.set_instance_protection(AutoScalingGroupName=self.group, InstanceIds=[self.instance_id],
                                                 ProtectedFromScaleIn=protected)

    def _leaving(self) -> bool:
        # Unknown (None) is not leaving: run the job; the drain hook and the visibility timeout cover a stop.
        return leaving(group_lifecycle_state(self.autoscaling, self.instance_id)())
