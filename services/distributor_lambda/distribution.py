"""One batch of master-queue messages: validate, choose a region, reserve, forward, then confirm or release.

Every record ends with a verdict. Only `failed` verdicts become batch item failures (the message comes
back to the master queue after its visibility timeout and, after the receive limit, goes to the master
DLQ). Invalid messages are sent straight to the master DLQ with the reason in an attribute and
acknowledged: a retry cannot make them valid, and the DLQ keeps them for an operator.

Duplicates inside one batch (same key twice) are resolved here: the first occurrence is forwarded, the
others share its verdict. Duplicates across batches are stopped by the ledger's conditional put. The
ledger writes a batch's keys together (one reserve, one confirm, one release), and the per-region
sends overlap.
"""

import enum
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from services.distributor_lambda.distribution_message import InvalidMessage, Routable, parse_routable
from services.distributor_lambda.forward_ledger import ForwardLedger, Reservation
from services.distributor_lambda.forwarding import (
    MAX_ATTRIBUTES,
    REGION_ATTRIBUTE,
    REJECTION_ATTRIBUTE,
    Outbound,
    SendResult,
    attributes_from_event,
    send_batch,
    with_attribute,
)
from services.distributor_lambda.queue_selection import AllQueuesOverloaded, QueueDepths, QueueSelector

logger = Logger(service="distributor", child=True)


class Verdict(enum.Enum):
    FORWARDED = "forwarded"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    """Invalid; sent to the master DLQ and acknowledged."""
    FAILED = "failed"
    """Comes back through the master queue."""


class ForwardFailed(RuntimeError):
    """Raised for a record whose verdict is FAILED, so the batch processor reports it."""


@dataclass
class Outcome:
    verdict: Verdict
    detail: str = ""
    """The region for FORWARDED, the reason for REJECTED and FAILED."""
    overloaded: bool = False
    """FAILED because every regional queue was overloaded (back-pressure, not a fault)."""


@dataclass
class BatchOutcome:
    by_message_id: dict[str, Outcome] = field(default_factory=dict)

    def settle(self, record: Any) -> str:
        """Record handler for Powertools' BatchProcessor: raise for a failed record, else say what happened."""
        outcome = self.by_message_id[record.message_id]
        if outcome.verdict is Verdict.FAILED:
            raise ForwardFailed(outcome.detail)
        return outcome.verdict.value

    def counts(self) -> dict[Verdict, int]:
        counted = dict.fromkeys(Verdict, 0)
        for outcome in self.by_message_id.values():
            counted[outcome.verdict] += 1
        return counted

    def overloaded(self) -> int:
        return sum(1 for outcome in self.by_message_id.values() if outcome.overloaded)

    def regions(self) -> dict[str, int]:
        counted: dict[str, int] = defaultdict(int)
        for outcome in self.by_message_id.values():
            if outcome.verdict is Verdict.FORWARDED:
                counted[outcome.detail] += 1
        return dict(counted)


@dataclass
class _Pending:
    message_id: str
    routable: Routable
    outbound: Outbound
    region: str = ""


class Distributor:
    def __init__(self, region_queues: dict[str, str], master_dlq_url: str, sqs_for: Callable[[str], Any],
                 dead_letter_sqs: Any, ledger: ForwardLedger, depths: QueueDepths, selector: QueueSelector) -> None:
        self._region_queues = region_queues
        self._master_dlq_url = master_dlq_url
        self._sqs_for = sqs_for
        self._dead_letter_sqs = dead_letter_sqs
        self._ledger = ledger
        self._depths = depths
        self._selector = selector
        # The per-region sends of a batch (and its dead letters) overlap: on AWS each is a network round trip
        # (another region's queue is tens of milliseconds away), and Lambda bills the wall time.
        self._pool = ThreadPoolExecutor(max_workers=len(region_queues) + 1, thread_name_prefix="distribute")

    def distribute(self, records: list[dict[str, Any]], remaining_ms: int | None) -> BatchOutcome:
        result = BatchOutcome()
        leaders: dict[str, _Pending] = {}
        followers: list[tuple[str, str]] = []
        rejected: list[tuple[str, Outbound]] = []
        for index, record in enumerate(records):
            message_id = record["messageId"]
            attributes = attributes_from_event(record)
            try:
                if len(attributes) >= MAX_ATTRIBUTES:
                    raise InvalidMessage(f"message has {len(attributes)} attributes; no room for {REGION_ATTRIBUTE}")
                routable = parse_routable(record["body"])
            except InvalidMessage as exc:
                reason = str(exc)[:1000]
                dead = Outbound(f"m{index}", record["body"], with_attribute(attributes, REJECTION_ATTRIBUTE, reason)
                                if len(attributes) < MAX_ATTRIBUTES else attributes)
                rejected.append((message_id, dead))
                result.by_message_id[message_id] = Outcome(Verdict.REJECTED, reason)
                continue
            if routable.idempotency_key in leaders:
                followers.append((message_id, routable.idempotency_key))
                continue
            leaders[routable.idempotency_key] = _Pending(message_id, routable, Outbound(f"m{index}", record["body"],
                                                                                        attributes))

        by_region = self._reserve_and_route(list(leaders.values()), remaining_ms, result)
        sends = [self._pool.submit(self._send_region, region, pending) for region, pending in by_region.items()]
        dead_letters = self._pool.submit(self._send_dead_letters, rejected)
        sent = [future.result() for future in sends]
        self._settle_dead_letters(rejected, dead_letters.result(), result)
        self._settle_forwards(sent, result)

        for message_id, key in followers:
            lead = result.by_message_id[leaders[key].message_id]
            result.by_message_id[message_id] = (
                Outcome(Verdict.DUPLICATE, lead.detail) if lead.verdict in (Verdict.FORWARDED, Verdict.DUPLICATE)
                else Outcome(Verdict.FAILED, f"same key as a message that failed: {lead.detail}")
            )
        return result

    def _reserve_and_route(self, leaders: list[_Pending], remaining_ms: int | None,
                           result: BatchOutcome) -> dict[str, list[_Pending]]:
        """Choose regions in record order (deterministic under the seeded random), then reserve all keys at once."""
        routed: list[_Pending] = []
        for pending in leaders:
            try:
                pending.region = self._selector.choose(pending.routable.priority)
            except AllQueuesOverloaded as exc:
                result.by_message_id[pending.message_id] = Outcome(Verdict.FAILED, str(exc), overloaded=True)
                continue
            routed.append(pending)
        by_region: dict[str, list[_Pending]] = defaultdict(list)
        if not routed:
            return by_region
        reservations = self._ledger.reserve([p.routable.idempotency_key for p in routed], remaining_ms)
        for pending in routed:
            reserved = reservations[pending.routable.idempotency_key]
            if isinstance(reserved, Exception):
                result.by_message_id[pending.message_id] = Outcome(Verdict.FAILED,
                                                                   f"idempotency put failed: {reserved}")
            elif reserved.outcome is Reservation.FORWARDED:
                logger.info("duplicate acknowledged", extra={"idempotency_key": pending.routable.idempotency_key,
                                                             "region": reserved.region})
                result.by_message_id[pending.message_id] = Outcome(Verdict.DUPLICATE, reserved.region or "")
            elif reserved.outcome is Reservation.IN_PROGRESS:
                result.by_message_id[pending.message_id] = Outcome(
                    Verdict.FAILED, "another invocation is forwarding this key; retry later")
            else:
                by_region[pending.region].append(pending)
        return by_region

    def _send_region(self, region: str, pending: list[_Pending]) -> tuple[str, list[_Pending], SendResult]:
        outbound = [
            Outbound(p.outbound.entry_id, p.outbound.body, with_attribute(p.outbound.attributes, REGION_ATTRIBUTE,
                                                                          region))
            for p in pending
        ]
        return region, pending, send_batch(self._sqs_for(region), self._region_queues[region], outbound)

    def _settle_forwards(self, sent: list[tuple[str, list[_Pending], SendResult]], result: BatchOutcome) -> None:
        """Confirm what was accepted and release what was not: one write for each, whatever the batch."""
        confirmed: dict[str, str] = {}
        released: list[str] = []
        for region, pending, outcome in sent:
            if outcome.whole_call_failed:
                self._depths.mark_unavailable(region)
            for p in pending:
                reason = outcome.failed.get(p.outbound.entry_id)
                if reason is None:
                    result.by_message_id[p.message_id] = Outcome(Verdict.FORWARDED, region)
                    confirmed[p.routable.idempotency_key] = region
                else:
                    result.by_message_id[p.message_id] = Outcome(Verdict.FAILED, f"{region}: {reason}")
                    released.append(p.routable.idempotency_key)
        # A failed confirm is only logged: the jobs went out, so failing them now would forward them twice
        # once their records free themselves. A failed release: the in-progress expiry frees the keys
        # before the messages' next receive.
        for action, keys, write in (("confirm", list(confirmed), lambda: self._ledger.confirm(confirmed)),
                                    ("release", released, lambda: self._ledger.release(released))):
            if not keys:
                continue
            try:
                write()
            except (ClientError, BotoCoreError, RuntimeError) as exc:
                logger.warning(f"idempotency {action} failed", extra={"idempotency_keys": keys, "error": str(exc)})

    def _send_dead_letters(self, rejected: list[tuple[str, Outbound]]) -> SendResult:
        if not rejected:
            return SendResult()
        return send_batch(self._dead_letter_sqs, self._master_dlq_url, [o for _, o in rejected])

    def _settle_dead_letters(self, rejected: list[tuple[str, Outbound]], sent: SendResult,
                             result: BatchOutcome) -> None:
        for message_id, outbound in rejected:
            reason = result.by_message_id[message_id].detail
            failure = sent.failed.get(outbound.entry_id)
            if failure is None:
                logger.warning("invalid message sent to the dead-letter queue",
                               extra={"message_id": message_id, "reason": reason})
            else:
                result.by_message_id[message_id] = Outcome(
                    Verdict.FAILED, f"invalid ({reason}) and the dead-letter send failed: {failure}")
