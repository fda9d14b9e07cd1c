"""Choosing a regional queue: weights inverse to depth, read at most once per cache window.

A queue's depth is its visible plus in-flight messages. The weight of a queue is 1 / (depth + 1), so an
empty queue is never infinitely preferred; a queue at or over the overload threshold, or whose depth
could not be read, gets no work. Depths are cached per Lambda instance (one snapshot of every queue, kept
for `ttl_s`), which keeps GetQueueAttributes calls to one per queue per window whatever the traffic.
The clock and the random source are injected so tests can check the cache and the distribution.
"""

import random
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

DEPTH_ATTRIBUTES = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]


class AllQueuesOverloaded(RuntimeError):
    """No regional queue can take work now; the message goes back to the master queue."""


def read_queue_depth(sqs: Any, queue_url: str) -> int:
    """Visible plus in-flight messages of one queue."""
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=DEPTH_ATTRIBUTES)["Attributes"]
    return sum(int(attributes.get(name, 0)) for name in DEPTH_ATTRIBUTES)


class QueueDepths:
    """A snapshot of every regional queue's depth, refreshed when older than `ttl_s`.

    A region whose depth cannot be read is recorded as None (unavailable) until the next refresh.
    """

    def __init__(self, regions: list[str], read_depth: Callable[[str], int], ttl_s: float,
                 clock: Callable[[], float], on_read_error: Callable[[str, Exception], None] | None = None) -> None:
        self._regions = list(regions)
        self._read_depth = read_depth
        self._ttl_s = ttl_s
        self._clock = clock
        self._on_read_error = on_read_error
        self._snapshot: dict[str, int | None] | None = None
        self._taken_at = 0.0

    def snapshot(self) -> Mapping[str, int | None]:
        now = self._clock()
        if self._snapshot is None or now - self._taken_at >= self._ttl_s:
            self._snapshot = {region: self._read(region) for region in self._regions}
            self._taken_at = now
        return self._snapshot

    def mark_unavailable(self, region: str) -> None:
        """A send to this region failed as a whole: give it no more work until the next refresh."""
        if self._snapshot is not None:
            self._snapshot[region] = None

    def _read(self, region: str) -> int | None:
        try:
            return self._read_depth(region)
        except (ClientError, BotoCoreError) as exc:
            if self._on_read_error is not None:
                self._on_read_error(region, exc)
            return None


class QueueSelector:
    """Picks a region per message; `priority="high"` takes the least loaded queue instead of a weighted draw."""

    def __init__(self, depths: QueueDepths, overload_threshold: int, rng: random.Random) -> None:
        self._depths = depths
        self._threshold = overload_threshold
        self._rng = rng

    def weights(self) -> dict[str, float]:
        """Normalised weights of the queues that can take work now (empty when none can)."""
        raw = {region: 1.0 / (depth + 1) for region, depth in self._eligible().items()}
        total = sum(raw.values())
        return {region: weight / total for region, weight in raw.items()}

    def _eligible(self) -> dict[str, int]:
        return {r: d for r, d in self._depths.snapshot().items() if d is not None and d < self._threshold}

    def choose(self, priority: str = "normal") -> str:
        eligible = self._eligible()
        if not eligible:
            raise AllQueuesOverloaded(f"every regional queue is at or over {self._threshold} messages or "
                                      f"unavailable: {dict(self._depths.snapshot())}")
        if priority == "high":
            lowest = min(eligible.values())
            return self._rng.choice(sorted(r for r, d in eligible.items() if d == lowest))
        weights = self.weights()
        regions = sorted(weights)
        return self._rng.choices(regions, weights=[weights[r] for r in regions], k=1)[0]
