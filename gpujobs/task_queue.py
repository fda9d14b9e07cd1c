"""What a task queue itself says about its messages: its redrive limit, what it holds, how long it keeps them."""

import json
import re
from dataclasses import dataclass
from typing import Any

HELD_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)
# A pool is named for its region; a queue URL of AWS names its region too (the emulator's does not).
_AWS_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_SQS_HOST_REGION = re.compile(r"^https://sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?/|^https://([a-z0-9-]+)\.queue\.amazonaws")


def queue_client_region(region: str, queue_url: str) -> str | None:
    """The AWS region to call for a regional queue: from an AWS queue URL, else the name if it is one."""
    match = _SQS_HOST_REGION.match(queue_url)
    if match:
        return match.group(1) or match.group(3)
    return region if _AWS_REGION.match(region) else None


@dataclass(frozen=True)
class QueueHolding:
    """How many messages the queue holds (visible, in flight and delayed together), and for how long it
    keeps one (MessageRetentionPeriod, seconds)."""

    messages: int
    retention_s: int


def holding_of(sqs: Any, queue_url: str) -> QueueHolding:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url,
                                          AttributeNames=[*HELD_ATTRIBUTES, "MessageRetentionPeriod"])["Attributes"]
    return QueueHolding(sum(int(attributes.get(name, 0)) for name in HELD_ATTRIBUTES),
                        int(attributes["MessageRetentionPeriod"]))


def max_receives_of(sqs: Any, queue_url: str) -> int | None:
    """The queue's redrive limit (maxReceiveCount), or None if it has no redrive policy."""
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])
    policy = attributes.get("Attributes", {}).get("RedrivePolicy")
    if not policy:
        return None
    return int(json.loads(policy)["maxReceiveCount"])
