"""The distributor's settings, read from the environment Terraform sets on the function.

Parsing is strict: a bad value stops the function on its first invocation with a message naming the
setting, instead of routing jobs with a half-understood configuration.
"""

import json
import os
import re
from dataclasses import dataclass

from gpujobs.env_values import env_float, env_int
from gpujobs.errors import ConfigError

_REGION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class DistributorConfig:
    region_queues: dict[str, str]
    """Region (or pool) name -> URL of its regional queue."""
    master_dlq_url: str
    """Where messages that can never be forwarded (invalid bodies) go at once, with the reason."""
    idempotency_table: str
    overload_threshold: int = 5000
    depth_cache_ttl_s: float = 60.0
    idempotency_ttl_s: int = 86400


def load_config() -> DistributorConfig:
    """Read REGION_QUEUES, MASTER_DLQ_URL, IDEMPOTENCY_TABLE and the optional tuning values; raise ConfigError."""
    return DistributorConfig(
        region_queues=parse_region_queues(_required("REGION_QUEUES")),
        master_dlq_url=_url("MASTER_DLQ_URL", _required("MASTER_DLQ_URL")),
        idempotency_table=_required("IDEMPOTENCY_TABLE"),
        overload_threshold=env_int("OVERLOAD_THRESHOLD", 5000, minimum=1),
        depth_cache_ttl_s=env_float("DEPTH_CACHE_TTL_S", 60.0, minimum=0.0, maximum=3600.0),
        idempotency_ttl_s=env_int("IDEMPOTENCY_TTL_S", 86400, minimum=60, maximum=31 * 86400),
    )


def parse_region_queues(raw: str) -> dict[str, str]:
    """REGION_QUEUES is a JSON object of region name -> queue URL, with at least one entry."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"REGION_QUEUES is not JSON: {exc}") from None
    if not isinstance(value, dict) or not value:
        raise ConfigError('REGION_QUEUES must be a non-empty JSON object like {"us-east-1": "https://sqs..."}')
    for region, url in value.items():
        if not _REGION_NAME.match(region):
            raise ConfigError(f"REGION_QUEUES: {region!r} is not a region name (letters, digits, '.', '_', '-')")
        if not isinstance(url, str):
            raise ConfigError(f"REGION_QUEUES[{region!r}] must be a queue URL string")
        _url(f"REGION_QUEUES[{region!r}]", url)
    return dict(value)


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set")
    return value


def _url(name: str, value: str) -> str:
    if not re.match(r"^https?://[^\s/]+/\S+$", value):
        raise ConfigError(f"{name}={value!r} is not a queue URL (http(s)://host/account/name)")
    return value
