"""Benchmark `recovery`: how long after a fault the system has recovered, on real processes.

1. An emulator of its own (moto on a free port: one phase freezes it), a task table, a task queue
   (visibility 300 s, as the stack's) and a results bucket.
2. The job path as processes (tests/fault_rig.py): the API, the ComfyUI double (a job of 12 steps
   runs about 5 s), the Unified API and the worker, whose id is fixed as an instance's is.
3. worker_kill_s: a job is running; the worker is SIGKILLed and started again after the local GPU
   host's restart delay (2 s; systemd on the instance waits RestartSec=5 s, 3 s more); the time from
   the kill until the job reads `completed`. The job must have run once on ComfyUI.
4. gpu_service_kill_s: the same with the Unified API (gunicorn and its workers).
5. stall_submit_s: the emulator is frozen (SIGSTOP), a job is submitted; the time from the freeze
   until the API's answer, which must be a 503 with Retry-After. Then the emulator is thawed.

These are times from the fault, not ratios: their floor is the restart delay and the job's own run
time, which the figure includes. Each phase runs REPEATS times (BENCH_REPEATS, default 3) and the
worst is reported. Goals: worker_kill_s <= 30, gpu_service_kill_s <= 10, stall_submit_s <= 3.

The last line is: `recovery worker_kill_s=<w> gpu_service_kill_s=<g> stall_submit_s=<s>`.
"""

import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import boto3
import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from local import emulator as emulator_process  # noqa: E402
from local.gpu_host.host_config import HostConfig  # noqa: E402
from tests.fault_rig import CAMERA, FaultRig, new_key_table  # noqa: E402
from tests.task_table import create_task_table  # noqa: E402

STEPS = 12
RESTART_DELAY_S = HostConfig.restart_delay_s
GOALS = {"worker_kill_s": 30.0, "gpu_service_kill_s": 10.0, "stall_submit_s": 3.0}


def kill_and_recover(rig: FaultRig, image_url: str, child: str, dynamodb: object, table: str) -> float:
    job_id = rig.submit(image_url, STEPS)
    rig.wait_running(job_id)
    killed_at = rig.kill(child)
    time.sleep(RESTART_DELAY_S)
    rig.start(child)
    final = rig.wait_final(job_id, 600)
    recovered_s = time.time() - killed_at
    row = dynamodb.get_item(TableName=table, Key={"task_id": {"S": job_id}}, ConsistentRead=True)["Item"]
    if final["status"] != "completed" or rig.executions(row["comfy_job_id"]["S"]) != 1:
        raise SystemExit(f"error: after the {child} was killed, job {job_id} ended {final['status']} "
                         f"with {rig.executions(row['comfy_job_id']['S'])} ComfyUI run(s)")
    print(f"{child} killed: job completed {recovered_s:.2f} s after the kill "
          f"(attempts {row['attempts']['N']})", flush=True)
    return recovered_s


def stalled_submit(rig: FaultRig, moto_pid: int) -> float:
    frozen_at = time.time()
    os.kill(moto_pid, signal.SIGSTOP)
    try:
        response = requests.post(f"{rig.api_url}{CAMERA}", timeout=60, headers=rig.auth(),
                                 json={"image_url": "s3://inputs/cat.png", "prompt": "orbit"})
        answered_s = time.time() - frozen_at
    finally:
        os.kill(moto_pid, signal.SIGCONT)
    if response.status_code != 503 or not response.headers.get("Retry-After"):
        raise SystemExit(f"error: a submit to a frozen emulator answered {response.status_code}: {response.text}")
    print(f"frozen emulator: 503 after {answered_s:.2f} s", flush=True)
    return answered_s


def main() -> int:
    repeats = int(os.environ.get("BENCH_REPEATS", 3))
    work_dir = Path(tempfile.mkdtemp(prefix="bench-recovery-"))
    moto = emulator_process.start(log_path=work_dir / "moto.log")
    env = {k: v for k, v in os.environ.items() if k != "GPUJOBS_OUTPUTS_FILE"}
    env.update(moto.environment())
    os.environ.update(env)
    os.environ.pop("GPUJOBS_OUTPUTS_FILE", None)
    rig = None
    try:
        dynamodb, sqs, s3 = boto3.client("dynamodb"), boto3.client("sqs"), boto3.client("s3")
        table = create_task_table(dynamodb, "bench_recovery_tasks")
        queue_url = sqs.create_queue(QueueName="bench_recovery_tasks",
                                     Attributes={"VisibilityTimeout": "300"})["QueueUrl"]
        s3.create_bucket(Bucket="bench-recovery-results")
        keys_table, api_key = new_key_table(dynamodb, "bench_recovery_keys")
        rig = FaultRig({**env, "SQS_QUEUE_URL": queue_url, "DYNAMODB_TABLE": table, "VISIBILITY_TIMEOUT_S": "300",
                        "RESULTS_BUCKET": "bench-recovery-results", "AWS_REGION": env["AWS_REGION"],
                        "API_KEYS_TABLE": keys_table}, work_dir, api_key)
        rig.start_all()
        image_url = rig.upload_input()
        figures = {
            "worker_kill_s": max(kill_and_recover(rig, image_url, "worker", dynamodb, table) for _ in range(repeats)),
            "gpu_service_kill_s": max(kill_and_recover(rig, image_url, "unified", dynamodb, table)
                                      for _ in range(repeats)),
            "stall_submit_s": max(stalled_submit(rig, moto.process.pid) for _ in range(repeats)),
        }
        print(f"logs: {work_dir}")
        for name, value in figures.items():
            if value > GOALS[name]:
                print(f"note: {name}={value:.2f} is above its goal of {GOALS[name]:g} s")
        print("recovery " + " ".join(f"{name}={value:.2f}" for name, value in figures.items()))
        return 0
    finally:
        if rig is not None:
            rig.stop_all()
        moto.stop()


if __name__ == "__main__":
    sys.exit(main())
