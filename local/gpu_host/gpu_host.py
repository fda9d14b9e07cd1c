"""The loop: follow the instance's state and run the children only while it is `running`.

The children start in order, each once the one before answers its ready URL (the ComfyUI double its
/system_stats, the Unified API its /health, which says ComfyUI is ready), as systemd orders the units
on the instance; they stop in the reverse order, the worker first.

moto marks an instance `running` as soon as StartInstances returns; the boot delay stands for the
minutes a real g6e instance takes before its services are up, so what a person sees locally (a job
waiting for the GPU) matches the real system.
"""

import logging
import threading
import time
from collections.abc import Callable, Mapping

import requests
from botocore.exceptions import BotoCoreError, ClientError

from gpujobs import aws_clients
from local.gpu_host.child_process import Child
from local.gpu_host.host_config import HostConfig

log = logging.getLogger(__name__)

StateSource = Callable[[], str | None]


def ec2_instance_state(instance_id: str) -> StateSource:
    """A function returning the instance's state name, or None when the emulator cannot say."""

    failing = False

    def read() -> str | None:
        nonlocal failing
        try:
            reservations = aws_clients.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
        except (ClientError, BotoCoreError) as exc:
            if not failing:  # once per outage, not once per poll
                log.warning("cannot read the instance state", extra={"instance_id": instance_id,
                                                                     "reason": type(exc).__name__})
            failing = True
            return None
        failing = False
        instances = [i for r in reservations for i in r.get("Instances", [])]
        return instances[0]["State"]["Name"] if instances else None

    return read


class GpuHost:
    def __init__(self, config: HostConfig, instance_id: str, instance_state: StateSource, env: Mapping[str, str],
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.instance_id = instance_id
        self._instance_state = instance_state
        self._clock = clock
        self._stop = threading.Event()
        # The worker's id is the instance's, as on EC2 (its metadata service): stable across its restarts.
        self.children = [Child(spec, {"WORKER_ID": instance_id, **env, **spec.env}) for spec in config.children]
        self.state: str | None = None
        self.boot_began: float | None = None
        self.up = False

    def run(self) -> None:
        """Tick every poll interval until stop(); then stop the children."""
        log.info("watching the instance", extra={"event": "host_started", "instance_id": self.instance_id,
                                                 "boot_delay_s": self.config.boot_delay_s})
        try:
            while not self._stop.is_set():
                self.tick()
                self._stop.wait(self.config.poll_interval_s)
        finally:
            self.shut_down("host stopping")

    def stop(self) -> None:
        """Called from a signal handler: only sets the flag."""
        self._stop.set()

    def tick(self) -> None:
        state = self._instance_state()
        if state is None:
            return  # the emulator did not answer: keep things as they are
        if state != self.state:
            log.info("instance state changed", extra={"event": "instance_state", "instance_id": self.instance_id,
                                                      "from": self.state, "to": state})
            self.state = state
        if state != "running":
            self.boot_began = None
            if self.up:
                self.shut_down(f"instance {state}")
            return
        now = self._clock()
        if not self.up:
            if self.boot_began is None:
                self.boot_began = now
                log.info("instance booting", extra={"event": "booting", "boot_delay_s": self.config.boot_delay_s})
            if now - self.boot_began >= self.config.boot_delay_s:
                self.start_children()
            return
        self._restart_exited(now)

    def start_children(self) -> None:
        for child in self.children:
            child.start(self._clock())
            if child is not self.children[-1]:
                self._wait_until_ready(child)
        self.up = True
        log.info("GPU host up", extra={"event": "host_up", "pids": {c.spec.name: c.pid for c in self.children}})

    def shut_down(self, reason: str) -> list[str]:
        """Stop the worker first (it finishes or releases its jobs), then the others in reverse order."""
        if not any(c.process is not None for c in self.children):
            self.up = False
            return []
        log.info("stopping children", extra={"event": "host_stopping", "reason": reason})
        outcomes = [f"{child.spec.name}: {child.stop()}" for child in reversed(self.children)]
        for child in self.children:
            child.process = None
        self.up = False
        log.info("GPU host down", extra={"event": "host_down", "reason": reason, "outcomes": outcomes})
        return outcomes

    def _wait_until_ready(self, child: Child) -> None:
        """Give a child a bounded time to answer its ready URL, so the next one's first call finds it."""
        url = child.spec.ready_url
        if not url:
            return
        deadline = self._clock() + self.config.ready_timeout_s
        while not self._stop.is_set() and self._clock() < deadline and child.running():
            try:
                if requests.get(url, timeout=1.0).status_code == 200:
                    return
            except requests.RequestException:
                pass
            self._stop.wait(0.2)
        log.warning("a child is not ready; starting the next one anyway (it waits or retries)",
                    extra={"event": "child_not_ready", "child": child.spec.name, "url": url})

    def _restart_exited(self, now: float) -> None:
        """Like systemd's Restart=on-failure: a child that died while the instance runs comes back."""
        for child in self.children:
            code = child.exit_code()
            if code is None or child.started_at is None:
                continue
            if now - child.started_at < self.config.restart_delay_s:
                continue
            log.warning("child exited; restarting", extra={"event": "child_exited", "child": child.spec.name,
                                                           "exit_code": code})
            child.start(now)
