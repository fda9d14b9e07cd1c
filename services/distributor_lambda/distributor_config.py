"""The distributor's knobs, read from its Settings (the environment Terraform sets on the function).

Its resource names (REGION_QUEUES, MASTER_DLQ_URL, IDEMPOTENCY_TABLE) stay in the Settings. Parsing is
strict: a bad value stops the function on its first invocation with a message naming the setting,
instead of routing jobs with a half-understood configuration.
"""

from dataclasses import dataclass

from gpujobs.settings import Settings, queue_url

REQUIRED = ("REGION_QUEUES", "MASTER_DLQ_URL", "IDEMPOTENCY_TABLE")


@dataclass(frozen=True)
class DistributorConfig:
    overload_threshold: int = 5000
    depth_cache_ttl_s: float = 60.0
    idempotency_ttl_s: int = 86400

    @classmethod
    def from_settings(cls, settings: Settings) -> "DistributorConfig":
        """Check the resource names (a bad one raises ConfigError naming it) and read the tuning values."""
        settings.require(*REQUIRED)
        _ = settings.region_queues
        queue_url("MASTER_DLQ_URL", settings.master_dlq_url or "")
        return cls(
            overload_threshold=settings.integer("OVERLOAD_THRESHOLD", 5000, minimum=1),
            depth_cache_ttl_s=settings.number("DEPTH_CACHE_TTL_S", 60.0, minimum=0.0, maximum=3600.0),
            idempotency_ttl_s=settings.integer("IDEMPOTENCY_TTL_S", 86400, minimum=60, maximum=31 * 86400),
        )
