"""Benchmark `adapter-throughput`: jobs through the worker with a zero-latency Unified API, next to the floor.

1. The emulator: AWS_ENDPOINT_URL if it answers, else a moto server of our own on a free port.
2. Two fresh task tables and queues, one per phase, each filled beforehand with the same number of
   task rows and task messages (WARMUP + JOBS), so both phases see the same depths.
3. Worker phase: `python -m services.adapter` as a process at CONCURRENCY, against the fake Unified
   API of tests/doubles/fake_unified_api.py in this process (every job completes at once). The
   clock runs from the WARMUP-th to the last "job completed" line of the worker's own JSON log, so
   process start and imports are not counted and nothing polls the emulator meanwhile.
4. Floor phase: CONCURRENCY threads here, each repeating the bare minimum a job needs from AWS:
   ReceiveMessage (one message), two conditional DynamoDB UpdateItems (claim, complete) and
   DeleteMessage, on the other queue and table; timed the same way after WARMUP operations.

Per-job overhead is the time one worker slot spends per job: wall_s * concurrency / jobs. With a
Unified API that takes no time, all of it is the worker's own cost (receive, claim,
complete, delete, the last-activity row when the worker goes idle, two local HTTP calls, logging).
The floor is the same measure for the bare operations.

The last line is: `adapter-throughput jobs_per_s=<x> overhead_ms=<y> floor_ms=<f> ratio=<y/f>`.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gpujobs.task_message import TaskMessage  # noqa: E402
from gpujobs.task_model import Task, TaskStatus  # noqa: E402
from gpujobs.task_store import STATUS_INDEX, serialize  # noqa: E402
from local import emulator as emulator_process  # noqa: E402
from local.processes import stop  # noqa: E402
from tests.doubles.fake_unified_api import FakeUnifiedApi  # noqa: E402
from tests.task_table import create_task_table  # noqa: E402

CAMERA = "/api/v1/camera-angle/jobs"
BODY = {"image_url": "s3://bench-inputs/cat.png", "prompt": "rotate the camera 30 degrees left", "steps": 8}


def fill(dynamodb: Any, sqs: Any, table: str, queue_url: str, count: int) -> None:
    """`count` pending task rows and their messages, as the API would have left them."""
    now = int(time.time())
    tasks = [Task.new(f"bench-{uuid.uuid4().hex}", CAMERA, dict(BODY), now) for _ in range(count)]
    for start in range(0, count, 25):
        requests = [{"PutRequest": {"Item": serialize(t.to_item())}} for t in tasks[start:start + 25]]
        while requests:
            unprocessed = dynamodb.batch_write_item(RequestItems={table: requests}).get("UnprocessedItems", {})
            requests = unprocessed.get(table, [])
    for start in range(0, count, 10):
        entries = [{"Id": str(i), "MessageBody": TaskMessage(task_id=t.task_id, api_path=CAMERA,
                                                               request_body=t.request_body).to_body()}
                   for i, t in enumerate(tasks[start:start + 10])]
        sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)


def completions(log_path: Path) -> list[float]:
    """Epoch seconds of each "job completed" line in the worker's JSON log, in order."""
    stamps = []
    for raw in log_path.read_text().splitlines():
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if str(line.get("message", "")).startswith("job completed"):
            stamps.append(datetime.strptime(line["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").timestamp())
    return sorted(stamps)


def run_worker(env: dict[str, str], log_path: Path, total: int, warmup: int, timeout_s: float) -> float:
    """Seconds from the warmup-th to the last completion, with the worker as its own process."""
    log = open(log_path, "ab")  # noqa: SIM115 (owned by the child)
    process = subprocess.Popen([sys.executable, "-m", "services.adapter"], cwd=ROOT, env=env, stdout=log,
                               stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the worker exited with code {process.returncode}; see {log_path}")
            done = completions(log_path)
            if len(done) >= total:
                return done[total - 1] - done[warmup - 1]
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(done)} of {total} jobs completed in {timeout_s:g} s; see {log_path}")
            time.sleep(0.5)
    finally:
        stop([process], timeout_s=60, group=True)


def run_floor(dynamodb: Any, sqs: Any, table: str, queue_url: str, total: int, warmup: int,
              concurrency: int) -> float:
    """Seconds from the warmup-th to the last bare job (receive, claim, complete, delete)."""
    stamps: list[float] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def one(message: dict[str, Any]) -> None:
        task_id = json.loads(message["Body"])["task_id"]
        now = int(time.time())
        key = {"task_id": {"S": task_id}}
        dynamodb.update_item(
            TableName=table, Key=key, UpdateExpression="SET #s = :p, worker_id = :w, lease_expires_at = :l",
            ConditionExpression="#s = :pending", ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=serialize({":p": TaskStatus.PROCESSING.value, ":w": "floor",
                                                 ":l": now + 300, ":pending": TaskStatus.PENDING.value}))
        dynamodb.update_item(
            TableName=table, Key=key, UpdateExpression="SET #s = :c, result_s3_uri = :u",
            ConditionExpression="#s = :p AND worker_id = :w", ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=serialize({":c": TaskStatus.COMPLETED.value, ":u": "s3://r/o.png",
                                                 ":p": TaskStatus.PROCESSING.value, ":w": "floor"}))
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])

    def thread_main() -> None:
        try:
            while True:
                with lock:
                    if len(stamps) >= total:
                        return
                messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=1,
                                               VisibilityTimeout=300).get("Messages", [])
                for message in messages:
                    one(message)
                    with lock:
                        stamps.append(time.time())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=thread_main) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    if errors:
        raise errors[0]
    stamps.sort()
    return stamps[total - 1] - stamps[warmup - 1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("BENCH_JOBS", 500)))
    parser.add_argument("--concurrency", type=int, default=int(os.environ.get("BENCH_CONCURRENCY", 8)))
    parser.add_argument("--warmup", type=int, default=40)
    args = parser.parse_args()
    total = args.warmup + args.jobs

    work_dir = Path(tempfile.mkdtemp(prefix="bench-adapter-"))
    emulator = emulator_process.use_or_start(log_path=work_dir / "moto.log")
    env = {**os.environ, **emulator.environment()}
    env.pop("GPUJOBS_OUTPUTS_FILE", None)
    os.environ.update(env)
    fake = FakeUnifiedApi().start()
    try:
        config = Config(max_pool_connections=args.concurrency * 2, retries={"mode": "standard", "max_attempts": 4})
        dynamodb = boto3.client("dynamodb", config=config)
        sqs = boto3.client("sqs", config=config)
        run_id = uuid.uuid4().hex[:8]
        phases = {}
        for phase in ("worker", "floor"):
            table = f"bench_adapter_{phase}_{run_id}"
            create_task_table(dynamodb, table)
            queue_url = sqs.create_queue(QueueName=f"bench_adapter_{phase}_{run_id}")["QueueUrl"]
            fill(dynamodb, sqs, table, queue_url, total)
            phases[phase] = (table, queue_url)
        print(f"filled two tables and queues with {total} jobs each ({args.warmup} warm-up)", flush=True)

        table, queue_url = phases["floor"]
        floor_s = run_floor(dynamodb, sqs, table, queue_url, total, args.warmup, args.concurrency)
        table, queue_url = phases["worker"]
        worker_env = {**env, "SQS_QUEUE_URL": queue_url, "DYNAMODB_TABLE": table, "UNIFIED_API_URL": fake.url,
                      "WORKER_CONCURRENCY": str(args.concurrency), "WAIT_TIME_S": "1", "POLL_INTERVAL_S": "0.05",
                      "WORKER_ID": f"bench-{run_id}", "LOG_LEVEL": "INFO", "PYTHONPATH": str(ROOT)}
        worker_s = run_worker(worker_env, work_dir / "worker.log", total, args.warmup, timeout_s=900)

        completed = dynamodb.query(
            TableName=table, IndexName=STATUS_INDEX, KeyConditionExpression="#s = :s",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": TaskStatus.COMPLETED.value}}, Select="COUNT")["Count"]
        measured = args.jobs - 1  # intervals between the warmup-th and the last completion
        jobs_per_s = measured / worker_s
        overhead_ms = worker_s * args.concurrency / measured * 1000
        floor_ms = floor_s * args.concurrency / measured * 1000
        print(f"worker: {measured} jobs in {worker_s:.2f} s at concurrency {args.concurrency}; "
              f"tasks completed {completed}/{total}; Unified API submissions {len(fake.submissions)}")
        print(f"floor (receive + 2 updates + delete, boto3): {measured} in {floor_s:.2f} s "
              f"= {measured / floor_s:.1f}/s")
        print(f"logs: {work_dir}")
        if completed != total or len(fake.submissions) != total:
            print("error: not every job completed exactly once", file=sys.stderr)
            return 1
        print(f"adapter-throughput jobs_per_s={jobs_per_s:.1f} overhead_ms={overhead_ms:.2f} "
              f"floor_ms={floor_ms:.2f} ratio={overhead_ms / floor_ms:.2f}")
        return 0
    finally:
        fake.stop()
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main())
