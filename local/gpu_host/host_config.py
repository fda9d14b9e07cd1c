"""The host's knobs: boot delay, poll interval, and the children it runs in order, each with the URL
that says it is ready for the next one and how long it may take to stop.

The children are what the GPU instance runs: the ComfyUI double (none when COMFYUI_URL names a real
ComfyUI), the Unified API under gunicorn in front of it, and the worker. Their commands are
configurable so tests can supervise simple processes of their own. The host reads the instance's state
with its own identity (it plays EC2); the children sign with the instance role's, from the KEY=value
file LOCAL_GPU_ROLE_ENV_FILE names (what an instance profile hands the processes on a real instance).
"""

import json
import shlex
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gpujobs.errors import ConfigError
from gpujobs.settings import Settings
from local.role_users import read_env_file

# The instance profile's part of a child's environment: the access key it signs with.
ROLE_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")

# The double's sampler takes this long per step unless LOCAL_COMFYUI_KNOBS says otherwise, so a
# person running `make up` sees a job's progress move.
DEFAULT_KNOBS = '{"step_latency_s": 0.25}'


@dataclass(frozen=True)
class ChildSpec:
    name: str
    command: tuple[str, ...]
    stop_timeout_s: float
    """How long SIGTERM may take before SIGKILL; the worker's covers its own shutdown grace."""
    ready_url: str | None = None
    """Answers 200 once the child is ready; the next child starts then (or after the ready timeout)."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Set for this child on top of the host's environment."""


@dataclass(frozen=True)
class HostConfig:
    children: tuple[ChildSpec, ...]
    """In start order; stopping goes the other way (the worker first)."""
    boot_delay_s: float = 20.0
    poll_interval_s: float = 1.0
    ready_timeout_s: float = 20.0
    restart_delay_s: float = 2.0

    @classmethod
    def from_settings(cls, settings: Settings, boot_delay_s: float | None = None) -> "HostConfig":
        python = sys.executable
        unified_port = settings.integer("LOCAL_UNIFIED_API_PORT", 8000, minimum=1, maximum=65535)
        unified_url = f"http://127.0.0.1:{unified_port}"
        children: list[ChildSpec] = []
        comfyui_url = settings.get("COMFYUI_URL")
        role = _instance_role(settings)
        unified_env = {**role, "UNIFIED_API_BIND": f"127.0.0.1:{unified_port}"}
        if comfyui_url is None:
            port = settings.integer("LOCAL_COMFYUI_PORT", 8188, minimum=1, maximum=65535)
            folder = str(Path(settings.get("LOCAL_COMFYUI_DIR", ".run/comfyui") or "").resolve())
            knobs = settings.get("LOCAL_COMFYUI_KNOBS", DEFAULT_KNOBS) or DEFAULT_KNOBS
            try:
                json.loads(knobs)
            except ValueError as exc:
                raise ConfigError(f"LOCAL_COMFYUI_KNOBS={knobs!r} is not JSON: {exc}") from None
            comfyui_url = f"http://127.0.0.1:{port}"
            children.append(ChildSpec(
                "comfyui-double",
                _command(settings, "LOCAL_GPU_COMFYUI_CMD", [python, "-m", "local.comfyui_double", "--host",
                                                            "127.0.0.1", "--port", str(port), "--dir", folder,
                                                            "--knobs", knobs]),
                settings.number("LOCAL_GPU_COMFYUI_STOP_S", 10.0, minimum=0.1), f"{comfyui_url}/system_stats", role))
            unified_env["COMFYUI_DIR"] = folder  # the Unified API removes each job's files there
        unified_env["COMFYUI_URL"] = comfyui_url
        children.append(ChildSpec(
            "unified-api", _command(settings, "LOCAL_GPU_UNIFIED_CMD", [python, "-m", "services.unified_api"]),
            settings.number("LOCAL_GPU_UNIFIED_STOP_S", 25.0, minimum=0.1), f"{unified_url}/health", unified_env))
        # The worker stops within its SHUTDOWN_GRACE_S (default 30 s); allow a margin on top.
        worker_grace = settings.number("SHUTDOWN_GRACE_S", 30.0, minimum=0.0)
        worker_env = {**role, "UNIFIED_API_URL": settings.get("UNIFIED_API_URL", unified_url) or unified_url,
                      # Progress reaches the task row at each heartbeat: often enough to watch locally.
                      "HEARTBEAT_INTERVAL_S": settings.get("HEARTBEAT_INTERVAL_S", "2") or "2"}
        children.append(ChildSpec(
            "worker", _command(settings, "LOCAL_GPU_WORKER_CMD", [python, "-m", "services.adapter"]),
            settings.number("LOCAL_GPU_WORKER_STOP_S", worker_grace + 10.0, minimum=0.1), None, worker_env))
        return cls(
            children=tuple(children),
            boot_delay_s=boot_delay_s if boot_delay_s is not None else settings.number("BOOT_DELAY_S", 20.0,
                                                                                        minimum=0.0),
            poll_interval_s=settings.number("LOCAL_GPU_POLL_S", 1.0, minimum=0.05, maximum=60.0),
            ready_timeout_s=settings.number("LOCAL_GPU_READY_TIMEOUT_S", 20.0, minimum=0.0),
            restart_delay_s=settings.number("LOCAL_GPU_RESTART_DELAY_S", 2.0, minimum=0.0),
        )


def _instance_role(settings: Settings) -> dict[str, str]:
    path = settings.get("LOCAL_GPU_ROLE_ENV_FILE")
    if not path:
        return {}
    try:
        values = read_env_file(Path(path))
    except OSError as exc:
        raise ConfigError(f"LOCAL_GPU_ROLE_ENV_FILE={path!r} cannot be read: {exc}") from None
    role = {key: values[key] for key in ROLE_KEYS if key in values}
    if not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} <= role.keys():
        raise ConfigError(f"LOCAL_GPU_ROLE_ENV_FILE={path!r} lacks AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY")
    return role


def _command(settings: Settings, name: str, default: list[str]) -> tuple[str, ...]:
    raw = settings.get(name)
    if raw is None or not raw.strip():
        return tuple(default)
    try:
        parts = shlex.split(raw)
    except ValueError as exc:
        raise ConfigError(f"{name}={raw!r} is not a valid command line: {exc}") from None
    return tuple(parts)


# Emulated hosts `make up` runs side by side at most (GPU_HOSTS, or a fleet's maximum size); their ports
# are the first host's plus their index, so the two port ranges must not meet.
MAX_HOSTS = 16


def host_count(settings: Settings) -> int:
    """GPU_HOSTS (default 1), checked against the ports the hosts would take and a real ComfyUI."""
    count = settings.integer("GPU_HOSTS", 1, minimum=1, maximum=MAX_HOSTS)
    check_slots(count, settings, f"GPU_HOSTS={count}")
    return count


def check_slots(count: int, settings: Settings, what: str) -> None:
    """Refuse `count` hosts side by side (`what` names where the count came from) when their ports would
    collide or they would all drive one real ComfyUI."""
    if count > 1 and settings.get("COMFYUI_URL"):
        raise ConfigError(f"{what} runs one ComfyUI double per host; with COMFYUI_URL every host would "
                          "drive the same ComfyUI: run a single host")
    unified = settings.integer("LOCAL_UNIFIED_API_PORT", 8000, minimum=1, maximum=65535)
    comfyui = settings.integer("LOCAL_COMFYUI_PORT", 8188, minimum=1, maximum=65535)
    if max(unified, comfyui) + count > 65536 or abs(unified - comfyui) < count:
        raise ConfigError(f"{what}: the Unified API ports from {unified} and the ComfyUI ports from "
                          f"{comfyui} would collide; move LOCAL_UNIFIED_API_PORT or LOCAL_COMFYUI_PORT apart")


def slot_environment(index: int, settings: Settings) -> dict[str, str]:
    """The ports (the first host's plus `index`) and ComfyUI folder of the `index`-th host side by side;
    nothing for the first."""
    if index == 0:
        return {}
    unified = settings.integer("LOCAL_UNIFIED_API_PORT", 8000, minimum=1, maximum=65535)
    comfyui = settings.integer("LOCAL_COMFYUI_PORT", 8188, minimum=1, maximum=65535)
    folder = settings.get("LOCAL_COMFYUI_DIR", ".run/comfyui") or ".run/comfyui"
    return {"LOCAL_UNIFIED_API_PORT": str(unified + index), "LOCAL_COMFYUI_PORT": str(comfyui + index),
            "LOCAL_COMFYUI_DIR": f"{folder}-{index}"}


def host_environment(index: int, instance_id: str, settings: Settings) -> dict[str, str]:
    """What the `index`-th of several hosts following one instance changes (nothing for the first): its
    slot's ports and folder, and its worker id, so no two hosts collide."""
    if index == 0:
        return {}
    return {**slot_environment(index, settings), "WORKER_ID": f"{instance_id}-{index}"}
