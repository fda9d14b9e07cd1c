"""The retry policy's answers, and the retrier carrying them out on a fake clock."""

import random
import threading

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from services.adapter.retry_policy import Abandoned, GaveUp, Retrier, RetryPolicy, backoff_delay, is_transient_aws
from tests.doubles.fake_clock import FakeClock


def client_error(code, status=400):
    return ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
                       "UpdateItem")


def test_backoff_is_full_jitter_under_a_cap():
    rng = random.Random(1)
    for attempt in range(12):
        ceiling = min(10.0, 0.5 * 2**attempt)
        delays = [backoff_delay(attempt, 0.5, 10.0, rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # spreads over the whole range
    assert backoff_delay(10_000, 0.5, 10.0, rng) <= 10.0


def test_hand_back_grows_with_receives_and_keeps_half():
    policy, rng = RetryPolicy(redelivery_base_s=30), random.Random(2)
    for count, ceiling in [(1, 30), (2, 60), (3, 120), (6, 900), (50, 900)]:
        delays = [policy.hand_back_delay(count, rng) for _ in range(100)]
        assert all(ceiling // 2 <= d <= ceiling for d in delays), (count, min(delays), max(delays))


def test_on_the_last_receive_the_queue_dead_letters_at_once():
    policy, rng = RetryPolicy(max_receives=5), random.Random(3)
    assert policy.hand_back_delay(4, rng) > 0
    assert policy.hand_back_delay(5, rng) == 0
    assert RetryPolicy().hand_back_delay(50, rng) > 0  # no redrive limit: never


def test_in_process_retries_stop_at_the_budget_or_the_deadline():
    policy, rng = RetryPolicy(budget_s=10, base_s=1, cap_s=4), random.Random(4)
    assert policy.retry_delay(0, spent_s=0, left_s=float("inf"), rng=rng) is not None
    assert policy.retry_delay(3, spent_s=9.9, left_s=float("inf"), rng=random.Random(5)) is None
    assert policy.retry_delay(3, spent_s=1, left_s=1.0001, rng=random.Random(5)) is None


def test_a_held_task_is_looked_at_again_just_after_its_lease():
    policy = RetryPolicy()
    delays = {policy.defer_delay(100, random.Random(seed)) for seed in range(50)}
    assert delays <= {101, 102, 103} and len(delays) > 1
    assert policy.defer_delay(-50, random.Random(1)) == 1
    assert policy.defer_delay(10**9, random.Random(1)) == 43200


def test_transient_aws_faults():
    assert is_transient_aws(client_error("ProvisionedThroughputExceededException"))
    assert is_transient_aws(client_error("ThrottlingException"))
    assert is_transient_aws(client_error("Whatever", status=503))
    assert is_transient_aws(EndpointConnectionError(endpoint_url="http://x"))
    assert not is_transient_aws(client_error("ConditionalCheckFailedException"))
    assert not is_transient_aws(client_error("ValidationException"))
    assert not is_transient_aws(ValueError("x"))


def retrier(clock: FakeClock, budget_s: float = 5) -> Retrier:
    return Retrier(RetryPolicy(budget_s=budget_s, base_s=0.5, cap_s=2), clock.abandon, random.Random(6),
                   monotonic=clock.monotonic, wait=clock.wait)


def test_retrier_retries_transient_faults_until_success():
    clock, calls = FakeClock(), []

    def flaky():
        calls.append(clock.now)
        if len(calls) < 3:
            raise client_error("ThrottlingException")
        return "ok"

    assert retrier(clock).call(flaky, is_transient_aws, "flaky") == "ok"
    assert len(calls) == 3 and len(clock.waited) == 2


def test_retrier_raises_permanent_faults_at_once():
    clock, calls = FakeClock(), []

    def broken():
        calls.append(1)
        raise client_error("ValidationException")

    with pytest.raises(ClientError):
        retrier(clock).call(broken, is_transient_aws, "broken")
    assert len(calls) == 1 and clock.waited == []


def test_retrier_gives_up_after_its_budget():
    clock = FakeClock()

    def down():
        raise client_error("ServiceUnavailable", 503)

    with pytest.raises(GaveUp) as info:
        retrier(clock, budget_s=30).call(down, is_transient_aws, "read")
    assert info.value.what == "read" and "ServiceUnavailable" in str(info.value.cause)
    assert 0 < sum(clock.waited) <= 30


def test_retrier_lets_go_when_abandoned():
    clock = FakeClock(abandon=threading.Event())
    clock.abandon.set()

    def down():
        raise client_error("ServiceUnavailable", 503)

    with pytest.raises(Abandoned):
        retrier(clock, budget_s=60).call(down, is_transient_aws, "read")
