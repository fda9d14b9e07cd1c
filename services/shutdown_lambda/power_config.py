"""The power run's knobs from its Settings (strict: nonsense fails at start).

Resource names (instance, queues, table, pool) stay in the Settings; the run reads them from there.
"""

import re
from dataclasses import dataclass

from gpujobs.errors import ConfigError
from gpujobs.power_policy import GPU_TAG_KEY, GPU_TAG_VALUE, FleetConfig, PowerConfig
from gpujobs.settings import Settings

REQUIRED = ("SQS_QUEUE_URL", "DYNAMODB_TABLE")
_INSTANCE_TYPE = re.compile(r"^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\.[a-z0-9]+$")


@dataclass(frozen=True)
class PowerRunConfig:
    policy: PowerConfig
    dry_run: bool = False
    # The preferred instance type, then the fallbacks a start tries when AWS has no capacity; empty:
    # the instance keeps its own type.
    instance_types: tuple[str, ...] = ()
    # A fleet (GPU_FLEET_GROUP): its Auto Scaling group and size; None: the single GPU_INSTANCE_ID.
    fleet_group: str | None = None
    fleet: FleetConfig | None = None

    @classmethod
    def from_settings(cls, settings: Settings, idle_minutes_default: int = 30) -> "PowerRunConfig":
        """IDLE_MINUTES, JOB_TIMEOUT_MINUTES (the worker's JOB_TIMEOUT_S is 30 min by default too), DRY_RUN,
        GPU_TAG_KEY/GPU_TAG_VALUE (default Purpose=GPU-ComfyUI, the tag the IAM conditions use), and
        GPU_INSTANCE_TYPES (comma-separated, preferred first); GPU_FLEET_GROUP, GPU_FLEET_MAX_SIZE and
        GPU_JOBS_PER_INSTANCE for a fleet, else GPU_INSTANCE_ID."""
        fleet_group = settings.fleet_group
        settings.require(*REQUIRED, "GPU_FLEET_GROUP" if fleet_group else "GPU_INSTANCE_ID")
        tag_key = settings.get("GPU_TAG_KEY") or GPU_TAG_KEY
        tag_value = settings.get("GPU_TAG_VALUE") or GPU_TAG_VALUE
        if not tag_key.strip() or not tag_value.strip():
            raise ConfigError("GPU_TAG_KEY and GPU_TAG_VALUE must not be blank")
        policy = PowerConfig(
            tag_key=tag_key,
            tag_value=tag_value,
            idle_window_s=60 * settings.integer("IDLE_MINUTES", idle_minutes_default, minimum=1, maximum=24 * 60),
            job_timeout_s=60 * settings.integer("JOB_TIMEOUT_MINUTES", 30, minimum=1, maximum=7 * 24 * 60),
        )
        fleet = None if not fleet_group else FleetConfig(
            max_size=settings.integer("GPU_FLEET_MAX_SIZE", 1, minimum=1, maximum=100),
            jobs_per_instance=settings.integer("GPU_JOBS_PER_INSTANCE", 1, minimum=1, maximum=100),
        )
        return cls(policy, settings.flag("DRY_RUN", False), instance_types(settings.get("GPU_INSTANCE_TYPES")),
                   fleet_group, fleet)


def instance_types(raw: str | None) -> tuple[str, ...]:
    """GPU_INSTANCE_TYPES as a tuple of EC2 instance types, each once; ConfigError naming a bad one."""
    if raw is None:
        return ()
    types = tuple(t.strip() for t in raw.split(",") if t.strip())
    for instance_type in types:
        if not _INSTANCE_TYPE.match(instance_type):
            raise ConfigError(f"GPU_INSTANCE_TYPES: {instance_type!r} is not an EC2 instance type such as g6e.2xlarge")
    if len(set(types)) != len(types):
        raise ConfigError(f"GPU_INSTANCE_TYPES={raw!r} names a type twice")
    return types
