"""The local event source of the task table's stream: Lambda-shaped batches, a batch handed back from its
first failed record, and a record skipped after MAX_RETRIES, as the event source mapping does. (moto in
process does not route DynamoDB Streams calls; the integration tests read the emulator's real stream.)"""

from datetime import UTC, datetime
from typing import Any

from local.webhook_stream import MAX_RETRIES, LocalStreamSource

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/tasks/stream/2026-01-01T00:00:00.000"


class FakeStream:
    """One shard; iterators are positions into its records, as DynamoDB Streams' are in effect."""

    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def write(self, key: str) -> None:
        sequence = str(100 + len(self.records))
        self.records.append({"eventName": "INSERT", "dynamodb": {
            "SequenceNumber": sequence, "Keys": {"task_id": {"S": key}},
            "ApproximateCreationDateTime": datetime(2026, 1, 1, tzinfo=UTC)}})

    def describe_stream(self, StreamArn: str) -> dict[str, Any]:
        return {"StreamDescription": {"Shards": [{"ShardId": "shard-0"}]}}

    def get_shard_iterator(self, StreamArn: str, ShardId: str, ShardIteratorType: str,
                           SequenceNumber: str | None = None) -> dict[str, Any]:
        sequences = [r["dynamodb"]["SequenceNumber"] for r in self.records]
        position = {"TRIM_HORIZON": 0, "LATEST": len(self.records)}.get(ShardIteratorType)
        if position is None:
            position = sequences.index(SequenceNumber) + (ShardIteratorType == "AFTER_SEQUENCE_NUMBER")
        return {"ShardIterator": str(position)}

    def get_records(self, ShardIterator: str, Limit: int) -> dict[str, Any]:
        start = int(ShardIterator)
        batch = self.records[start:start + Limit]
        return {"Records": batch, "NextShardIterator": str(start + len(batch))}


def test_batches_are_handed_back_then_skipped() -> None:
    stream = FakeStream()
    seen: list[list[str]] = []

    def handler(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        records = event["Records"]
        seen.append([r["dynamodb"]["Keys"]["task_id"]["S"] for r in records])
        assert all(isinstance(r["dynamodb"]["ApproximateCreationDateTime"], float) for r in records)
        assert all(r["eventSourceARN"] == ARN for r in records)
        failed = [r["dynamodb"]["SequenceNumber"] for r in records if r["dynamodb"]["Keys"]["task_id"]["S"] == "b"]
        return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}

    stream.write("before")
    source = LocalStreamSource(stream, ARN, handler)
    source.start_at_end()
    for key in ("a", "b", "c"):
        stream.write(key)
    polls = 0
    while source.poll_once() and polls < 20:
        polls += 1
    assert seen[0] == ["a", "b", "c"]  # from the end of the stream when it started: "before" is not read
    assert seen[1:] == [["b", "c"]] * MAX_RETRIES + [["c"]]  # handed back from "b", then "b" skipped


def test_stop_ends_the_loop() -> None:
    source = LocalStreamSource(FakeStream(), ARN, lambda _e, _c: {}, poll_interval_s=0.01)
    source.stop()
    source.run()  # returns at once: the flag is set
