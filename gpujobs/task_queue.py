"""What a task queue itself says about its messages: its redrive limit."""

import json
from typing import Any


def max_receives_of(sqs: Any, queue_url: str) -> int | None:
    """The queue's redrive limit (maxReceiveCount), or None if it has no redrive policy."""
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])
    policy = attributes.get("Attributes", {}).get("RedrivePolicy")
    if not policy:
        return None
    return int(json.loads(policy)["maxReceiveCount"])
