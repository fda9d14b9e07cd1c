"""Benchmark `unified-api`: a job through the Unified API against the same calls made bare, on one double.

1. The emulator: AWS_ENDPOINT_URL if it answers, else a moto server of our own; a fresh bucket holds
   the input image (256x192 PNG) and receives the results.
2. The ComfyUI double (zero latency) and the Unified API (gunicorn, as deployed) as processes.
3. JOBS jobs of the model-free `invert-blend` workflow one after another (the GPU runs one prompt at
   a time), each done twice in turn:
   - through the Unified API: submitted with X-Task-Id and X-Workflow-Hash, then asked for its
     status with `?wait=5` (the answer comes when the job ends) until `completed`; the clock runs
     from the submit to the answer that says completed;
   - bare, the same work with ComfyUI's and S3's calls made directly: S3 GetObject,
     POST /upload/image, POST /prompt, the websocket until `executing` with node null,
     GET /history, GET /view, S3 PutObject.
The first WARMUP pairs are not timed. Both phases include the double's own execution, so the
ratio is (Unified API per job) / (bare per job); the goal is at most 1.2.

The last line is: `unified-api jobs=<n> overhead_ms=<per job through the API> floor_ms=<bare> ratio=<x>`.
"""

import argparse
import io
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import requests
import websocket
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from gpujobs import aws_clients  # noqa: E402
from gpujobs.workflow_spec import load_workflows  # noqa: E402
from local import emulator as emulator_process  # noqa: E402

WORKFLOW = "invert-blend"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(argv: list[str], env: dict[str, str], log: Path, ready: str) -> subprocess.Popen:
    process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=open(log, "ab"),  # noqa: SIM115 (owned by the child)
                               stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{argv} exited with {process.returncode}; see {log}")
        try:
            requests.get(ready, timeout=1)
            return process
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError(f"{argv} did not answer within 60 s; see {log}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def unified_job(api: str, session: requests.Session, body: dict[str, Any], workflow_hash: str) -> float:
    began = time.perf_counter()
    response = session.post(f"{api}/api/v1/{WORKFLOW}/jobs", json=body, timeout=30,
                            headers={"X-Task-Id": str(uuid.uuid4()), "X-Workflow-Hash": workflow_hash})
    response.raise_for_status()
    job_id = response.json()["job_id"]
    while True:
        state = session.get(f"{api}/api/v1/jobs/{job_id}", params={"wait": 5}, timeout=30).json()
        if state["status"] == "completed":
            return time.perf_counter() - began
        if state["status"] in ("failed", "cancelled"):
            raise RuntimeError(f"job {job_id} {state['status']}: {state['error']}")


def bare_job(comfy: str, session: requests.Session, ws: websocket.WebSocket, client_id: str, s3: Any,
             bucket: str, key: str, graph: dict[str, Any]) -> float:
    began = time.perf_counter()
    prompt_id = str(uuid.uuid4())
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    name = session.post(f"{comfy}/upload/image", files={"image": (f"bare-{prompt_id}.png", data, "image/png")},
                        data={"overwrite": "true"}, timeout=30).json()["name"]
    prompt = json.loads(json.dumps(graph))
    prompt["1"]["inputs"]["image"] = name
    prompt["4"]["inputs"]["filename_prefix"] = f"bare/{prompt_id}"
    session.post(f"{comfy}/prompt", json={"prompt": prompt, "prompt_id": prompt_id, "client_id": client_id},
                 timeout=30).raise_for_status()
    while True:
        message = ws.recv()
        if isinstance(message, str):
            event = json.loads(message)
            if event["type"] == "executing" and event["data"].get("node") is None \
                    and event["data"].get("prompt_id") == prompt_id:
                break
    entry = session.get(f"{comfy}/history/{prompt_id}", timeout=30).json()[prompt_id]
    image = entry["outputs"]["4"]["images"][0]
    png = session.get(f"{comfy}/view", params=image, timeout=30).content
    s3.put_object(Bucket=bucket, Key=f"bare/{prompt_id}/output.png", Body=png, ContentType="image/png")
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=int(os.environ.get("BENCH_JOBS", 60)))
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-unified-"))
    emulator = emulator_process.use_or_start(log_path=work / "moto.log")
    env = {**os.environ, **emulator.environment(), "PYTHONPATH": str(ROOT)}
    env.pop("GPUJOBS_OUTPUTS_FILE", None)
    os.environ.update(env)
    aws_clients.reset_clients()
    processes: list[subprocess.Popen] = []
    try:
        s3 = aws_clients.client("s3")
        bucket = f"bench-unified-{uuid.uuid4().hex[:10]}"
        s3.create_bucket(Bucket=bucket)
        picture = Image.new("RGB", (256, 192))
        picture.putdata([(x % 256, y % 256, (x + y) % 256) for y in range(192) for x in range(256)])
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG")
        key = "inputs/bench.png"
        s3.put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())

        comfy_dir = work / "comfyui"
        comfy_port, api_port = free_port(), free_port()
        comfy = f"http://127.0.0.1:{comfy_port}"
        api = f"http://127.0.0.1:{api_port}"
        processes.append(start([sys.executable, "-m", "local.comfyui_double", "--port", str(comfy_port),
                                "--dir", str(comfy_dir)], env, work / "double.log", comfy + "/system_stats"))
        processes.append(start([sys.executable, "-m", "gunicorn", "-c", "services/unified_api/gunicorn.conf.py",
                                "services.unified_api.wsgi:app"],
                               {**env, "COMFYUI_URL": comfy, "COMFYUI_DIR": str(comfy_dir), "RESULTS_BUCKET": bucket,
                                "UNIFIED_API_BIND": f"127.0.0.1:{api_port}"}, work / "unified.log", api + "/"))
        spec = load_workflows()[WORKFLOW]
        body = {"image_url": f"s3://{bucket}/{key}", "blend_factor": 0.5}
        session = requests.Session()

        client_id = f"bench-{uuid.uuid4().hex[:8]}"
        ws = websocket.create_connection(f"ws://127.0.0.1:{comfy_port}/ws?clientId={client_id}", timeout=30)
        unified: list[float] = []
        bare: list[float] = []
        try:
            for _ in range(args.warmup + args.jobs):  # alternated, so drift in the emulator hits both alike
                unified.append(unified_job(api, session, body, spec.content_hash))
                bare.append(bare_job(comfy, session, ws, client_id, s3, bucket, key, spec.graph))
        finally:
            ws.close()
        unified, bare = unified[args.warmup:], bare[args.warmup:]

        overhead_ms = statistics.mean(unified) * 1000
        floor_ms = statistics.mean(bare) * 1000
        print(f"through the Unified API: {len(unified)} jobs, mean {overhead_ms:.1f} ms, "
              f"median {statistics.median(unified) * 1000:.1f} ms")
        print(f"bare calls on the same double: {len(bare)} jobs, mean {floor_ms:.1f} ms, "
              f"median {statistics.median(bare) * 1000:.1f} ms")
        print(f"logs: {work}")
        print(f"unified-api jobs={len(unified)} overhead_ms={overhead_ms:.1f} floor_ms={floor_ms:.1f} "
              f"ratio={overhead_ms / floor_ms:.2f}")
        return 0
    finally:
        for process in reversed(processes):
            stop(process)
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main())
