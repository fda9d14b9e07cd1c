"""An in-memory Unified API for the worker's tests and its throughput benchmark.

It answers as the Unified API does (POST a workflow's path -> a job id; GET /api/v1/jobs/<id> -> its
status) without doing any image work, and can be told to be slow, to refuse, to fail, to forget its
jobs or to be down, so each of the worker's paths can be driven from a test. Served over HTTP
(`start()`) or called in process (`transport`, with an injected clock for tests that do not wait).
The ComfyUI stand-in (local/comfyui_standin) is the realistic one.
"""

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from services.adapter.unified_api import Answer


@dataclass
class FakeJob:
    job_id: str
    api_path: str
    body: dict[str, Any]
    submitted_at: float


@dataclass
class Behaviour:
    """What the fake does; tests change these fields while it runs."""

    latency_s: float = 0.0          # a job completes this long after its POST
    submit_status: int = 200        # non-2xx: POST answers with this code and `submit_error`
    submit_error: str = "image not found: s3://bucket/missing.png"
    submit_failures: int = 0        # answer the next N POSTs with 503
    status_failures: int = 0        # answer the next N GETs with 503
    outcome: str = "completed"      # "completed" or "failed"
    job_error: str = "workflow failed: out of memory"
    forget_jobs: int = 0            # the next N GETs find no job (as after a restart) and forget it
    down: bool = False              # every request answers 503


@dataclass
class FakeUnifiedApi:
    behaviour: Behaviour = field(default_factory=Behaviour)
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    submissions: list[FakeJob] = field(default_factory=list)
    post_attempts: int = 0          # every POST, answered or refused
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def submissions_for(self, task_marker: str) -> list[FakeJob]:
        """POSTs whose body mentions `task_marker` (tests put the task id in the prompt)."""
        with self._lock:
            return [j for j in self.submissions if task_marker in json.dumps(j.body)]

    def start(self) -> "FakeUnifiedApi":
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def _send(self, code: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                self._send(*fake.post(self.path, raw))

            def do_GET(self) -> None:
                self._send(*fake.get(self.path))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    def post(self, path: str, raw: bytes) -> tuple[int, dict[str, Any]]:
        b = self.behaviour
        with self._lock:
            self.post_attempts += 1
            if b.down:
                return 503, {"error": "service unavailable"}
            if b.submit_failures > 0:
                b.submit_failures -= 1
                return 503, {"error": "service unavailable"}
            if b.submit_status >= 300:
                return b.submit_status, {"error": b.submit_error}
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                return 400, {"error": "body is not JSON"}
            job = FakeJob(f"comfy-{next(self._ids)}", path, body, self.clock())
            self.jobs[job.job_id] = job
            self.submissions.append(job)
            return 200, {"job_id": job.job_id, "status": "pending"}

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        b = self.behaviour
        with self._lock:
            if b.down:
                return 503, {"error": "service unavailable"}
            if path == "/health":
                return 200, {"status": "ok"}
            prefix = "/api/v1/jobs/"
            if not path.startswith(prefix):
                return 404, {"error": "not found"}
            if b.status_failures > 0:
                b.status_failures -= 1
                return 503, {"error": "service unavailable"}
            job = self.jobs.get(path[len(prefix):])
            if job is not None and b.forget_jobs > 0:
                b.forget_jobs -= 1
                del self.jobs[job.job_id]
                job = None
            if job is None:
                return 404, {"error": "job not found"}
            if self.clock() - job.submitted_at < b.latency_s:
                return 200, {"job_id": job.job_id, "status": "processing"}
            if b.outcome == "failed":
                return 200, {"job_id": job.job_id, "status": "failed", "error": b.job_error}
            workflow = job.api_path.split("/")[3] if job.api_path.count("/") >= 4 else "unknown"
            return 200, {"job_id": job.job_id, "status": "completed",
                         "result_s3_uri": f"s3://results/comfyui-results/{workflow}/{job.job_id}/output.png"}

    def transport(self, method: str, path: str, body: dict[str, Any] | None) -> Answer:
        """The Unified API client's transport, in process (no HTTP, no threads)."""
        code, answer = self.post(path, json.dumps(body).encode()) if method == "POST" else self.get(path)
        return Answer(code, json.dumps(answer))
