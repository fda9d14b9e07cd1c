"""The worker's knobs, read once at start from its Settings; anything malformed stops it at once.

Resource names (queue, table, pool) stay in the Settings; the worker reads them from there.
"""

import logging
from dataclasses import dataclass

from gpujobs.errors import ConfigError
from gpujobs.settings import Settings
from services.adapter import instance_identity

# The task lease ends this long before the message would come back, so a worker that receives a
# message after its previous holder died finds the lease already lapsed.
LEASE_MARGIN_S = 2
REQUIRED = ("SQS_QUEUE_URL", "DYNAMODB_TABLE")
# The Unified API's own cap on `?wait=` of a status read.
MAX_STATUS_WAIT_S = 20
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    api_url: str = "http://127.0.0.1:8000"
    concurrency: int = 1
    wait_time_s: int = 20
    visibility_timeout_s: int = 300
    heartbeat_interval_s: float = 60.0
    poll_interval_s: float = 1.0
    max_poll_interval_s: float = 5.0
    status_wait_s: float = 10.0
    job_timeout_s: float = 1800.0
    shutdown_grace_s: float = 30.0
    retry_budget_s: float = 300.0
    max_resubmits: int = 3
    redelivery_base_s: int = 30
    worker_id: str = "worker"

    @property
    def lease_s(self) -> int:
        return self.visibility_timeout_s - LEASE_MARGIN_S

    @classmethod
    def from_settings(cls, settings: Settings) -> "WorkerConfig":
        settings.require(*REQUIRED)
        visibility = settings.integer("VISIBILITY_TIMEOUT_S", 300, minimum=5, maximum=43200)
        heartbeat = settings.number("HEARTBEAT_INTERVAL_S", max(1.0, visibility / 5), minimum=0.1)
        if heartbeat >= visibility - LEASE_MARGIN_S:
            raise ConfigError(
                f"HEARTBEAT_INTERVAL_S={heartbeat} must be below VISIBILITY_TIMEOUT_S - {LEASE_MARGIN_S}"
                f" ({visibility - LEASE_MARGIN_S}), or messages come back while their jobs run"
            )
        poll = settings.number("POLL_INTERVAL_S", 1.0, minimum=0.01, maximum=60)
        return cls(
            api_url=unified_api_url(settings),
            concurrency=settings.integer("WORKER_CONCURRENCY", 1, minimum=1, maximum=64),
            wait_time_s=settings.integer("WAIT_TIME_S", 20, minimum=0, maximum=20),
            visibility_timeout_s=visibility,
            heartbeat_interval_s=heartbeat,
            poll_interval_s=poll,
            max_poll_interval_s=settings.number("MAX_POLL_INTERVAL_S", max(poll, 5.0), minimum=poll),
            status_wait_s=settings.number("STATUS_WAIT_S", 10.0, minimum=0.0, maximum=MAX_STATUS_WAIT_S),
            job_timeout_s=settings.number("JOB_TIMEOUT_S", 1800, minimum=1),
            shutdown_grace_s=settings.number("SHUTDOWN_GRACE_S", 30, minimum=0),
            retry_budget_s=settings.number("RETRY_BUDGET_S", 300, minimum=0),
            max_resubmits=settings.integer("MAX_RESUBMITS", 3, minimum=0),
            redelivery_base_s=settings.integer("REDELIVERY_BASE_S", 30, minimum=1, maximum=3600),
            worker_id=instance_identity.worker_id(settings.get("WORKER_ID")),
        )


def unified_api_url(settings: Settings) -> str:
    """UNIFIED_API_URL; the older name COMFYUI_API_URL is read for one release more, with a warning."""
    name = "UNIFIED_API_URL"
    raw = settings.get(name)
    if raw is None and settings.get("COMFYUI_API_URL") is not None:
        name, raw = "COMFYUI_API_URL", settings.get("COMFYUI_API_URL")
        log.warning("COMFYUI_API_URL is deprecated and will stop being read in the next release; "
                    "set UNIFIED_API_URL instead")
    url = (raw or WorkerConfig.api_url).rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise ConfigError(f"{name}={url!r} must be an http:// or https:// URL")
    return url
