"""Processes for the protocol tests: the ComfyUI double (aiohttp) and the Unified API (gunicorn),
on loopback, started on free ports and stopped by process group."""

import io
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import requests
from PIL import Image

from gpujobs import aws_clients
from local.emulator import free_port
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parents[3]



def answers(url: str) -> bool:
    try:
        requests.get(url, timeout=1)
    except requests.RequestException:
        return False
    return True


class Process:
    """A child process on a fixed port that can be stopped (SIGTERM or SIGKILL) and started again."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path, ready_url: str) -> None:
        self.argv, self.env, self.log, self.ready_url = argv, env, log, ready_url
        self.process: subprocess.Popen | None = None

    def start(self) -> "Process":
        handle = open(self.log, "ab")  # noqa: SIM115 (handed to the child)
        self.process = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        wait_until(lambda: self.process.poll() is not None or answers(self.ready_url), 30, f"{self.argv[2]} to start")
        assert self.process.poll() is None, f"{self.argv} exited; see {self.log}:\n{self.log.read_text()[-3000:]}"
        return self

    def stop(self, kill: bool = False) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


class Double(Process):
    def __init__(self, base: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = base
        super().__init__([sys.executable, "-m", "local.comfyui_double", "--port", str(self.port), "--dir", str(base)],
                         dict(os.environ), log, self.url + "/system_stats")

    def knobs(self, **values: Any) -> dict[str, Any]:
        response = requests.put(self.url + "/_double/config", json=values, timeout=5)
        response.raise_for_status()
        return response.json()

    def reset(self) -> None:
        self.knobs(node_latency_s=0.0, latency_by_class={}, step_latency_s=0.0, fail_nodes={}, refuse_websockets=False)

    def drop_websockets(self) -> int:
        return int(requests.post(self.url + "/_double/drop_websockets", timeout=5).json()["closed"])

    def executions(self) -> dict[str, int]:
        return requests.get(self.url + "/_double/stats", timeout=5).json()["executions"]

    def files(self, kind: str) -> list[str]:
        return sorted(str(p.relative_to(self.dir / kind)) for p in (self.dir / kind).rglob("*") if p.is_file())


class Unified(Process):
    def __init__(self, double: Double, bucket: str, log: Path, **extra_env: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "COMFYUI_URL": double.url, "COMFYUI_DIR": str(double.dir), "RESULTS_BUCKET": bucket,
               "UNIFIED_API_BIND": f"127.0.0.1:{self.port}", "COMFYUI_POLL_INTERVAL_S": "0.1",
               "COMFYUI_WS_SILENCE_S": "1", "PYTHONPATH": str(ROOT), **extra_env}
        env.pop("GPUJOBS_OUTPUTS_FILE", None)
        super().__init__([sys.executable, "-m", "gunicorn", "-c", "services/unified_api/gunicorn.conf.py",
                          "services.unified_api.wsgi:app"], env, log, self.url + "/")

    def submit(self, workflow: str, body: dict[str, Any], task_id: str | None = None,
               workflow_hash: str | None = None) -> requests.Response:
        headers = {"X-Task-Id": task_id or str(uuid.uuid4())}
        if workflow_hash:
            headers["X-Workflow-Hash"] = workflow_hash
        return requests.post(f"{self.url}/api/v1/{workflow}/jobs", json=body, headers=headers, timeout=30)

    def status(self, job_id: str) -> requests.Response:
        return requests.get(f"{self.url}/api/v1/jobs/{job_id}", timeout=30)

    def wait_finished(self, job_id: str, timeout_s: float = 20) -> dict[str, Any]:
        def finished() -> dict[str, Any] | None:
            response = self.status(job_id)
            assert response.status_code == 200, response.text
            body = response.json()
            return body if body["status"] in ("completed", "failed", "cancelled") else None

        return wait_until(finished, timeout_s, f"job {job_id} to finish")


def png_bytes(width: int = 96, height: int = 64, seed: int = 1) -> bytes:
    image = Image.new("RGB", (width, height))
    image.putdata([((x * 7 + seed) % 256, (y * 5) % 256, (x * y + seed) % 256)
                   for y in range(height) for x in range(width)])
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()



def s3_object(uri: str) -> bytes:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    return aws_clients.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
