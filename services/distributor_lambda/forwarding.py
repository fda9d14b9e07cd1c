"""Sending messages on with SendMessageBatch, body and attributes intact, and telling which entries failed.

SQS accepts up to 10 entries per call and may fail some of them (`Failed` in the response) while
accepting the rest; a call that fails as a whole fails every entry in it. Nothing here retries: a failed
entry becomes a batch item failure and comes back through the master queue.
"""

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

MAX_BATCH = 10
MAX_ATTRIBUTES = 10
REGION_ATTRIBUTE = "distributor_region"
REJECTION_ATTRIBUTE = "distributor_rejection"


@dataclass(frozen=True)
class Outbound:
    entry_id: str
    body: str
    attributes: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class SendResult:
    failed: dict[str, str] = field(default_factory=dict)
    """entry_id -> reason, for every entry that was not accepted."""
    whole_call_failed: bool = False


def attributes_from_event(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The message attributes of an SQS event record, in the shape SendMessage takes."""
    converted: dict[str, dict[str, Any]] = {}
    for name, value in (record.get("messageAttributes") or {}).items():
        data_type = value["dataType"]
        if data_type.startswith("Binary"):
            converted[name] = {"DataType": data_type, "BinaryValue": base64.b64decode(value["binaryValue"])}
        else:
            converted[name] = {"DataType": data_type, "StringValue": value["stringValue"]}
    return converted


def with_attribute(attributes: dict[str, dict[str, Any]], name: str, value: str) -> dict[str, dict[str, Any]]:
    return {**attributes, name: {"DataType": "String", "StringValue": value}}


def send_batch(sqs: Any, queue_url: str, entries: list[Outbound]) -> SendResult:
    """Send all entries in calls of up to 10; report the ones SQS did not accept."""
    result = SendResult()
    for chunk in _chunks(entries, MAX_BATCH):
        try:
            response = sqs.send_message_batch(QueueUrl=queue_url, Entries=[_entry(e) for e in chunk])
        except (ClientError, BotoCoreError) as exc:
            result.whole_call_failed = True
            result.failed.update({e.entry_id: f"SendMessageBatch failed: {exc}" for e in chunk})
            continue
        for failure in response.get("Failed", []):
            result.failed[failure["Id"]] = f"{failure.get('Code', 'Failed')}: {failure.get('Message', '')}".strip()
        accepted = {s["Id"] for s in response.get("Successful", [])} | set(result.failed)
        for e in chunk:
            if e.entry_id not in accepted:
                result.failed[e.entry_id] = "entry missing from the SendMessageBatch response"
    return result


def _entry(outbound: Outbound) -> dict[str, Any]:
    entry: dict[str, Any] = {"Id": outbound.entry_id, "MessageBody": outbound.body}
    if outbound.attributes:
        entry["MessageAttributes"] = outbound.attributes
    return entry


def _chunks(items: list[Outbound], size: int) -> Iterator[list[Outbound]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
