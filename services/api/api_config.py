"""The API's own knobs (limits, caches, optional keys), parsed strictly from the environment.

Resource names (queue, table, instance) come from gpujobs.settings; these are behaviour settings
that have safe defaults, so a bare environment runs the API as designed.
"""

import os
from dataclasses import dataclass, field

from gpujobs.env_values import env_float, env_int

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
    def from_env(cls) -> "ApiConfig":
        keys = os.environ.get("API_KEYS", "")
        return cls(
            max_content_length=env_int("MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH, minimum=1024),
            instance_state_ttl_s=env_float(
                "GPU_STATE_CACHE_S", DEFAULT_INSTANCE_STATE_TTL_S, minimum=0.0, maximum=300.0
            ),
            api_keys=frozenset(k.strip() for k in keys.split(",") if k.strip()),
            task_retention_s=env_int("TASK_RETENTION_S", 30 * 24 * 3600, minimum=3600),
        )
