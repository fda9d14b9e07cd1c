"""One emulated GPU host per instance of the pool's Auto Scaling group, for `make up` with a fleet.

`make up` with the local environment's fleet (TF_VAR_fleet_max_size above 1) has no stand-in to follow:
the power run sets the group's desired capacity and moto launches or terminates instances. Every few
seconds the group is read (DescribeAutoScalingGroups); an instance that is InService or Pending gets a
host (`python -m local.gpu_host`, GPU_INSTANCE_ID and WORKER_ID its id) in the lowest free slot, whose
ports are the GPU_HOSTS scheme's for that index, and a host whose instance left the group gets SIGTERM
by PID (it stops its worker first). A slot is free again only once its host has exited, so a new host
never meets the old one's ports.
"""

import logging
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError

from gpujobs.settings import Settings
from local.gpu_host.host_config import slot_environment

log = logging.getLogger(__name__)

# Lifecycle states of an instance a host runs for; Terminating*, Warmed*, Detaching and Standby ones leave.
SERVING = frozenset({"Pending", "Pending:Wait", "Pending:Proceed", "InService"})

GroupReader = Callable[[], list[str] | None]
"""The group's serving instance ids, or None when the group cannot be read (keep what runs)."""


class HostProcess(Protocol):
    pid: int

    def poll(self) -> int | None: ...

    def send_signal(self, signum: int) -> None: ...


HostStarter = Callable[[int, str], HostProcess]
"""Starts the host of `instance_id` in slot `index`."""


def group_reader(autoscaling: Any, group: str) -> GroupReader:
    """Reads `group`'s serving instances; a failed read is logged once per outage."""
    failing = False

    def read() -> list[str] | None:
        nonlocal failing
        try:
            groups = autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[group])["AutoScalingGroups"]
        except (ClientError, BotoCoreError) as exc:
            if not failing:
                log.warning("cannot read the fleet's group", extra={"group": group, "reason": type(exc).__name__})
            failing = True
            return None
        failing = False
        members = groups[0]["Instances"] if groups else []
        return sorted(m["InstanceId"] for m in members if m["LifecycleState"] in SERVING)

    return read


def instance_environment(index: int, instance_id: str, settings: Settings) -> dict[str, str]:
    """What the host of one instance of the group sets: its slot's ports and folder, the instance's id."""
    return {**slot_environment(index, settings), "GPU_INSTANCE_ID": instance_id, "WORKER_ID": instance_id}


@dataclass
class Host:
    instance_id: str
    slot: int
    process: HostProcess
    stopping_since: float | None = None


@dataclass
class FleetHosts:
    read_group: GroupReader
    start_host: HostStarter
    slots: int
    stop_timeout_s: float = 45.0
    """SIGKILL a host still running this long after its SIGTERM (its worker's grace plus a margin)."""
    clock: Callable[[], float] = time.monotonic
    hosts: dict[str, Host] = field(default_factory=dict)
    _full_warned: bool = False

    def tick(self) -> list[str]:
        """Follow the group once; returns what changed, one line each, for a person watching."""
        now = self.clock()
        changes = self._reap(now)
        members = self.read_group()
        if members is None:
            return changes
        for host in self.hosts.values():
            if host.instance_id not in members and host.stopping_since is None:
                host.process.send_signal(signal.SIGTERM)
                host.stopping_since = now
                changes.append(f"instance {host.instance_id} left the group: stopping its host (pid "
                               f"{host.process.pid}, slot {host.slot})")
        for instance_id in members:
            if instance_id in self.hosts:
                continue
            slot = self._free_slot()
            if slot is None:
                if not self._full_warned:
                    changes.append(f"instance {instance_id} has no host: all {self.slots} slots are taken")
                self._full_warned = True
                continue
            self._full_warned = False
            host = Host(instance_id, slot, self.start_host(slot, instance_id))
            self.hosts[instance_id] = host
            changes.append(f"instance {instance_id} joined the group: host pid {host.process.pid} in slot {slot}")
        return changes

    def failed(self) -> list[str]:
        """Hosts that exited while their instance was still in the group."""
        return [f"gpu host of {h.instance_id} (exit {h.process.poll()})" for h in self.hosts.values()
                if h.stopping_since is None and h.process.poll() is not None]

    def processes(self) -> list[HostProcess]:
        """Every host still tracked, for the caller to stop (SIGTERM, bounded wait, SIGKILL) on exit."""
        return [host.process for host in self.hosts.values()]

    def _reap(self, now: float) -> list[str]:
        changes = []
        for instance_id, host in list(self.hosts.items()):
            if host.stopping_since is None:
                continue
            if host.process.poll() is not None:
                del self.hosts[instance_id]
                changes.append(f"host of {instance_id} stopped (exit {host.process.poll()}); slot {host.slot} free")
            elif now - host.stopping_since > self.stop_timeout_s:
                host.process.send_signal(signal.SIGKILL)
        return changes

    def _free_slot(self) -> int | None:
        taken = {host.slot for host in self.hosts.values()}
        return next((slot for slot in range(self.slots) if slot not in taken), None)

