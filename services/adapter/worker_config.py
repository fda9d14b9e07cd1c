"""The worker's settings, read once at start; anything missing or malformed stops it at once."""

import os
import socket
from dataclasses import dataclass

from gpujobs.env_values import env_float, env_int
from gpujobs.errors import ConfigError
from gpujobs.settings import load_settings

# The task lease ends this long before the message would come back, so a worker that receives a
# message after its previous holder died finds the lease already lapsed.
LEASE_MARGIN_S = 2


@dataclass(frozen=True)
class WorkerConfig:
    queue_url: str
    table_name: str
    dlq_url: str | None = None
    aws_region: str | None = None
    # DYNAMODB_REGION: the task table's region when it is not the worker's (a pool sharing the home table).
    table_region: str | None = None
    # GPU_POOL: recorded on each task this worker claims, and names its last-activity row.
    pool: str | None = None
    api_url: str = "http://127.0.0.1:8000"
    concurrency: int = 1
    wait_time_s: int = 20
    visibility_timeout_s: int = 300
    heartbeat_interval_s: float = 60.0
    poll_interval_s: float = 1.0
    max_poll_interval_s: float = 5.0
    job_timeout_s: float = 1800.0
    shutdown_grace_s: float = 30.0
    retry_budget_s: float = 300.0
    max_resubmits: int = 3
    dlq_sweep_interval_s: float = 60.0
    redelivery_base_s: int = 30
    worker_id: str = "worker"

    @property
    def lease_s(self) -> int:
        return self.visibility_timeout_s - LEASE_MARGIN_S

    @classmethod
    def from_env(cls) -> "WorkerConfig":
        """Read the resource names through gpujobs.settings and the knobs from the environment."""
        settings = load_settings(require=("queue_url", "table_name"))
        visibility = env_int("VISIBILITY_TIMEOUT_S", 300, minimum=5, maximum=43200)
        heartbeat = env_float("HEARTBEAT_INTERVAL_S", max(1.0, visibility / 5), minimum=0.1)
        if heartbeat >= visibility - LEASE_MARGIN_S:
            raise ConfigError(
                f"HEARTBEAT_INTERVAL_S={heartbeat} must be below VISIBILITY_TIMEOUT_S - {LEASE_MARGIN_S}"
                f" ({visibility - LEASE_MARGIN_S}), or messages come back while their jobs run"
            )
        poll = env_float("POLL_INTERVAL_S", 1.0, minimum=0.01, maximum=60)
        api_url = os.environ.get("COMFYUI_API_URL", "http://127.0.0.1:8000").rstrip("/")
        if not api_url.startswith(("http://", "https://")):
            raise ConfigError(f"COMFYUI_API_URL={api_url!r} must be an http:// or https:// URL")
        return cls(
            queue_url=settings.queue_url or "",
            table_name=settings.table_name or "",
            dlq_url=settings.dlq_url,
            aws_region=settings.aws_region,
            table_region=settings.table_region,
            pool=settings.pool,
            api_url=api_url,
            concurrency=env_int("WORKER_CONCURRENCY", 1, minimum=1, maximum=64),
            wait_time_s=env_int("WAIT_TIME_S", 20, minimum=0, maximum=20),
            visibility_timeout_s=visibility,
            heartbeat_interval_s=heartbeat,
            poll_interval_s=poll,
            max_poll_interval_s=env_float("MAX_POLL_INTERVAL_S", max(poll, 5.0), minimum=poll),
            job_timeout_s=env_float("JOB_TIMEOUT_S", 1800, minimum=1),
            shutdown_grace_s=env_float("SHUTDOWN_GRACE_S", 30, minimum=0),
            retry_budget_s=env_float("RETRY_BUDGET_S", 300, minimum=0),
            max_resubmits=env_int("MAX_RESUBMITS", 3, minimum=0),
            dlq_sweep_interval_s=env_float("DLQ_SWEEP_INTERVAL_S", 60, minimum=1),
            redelivery_base_s=env_int("REDELIVERY_BASE_S", 30, minimum=1, maximum=3600),
            worker_id=os.environ.get("WORKER_ID") or f"{socket.gethostname()}-{os.getpid()}",
        )
