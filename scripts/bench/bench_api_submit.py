"""Benchmark `api-submit`: submit latency through gunicorn against the emulator, next to the bare floor.

1. The emulator: AWS_ENDPOINT_URL if it answers, else a moto server of our own on a free port.
2. Resources: the table and GPU instance from GPUJOBS_OUTPUTS_FILE (or SQS_QUEUE_URL/DYNAMODB_TABLE/
   GPU_INSTANCE_ID) when given, else our own; the queues are always fresh ones made here, one per
   phase, because moto's SendMessage slows down as a queue fills, so both phases start empty.
3. The API: gunicorn with the repo's configuration (services/api/gunicorn.conf.py) on a free port,
   with authentication and the limits on as always: the benchmark's key (made here, in the key table
   from the outputs or a fresh one) has a rate limit, and its tenant a cap on waiting jobs, far above
   the benchmark's load, so every request pays the key check and both limits and none is refused.
   The tenant's waiting count is re-read once a minute (API_WAITING_CACHE_S=60) rather than every
   2 s: moto answers a Query by reading the whole table (1.7 s at 4000 rows on a busy 2-core host),
   where DynamoDB reads only the index entries it returns, and the benchmark leaves thousands of rows.
   The API's AWS read deadline is 10 s, as patient as the floor's client: the request path's 0.8 s
   answers a loaded moto's slowest calls with 503 (BENCH=recovery measures that promise).
4. From this process, REQUESTS submits at CONCURRENCY threads, each with its own keep-alive
   requests.Session, and the floor: the same number of (DynamoDB put + SQS send) pairs from one
   boto3 client at the same concurrency. Both run in interleaved blocks (alternating which goes
   first), each block on an emptied queue, so load from other processes on a shared machine and
   the queue depth weigh on both alike.

The last line is: `api-submit p50_ms=<x> p99_ms=<y> rps=<z> floor_p50_ms=<f> ratio=<x/f>`.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import requests
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gpujobs.api_keys import KeyTable  # noqa: E402
from gpujobs.settings import load_settings  # noqa: E402
from gpujobs.task_message import TaskMessage  # noqa: E402
from gpujobs.task_model import Task  # noqa: E402
from gpujobs.task_store import TaskStore  # noqa: E402
from local import emulator as emulator_process  # noqa: E402
from local.processes import stop  # noqa: E402
from tests.task_table import create_api_key_table, create_task_table  # noqa: E402

CAMERA = "/api/v1/camera-angle/jobs"
BODY = {"image_url": "s3://bench-inputs/cat.png", "prompt": "rotate the camera 30 degrees left", "seed": 7}


@dataclass
class Phase:
    latencies_ms: list[float]
    wall_s: float
    errors: int

    def percentile(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]

    @classmethod
    def merge(cls, phases: list["Phase"]) -> "Phase":
        return cls([ms for p in phases for ms in p.latencies_ms], sum(p.wall_s for p in phases),
                   sum(p.errors for p in phases))

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.wall_s

    def describe(self, name: str) -> str:
        return (f"{name}: n={len(self.latencies_ms)} errors={self.errors} p50_ms={self.percentile(50):.2f} "
                f"p90_ms={self.percentile(90):.2f} p99_ms={self.percentile(99):.2f} "
                f"mean_ms={statistics.fmean(self.latencies_ms):.2f} rps={self.rps:.1f}")


def run_phase(total: int, concurrency: int, make_worker: Callable[[], Callable[[int], bool]]) -> Phase:
    """`total` operations over `concurrency` threads; each thread builds its own worker (session)."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    counter = iter(range(total))
    start_gate = threading.Barrier(concurrency + 1)

    def thread_main() -> None:
        nonlocal errors
        work = make_worker()
        start_gate.wait()
        local: list[float] = []
        local_errors = 0
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            started = time.perf_counter()
            ok = work(i)
            local.append((time.perf_counter() - started) * 1000)
            local_errors += 0 if ok else 1
        with lock:
            latencies.extend(local)
            errors += local_errors

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        futures = [pool.submit(thread_main) for _ in range(concurrency)]
        start_gate.wait()
        started = time.perf_counter()
        for future in futures:
            future.result()
        wall = time.perf_counter() - started
    return Phase(latencies, wall, errors)


def create_instance(ec2: Any) -> str:
    instance_id = ec2.run_instances(
        ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="g6e.2xlarge",
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Purpose", "Value": "GPU-ComfyUI"}]}],
    )["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[instance_id])
    return str(instance_id)


def drain(sqs: Any, queue_url: str) -> None:
    """Empty a queue by receive + delete (PurgeQueue is allowed once a minute, on moto as on AWS)."""
    for _ in range(10_000):
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                       WaitTimeSeconds=0).get("Messages", [])
        if not messages:
            return
        sqs.delete_message_batch(QueueUrl=queue_url, Entries=[
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ])
    raise RuntimeError(f"{queue_url} did not drain")


def start_api(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen:
    log = open(log_path, "ab")  # noqa: SIM115 (owned by the child)
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "-c", str(ROOT / "services/api/gunicorn.conf.py"),
         "services.api.wsgi:app"],
        cwd=ROOT, env={**env, "API_BIND": f"127.0.0.1:{port}"}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with code {process.returncode}; see {log_path}")
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    stop([process], timeout_s=20, group=True)
    raise RuntimeError(f"the API did not become healthy within 60 s; see {log_path}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=int(os.environ.get("BENCH_REQUESTS", 2000)))
    parser.add_argument("--concurrency", type=int, default=int(os.environ.get("BENCH_CONCURRENCY", 16)))
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--blocks", type=int, default=10, help="interleaved blocks per phase")
    args = parser.parse_args()

    work_dir = Path(tempfile.mkdtemp(prefix="bench-api-submit-"))
    emulator = emulator_process.use_or_start(log_path=work_dir / "moto.log")
    env = {**os.environ, **emulator.environment()}
    os.environ.update(env)
    api: subprocess.Popen | None = None
    try:
        config = Config(max_pool_connections=args.concurrency * 2, retries={"mode": "standard", "max_attempts": 4})
        dynamodb = boto3.client("dynamodb", config=config)
        sqs = boto3.client("sqs", config=config)
        ec2 = boto3.client("ec2", config=config)
        given = load_settings("api")
        run_id = uuid.uuid4().hex[:8]
        table = given.table_name
        if not table:
            table = f"bench_tasks_{run_id}"
            create_task_table(dynamodb, table)
        instance_id = given.gpu_instance_id or create_instance(ec2)
        key_table = given.get("API_KEYS_TABLE") or create_api_key_table(dynamodb, f"bench_keys_{run_id}")
        # Limits far above the load: one key sends every request, and every job stays pending.
        api_key = KeyTable(key_table, dynamodb).create(f"bench-{run_id}", int(time.time()), rate_limit=1e6)[0]
        api_queue = sqs.create_queue(QueueName=f"bench_api_{run_id}")["QueueUrl"]
        floor_queue = sqs.create_queue(QueueName=f"bench_floor_{run_id}")["QueueUrl"]

        port = emulator_process.free_port()
        api_env = {**env, "SQS_QUEUE_URL": api_queue, "DYNAMODB_TABLE": table, "GPU_INSTANCE_ID": instance_id,
                   "API_KEYS_TABLE": key_table, "API_MAX_WAITING_JOBS": str(10 * (args.requests + args.warmup)),
                   "API_WAITING_CACHE_S": "60", "INPUT_BUCKETS": "bench-inputs",
                   # The floor's boto3 client waits as long as moto takes; so does the API here (its 0.8 s
                   # read deadline answers a loaded moto's slowest calls with 503, which is right for an
                   # outage and wrong for a throughput figure), within a Lambda limit that allows it.
                   "API_AWS_READ_TIMEOUT_S": "10", "API_LAMBDA_TIMEOUT_S": "900",
                   "PYTHONPATH": str(ROOT)}
        api = start_api(api_env, port, work_dir / "gunicorn.log")
        url = f"http://127.0.0.1:{port}{CAMERA}"
        payload = json.dumps(BODY)
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {api_key}"}

        def api_worker() -> Callable[[int], bool]:
            session = requests.Session()

            def submit(_: int) -> bool:
                response = session.post(url, data=payload, headers=headers, timeout=30)
                return response.status_code == 202

            return submit

        store = TaskStore(table, dynamodb)

        def floor_worker(queue_url: str) -> Callable[[], Callable[[int], bool]]:
            def make() -> Callable[[int], bool]:
                def put_and_send(_: int) -> bool:
                    task = Task.new(str(uuid.uuid4()), CAMERA, {**BODY, "steps": 8}, int(time.time()))
                    store.create(task)
                    message = TaskMessage(task_id=task.task_id, api_path=CAMERA, request_body=task.request_body)
                    sqs.send_message(QueueUrl=queue_url, MessageBody=message.to_body())
                    return True

                return put_and_send

            return make

        # Warm both paths (connections, imports, moto's code paths); each block drains the queues first.
        run_phase(args.warmup, args.concurrency, floor_worker(floor_queue))
        run_phase(args.warmup, args.concurrency, api_worker)

        floor_blocks: list[Phase] = []
        api_blocks: list[Phase] = []
        for block in range(args.blocks):
            size = args.requests // args.blocks + (1 if block < args.requests % args.blocks else 0)
            order = [("floor", floor_queue), ("api", api_queue)]
            for name, queue_url in order if block % 2 == 0 else reversed(order):
                drain(sqs, queue_url)
                if name == "floor":
                    floor_blocks.append(run_phase(size, args.concurrency, floor_worker(floor_queue)))
                else:
                    api_blocks.append(run_phase(size, args.concurrency, api_worker))
        floor, submit = Phase.merge(floor_blocks), Phase.merge(api_blocks)
        print(floor.describe("floor (DynamoDB put + SQS send, boto3)"))
        print(submit.describe("api (POST through gunicorn)"))
        depth = sqs.get_queue_attributes(QueueUrl=api_queue, AttributeNames=["ApproximateNumberOfMessages"])
        print(f"api queue depth after the last block: {depth['Attributes']['ApproximateNumberOfMessages']}")
        print(f"logs: {work_dir}")
        if submit.errors or floor.errors:
            print(f"errors: api={submit.errors} floor={floor.errors}", file=sys.stderr)
            return 1
        p50, p99, floor_p50 = submit.percentile(50), submit.percentile(99), floor.percentile(50)
        print(f"api-submit p50_ms={p50:.2f} p99_ms={p99:.2f} rps={submit.rps:.1f} "
              f"floor_p50_ms={floor_p50:.2f} ratio={p50 / floor_p50:.2f}")
        return 0
    finally:
        if api is not None:
            stop([api], timeout_s=20, group=True)
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main())
