"""The handler end to end against moto in process: several queues stand for regions."""

import base64
import json
from collections import Counter
from typing import Any

from gpujobs.aws_clients import client
from services.distributor_lambda import handler
from tests.doubles.lambda_context import LambdaContext

from .conftest import REGIONS, Aws, load_event

ATTRS = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]


def invoke(event: dict[str, Any], context: LambdaContext | None = None) -> dict[str, Any]:
    return handler.lambda_handler(event, context or LambdaContext())


def forwarded(aws: Aws) -> dict[str, list[dict[str, Any]]]:
    return {region: aws.drain(region) for region in REGIONS}


def request_record(index: int, request_id: str | None = None, priority: str = "normal") -> dict[str, Any]:
    body = json.dumps({"request_id": request_id or f"req-{index}", "model_name": "m",
                       "input_data_url": f"s3://in/{index}.json", "priority": priority,
                       "timestamp": "2025-12-02T10:23:00Z", "metadata": {"n": index}})
    return {"messageId": f"msg-{index}", "receiptHandle": f"rh-{index}", "body": body, "attributes": {},
            "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:master", "awsRegion": "us-east-1"}


def batches(count: int, start: int = 0) -> list[dict[str, Any]]:
    records = [request_record(i) for i in range(start, start + count)]
    return [{"Records": records[i:i + 10]} for i in range(0, len(records), 10)]


def test_mixed_batch_response_in_full_and_messages_intact(aws):
    aws.install()
    event = load_event("mixed_batch.json")

    assert invoke(event) == {"batchItemFailures": []}

    got = [m for messages in forwarded(aws).values() for m in messages]
    assert sorted(json.loads(m["Body"])["request_id"] for m in got) == ["req-12345", "req-12346"]
    first = next(m for m in got if json.loads(m["Body"])["request_id"] == "req-12345")
    assert first["Body"] == event["Records"][0]["body"]
    region = first["MessageAttributes"]["distributor_region"]["StringValue"]
    assert region in REGIONS
    assert first["MessageAttributes"]["tenant"] == {"StringValue": "acme", "DataType": "String"}
    assert first["MessageAttributes"]["blob"] == {"BinaryValue": base64.b64decode("AAEC"), "DataType": "Binary"}

    dead = aws.drain(url=aws.dlq_url)
    assert [m["Body"] for m in dead] == [event["Records"][2]["body"], event["Records"][3]["body"]]
    reasons = [m["MessageAttributes"]["distributor_rejection"]["StringValue"] for m in dead]
    assert "not JSON" in reasons[0] and "input_data_url" in reasons[1]
    assert len(aws.records()) == 2


def test_duplicate_request_id_is_forwarded_once_across_invocations(aws):
    aws.install()
    event = load_event("ten_requests.json")
    assert invoke(event) == {"batchItemFailures": []}
    assert invoke(event) == {"batchItemFailures": []}
    assert sum(len(m) for m in forwarded(aws).values()) == 10
    statuses = Counter(item["status"]["S"] for item in aws.records())
    assert statuses == {"COMPLETED": 10}
    # The role's dynamodb:LeadingKeys condition (terraform/modules/distributor/iam.tf) relies on this prefix.
    assert all(item["id"]["S"].startswith("distributor#") for item in aws.records())
    assert {json.loads(item["data"]["S"])["region"] for item in aws.records()} <= set(REGIONS)


def test_a_batch_with_one_forwarded_key_forwards_the_others_once(aws):
    """The batch's keys are reserved in one transaction; the key already forwarded refuses it, the rest go again."""
    aws.install()
    assert invoke({"Records": [request_record(1)]}) == {"batchItemFailures": []}
    assert invoke({"Records": [request_record(i) for i in (1, 2, 3)]}) == {"batchItemFailures": []}
    bodies = sorted(json.loads(m["Body"])["request_id"] for ms in forwarded(aws).values() for m in ms)
    assert bodies == ["req-1", "req-2", "req-3"]
    assert Counter(item["status"]["S"] for item in aws.records()) == {"COMPLETED": 3}


def test_task_message_from_the_api_is_forwarded_intact(aws):
    aws.install()
    event = load_event("task_message.json")
    assert invoke(event) == {"batchItemFailures": []}
    got = [m for messages in forwarded(aws).values() for m in messages]
    assert [m["Body"] for m in got] == [event["Records"][0]["body"]]
    assert invoke(event) == {"batchItemFailures": []}
    assert sum(len(m) for m in forwarded(aws).values()) == 0


def test_distribution_roughly_follows_inverse_depth(aws):
    depths = {"eu-west-1": 0, "us-east-1": 1, "us-west-2": 3}
    for region, depth in depths.items():
        aws.fill(region, depth)
    aws.install(seed=11)
    for event in batches(350):
        assert invoke(event) == {"batchItemFailures": []}
    counts = {region: aws.depth(region) - depths[region] for region in REGIONS}
    assert sum(counts.values()) == 350
    expected = {"eu-west-1": 200, "us-east-1": 100, "us-west-2": 50}
    for region in REGIONS:
        assert abs(counts[region] - expected[region]) <= 0.2 * expected[region] + 5, (counts, expected)


def test_overloaded_queue_receives_nothing(aws):
    aws.fill("us-east-1", 20)
    aws.install(overload_threshold=20)
    for event in batches(100):
        assert invoke(event) == {"batchItemFailures": []}
    assert aws.depth("us-east-1") == 20
    assert aws.depth("eu-west-1") + aws.depth("us-west-2") == 100


def test_all_overloaded_fails_every_record_back_and_reserves_nothing(aws):
    for region in REGIONS:
        aws.fill(region, 5)
    aws.install(overload_threshold=5)
    event = load_event("ten_requests.json")
    assert invoke(event) == {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]}
    assert {region: aws.depth(region) for region in REGIONS} == dict.fromkeys(REGIONS, 5)
    assert aws.records() == []


class FailOneEntry:
    """An SQS client that refuses one entry of SendMessageBatch (by body substring) and sends the rest."""

    def __init__(self, real: Any, refuse: str) -> None:
        self._real = real
        self._refuse = refuse

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def send_message_batch(self, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        refused = [e for e in Entries if self._refuse in e["MessageBody"]]
        kept = [e for e in Entries if self._refuse not in e["MessageBody"]]
        response = self._real.send_message_batch(QueueUrl=QueueUrl, Entries=kept) if kept else {"Successful": []}
        response["Failed"] = [{"Id": e["Id"], "SenderFault": False, "Code": "InternalError",
                               "Message": "injected"} for e in refused]
        return response


def test_one_failed_entry_is_reported_alone_and_can_be_retried(aws):
    aws.install(sqs_for=lambda region: FailOneEntry(client("sqs", region), '"req-batch-4"'))
    event = load_event("ten_requests.json")

    assert invoke(event) == {"batchItemFailures": [{"itemIdentifier": "22222222-0000-4000-8000-000000000004"}]}
    assert sum(len(m) for m in forwarded(aws).values()) == 9
    assert len(aws.records()) == 9

    aws.install()
    retry = {"Records": [event["Records"][4]]}
    assert invoke(retry) == {"batchItemFailures": []}
    assert [json.loads(m["Body"])["request_id"] for ms in forwarded(aws).values() for m in ms] == ["req-batch-4"]


def test_missing_regional_queue_fails_its_entries_and_is_avoided_after(aws):
    urls = dict(aws.queue_urls)
    urls["us-west-2"] = urls["us-west-2"].replace("tasks_us-west-2", "tasks_gone")
    aws.queue_urls = urls
    aws.install(seed=5)
    failed = set()
    for event in batches(40):
        failed |= {f["itemIdentifier"] for f in invoke(event)["batchItemFailures"]}
    # The unreadable depth already keeps it out of the first snapshot.
    assert failed == set()
    assert aws.depth("eu-west-1") + aws.depth("us-east-1") == 40


def test_send_to_a_vanished_queue_fails_those_entries_then_region_is_skipped(aws):
    distributor = aws.install(seed=2)
    distributor._depths.snapshot()
    aws.clients["us-west-2"].delete_queue(QueueUrl=aws.queue_urls["us-west-2"])
    first = invoke({"Records": [request_record(i) for i in range(10)]})["batchItemFailures"]
    assert first, "with three equal queues some of ten messages go to us-west-2"
    later = invoke({"Records": [request_record(i) for i in range(10, 20)]})
    assert later == {"batchItemFailures": []}
    retry = invoke({"Records": [request_record(int(f["itemIdentifier"].split("-")[1])) for f in first]})
    assert retry == {"batchItemFailures": []}
    assert aws.depth("eu-west-1") + aws.depth("us-east-1") == 20


def test_duplicate_inside_one_batch_is_forwarded_once(aws):
    aws.install()
    event = {"Records": [request_record(1, "req-same"), request_record(2, "req-same"), request_record(3)]}
    assert invoke(event) == {"batchItemFailures": []}
    bodies = [json.loads(m["Body"])["request_id"] for ms in forwarded(aws).values() for m in ms]
    assert sorted(bodies) == ["req-3", "req-same"]


def test_key_held_by_a_live_invocation_is_retried_later_and_freed_when_it_expires(aws):
    distributor = aws.install()
    distributor._ledger.reserve(["request:req-held"], remaining_ms=60_000)
    event = {"Records": [request_record(1, "req-held")]}
    assert invoke(event) == {"batchItemFailures": [{"itemIdentifier": "msg-1"}]}
    assert sum(len(m) for m in forwarded(aws).values()) == 0

    distributor._ledger.reserve(["request:req-dead"], remaining_ms=-1000)
    assert invoke({"Records": [request_record(2, "req-dead")]}) == {"batchItemFailures": []}
    assert sum(len(m) for m in forwarded(aws).values()) == 1


def test_depth_cache_is_used_within_ttl_and_refreshed_after(aws):
    calls: Counter[str] = Counter()
    for region in REGIONS:
        client("sqs", region).meta.events.register(
            "before-call.sqs.GetQueueAttributes", lambda region=region, **_: calls.update([region]))
    aws.install()
    for event in batches(20):
        invoke(event)
    assert calls == dict.fromkeys(REGIONS, 1)
    aws.clock.now += 59
    invoke(batches(10, start=100)[0])
    assert calls == dict.fromkeys(REGIONS, 1)
    aws.clock.now += 1
    invoke(batches(10, start=200)[0])
    assert calls == dict.fromkeys(REGIONS, 2)


def test_high_priority_goes_to_the_least_loaded_queue(aws):
    aws.fill("eu-west-1", 3)
    aws.fill("us-east-1", 1)
    aws.install()
    event = {"Records": [request_record(i, priority="high") for i in range(10)]}
    assert invoke(event) == {"batchItemFailures": []}
    assert aws.depth("us-west-2") == 10
