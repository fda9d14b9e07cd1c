"""One cached factory for boto3 clients.

boto3 takes the endpoint from the standard AWS_ENDPOINT_URL, so the same code talks to moto,
LocalStack or AWS. Clients are built lazily (module import stays cheap) and shared, since boto3
clients are thread-safe once made but their construction is not.

The task table may live in another region than the service using it (a GPU pool in us-west-2
sharing the home region's table), so every client for that table comes from `task_table_client`.
"""

import os
import threading
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from gpujobs.settings import Settings

_lock = threading.Lock()


@cache
def _session() -> boto3.session.Session:
    return boto3.session.Session()


@cache
def _client(service: str, region: str | None, endpoint: str | None, max_pool: int) -> Any:
    config = Config(
        retries={"mode": "standard", "max_attempts": 4},
        max_pool_connections=max_pool,
        connect_timeout=5,
        read_timeout=30,
        # Emulators on loopback have no per-bucket DNS names.
        s3={"addressing_style": "path"} if endpoint else None,
    )
    with _lock:
        return _session().client(service, region_name=region, config=config)


def client(service: str, region: str | None = None, *, max_pool: int = 32) -> Any:
    """A shared client for `service`; cached per region and endpoint, so tests can switch both."""
    return _client(service, region, os.environ.get("AWS_ENDPOINT_URL"), max_pool)


def task_table_client(settings: Settings, *, max_pool: int = 32) -> Any:
    """The DynamoDB client for the task table: in DYNAMODB_REGION when set, else in the service's own region."""
    return client("dynamodb", settings.table_region or settings.aws_region, max_pool=max_pool)


def reset_clients() -> None:
    """Forget cached clients (tests that change credentials or endpoints call this)."""
    _client.cache_clear()
    _session.cache_clear()
