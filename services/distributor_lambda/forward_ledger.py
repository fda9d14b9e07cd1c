"""The idempotency record of each forwarded job: reserved before forwarding, confirmed or released after.

The records are those of Powertools' idempotency utility with its DynamoDB persistence layer (key
`distributor#<md5 of the JSON key>`, `status` INPROGRESS then COMPLETED, `expiration` as the table's
TTL, `in_progress_expiration` in milliseconds, which frees a key whose invocation died, `data` the JSON
answer naming the region). The distributor forwards up to ten jobs together, and each DynamoDB call is
a round trip inside the invocation, so the writes that need no condition go a batch at a time:

- reserve: a conditional put per key, the condition Powertools' put uses (no record, an expired one, or
  an in-progress one whose invocation ran out of time); a refusal returns the record it found. The
  puts of a batch run side by side. (One TransactWriteItems would be one call, but it fails as a whole
  on the first taken key, costs twice the write capacity, and moto copies the table for each one.)
- confirm: one BatchWriteItem of COMPLETED records naming the region (unconditional, as Powertools'
  update is).
- release: one BatchWriteItem of deletes, so the retry of a failed forward is not blocked.
"""

import enum
import hashlib
import json
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

KEY_PREFIX = "distributor"
IN_PROGRESS, COMPLETED = "INPROGRESS", "COMPLETED"
# Powertools' condition, less its `attribute_exists(#in_progress_expiry)`: a comparison with a missing
# attribute is false anyway, and every clause costs the emulator a parse.
_RESERVABLE = ("attribute_not_exists(#id) OR #expiry < :now OR "
               "(#status = :inprogress AND #in_progress_expiry < :now_ms)")
_NAMES = {"#id": "id", "#expiry": "expiration", "#status": "status", "#in_progress_expiry": "in_progress_expiration"}
# BatchWriteItem takes at most 25 requests; unprocessed ones (throttling) are sent again this many times.
_BATCH_WRITE_LIMIT = 25
_BATCH_WRITE_TRIES = 3


class Reservation(enum.Enum):
    NEW = "new"
    """This invocation owns the key: forward, then confirm or release."""
    FORWARDED = "forwarded"
    """A previous delivery was forwarded: acknowledge this one and do not forward it again."""
    IN_PROGRESS = "in_progress"
    """Another invocation holds the key right now: retry later."""


@dataclass(frozen=True)
class Reserved:
    outcome: Reservation
    region: str | None = None


def record_id(key: str) -> str:
    """The record's key, as Powertools derives it from the idempotency key with the `distributor` prefix."""
    return f"{KEY_PREFIX}#{hashlib.md5(json.dumps(key, sort_keys=True).encode()).hexdigest()}"


class ForwardLedger:
    def __init__(self, table_name: str, ttl_s: int, dynamodb: Any, clock: Callable[[], float] = time.time) -> None:
        self._table = table_name
        self._ttl_s = ttl_s
        self._db = dynamodb
        self._clock = clock
        self._pool = ThreadPoolExecutor(max_workers=10, thread_name_prefix="ledger")

    def reserve(self, keys: Iterable[str], remaining_ms: int | None) -> dict[str, Reserved | Exception]:
        """Put an INPROGRESS record for every key that is free; it frees itself after `remaining_ms` if this
        invocation dies holding it. An AWS error is returned for its key, so one key cannot sink the rest."""
        unique = list(dict.fromkeys(keys))
        return dict(zip(unique, self._pool.map(lambda key: self._reserve(key, remaining_ms), unique), strict=True))

    def _reserve(self, key: str, remaining_ms: int | None) -> Reserved | Exception:
        now = self._clock()
        item = {"id": {"S": record_id(key)}, "expiration": {"N": str(int(now) + self._ttl_s)},
                "status": {"S": IN_PROGRESS}}
        if remaining_ms is not None:
            item["in_progress_expiration"] = {"N": str(int(now * 1000) + remaining_ms)}
        try:
            self._db.put_item(
                TableName=self._table, Item=item, ConditionExpression=_RESERVABLE, ExpressionAttributeNames=_NAMES,
                ExpressionAttributeValues={":now": {"N": str(int(now))}, ":now_ms": {"N": str(int(now * 1000))},
                                           ":inprogress": {"S": IN_PROGRESS}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return _existing(exc.response.get("Item"))
            return exc
        except BotoCoreError as exc:
            return exc
        return Reserved(Reservation.NEW)

    def confirm(self, regions: dict[str, str]) -> None:
        """Mark each key (-> the region it went to) forwarded."""
        now = int(self._clock())
        self._batch_write([{"PutRequest": {"Item": {
            "id": {"S": record_id(key)}, "expiration": {"N": str(now + self._ttl_s)}, "status": {"S": COMPLETED},
            "data": {"S": json.dumps({"region": region})},
        }}} for key, region in regions.items()])

    def release(self, keys: Iterable[str]) -> None:
        """Delete the keys' records, so their messages' next delivery forwards them."""
        self._batch_write([{"DeleteRequest": {"Key": {"id": {"S": record_id(key)}}}} for key in dict.fromkeys(keys)])

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        for start in range(0, len(requests), _BATCH_WRITE_LIMIT):
            chunk = requests[start:start + _BATCH_WRITE_LIMIT]
            for _ in range(_BATCH_WRITE_TRIES):
                response = self._db.batch_write_item(RequestItems={self._table: chunk})
                chunk = response.get("UnprocessedItems", {}).get(self._table, [])
                if not chunk:
                    break
            if chunk:
                raise RuntimeError(f"{len(chunk)} idempotency record(s) left unwritten by BatchWriteItem")


def _existing(item: dict[str, Any] | None) -> Reserved:
    if item is None or item.get("status", {}).get("S") != COMPLETED:
        return Reserved(Reservation.IN_PROGRESS)
    try:
        region = json.loads(item.get("data", {}).get("S") or "{}").get("region")
    except (ValueError, AttributeError):
        region = None
    return Reserved(Reservation.FORWARDED, region)
