"""The API's limits on a caller: requests per second per key, and jobs waiting at once per tenant.

Both are kept in each process, so neither adds a round trip to a request, and both are therefore
per process: with N gunicorn workers (or N warm Lambda containers) a key may reach N times its rate
in the worst case, and the gateway's stage throttle stays the outer bound. The waiting count is a
count of the tenant's pending jobs on the sparse waiting index (it holds only pending rows, so the
count reads at most `cap` index keys), read at most every API_WAITING_CACHE_S per tenant and process,
by one request while the others go on with the count they have, and raised by each submit of this
process in between; it can run over the cap by the submits other processes accept within one
interval. A count the table does not answer raises: the submit answers 503 at once.
"""

import math
import threading
import time
from collections.abc import Callable

from flask import Request, g

from gpujobs.task_store import TaskStore


class KeyRateLimiter:
    """A token bucket per key: `rate` requests per second (the key's own, else `default_rate`), bursts of
    `burst_s` seconds' worth. Called with the request (the app's RateLimiter hook); answers None to let it
    through or the seconds to wait."""

    def __init__(self, default_rate: float, burst_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.default_rate = default_rate
        self.burst_s = burst_s
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[str, tuple[float, float]] = {}  # key id -> (tokens, when)

    def __call__(self, request: Request) -> float | None:
        caller = g.get("caller")
        if caller is None:
            return None
        rate = caller.rate_limit or self.default_rate
        capacity = max(1.0, rate * self.burst_s)
        now = self.clock()
        with self._lock:
            tokens, then = self._buckets.get(caller.key_id, (capacity, now))
            tokens = min(capacity, tokens + (now - then) * rate)
            if tokens >= 1.0:
                self._buckets[caller.key_id] = (tokens - 1.0, now)
                return None
            self._buckets[caller.key_id] = (tokens, now)
        return max(1.0, math.ceil((1.0 - tokens) / rate))


class WaitingCap:
    """At most `cap` of a tenant's jobs pending at once (approximately: see the module's note)."""

    def __init__(self, store: TaskStore, cap: int, ttl_s: float, retry_after_s: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.cap = cap
        self.ttl_s = ttl_s
        self.retry_after_s = retry_after_s
        self.clock = clock
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[float, int]] = {}  # tenant -> (when read, count since)
        self._reading: set[str] = set()  # tenants whose count a request is reading now

    def retry_after(self, tenant: str) -> int | None:
        """None when the tenant may queue one more job, else the seconds to wait."""
        now = self.clock()
        with self._lock:
            cached = self._counts.get(tenant)
            stale = cached is None or now - cached[0] >= self.ttl_s
            # One request reads; the others keep to the count they have (there is none only at first).
            read = stale and (tenant not in self._reading or cached is None)
            if read:
                self._reading.add(tenant)
        if read:
            # A table that does not answer raises here: the submit answers 503 now, rather than spend a
            # second deadline on its own write to the same table.
            try:
                cached = (now, self.store.count_waiting(tenant, at_most=self.cap))
            finally:
                with self._lock:
                    self._reading.discard(tenant)
            with self._lock:
                self._counts[tenant] = cached
        assert cached is not None
        return self.retry_after_s if cached[1] >= self.cap else None

    def submitted(self, tenant: str) -> None:
        """One more of the tenant's jobs waits (counted here until the next read)."""
        with self._lock:
            if tenant in self._counts:
                when, count = self._counts[tenant]
                self._counts[tenant] = (when, count + 1)
