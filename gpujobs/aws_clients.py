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

Every client has deadlines (Deadlines): how long a connection and a response may take, and how many
attempts a call makes. Services in the background keep botocore's patient defaults (BACKGROUND); the
API's request path uses short ones (REQUEST_PATH), so a stalled or refusing dependency costs a submit
seconds and a 503, not the Lambda's whole time limit.
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

# botocore's standard retry mode waits up to 2**(n-1) s (random, capped at 20 s) before retry n.
_MAX_BACKOFF_S = 20.0


@dataclass(frozen=True)
class Deadlines:
    """How long one AWS call may take: `max_attempts` tries (botocore's standard retry mode), each
    connecting within `connect_s` and reading each response within `read_s`."""

    connect_s: float
    read_s: float
    max_attempts: int

    def worst_call_s(self) -> float:
        """The longest one call can take before it raises: every attempt times out at both steps, and
        every backoff between attempts is the longest standard mode draws."""
        return self.max_attempts * (self.connect_s + self.read_s) + self._backoffs_s()

    def stalled_call_s(self) -> float:
        """The longest one call can take against a dependency that accepts connections and never answers."""
        return self.max_attempts * self.read_s + self._backoffs_s()

    def _backoffs_s(self) -> float:
        return sum(min(2.0 ** (n - 1), _MAX_BACKOFF_S) for n in range(1, self.max_attempts))


BACKGROUND = Deadlines(connect_s=5.0, read_s=30.0, max_attempts=5)
# A stalled dependency (it accepts the connection and never answers) fails a call in at most
# 0.8 + 1 + 0.8 = 2.6 s: well inside the API's 3 s answer (docs/configuration.md has the arithmetic).
REQUEST_PATH = Deadlines(connect_s=0.5, read_s=0.8, max_attempts=2)


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
def _client(service: str, region: str | None, endpoint: str | None, max_pool: int, deadlines: Deadlines,
            credentials: Credentials | None) -> Any:
    config = Config(
        retries={"mode": "standard", "total_max_attempts": deadlines.max_attempts},
        max_pool_connections=max_pool,
        connect_timeout=deadlines.connect_s,
        read_timeout=deadlines.read_s,
        # Emulators on loopback have no per-bucket DNS names.
        s3={"addressing_style": "path"} if endpoint else None,
        # Presigned URLs (the API's result downloads and uploads) in SigV4, which every region accepts.
        signature_version="s3v4" if service == "s3" else None,
    )
    with _lock:
        return _session(credentials).client(service, region_name=region, config=config)


def client(service: str, region: str | None = None, *, max_pool: int = 32,
           deadlines: Deadlines = BACKGROUND, credentials: Credentials | None = None) -> Any:
    """A shared client for `service`; cached per region, endpoint, deadlines and credentials (None: the
    default chain), so tests can switch them."""
    return _client(service, region, os.environ.get("AWS_ENDPOINT_URL"), max_pool, deadlines, credentials)


def task_table_client(settings: Settings, *, max_pool: int = 32, deadlines: Deadlines = BACKGROUND,
                      credentials: Credentials | None = None) -> Any:
    """The DynamoDB client for the task table: in DYNAMODB_REGION when set, else in the service's own region."""
    return client("dynamodb", settings.table_region or settings.aws_region, max_pool=max_pool, deadlines=deadlines,
                  credentials=credentials)


def reset_clients() -> None:
    """Forget cached clients (tests that change credentials or endpoints call this)."""
    _client.cache_clear()
    _session.cache_clear()
