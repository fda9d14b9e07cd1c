"""The power logic's configuration from the environment (strict: nonsense fails at start)."""

import os
from dataclasses import dataclass

from gpujobs.env_values import env_bool, env_int
from gpujobs.errors import ConfigError
from gpujobs.power_policy import GPU_TAG_KEY, GPU_TAG_VALUE, PowerConfig
from gpujobs.settings import load_settings


@dataclass(frozen=True)
class PowerSettings:
    instance_id: str
    queue_url: str
    table_name: str
    policy: PowerConfig
    dry_run: bool
    aws_region: str | None = None
    table_region: str | None = None  # the task table's region, when not this pool's own
    pool: str | None = None  # count only this pool's tasks and activity (multi-region mode)


def load_power_settings(idle_minutes_default: int = 30) -> PowerSettings:
    """GPU_INSTANCE_ID, SQS_QUEUE_URL, DYNAMODB_TABLE, and for a pool of the multi-region mode GPU_POOL
    and DYNAMODB_REGION (or the Terraform outputs file), IDLE_MINUTES,
    JOB_TIMEOUT_MINUTES (rule B; the worker's JOB_TIMEOUT_S default is 30 min too), DRY_RUN, and
    GPU_TAG_KEY/GPU_TAG_VALUE (default Purpose=GPU-ComfyUI, the tag the IAM conditions use)."""
    settings = load_settings(require=["gpu_instance_id", "queue_url", "table_name"])
    tag_key = os.environ.get("GPU_TAG_KEY") or GPU_TAG_KEY
    tag_value = os.environ.get("GPU_TAG_VALUE") or GPU_TAG_VALUE
    if not tag_key.strip() or not tag_value.strip():
        raise ConfigError("GPU_TAG_KEY and GPU_TAG_VALUE must not be blank")
    policy = PowerConfig(
        tag_key=tag_key,
        tag_value=tag_value,
        idle_window_s=60 * env_int("IDLE_MINUTES", idle_minutes_default, minimum=1, maximum=24 * 60),
        job_timeout_s=60 * env_int("JOB_TIMEOUT_MINUTES", 30, minimum=1, maximum=7 * 24 * 60),
    )
    return PowerSettings(
        instance_id=settings.gpu_instance_id or "",
        queue_url=settings.queue_url or "",
        table_name=settings.table_name or "",
        policy=policy,
        dry_run=env_bool("DRY_RUN", False),
        aws_region=settings.aws_region,
        table_region=settings.table_region,
        pool=settings.pool,
    )
