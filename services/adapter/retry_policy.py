"""Which faults are worth retrying, and how long to wait before the next try.

Waits use capped exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
and Jitter"), so many workers hitting the same throttled table spread out instead of retrying in
step. A transient fault that outlives the in-process budget is handed back to SQS: the message's
visibility is set from its receive count, and the queue's redrive limit ends it.
"""

import random
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError

T = TypeVar("T")

TRANSIENT_AWS_CODES = frozenset({
    "ThrottlingException", "Throttling", "ThrottledException", "RequestThrottled",
    "RequestLimitExceeded", "ProvisionedThroughputExceededException", "TooManyRequestsException",
    "InternalServerError", "InternalError", "InternalFailure", "ServiceUnavailable",
    "ServiceUnavailableException", "TransactionConflictException", "SlowDown",
})


def backoff_delay(attempt: int, base_s: float, cap_s: float, rng: random.Random | None = None) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)]; attempt counts from 0."""
    ceiling = min(cap_s, base_s * (2 ** min(attempt, 30)))
    return (rng or random).uniform(0, ceiling)


def redelivery_delay(receive_count: int, base_s: int = 30, cap_s: int = 900,
                     rng: random.Random | None = None) -> int:
    """Seconds to keep a message hidden after its job failed transiently for the n-th time.

    Doubles with each receive and keeps at least half of it (equal jitter), so a retry never comes
    back at once; capped below SQS's 12 h limit.
    """
    ceiling = min(cap_s, base_s * (2 ** max(0, min(receive_count - 1, 20))), 43200)
    return int(ceiling / 2 + (rng or random).uniform(0, ceiling / 2))


def is_transient_aws(exc: BaseException) -> bool:
    """Throttling, server errors and connection faults; never a rejected condition or bad request."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return error.get("Code") in TRANSIENT_AWS_CODES or status >= 500
    return isinstance(exc, BotoCoreError)


class GaveUp(RuntimeError):
    """A transient fault lasted longer than the retry budget; `cause` is the last one seen."""

    def __init__(self, what: str, cause: BaseException) -> None:
        super().__init__(f"{what}: {cause}")
        self.what = what
        self.cause = cause


class Abandoned(RuntimeError):
    """The worker is shutting down and asked running jobs to let go."""


class Retrier:
    """Calls a function until it succeeds, a fault is permanent, the budget ends or the worker quits."""

    def __init__(self, budget_s: float, abandon: threading.Event, *, base_s: float = 0.5,
                 cap_s: float = 20.0, rng: random.Random | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.budget_s = budget_s
        self.abandon = abandon
        self.base_s = base_s
        self.cap_s = cap_s
        self.rng = rng or random.Random()
        self.clock = clock

    def call(self, fn: Callable[[], T], is_transient: Callable[[BaseException], bool], what: str,
             deadline: float | None = None, on_retry: Callable[[BaseException, float], None] | None = None) -> T:
        """Run `fn`; retry transient faults until the budget (or `deadline`, monotonic) is spent."""
        start = self.clock()
        limit = start + self.budget_s if deadline is None else min(start + self.budget_s, deadline)
        attempt = 0
        while True:
            try:
                return fn()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                delay = backoff_delay(attempt, self.base_s, self.cap_s, self.rng)
                if self.clock() + delay > limit:
                    raise GaveUp(what, exc) from exc
                if on_retry:
                    on_retry(exc, delay)
                attempt += 1
                if self.abandon.wait(delay):
                    raise Abandoned(what) from exc
