"""The host's knobs: boot delay, poll interval, the child commands and how long each may take to stop.

The child commands are configurable so tests can supervise simple stand-in processes.
"""

import shlex
import sys
from dataclasses import dataclass

from gpujobs.errors import ConfigError
from gpujobs.settings import Settings


@dataclass(frozen=True)
class ChildSpec:
    name: str
    command: tuple[str, ...]
    stop_timeout_s: float
    """How long SIGTERM may take before SIGKILL; the worker's covers its own shutdown grace."""


@dataclass(frozen=True)
class HostConfig:
    standin: ChildSpec
    worker: ChildSpec
    standin_health_url: str | None
    boot_delay_s: float = 20.0
    poll_interval_s: float = 1.0
    ready_timeout_s: float = 20.0
    restart_delay_s: float = 2.0

    @property
    def children(self) -> tuple[ChildSpec, ChildSpec]:
        """In start order; stopping goes the other way (the worker first)."""
        return (self.standin, self.worker)

    @classmethod
    def from_settings(cls, settings: Settings, boot_delay_s: float | None = None) -> "HostConfig":
        port = settings.integer("LOCAL_GPU_STANDIN_PORT", 8000, minimum=1, maximum=65535)
        standin_cmd = _command(settings, "LOCAL_GPU_STANDIN_CMD",
                               [sys.executable, "-m", "local.comfyui_standin", "--host", "127.0.0.1",
                                "--port", str(port)])
        worker_cmd = _command(settings, "LOCAL_GPU_WORKER_CMD", [sys.executable, "-m", "services.adapter"])
        health = settings.values.get("LOCAL_GPU_STANDIN_HEALTH_URL", f"http://127.0.0.1:{port}/health")
        # The worker stops within its SHUTDOWN_GRACE_S (default 30 s); allow a margin on top.
        worker_grace = settings.number("SHUTDOWN_GRACE_S", 30.0, minimum=0.0)
        return cls(
            standin=ChildSpec("comfyui-standin", standin_cmd,
                              settings.number("LOCAL_GPU_STANDIN_STOP_S", 10.0, minimum=0.1)),
            worker=ChildSpec("worker", worker_cmd,
                             settings.number("LOCAL_GPU_WORKER_STOP_S", worker_grace + 10.0, minimum=0.1)),
            standin_health_url=health or None,
            boot_delay_s=boot_delay_s if boot_delay_s is not None else settings.number("BOOT_DELAY_S", 20.0,
                                                                                        minimum=0.0),
            poll_interval_s=settings.number("LOCAL_GPU_POLL_S", 1.0, minimum=0.05, maximum=60.0),
            ready_timeout_s=settings.number("LOCAL_GPU_READY_TIMEOUT_S", 20.0, minimum=0.0),
            restart_delay_s=settings.number("LOCAL_GPU_RESTART_DELAY_S", 2.0, minimum=0.0),
        )


def _command(settings: Settings, name: str, default: list[str]) -> tuple[str, ...]:
    raw = settings.get(name)
    if raw is None or not raw.strip():
        return tuple(default)
    try:
        parts = shlex.split(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a valid command line: {exc}") from None
    return tuple(parts)
