"""The API's own knobs (limits, caches), parsed strictly from its Settings.

Resource names (queue, tables, instance) stay in the Settings; these are behaviour settings that have
safe defaults, so a bare environment runs the API.
"""

from dataclasses import dataclass

from gpujobs.settings import Settings

DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024
DEFAULT_INSTANCE_STATE_TTL_S = 5.0
# A revoked key must fail within 10 s: the key cache may hold an answer at most that long.
MAX_KEY_CACHE_S = 10.0


@dataclass(frozen=True)
class ApiConfig:
    """Behaviour settings of the API; tests build one directly."""

    max_content_length: int = DEFAULT_MAX_CONTENT_LENGTH
    instance_state_ttl_s: float = DEFAULT_INSTANCE_STATE_TTL_S
    task_retention_s: int = 30 * 24 * 3600
    key_cache_s: float = 5.0
    # Requests per second of a key without a limit of its own, and the burst allowed (seconds' worth).
    rate_limit: float = 10.0
    rate_burst_s: float = 2.0
    # Jobs of one tenant pending at once; the count is re-read at most every waiting_cache_s per process.
    max_waiting_jobs: int = 100
    waiting_cache_s: float = 2.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "ApiConfig":
        return cls(
            max_content_length=settings.integer("MAX_CONTENT_LENGTH", DEFAULT_MAX_CONTENT_LENGTH, minimum=1024),
            instance_state_ttl_s=settings.number(
                "GPU_STATE_CACHE_S", DEFAULT_INSTANCE_STATE_TTL_S, minimum=0.0, maximum=300.0
            ),
            task_retention_s=settings.integer("TASK_RETENTION_S", 30 * 24 * 3600, minimum=3600),
            key_cache_s=settings.number("API_KEY_CACHE_S", 5.0, minimum=0.0, maximum=MAX_KEY_CACHE_S),
            rate_limit=settings.number("API_RATE_LIMIT", 10.0, minimum=0.01),
            rate_burst_s=settings.number("API_RATE_BURST_S", 2.0, minimum=0.0, maximum=3600.0),
            max_waiting_jobs=settings.integer("API_MAX_WAITING_JOBS", 100, minimum=1),
            waiting_cache_s=settings.number("API_WAITING_CACHE_S", 2.0, minimum=0.0, maximum=60.0),
        )
