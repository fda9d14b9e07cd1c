"""From a batch of task-table stream records to signed deliveries, each receiver on its own.

Each record is one write of a task row (its old and new image); `gpujobs.webhook_events.events_for`
says which events it made. The events of one job are delivered in order, the jobs of a batch in
parallel (WORKERS threads), so a slow receiver holds up only its own job's events.

What happens to an event whose delivery did not succeed:
- refused (the address check fails, or the receiver answers 3xx or 4xx): dropped at once;
- transient (timeouts, 5xx, 429, the key table or KMS not answering): the record is reported as a
  batch item failure, so the stream hands the batch to the function again from that record (with the
  same `webhook-id`s: already delivered events of later records come again, which at least once
  allows); once the record is older than `max_event_age_s` it is dropped instead.
Every drop writes a log line and a WebhooksDropped count; nothing here ever touches the job itself.
"""

import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import BotoCoreError, ClientError

from gpujobs.job_metrics import JobCounter
from gpujobs.task_model import Task
from gpujobs.webhook_events import WebhookEvent, events_for
from gpujobs.webhook_signature import sign_headers
from services.webhook_lambda.delivery import Deliverer, Outcome

log = logging.getLogger(__name__)

WEBHOOKS_DELIVERED, WEBHOOKS_DROPPED = "WebhooksDelivered", "WebhooksDropped"
WORKERS = 8
_deserializer = TypeDeserializer()


class SecretSource(Protocol):
    def signing_secrets(self, tenant: str, now: float) -> list[str]: ...


@dataclass(frozen=True)
class StreamRecord:
    sequence_number: str
    created_at: float  # epoch seconds the write happened (the stream's approximate time)
    old: Task | None
    new: Task | None


def _image(image: Mapping[str, Any] | None) -> Task | None:
    if not image:
        return None
    return Task.from_item({k: _deserializer.deserialize(v) for k, v in image.items()})


def parse_record(record: Mapping[str, Any]) -> StreamRecord:
    """A record as Lambda hands it (`{"dynamodb": {"SequenceNumber", "NewImage", ...}}`)."""
    change = record["dynamodb"]
    return StreamRecord(str(change["SequenceNumber"]), float(change.get("ApproximateCreationDateTime") or 0),
                        _image(change.get("OldImage")), _image(change.get("NewImage")))


@dataclass
class WebhookDispatcher:
    secrets: SecretSource
    deliverer: Deliverer
    counter: JobCounter
    max_event_age_s: float = 3600.0
    clock: Callable[[], float] = time.time
    workers: int = WORKERS
    _secret_cache: dict[str, list[str]] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def handle(self, records: list[Mapping[str, Any]], deadline: float) -> list[str]:
        """Deliver the events of `records`; returns the sequence numbers to report as batch item failures.
        `deadline` is the `deliverer.clock` time by which the invocation must answer."""
        self._secret_cache.clear()
        by_job: dict[str, list[tuple[StreamRecord, WebhookEvent]]] = {}
        for raw in records:
            try:
                record = parse_record(raw)
            except (KeyError, ValueError, TypeError) as exc:
                log.error("stream record not understood; skipped", extra={"error": repr(exc)[:200]})
                continue
            if record.new is None:
                continue  # a row removed (TTL): no event
            for event in events_for(record.old, record.new):
                by_job.setdefault(event.task.task_id, []).append((record, event))
        if not by_job:
            return []
        with ThreadPoolExecutor(max_workers=min(self.workers, len(by_job)), thread_name_prefix="webhook") as pool:
            failed = [s for group in pool.map(lambda g: self._deliver_in_order(g, deadline), by_job.values())
                      for s in group]
        return sorted(set(failed), key=lambda s: (len(s), s))  # numeric strings, compared as numbers

    def _deliver_in_order(self, events: list[tuple[StreamRecord, WebhookEvent]], deadline: float) -> list[str]:
        for index, (record, event) in enumerate(events):
            if not self._deliver(record, event, deadline):
                return [r.sequence_number for r, _ in events[index:]]
        return []

    def _deliver(self, record: StreamRecord, event: WebhookEvent, deadline: float) -> bool:
        """True when the event is done with (delivered or dropped); False: report its record as failed."""
        task = event.task
        extra = {"job_id": task.task_id, "webhook_id": event.webhook_id, "event": event.type, "tenant": task.tenant}
        try:
            secrets = self._secrets_of(task.tenant)
        except (ClientError, BotoCoreError) as exc:
            return self._transient(record, extra, f"the tenant's secret could not be read: {type(exc).__name__}")
        if not secrets:
            return self._drop(extra, "the tenant has no webhook secret")
        body = event.body()
        outcome, attempt = self.deliverer.deliver(
            task.webhook or "", lambda: sign_headers(secrets, event.webhook_id, int(self.clock()), body), body,
            deadline)
        extra = {**extra, "status": attempt.status, "error": attempt.error}
        if outcome is Outcome.DELIVERED:
            log.info("webhook delivered", extra=extra)
            self.counter.count(WEBHOOKS_DELIVERED, event=event.type)
            return True
        if outcome is Outcome.REFUSED:
            return self._drop(extra, "the receiver refused it or its address is not allowed")
        return self._transient(record, extra, "the receiver did not take it")

    def _transient(self, record: StreamRecord, extra: dict[str, Any], reason: str) -> bool:
        age = self.clock() - record.created_at
        if age > self.max_event_age_s:
            return self._drop({**extra, "age_s": round(age)}, f"{reason}, for longer than {self.max_event_age_s:g} s")
        log.warning("webhook not delivered; the stream will hand it over again", extra={**extra, "reason": reason})
        return False

    def _drop(self, extra: dict[str, Any], reason: str) -> bool:
        log.error("webhook dropped", extra={**extra, "reason": reason})
        self.counter.count(WEBHOOKS_DROPPED, event=str(extra.get("event")))
        return True

    def _secrets_of(self, tenant: str) -> list[str]:
        """The tenant's signing secrets, read once per batch."""
        with self._lock:
            cached = self._secret_cache.get(tenant)
        if cached is None:
            cached = self.secrets.signing_secrets(tenant, self.clock())
            with self._lock:
                self._secret_cache[tenant] = cached
        return cached
