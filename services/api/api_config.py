"""The API's own knobs (limits, caches, optional keys), parsed strictly from its Settings.

Resource names (queue, table, instance) stay in the Settings; these are behaviour settings that have
safe defaults, so a bare environment runs the API.
"""

from dataclasses import dataclass, field

from gpujobs.settings import Settings

DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024
DEFAULT_INSTANCE_STATE_TTL_S = 5.0


@dataclass(frozen=True)
class ApiConfig:
    """Behaviour settings of the API; tests build one directly."""

    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH
    instance_state_ttl_s: float = DEFAULT_INSTANCE_STATE_TTL_S
    # Empty means no authentication (the default: the API sits behind API Gateway or a private network).
    api_keys: frozenset[str] = field(default_factory=frozenset)
    task_retention_s: int = 30 * 24 * 3600

    @classmethod
    def from_settings(cls, settings: Settings) -> "ApiConfig":
        keys = settings.get("API_KEYS", "") or ""
        return cls(
            max_content_length=settings.integer("MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH, minimum=1024),
            instance_state_ttl_s=settings.number(
                "GPU_STATE_CACHE_S", DEFAULT_INSTANCE_STATE_TTL_S, minimum=0.0, maximum=300.0
            ),
            api_keys=frozenset(k.strip() for k in keys.split(",") if k.strip()),
            task_retention_s=settings.integer("TASK_RETENTION_S", 30 * 24 * 3600, minimum=3600),
        )
