"""Benchmark `distributor`: messages through the distributor's handler against the emulator, next to the floor.

1. The emulator: AWS_ENDPOINT_URL if it answers, else a moto server of our own on a free port.
2. Distributor: three fresh regional queues (three regions), a fresh idempotency table and master DLQ;
   the handler is invoked in process with SQS events of 10 records, as the event source delivers them.
   Per batch it reserves the keys in one TransactWriteItems, sends one SendMessageBatch per chosen
   region and confirms in one BatchWriteItem; per minute one depth read per queue. Every message must
   land in exactly one queue.
3. Floor: the same messages (bodies and attributes) sent with a bare SendMessageBatch loop, 10 per
   call, round-robin over three other fresh queues in the same three regions: the least any forwarder
   must do. moto's SendMessage costs grow with a queue's depth, so both phases start from empty queues
   and end at the same depths.

The last line is `distributor msgs_per_s=<x> floor_msgs_per_s=<f> ratio=<x/f>`, where ratio is the
distributor's throughput as a fraction of the bare SendMessageBatch loop's (1.0 = no overhead).
If the distributor phase passes --time-limit-s it stops after the current batch; the floor then sends the
same number of messages, so the ratio stays like for like (the run prints `partial=<n> of <total>`).
"""

import argparse
import contextlib
import io
import json
import os
import random
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import boto3

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gpujobs import aws_clients  # noqa: E402
from gpujobs.settings import Settings  # noqa: E402
from local import emulator as emulator_process  # noqa: E402
from local.distributor_source import LocalContext  # noqa: E402
from services.distributor_lambda import handler  # noqa: E402

REGIONS = ["eu-west-1", "us-east-1", "us-west-2"]
HOME = "us-east-1"


def bodies(count: int, run_id: str) -> list[str]:
    return [json.dumps({"request_id": f"bench-{run_id}-{i}", "model_name": "qwen-image-edit",
                        "input_data_url": f"s3://bench-inputs/{i}.json", "priority": "normal",
                        "timestamp": "2025-12-02T10:23:00Z", "metadata": {"user_id": "bench", "n": i}})
            for i in range(count)]


def event(batch: list[str], start: int) -> dict[str, Any]:
    return {"Records": [{
        "messageId": str(uuid.uuid4()), "receiptHandle": f"rh-{start + i}", "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        "messageAttributes": {"trace": {"stringValue": f"t-{start + i}", "stringListValues": [],
                                        "binaryListValues": [], "dataType": "String"}},
        "md5OfBody": "", "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:master",
        "awsRegion": HOME,
    } for i, body in enumerate(batch)]}


def fresh_queues(sqs: dict[str, Any], label: str) -> dict[str, str]:
    return {r: sqs[r].create_queue(QueueName=f"bench_{label}_{r}")["QueueUrl"] for r in REGIONS}


def total_depth(sqs: dict[str, Any], queues: dict[str, str]) -> int:
    return sum(int(sqs[r].get_queue_attributes(QueueUrl=u, AttributeNames=["ApproximateNumberOfMessages"])
                   ["Attributes"]["ApproximateNumberOfMessages"]) for r, u in queues.items())


def floor_phase(sqs: dict[str, Any], queues: dict[str, str], messages: list[str]) -> float:
    began = time.perf_counter()
    for n, start in enumerate(range(0, len(messages), 10)):
        region = REGIONS[n % len(REGIONS)]
        response = sqs[region].send_message_batch(QueueUrl=queues[region], Entries=[
            {"Id": str(i), "MessageBody": body,
             "MessageAttributes": {"trace": {"DataType": "String", "StringValue": f"t-{start + i}"}}}
            for i, body in enumerate(messages[start:start + 10])
        ])
        if response.get("Failed"):
            raise RuntimeError(f"floor send failed: {response['Failed']}")
    return time.perf_counter() - began


def distributor_phase(messages: list[str], time_limit_s: float) -> tuple[int, float, int]:
    """Returns (messages handled, seconds, batch item failures)."""
    failures, handled = 0, 0
    began = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()) as captured:  # EMF metric lines, one per invocation
        for start in range(0, len(messages), 10):
            response = handler.lambda_handler(event(messages[start:start + 10], start), LocalContext())
            failures += len(response["batchItemFailures"])
            handled += len(messages[start:start + 10])
            captured.seek(0)
            captured.truncate()
            if time.perf_counter() - began > time_limit_s:
                break
    return handled, time.perf_counter() - began, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=int(os.environ.get("BENCH_MESSAGES", 10_000)))
    parser.add_argument("--time-limit-s", type=float, default=float(os.environ.get("BENCH_TIME_LIMIT_S", 240)))
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the cleanup below, which stops our emulator
    work_dir = Path(tempfile.mkdtemp(prefix="bench-distributor-"))
    emulator = emulator_process.use_or_start(log_path=work_dir / "moto.log")
    os.environ.update(emulator.environment())
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    aws_clients.reset_clients()
    try:
        run_id = uuid.uuid4().hex[:8]
        sqs = {r: aws_clients.client("sqs", r) for r in REGIONS}
        dynamodb = boto3.client("dynamodb", region_name=HOME)
        messages = bodies(args.messages, run_id)

        queues = fresh_queues(sqs, f"dist_{run_id}")
        dlq = sqs[HOME].create_queue(QueueName=f"bench_dlq_{run_id}")["QueueUrl"]
        table = f"bench_idempotency_{run_id}"
        dynamodb.create_table(TableName=table, KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                              AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                              BillingMode="PAY_PER_REQUEST")
        settings = Settings({"REGION_QUEUES": json.dumps(queues), "MASTER_DLQ_URL": dlq, "IDEMPOTENCY_TABLE": table})
        handler.install_instance(handler.build_distributor(settings, rng=random.Random(1)))
        handled, dist_s, failures = distributor_phase(messages, args.time_limit_s)
        rate = handled / dist_s
        per_region = {r: total_depth(sqs, {r: u}) for r, u in queues.items()}
        landed = sum(per_region.values())
        print(f"distributor (handler in process): n={handled} seconds={dist_s:.2f} msgs_per_s={rate:.1f} "
              f"failures={failures} landed={landed} per_region={per_region}", flush=True)
        if failures or landed != handled:
            print(f"distributor lost or failed messages: handled={handled} landed={landed} failures={failures}",
                  file=sys.stderr)
            return 1

        # The floor sends exactly the messages the distributor handled, so both end at the same depths.
        floor_queues = fresh_queues(sqs, f"floor_{run_id}")
        floor_s = floor_phase(sqs, floor_queues, messages[:handled])
        floor_rate = handled / floor_s
        print(f"floor (bare SendMessageBatch loop): n={handled} seconds={floor_s:.2f} "
              f"msgs_per_s={floor_rate:.1f} landed={total_depth(sqs, floor_queues)}", flush=True)
        if handled < len(messages):
            print(f"partial={handled} of {len(messages)} (time limit {args.time_limit_s:.0f} s reached)")
        print(f"distributor msgs_per_s={rate:.1f} floor_msgs_per_s={floor_rate:.1f} ratio={rate / floor_rate:.3f}")
        return 0
    finally:
        handler.install_instance(None)
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main())
