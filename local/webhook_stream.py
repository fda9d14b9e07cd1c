"""`python -m local.webhook_stream`: the task table's stream fed to the webhook handler, for `make up` and tests.

On AWS an event source mapping reads the stream and invokes the webhook Lambda. The emulator cannot run
Lambda functions, so this loop plays the mapping with the same contract: records in the Lambda DynamoDB
event shape, up to BATCH_SIZE per invocation, and after an answer that lists `batchItemFailures` the
shard is read again from the lowest failed record, at most MAX_RETRIES times before that record is
skipped (the mapping's maximum_retry_attempts). It starts at the stream's end (LATEST), as a new mapping
does. Settings: `webhook_environment` as the Lambda has it, plus WEBHOOK_STREAM_ARN (the outputs'
task_table_stream_arn). SIGTERM/SIGINT only set a flag; every wait is on it, so it stops within a poll.
"""

import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gpujobs.aws_clients import client
from gpujobs.errors import ConfigError
from gpujobs.settings import load_settings
from local.distributor_source import LocalContext

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
BATCH_SIZE = 50
MAX_RETRIES = 3


def lambda_event(records: list[dict[str, Any]], stream_arn: str, region: str) -> dict[str, Any]:
    """GetRecords output as the Lambda event of a DynamoDB stream (creation times as epoch seconds)."""
    shaped = []
    for record in records:
        change = dict(record["dynamodb"])
        when = change.get("ApproximateCreationDateTime")
        if isinstance(when, datetime):
            change["ApproximateCreationDateTime"] = when.timestamp()
        shaped.append({**record, "dynamodb": change, "awsRegion": region, "eventSourceARN": stream_arn})
    return {"Records": shaped}


@dataclass
class LocalStreamSource:
    """Reads every shard of `stream_arn` and hands batches to `handler`; `run()` until `stop()`."""

    streams: Any
    stream_arn: str
    handler: Handler
    region: str = "us-east-1"
    poll_interval_s: float = 0.5
    stopping: threading.Event = field(default_factory=threading.Event)
    _iterators: dict[str, str] = field(default_factory=dict)
    _retries: dict[str, int] = field(default_factory=dict)

    def stop(self) -> None:
        self.stopping.set()

    def start_at_end(self) -> None:
        """Begin after the records written so far, as a new event source mapping does."""
        for shard in self._shards():
            self._iterators[shard] = self._iterator(shard, "LATEST")

    def run(self) -> None:
        if not self._iterators:
            self.start_at_end()
        while not self.stopping.is_set():
            try:
                busy = self.poll_once()
            except (ClientError, BotoCoreError) as exc:
                print(f"webhook stream: read failed ({type(exc).__name__}); retrying", file=sys.stderr, flush=True)
                busy = False
            if not busy:
                self.stopping.wait(self.poll_interval_s)

    def poll_once(self) -> bool:
        """One read of every shard, and one invocation per shard that had records; True if any had."""
        for shard in self._shards():
            self._iterators.setdefault(shard, self._iterator(shard, "TRIM_HORIZON"))
        busy = False
        for shard, iterator in list(self._iterators.items()):
            answer = self.streams.get_records(ShardIterator=iterator, Limit=BATCH_SIZE)
            records = answer.get("Records", [])
            self._iterators[shard] = answer.get("NextShardIterator") or iterator
            if records:
                busy = True
                self._invoke(shard, records)
        return busy

    def _invoke(self, shard: str, records: list[dict[str, Any]]) -> None:
        context = LocalContext(timeout_s=120.0, function_name="webhook-lambda")
        response = self.handler(lambda_event(records, self.stream_arn, self.region), context)
        failed = [f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])]
        if not failed:
            return
        first = min(failed, key=lambda s: (len(s), s))
        tries = self._retries.get(first, 0) + 1
        if tries > MAX_RETRIES:
            print(f"webhook stream: record {first} skipped after {MAX_RETRIES} retries", file=sys.stderr, flush=True)
            self._retries.pop(first, None)
            self._iterators[shard] = self._iterator(shard, "AFTER_SEQUENCE_NUMBER", first)
            return
        self._retries[first] = tries
        self._iterators[shard] = self._iterator(shard, "AT_SEQUENCE_NUMBER", first)

    def _shards(self) -> list[str]:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        return [shard["ShardId"] for shard in description.get("Shards", [])]

    def _iterator(self, shard: str, kind: str, sequence: str | None = None) -> str:
        extra = {"SequenceNumber": sequence} if sequence is not None else {}
        return self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard, ShardIteratorType=kind,
                                               **extra)["ShardIterator"]


def main() -> int:
    from services.webhook_lambda.handler import lambda_handler, logger

    try:
        settings = load_settings("webhook").require("WEBHOOK_STREAM_ARN")
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    region = settings.aws_region or "us-east-1"
    interval = settings.number("WEBHOOK_POLL_INTERVAL_S", 0.5, minimum=0.05, maximum=60)
    source = LocalStreamSource(client("dynamodbstreams", region), settings.get("WEBHOOK_STREAM_ARN") or "",
                               lambda_handler, region=region, poll_interval_s=interval)
    signal.signal(signal.SIGTERM, lambda *_: source.stop())
    signal.signal(signal.SIGINT, lambda *_: source.stop())
    logger.info("webhook stream reader started", extra={"stream_arn": source.stream_arn})
    started = time.monotonic()
    source.run()
    logger.info("webhook stream reader stopped", extra={"ran_s": round(time.monotonic() - started)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
