"""One cached factory for boto3 clients.

boto3 takes the endpoint from the standard AWS_ENDPOINT_URL, so the same code talks to moto,
LocalStack or AWS. Clients are built lazily (module import stays cheap) and shared, since boto3
clients are thread-safe once made but their construction is not.

A client signs with boto3's default credential chain (the environment, the instance profile, the
Lambda role) unless it is given `Credentials`: that is how a test runs a service it builds in its
own process as that service's role, next to its own clients with other rights. The credentials are
part of the cache key, so two identities never share a client.

The task table may live in another region than the service using it (a GPU pool in us-west-2
sharing the home region's table), so every client for that table comes from `task_table_client`.
"""

import os
import threading
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from botocore.config import Config

from gpujobs.settings import Settings

_lock = threading.Lock()


@dataclass(frozen=True)
class Credentials:
    """An access key pair (with its session token, for temporary credentials) a client signs with."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def __repr__(self) -> str:  # never print the secret
        return f"Credentials(access_key_id={self.access_key_id!r})"


@cache
def _session(credentials: Credentials | None) -> boto3.session.Session:
    if credentials is None:
        return boto3.session.Session()
    return boto3.session.Session(aws_access_key_id=credentials.access_key_id,
                                 aws_secret_access_key=credentials.secret_access_key,
                                 aws_session_token=credentials.session_token)


@cache
def _client(service: str, region: str | None, endpoint: str | None, max_pool: int,
            credentials: Credentials | None) -> Any:
    config = Config(
        retries={"mode": "standard", "max_attempts": 4},
        max_pool_connections=max_pool,
        connect_timeout=5,
        read_timeout=30,
        # Emulators on loopback have no per-bucket DNS names.
        s3={"addressing_style": "path"} if endpoint else None,
    )
    with _lock:
        return _session(credentials).client(service, region_name=region, config=config)


def client(service: str, region: str | None = None, *, max_pool: int = 32,
           credentials: Credentials | None = None) -> Any:
    """A shared client for `service`; cached per region, endpoint and credentials (None: the default chain)."""
    return _client(service, region, os.environ.get("AWS_ENDPOINT_URL"), max_pool, credentials)


def task_table_client(settings: Settings, *, max_pool: int = 32, credentials: Credentials | None = None) -> Any:
    """The DynamoDB client for the task table: in DYNAMODB_REGION when set, else in the service's own region."""
    return client("dynamodb", settings.table_region or settings.aws_region, max_pool=max_pool,
                  credentials=credentials)


def reset_clients() -> None:
    """Forget cached clients (tests that change credentials or endpoints call this)."""
    _client.cache_clear()
    _session.cache_clear()
