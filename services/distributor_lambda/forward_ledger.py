"""The idempotency record of each forwarded job, kept with Powertools' DynamoDB persistence layer.

Powertools' `idempotent_function` wraps one call per key: it saves an INPROGRESS record, runs the
function, then saves COMPLETED or deletes the record when the function raises. The distributor needs the
same three steps split around one SendMessageBatch carrying up to ten keys, so it drives the same
persistence layer step by step: `reserve` (the conditional put, before forwarding), then `confirm`
(COMPLETED, naming the region) or `release` (delete, so the retry is not blocked). The records, their
TTL (`expiration`) and the in-progress expiry that frees a key whose invocation died are Powertools' own.
"""

import enum
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, IdempotencyConfig
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyItemAlreadyExistsError,
    IdempotencyItemNotFoundError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import STATUS_CONSTANTS

KEY_PREFIX = "distributor"


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


class ForwardLedger:
    def __init__(self, table_name: str, ttl_s: int, dynamodb: Any) -> None:
        self._layer = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=dynamodb)
        self._layer.configure(IdempotencyConfig(event_key_jmespath="key", expires_after_seconds=ttl_s),
                              key_prefix=KEY_PREFIX)

    def reserve(self, key: str, remaining_ms: int | None) -> Reserved:
        """Conditionally put an INPROGRESS record; it frees itself after `remaining_ms` if we die holding it."""
        try:
            self._layer.save_inprogress(data={"key": key}, remaining_time_in_millis=remaining_ms)
        except IdempotencyItemAlreadyExistsError as exc:
            record = exc.old_data_record
            if record is None:
                try:
                    record = self._layer.get_record(data={"key": key})
                except IdempotencyItemNotFoundError:
                    return Reserved(Reservation.IN_PROGRESS)
            if record is not None and record.status == STATUS_CONSTANTS["COMPLETED"]:
                return Reserved(Reservation.FORWARDED, (record.response_json_as_dict() or {}).get("region"))
            return Reserved(Reservation.IN_PROGRESS)
        return Reserved(Reservation.NEW)

    def confirm(self, key: str, region: str) -> None:
        self._layer.save_success(data={"key": key}, result={"region": region})

    def release(self, key: str, reason: Exception) -> None:
        self._layer.delete_record(data={"key": key}, exception=reason)
