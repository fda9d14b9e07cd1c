"""Who is calling: the API key of a request (`Authorization: Bearer <key>` or `X-Api-Key`), its tenant.

Keys live in the key table (gpujobs.api_keys) as hashes. Reading the table on every request would
add a round trip to each of them, so each process keeps what it read for API_KEY_CACHE_S (default 5,
at most 10): a revoked key stops working within that time in every process, and a busy key costs one
GetItem per process per interval. Unknown key ids are remembered too (a client retrying a wrong key
costs no reads), in a bounded map so random keys cannot grow memory without end. A key that is not
shaped like one of ours is refused without any read.
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from flask import Request

from gpujobs.api_keys import ApiKey, KeyTable, key_id_of

# Most key ids remembered per process; past this, expired entries go, then everything.
MAX_CACHED_KEYS = 10_000


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of a request (flask.g.caller)."""

    key_id: str
    tenant: str
    rate_limit: float | None


def presented_key(request: Request) -> str | None:
    """The key a request carries, if any; `X-Api-Key` first, then a Bearer token."""
    key = request.headers.get("X-Api-Key", "").strip()
    auth = request.headers.get("Authorization", "")
    if not key and auth[:7].lower() == "bearer ":
        key = auth[7:].strip()
    return key or None


class KeyCache:
    """The key table read through a per-process cache with a TTL; thread-safe (gunicorn's gthread)."""

    def __init__(self, table: KeyTable, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.table = table
        self.ttl_s = ttl_s
        self.clock = clock
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, ApiKey | None]] = {}

    def lookup(self, key_id: str) -> ApiKey | None:
        now = self.clock()
        with self._lock:
            cached = self._entries.get(key_id)
        if cached is not None and now - cached[0] < self.ttl_s:
            return cached[1]
        record = self.table.get(key_id)  # outside the lock: one slow read never holds up other keys
        with self._lock:
            if len(self._entries) >= MAX_CACHED_KEYS:
                self._entries = {k: v for k, v in self._entries.items() if now - v[0] < self.ttl_s}
                if len(self._entries) >= MAX_CACHED_KEYS:
                    self._entries.clear()
            self._entries[key_id] = (now, record)
        return record

    def caller(self, key: str) -> Caller | None:
        """The caller `key` authenticates, or None (unknown, revoked or malformed)."""
        key_id = key_id_of(key)
        if key_id is None:
            return None
        record = self.lookup(key_id)
        if record is None or not record.matches(key):
            return None
        return Caller(record.key_id, record.tenant, record.rate_limit)
