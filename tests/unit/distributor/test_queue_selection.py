"""Queue choice without AWS: inverse-depth weights, overload, priority, and the depth cache's window."""

import random
from collections import Counter

import pytest
from botocore.exceptions import ClientError

from services.distributor_lambda.queue_selection import AllQueuesOverloaded, QueueDepths, QueueSelector


class DepthReader:
    def __init__(self, depths: dict[str, int]) -> None:
        self.depths = dict(depths)
        self.reads: list[str] = []

    def __call__(self, region: str) -> int:
        self.reads.append(region)
        depth = self.depths[region]
        if depth < 0:
            raise ClientError({"Error": {"Code": "AWS.SimpleQueueService.NonExistentQueue"}}, "GetQueueAttributes")
        return depth


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def selector(depths: dict[str, int], threshold: int = 5000, seed: int = 1) -> tuple[QueueSelector, DepthReader,
                                                                                     Clock, QueueDepths]:
    reader, clock = DepthReader(depths), Clock()
    cache = QueueDepths(sorted(depths), reader, 60.0, clock)
    return QueueSelector(cache, threshold, random.Random(seed)), reader, clock, cache


def test_weights_are_inverse_to_depth_plus_one():
    chosen, _, _, _ = selector({"a": 0, "b": 1, "c": 3})
    assert chosen.weights() == pytest.approx({"a": 4 / 7, "b": 2 / 7, "c": 1 / 7})


def test_draws_follow_the_weights_chi_square():
    chosen, _, _, _ = selector({"a": 0, "b": 1, "c": 3, "d": 99}, seed=20251202)
    draws = 10_000
    counts = Counter(chosen.choose() for _ in range(draws))
    expected = {region: weight * draws for region, weight in chosen.weights().items()}
    chi_square = sum((counts[r] - e) ** 2 / e for r, e in expected.items())
    # 3 degrees of freedom: 16.27 is the 0.1 % critical value.
    assert chi_square < 16.27, (counts, expected)
    assert set(counts) == {"a", "b", "c", "d"}


def test_same_seed_same_choices():
    first, _, _, _ = selector({"a": 0, "b": 5, "c": 9}, seed=3)
    second, _, _, _ = selector({"a": 0, "b": 5, "c": 9}, seed=3)
    assert [first.choose() for _ in range(50)] == [second.choose() for _ in range(50)]


def test_queue_at_threshold_gets_nothing():
    chosen, _, _, _ = selector({"a": 4999, "b": 5000, "c": 7000})
    assert {chosen.choose() for _ in range(500)} == {"a"}
    assert chosen.weights() == {"a": 1.0}


def test_all_overloaded_raises():
    chosen, _, _, _ = selector({"a": 5000, "b": 6000})
    with pytest.raises(AllQueuesOverloaded):
        chosen.choose()
    with pytest.raises(AllQueuesOverloaded):
        chosen.choose("high")


def test_high_priority_takes_the_least_loaded_queue():
    chosen, _, _, _ = selector({"a": 40, "b": 2, "c": 9})
    assert {chosen.choose("high") for _ in range(100)} == {"b"}


def test_high_priority_spreads_over_equally_loaded_queues():
    chosen, _, _, _ = selector({"a": 0, "b": 0, "c": 9})
    assert {chosen.choose("high") for _ in range(100)} == {"a", "b"}


def test_depths_are_read_once_per_window_and_refreshed_after():
    chosen, reader, clock, _ = selector({"a": 0, "b": 0})
    for _ in range(100):
        chosen.choose()
    assert sorted(reader.reads) == ["a", "b"]
    clock.now = 59.9
    chosen.choose()
    assert len(reader.reads) == 2
    reader.depths["a"] = 6000
    clock.now = 60.0
    assert {chosen.choose() for _ in range(50)} == {"b"}
    assert len(reader.reads) == 4


def test_unreadable_queue_is_skipped_until_the_next_refresh():
    chosen, reader, clock, _ = selector({"a": -1, "b": 3})
    assert {chosen.choose() for _ in range(50)} == {"b"}
    reader.depths["a"] = 0
    clock.now = 61
    assert "a" in {chosen.choose() for _ in range(50)}


def test_region_marked_unavailable_gets_no_more_work_in_the_window():
    chosen, _, clock, cache = selector({"a": 0, "b": 0})
    chosen.choose()
    cache.mark_unavailable("a")
    assert {chosen.choose() for _ in range(50)} == {"b"}
    clock.now = 60
    assert "a" in {chosen.choose() for _ in range(50)}
