"""One delivery against real receivers on loopback: signed, retried, bounded, never redirected."""

import time
from collections.abc import Callable

import pytest

from gpujobs.webhook_signature import new_secret, sign_headers
from services.webhook_lambda.delivery import Deliverer, Outcome
from tests.unit.webhook.receivers import Receiver

BODY = b'{"type":"job.completed","data":{"job_id":"j1"}}'


def _deliverer(**kwargs: object) -> Deliverer:
    options: dict[str, object] = {"allow_loopback": True, "attempts": 3, "timeout_s": 2.0, "backoff_s": 0.0,
                                  "sleep": lambda _s: None}
    options.update(kwargs)
    return Deliverer(**options)  # type: ignore[arg-type]


def _signer(secret: str) -> Callable[[], dict[str, str]]:
    return lambda: sign_headers([secret], "job_j1_completed", int(time.time()), BODY)


def test_a_receiver_that_checks_the_signature_takes_it(receiver: Callable[..., Receiver]) -> None:
    secret = new_secret()
    checking = receiver(secret=secret)
    outcome, attempt = _deliverer().deliver(checking.url, _signer(secret), BODY, time.monotonic() + 30)
    assert (outcome, attempt.status) == (Outcome.DELIVERED, 204)
    [(headers, body)] = checking.received
    assert body == BODY and headers["webhook-id"] == "job_j1_completed"
    assert headers["content-type"] == "application/json"


def test_a_wrong_secret_is_refused_by_the_receiver_and_not_retried(receiver: Callable[..., Receiver]) -> None:
    checking = receiver(secret=new_secret())
    outcome, attempt = _deliverer().deliver(checking.url, _signer(new_secret()), BODY, time.monotonic() + 30)
    assert (outcome, attempt.status, len(checking.received)) == (Outcome.REFUSED, 401, 1)


def test_a_receiver_answering_500_is_tried_attempts_times(receiver: Callable[..., Receiver]) -> None:
    failing = receiver(status=500)
    outcome, attempt = _deliverer(attempts=3).deliver(failing.url, _signer(new_secret()), BODY, time.monotonic() + 30)
    assert (outcome, attempt.status) == (Outcome.RETRY_LATER, 500)
    assert len(failing.received) == 3
    assert len({h["webhook-id"] for h, _ in failing.received}) == 1  # one id for every attempt


def test_a_receiver_that_does_not_answer_in_time_is_given_up_on(receiver: Callable[..., Receiver]) -> None:
    slow = receiver(stall=True)
    outcome, attempt = _deliverer(attempts=2, timeout_s=0.3).deliver(slow.url, _signer(new_secret()), BODY,
                                                                     time.monotonic() + 30)
    assert (outcome, attempt.status) == (Outcome.RETRY_LATER, None)
    assert attempt.error is not None and "timeout" in attempt.error.lower()
    assert len(slow.received) == 2


def test_a_redirect_is_not_followed(receiver: Callable[..., Receiver]) -> None:
    target = receiver()
    redirecting = receiver(status=307, location=target.url)
    outcome, attempt = _deliverer().deliver(redirecting.url, _signer(new_secret()), BODY, time.monotonic() + 30)
    assert (outcome, attempt.status) == (Outcome.REFUSED, 307)
    assert len(redirecting.received) == 1 and target.received == []


def test_no_attempt_starts_that_the_deadline_cannot_hold(receiver: Callable[..., Receiver]) -> None:
    failing = receiver(status=503)
    deliverer = _deliverer(attempts=5, timeout_s=5.0, backoff_s=1.0)
    outcome, _ = deliverer.deliver(failing.url, _signer(new_secret()), BODY, time.monotonic() + 3)
    assert outcome is Outcome.RETRY_LATER and len(failing.received) == 1


@pytest.mark.parametrize("allow_loopback", [False, True])
def test_the_address_is_checked_at_delivery(receiver: Callable[..., Receiver], allow_loopback: bool) -> None:
    local = receiver()
    outcome, _ = _deliverer(allow_loopback=allow_loopback).deliver(
        local.url, _signer(new_secret()), BODY, time.monotonic() + 30)
    assert outcome is (Outcome.DELIVERED if allow_loopback else Outcome.REFUSED)
    assert len(local.received) == (1 if allow_loopback else 0)


def test_a_name_that_now_points_inside_is_refused_without_a_request(receiver: Callable[..., Receiver]) -> None:
    inside = receiver()
    port = inside.server.server_address[1]
    deliverer = _deliverer(allow_loopback=False, resolver=lambda _host: ["127.0.0.1"])
    outcome, attempt = deliverer.deliver(f"https://hooks.example.com:{port}/in", _signer(new_secret()), BODY,
                                         time.monotonic() + 30)
    assert outcome is Outcome.REFUSED and "non-public" in (attempt.error or "")
    assert inside.received == []


def test_a_receiver_on_an_ipv6_address(receiver: Callable[..., Receiver]) -> None:
    secret = new_secret()
    local = receiver(host="::1", secret=secret)
    outcome, attempt = _deliverer().deliver(local.url, _signer(secret), BODY, time.monotonic() + 30)
    assert (outcome, attempt.status, len(local.received)) == (Outcome.DELIVERED, 204, 1)
