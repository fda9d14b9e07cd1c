"""Retries have one home: retry a fault here, hand the message back to the queue, or let the queue dead-letter it.

`RetryPolicy` decides from numbers only (the attempt, the time spent, the receive count, a random
draw), so every rule is testable without a clock; the worker loop (a failed receive), the job runner
(AWS and Unified API faults, a task another worker holds, a job that outlived its retries) and the
message disposal all ask it. `Retrier` carries out its in-process answer.

Waits use capped exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff
and Jitter"), so many workers hitting the same throttled table spread out instead of retrying in
step. A transient fault that outlives the in-process budget is handed back to SQS: the message's
visibility grows with its receive count (equal jitter, so it never comes back at once), and on its
last allowed receive it is made visible at once, so the queue's redrive moves it to the dead-letter
queue without waiting, where the power run fails its task.
"""

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from botocore.exceptions import BotoCoreError, ClientError

T = TypeVar("T")

TRANSIENT_AWS_CODES = frozenset({
    "ThrottlingException", "Throttling", "ThrottledException", "RequestThrottled",
    "RequestLimitExceeded", "ProvisionedThroughputExceededException", "TooManyRequestsException",
    "InternalServerError", "InternalError", "InternalFailure", "ServiceUnavailable",
    "ServiceUnavailableException", "TransactionConflictException", "SlowDown",
})
# SQS keeps a message hidden for at most 12 hours.
MAX_VISIBILITY_S = 43200


def backoff_delay(attempt: int, base_s: float, cap_s: float, rng: random.Random) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**attempt)]; attempt counts from 0."""
    return rng.uniform(0, min(cap_s, base_s * (2 ** min(attempt, 30))))


def is_transient_aws(exc: BaseException) -> bool:
    """Throttling, server errors and connection faults; never a rejected condition or bad request."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return error.get("Code") in TRANSIENT_AWS_CODES or status >= 500
    return isinstance(exc, BotoCoreError)


@dataclass(frozen=True)
class RetryPolicy:
    """The worker's retry rules; `max_receives` is the task queue's redrive limit (None: it has none)."""

    budget_s: float = 300.0          # RETRY_BUDGET_S: how long one fault is retried in process
    base_s: float = 0.5
    cap_s: float = 20.0
    redelivery_base_s: int = 30      # REDELIVERY_BASE_S: the first hand-back's visibility (at most)
    redelivery_cap_s: int = 900
    max_receives: int | None = None

    def retry_delay(self, attempt: int, spent_s: float, left_s: float, rng: random.Random) -> float | None:
        """Seconds to wait before retrying a transient fault in process, or None to give up: the next
        try would start after the budget or after `left_s` (the time left before a deadline)."""
        delay = backoff_delay(attempt, self.base_s, self.cap_s, rng)
        return None if spent_s + delay > min(self.budget_s, left_s) else delay

    def receive_delay(self, failures: int, rng: random.Random) -> float:
        """How long the loop waits after `failures` receives in a row failed (there is no message to hand back)."""
        return backoff_delay(failures, 1.0, 30.0, rng)

    def hand_back_delay(self, receive_count: int, rng: random.Random) -> int:
        """Visibility of a message whose job outlived its retries on its `receive_count`-th receive:
        base * 2**(receives-1) capped, keeping at least half (equal jitter); 0 on the last receive the
        queue allows, so that its next receive dead-letters it at once."""
        if self.max_receives is not None and receive_count >= self.max_receives:
            return 0
        ceiling = min(self.redelivery_cap_s, self.redelivery_base_s * (2 ** max(0, min(receive_count - 1, 20))),
                      MAX_VISIBILITY_S)
        return int(ceiling / 2 + rng.uniform(0, ceiling / 2))

    def defer_delay(self, lease_left_s: int, rng: random.Random) -> int:
        """Visibility of a message whose task another worker holds: until just after its lease would
        lapse, with a second or two of jitter so duplicates do not come back together."""
        return max(1, min(MAX_VISIBILITY_S, lease_left_s + 1 + int(backoff_delay(1, 1, 2, rng))))


class GaveUp(RuntimeError):
    """A transient fault lasted longer than the retry budget; `cause` is the last one seen."""

    def __init__(self, what: str, cause: BaseException) -> None:
        super().__init__(f"{what}: {cause}")
        self.what = what
        self.cause = cause


class Abandoned(RuntimeError):
    """The worker is shutting down and asked running jobs to let go."""


class Retrier:
    """Calls a function until it succeeds, a fault is permanent, the policy gives up or the worker quits.

    `monotonic` and `wait` (seconds -> True if abandoned; by default `abandon.wait`) are injected, so
    tests run on a fake clock."""

    def __init__(self, policy: RetryPolicy, abandon: threading.Event, rng: random.Random, *,
                 monotonic: Callable[[], float] = time.monotonic,
                 wait: Callable[[float], bool] | None = None) -> None:
        self.policy = policy
        self.abandon = abandon
        self.rng = rng
        self.monotonic = monotonic
        self.wait = wait or abandon.wait

    def call(self, fn: Callable[[], T], is_transient: Callable[[BaseException], bool], what: str,
             deadline: float | None = None, on_retry: Callable[[BaseException, float], None] | None = None) -> T:
        """Run `fn`; retry transient faults as the policy says, never past `deadline` (monotonic)."""
        start = self.monotonic()
        attempt = 0
        while True:
            try:
                return fn()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                now = self.monotonic()
                left = float("inf") if deadline is None else deadline - start
                delay = self.policy.retry_delay(attempt, now - start, left, self.rng)
                if delay is None:
                    raise GaveUp(what, exc) from exc
                if on_retry:
                    on_retry(exc, delay)
                attempt += 1
                if self.wait(delay):
                    raise Abandoned(what) from exc
