"""A batch of stream records through the handler: each receiver on its own, failures handed back or dropped."""

import io
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest

from gpujobs.job_metrics import JobCounter
from gpujobs.task_model import Task, TaskStatus
from gpujobs.task_store import serialize
from gpujobs.webhook_signature import new_secret
from services.webhook_lambda import handler
from services.webhook_lambda.delivery import Deliverer
from services.webhook_lambda.dispatch import WebhookDispatcher
from tests.doubles.lambda_context import LambdaContext
from tests.unit.webhook.receivers import Receiver

SECRET = new_secret()


class Secrets:
    def __init__(self, by_tenant: dict[str, list[str]]) -> None:
        self.by_tenant = by_tenant
        self.reads = 0

    def signing_secrets(self, tenant: str, now: float) -> list[str]:
        self.reads += 1
        return self.by_tenant.get(tenant, [])


def _record(sequence: int, old: Task | None, new: Task, at: float | None = None) -> dict[str, Any]:
    change: dict[str, Any] = {"SequenceNumber": str(sequence), "ApproximateCreationDateTime": at or time.time(),
                              "NewImage": serialize(new.to_item())}
    if old is not None:
        change["OldImage"] = serialize(old.to_item())
    return {"eventName": "MODIFY" if old else "INSERT", "dynamodb": change}


def _job(job_id: str, url: str, tenant: str = "acme") -> tuple[Task, Task]:
    processing = replace(Task.new(job_id, "/api/v1/camera-angle/jobs", {}, int(time.time()), tenant=tenant,
                                  webhook=url, webhook_events=("completed",)), status=TaskStatus.PROCESSING)
    return processing, replace(processing, status=TaskStatus.COMPLETED, result_s3_uri=f"s3://r/{job_id}.png")


@pytest.fixture
def dispatcher() -> Iterator[tuple[WebhookDispatcher, io.StringIO, Secrets]]:
    out = io.StringIO()
    secrets = Secrets({"acme": [SECRET]})
    made = WebhookDispatcher(secrets, Deliverer(allow_loopback=True, attempts=2, timeout_s=0.3, backoff_s=0.0),
                             JobCounter("webhook", "Test", out), max_event_age_s=600)
    handler.install_instance(made)
    yield made, out, secrets
    handler.install_instance(None)


def _counts(out: io.StringIO) -> list[str]:
    return [name for line in out.getvalue().splitlines()
            for name in ("WebhooksDelivered", "WebhooksDropped") if name in json.loads(line)]


def test_one_bad_receiver_does_not_hold_up_the_others(
        dispatcher: tuple[WebhookDispatcher, io.StringIO, Secrets], receiver: Callable[..., Receiver]) -> None:
    _, out, secrets = dispatcher
    good, failing, slow = receiver(secret=SECRET), receiver(status=500), receiver(stall=True)
    records = [_record(1, *_job("a", failing.url)), _record(2, *_job("b", good.url)),
               _record(3, *_job("c", slow.url)), _record(4, *_job("d", good.url))]
    answer = handler.lambda_handler({"Records": records}, LambdaContext(remaining_ms=30_000))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "1"}, {"itemIdentifier": "3"}]}
    assert sorted(json.loads(body)["data"]["job_id"] for _, body in good.received) == ["b", "d"]
    assert len(failing.received) == 2 and len(slow.received) == 2
    assert sorted(_counts(out)) == ["WebhooksDelivered", "WebhooksDelivered"]
    assert secrets.reads == 1  # one read of a tenant's secret per batch


def test_a_record_failing_for_too_long_is_dropped_with_a_count(
        dispatcher: tuple[WebhookDispatcher, io.StringIO, Secrets], receiver: Callable[..., Receiver]) -> None:
    _, out, _ = dispatcher
    failing = receiver(status=503)
    answer = handler.lambda_handler({"Records": [_record(7, *_job("a", failing.url), at=time.time() - 3600)]},
                                    LambdaContext(remaining_ms=30_000))
    assert answer == {"batchItemFailures": []}
    assert _counts(out) == ["WebhooksDropped"]


def test_redirects_and_tenants_without_a_secret_are_dropped_at_once(
        dispatcher: tuple[WebhookDispatcher, io.StringIO, Secrets], receiver: Callable[..., Receiver]) -> None:
    _, out, _ = dispatcher
    target = receiver()
    redirecting = receiver(status=302, location=target.url)
    records = [_record(1, *_job("a", redirecting.url)), _record(2, *_job("b", target.url, tenant="nobody"))]
    assert handler.lambda_handler({"Records": records}, LambdaContext(remaining_ms=30_000)) == {
        "batchItemFailures": []}
    assert target.received == [] and len(redirecting.received) == 1
    assert _counts(out) == ["WebhooksDropped", "WebhooksDropped"]


def test_later_events_of_a_job_wait_for_its_earlier_ones(
        dispatcher: tuple[WebhookDispatcher, io.StringIO, Secrets], receiver: Callable[..., Receiver]) -> None:
    failing = receiver(status=500)
    pending = Task.new("a", "/api/v1/camera-angle/jobs", {}, int(time.time()), tenant="acme", webhook=failing.url,
                       webhook_events=("start", "completed"))
    processing = replace(pending, status=TaskStatus.PROCESSING)
    records = [_record(10, pending, processing), _record(11, processing, replace(processing, status=TaskStatus.FAILED))]
    answer = handler.lambda_handler({"Records": records}, LambdaContext(remaining_ms=30_000))
    assert answer == {"batchItemFailures": [{"itemIdentifier": "10"}, {"itemIdentifier": "11"}]}
    assert {json.loads(b)["type"] for _, b in failing.received} == {"job.started"}
