"""The job path as real processes on an emulator, for fault injection: the API (gunicorn), the ComfyUI
double, the Unified API (gunicorn) and the worker, each its own process group, so a test (or the
recovery benchmark) can SIGKILL one of them, as a crash would, and start it again, as systemd would.

Configuration is the caller's environment (the session's outputs file, or explicit SQS_QUEUE_URL,
DYNAMODB_TABLE and RESULTS_BUCKET) plus the knobs here: a short heartbeat and poll, and a sampler slow
enough that a job is still running when the fault comes.
"""

import io
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from PIL import Image

from gpujobs.api_keys import KeyTable
from gpujobs.task_model import DEFAULT_TENANT
from local.emulator import free_port
from local.processes import stop
from tests.input_uploads import upload_through_api
from tests.polling import wait_until
from tests.task_table import create_api_key_table

ROOT = Path(__file__).resolve().parent.parent
CAMERA = "/api/v1/camera-angle/jobs"
FINAL = {"completed", "failed", "cancelled"}
# The worker's id, as the GPU host gives it: the instance's, the same after every restart.
WORKER_ID = "i-0fau1tf1xed000000"


def new_key_table(dynamodb: Any, name: str) -> tuple[str, str]:
    """An API key table of the caller's own emulator and a key in it: (API_KEYS_TABLE, the key)."""
    table = create_api_key_table(dynamodb, name)
    return table, KeyTable(table, dynamodb).create(DEFAULT_TENANT, int(time.time()), rate_limit=1000.0)[0]


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


@dataclass
class FaultRig:
    env: Mapping[str, str]
    logs: Path
    api_key: str
    step_latency_s: float = 0.4
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.api_url = f"http://127.0.0.1:{free_port()}"
        self.unified_url = f"http://127.0.0.1:{free_port()}"
        self.comfyui_url = f"http://127.0.0.1:{free_port()}"
        comfyui_dir = self.logs / "comfyui"
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        self.commands = {
            "api": [gunicorn, "-c", "services/api/gunicorn.conf.py", "--bind", self.api_url.removeprefix("http://"),
                    "--workers", "1", "services.api.wsgi:app"],
            "comfyui": [sys.executable, "-m", "local.comfyui_double", "--port", self.comfyui_url.rsplit(":", 1)[1],
                        "--dir", str(comfyui_dir), "--knobs", f'{{"step_latency_s": {self.step_latency_s}}}'],
            "unified": [sys.executable, "-m", "services.unified_api"],
            "worker": [sys.executable, "-m", "services.adapter"],
        }
        self.child_env = {
            **self.env, "PYTHONPATH": str(ROOT), "WORKER_ID": WORKER_ID,
            "UNIFIED_API_URL": self.unified_url, "WAIT_TIME_S": "1", "POLL_INTERVAL_S": "0.2", "STATUS_WAIT_S": "2",
            "HEARTBEAT_INTERVAL_S": "1", "UNIFIED_API_BIND": self.unified_url.removeprefix("http://"),
            "COMFYUI_URL": self.comfyui_url, "COMFYUI_DIR": str(comfyui_dir), "COMFYUI_POLL_INTERVAL_S": "0.1",
        }

    # -- processes ----------------------------------------------------------------------------

    def start(self, name: str) -> None:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (handed to the child)
        self.processes[name] = subprocess.Popen(self.commands[name], cwd=ROOT, env=self.child_env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)

    def start_all(self) -> "FaultRig":
        for name in self.commands:
            self.start(name)
        wait_until(lambda: answers(f"{self.api_url}/health"), 60, "the API to answer", every_s=0.2)
        wait_until(lambda: answers(f"{self.unified_url}/health"), 60, "the Unified API and ComfyUI", every_s=0.2)
        return self

    def kill(self, name: str) -> float:
        """SIGKILL the process group of `name` (a gunicorn master with its workers); returns when it was sent."""
        process = self.processes[name]
        killed_at = time.time()
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        return killed_at

    def stop_all(self) -> None:
        stop(self.processes.values(), timeout_s=30, group=True)

    # -- jobs ---------------------------------------------------------------------------------

    def upload_input(self) -> str:
        """A small PNG uploaded through the API's presigned PUT, as a client does."""
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (10, 200, 30)).save(buffer, format="PNG")
        http = requests.Session()
        http.headers.update(self.auth())
        return upload_through_api(self.api_url, http, buffer.getvalue())

    def submit(self, image_url: str, steps: int) -> str:
        response = requests.post(f"{self.api_url}{CAMERA}", timeout=10, headers=self.auth(),
                                 json={"image_url": image_url, "prompt": "orbit 30 degrees left", "steps": steps})
        assert response.status_code == 202, response.text
        return str(response.json()["job_id"])

    def status(self, job_id: str) -> dict[str, Any]:
        return dict(requests.get(f"{self.api_url}/api/v1/jobs/{job_id}", timeout=5, headers=self.auth()).json())

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    def wait_running(self, job_id: str, timeout_s: float = 60) -> None:
        """Until the job runs on the GPU and its progress has reached the task row."""
        wait_until(lambda: (self.status(job_id).get("progress") or 0) > 0, timeout_s,
                   f"job {job_id} to make progress", every_s=0.1)

    def wait_final(self, job_id: str, timeout_s: float) -> dict[str, Any]:
        return wait_until(lambda: (s := self.status(job_id))["status"] in FINAL and s, timeout_s,
                          f"job {job_id} to finish", every_s=0.1)

    def executions(self, prompt_id: str) -> int:
        """How many times the ComfyUI double ran the prompt."""
        stats = requests.get(f"{self.comfyui_url}/_double/stats", timeout=5).json()
        return int(stats["executions"].get(prompt_id, 0))
