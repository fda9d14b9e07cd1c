"""The power run's knobs from its Settings (strict: nonsense fails at start).

Resource names (instance, queues, table, pool) stay in the Settings; the run reads them from there.
"""

from dataclasses import dataclass

from gpujobs.errors import ConfigError
from gpujobs.power_policy import GPU_TAG_KEY, GPU_TAG_VALUE, PowerConfig
from gpujobs.settings import Settings

REQUIRED = ("GPU_INSTANCE_ID", "SQS_QUEUE_URL", "DYNAMODB_TABLE")


@dataclass(frozen=True)
class PowerRunConfig:
    policy: PowerConfig
    dry_run: bool = False

    @classmethod
    def from_settings(cls, settings: Settings, idle_minutes_default: int = 30) -> "PowerRunConfig":
        """IDLE_MINUTES, JOB_TIMEOUT_MINUTES (the worker's JOB_TIMEOUT_S is 30 min by default too), DRY_RUN,
        and GPU_TAG_KEY/GPU_TAG_VALUE (default Purpose=GPU-ComfyUI, the tag the IAM conditions use)."""
        settings.require(*REQUIRED)
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
        return cls(policy, settings.flag("DRY_RUN", False))
