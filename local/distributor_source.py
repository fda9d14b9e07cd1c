"""The SQS event source, played locally: receive from the master queue, invoke the handler, delete what it took.

On AWS the event source mapping does this. On the emulator, which cannot run Lambda functions, this loop
does the same in process, with the same contract: up to 10 messages per event, records in the Lambda SQS
event shape, messages listed in `batchItemFailures` left on the queue to come back after their visibility
timeout, every other message deleted.
"""

import base64
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


@dataclass
class LocalContext:
    """The parts of the Lambda context the handler and Powertools read."""

    timeout_s: float = 300.0
    function_name: str = "distributor-lambda"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:distributor-lambda"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_s - (time.monotonic() - self.started)) * 1000))


def event_from_messages(messages: list[dict[str, Any]], queue_arn: str, region: str) -> dict[str, Any]:
    """ReceiveMessage output (AttributeNames and MessageAttributeNames = All) as a Lambda SQS event."""
    return {"Records": [_record(m, queue_arn, region) for m in messages]}


def _record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    attributes = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        converted: dict[str, Any] = {"stringListValues": [], "binaryListValues": [], "dataType": value["DataType"]}
        if "BinaryValue" in value:
            converted["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
        else:
            converted["stringValue"] = value["StringValue"]
        attributes[name] = converted
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def poll_once(sqs: Any, queue_url: str, handler: Handler, *, wait_s: int = 1, max_messages: int = 10,
              region: str = "us-east-1") -> tuple[int, int]:
    """One receive-invoke-delete round; returns (messages handled, messages failed back)."""
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=max_messages, WaitTimeSeconds=wait_s,
                                   AttributeNames=["All"], MessageAttributeNames=["All"]).get("Messages", [])
    if not received:
        return 0, 0
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    response = handler(event_from_messages(received, queue_arn, region), LocalContext())
    failed = {item["itemIdentifier"] for item in response.get("batchItemFailures", [])}
    done = [m for m in received if m["MessageId"] not in failed]
    for start in range(0, len(done), 10):
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done[start:start + 10])
        ])
    return len(received), len(failed)


class LocalEventSource:
    """`run()` polls until `stop()`; each receive waits at most `wait_s`, so stopping is prompt."""

    def __init__(self, sqs: Any, queue_url: str, handler: Handler, wait_s: int = 5, region: str = "us-east-1") -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._handler = handler
        self._wait_s = wait_s
        self._region = region
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.is_set():
            poll_once(self._sqs, self._queue_url, self._handler, wait_s=self._wait_s, region=self._region)

    def stop(self) -> None:
        self._stop.set()
