"""The stand-in's knobs: how long a job takes, how often it fails and how.

The results bucket (RESULTS_BUCKET, a resource name) stays in the Settings; __main__ hands it to the
ResultStore.

Tests make the service slow, flaky or down with these; everything has a default that suits `make up`.
"""

from dataclasses import asdict, dataclass
from typing import Any

from gpujobs.errors import ConfigError
from gpujobs.settings import Settings

FAILURE_MODES = ("job", "http")
"""`job`: a job is accepted and then ends `failed`; `http`: a request answers 503 instead."""


@dataclass(frozen=True)
class StandinConfig:
    """`latency_s` is spent before the image work (25-50 ms for 512x384), so a job takes a little longer."""

    latency_s: float = 2.0
    failure_rate: float = 0.0
    failure_mode: str = "job"
    seed: int = 0
    workers: int = 2
    max_image_bytes: int = 32 * 1024 * 1024
    fetch_timeout_s: float = 30.0

    def __post_init__(self) -> None:
        if self.latency_s < 0:
            raise ConfigError(f"latency {self.latency_s} s is negative")
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ConfigError(f"failure rate {self.failure_rate} is not between 0 and 1")
        if self.failure_mode not in FAILURE_MODES:
            raise ConfigError(f"failure mode {self.failure_mode!r} is not one of {', '.join(FAILURE_MODES)}")
        if self.workers < 1:
            raise ConfigError(f"workers {self.workers} must be at least 1")

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> "StandinConfig":
        """Read the STANDIN_* knobs from `settings`; overrides (the command line) win."""
        values: dict[str, Any] = {
            "latency_s": settings.number("STANDIN_LATENCY_S", cls.latency_s, minimum=0.0),
            "failure_rate": settings.number("STANDIN_FAILURE_RATE", cls.failure_rate, minimum=0.0, maximum=1.0),
            "failure_mode": settings.get("STANDIN_FAILURE_MODE") or cls.failure_mode,
            "seed": settings.integer("STANDIN_SEED", cls.seed, minimum=0),
            "workers": settings.integer("STANDIN_WORKERS", cls.workers, minimum=1, maximum=64),
            "max_image_bytes": settings.integer("STANDIN_MAX_IMAGE_BYTES", cls.max_image_bytes, minimum=1024),
            "fetch_timeout_s": settings.number("STANDIN_FETCH_TIMEOUT_S", cls.fetch_timeout_s, minimum=0.1),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def public(self) -> dict[str, Any]:
        return asdict(self)
