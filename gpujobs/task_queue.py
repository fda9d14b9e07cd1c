"""What a task queue itself says about its messages: its redrive limit, what it holds, how long it keeps them."""

import json
from dataclasses import dataclass
from typing import Any

HELD_ATTRIBUTES = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)


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
