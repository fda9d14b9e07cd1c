"""Backoff math and the retry loop."""

import random
import threading

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from services.adapter.retry_policy import (
    Abandoned,
    GaveUp,
    Retrier,
    backoff_delay,
    is_transient_aws,
    redelivery_delay,
)


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


def test_redelivery_delay_grows_with_receives_and_keeps_half():
    rng = random.Random(2)
    for count, ceiling in [(1, 30), (2, 60), (3, 120), (6, 900), (50, 900)]:
        delays = [redelivery_delay(count, rng=rng) for _ in range(100)]
        assert all(ceiling // 2 <= d <= ceiling for d in delays), (count, min(delays), max(delays))


def test_transient_aws_faults():
    assert is_transient_aws(client_error("ProvisionedThroughputExceededException"))
    assert is_transient_aws(client_error("ThrottlingException"))
    assert is_transient_aws(client_error("Whatever", status=503))
    assert is_transient_aws(EndpointConnectionError(endpoint_url="http://x"))
    assert not is_transient_aws(client_error("ConditionalCheckFailedException"))
    assert not is_transient_aws(client_error("ValidationException"))
    assert not is_transient_aws(ValueError("x"))


def test_retrier_retries_transient_faults_until_success():
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise client_error("ThrottlingException")
        return "ok"

    retrier = Retrier(5, threading.Event(), base_s=0.001, cap_s=0.01)
    assert retrier.call(flaky, is_transient_aws, "flaky") == "ok"
    assert len(calls) == 3


def test_retrier_raises_permanent_faults_at_once():
    calls = []

    def broken():
        calls.append(1)
        raise client_error("ValidationException")

    with pytest.raises(ClientError):
        Retrier(5, threading.Event(), base_s=0.001).call(broken, is_transient_aws, "broken")
    assert len(calls) == 1


def test_retrier_gives_up_after_its_budget():
    def down():
        raise client_error("ServiceUnavailable", 503)

    with pytest.raises(GaveUp) as info:
        Retrier(0.05, threading.Event(), base_s=0.01, cap_s=0.02).call(down, is_transient_aws, "read")
    assert info.value.what == "read" and "ServiceUnavailable" in str(info.value.cause)


def test_retrier_lets_go_when_abandoned():
    abandon = threading.Event()
    abandon.set()

    def down():
        raise client_error("ServiceUnavailable", 503)

    with pytest.raises(Abandoned):
        Retrier(60, abandon, base_s=1, cap_s=1).call(down, is_transient_aws, "read")
