"""An in-memory Unified API for the worker's tests and its throughput benchmark.

It answers as the Unified API does (services/unified_api/README.md) without any image work: a POST of
a workflow's path with X-Task-Id queues a job whose id is derived from the task id, and a POST for a
task whose job it still has answers that job instead of queueing another; GET /api/v1/jobs/<id>
(with or without `?wait=`) gives its status and progress; POST .../cancel cancels it; /health says
whether it takes jobs. It can be told to be slow, to refuse, to fail, to cancel, to forget its jobs,
to be starting or to be down, so each of the worker's paths can be driven from a test. Served over
HTTP (`start()`) or called in process (`transport`, with an injected clock for tests that do not
wait). The ComfyUI double (local/comfyui_double) behind the real Unified API is the realistic one.
"""

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from services.adapter.unified_api import HASH_HEADER, TASK_ID_HEADER, Answer

JOBS = "/api/v1/jobs/"


@dataclass
class FakeJob:
    job_id: str
    api_path: str
    body: dict[str, Any]
    submitted_at: float
    task_id: str = ""
    workflow_hash: str | None = None
    cancelled: bool = False


@dataclass
class Behaviour:
    """What the fake does; tests change these fields while it runs."""

    latency_s: float = 0.0          # a job completes this long after its POST
    submit_status: int = 200        # non-2xx: POST answers with this code and `submit_error`
    submit_error: str = "image not found: s3://bucket/missing.png"
    submit_failures: int = 0        # answer the next N POSTs with 503
    status_failures: int = 0        # answer the next N GETs with 503
    outcome: str = "completed"      # "completed", "failed" or "cancelled"
    job_error: str = "workflow failed: out of memory"
    forget_jobs: int = 0            # the next N GETs find no job (as after a restart) and forget it
    starting: bool = False          # /health answers 503 "starting" (ComfyUI loading); the rest works
    down: bool = False              # every request answers 503


@dataclass
class FakeUnifiedApi:
    behaviour: Behaviour = field(default_factory=Behaviour)
    jobs: dict[str, FakeJob] = field(default_factory=dict)
    submissions: list[FakeJob] = field(default_factory=list)   # jobs queued (a POST for a known job is not one)
    cancels: list[str] = field(default_factory=list)           # job ids a cancel was asked for
    post_attempts: int = 0          # every POST of a job, answered or refused
    health_checks: int = 0          # every GET /health
    clock: Callable[[], float] = time.monotonic

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def submissions_for(self, task_marker: str) -> list[FakeJob]:
        """Jobs queued whose task id or body mentions `task_marker`."""
        with self._lock:
            return [j for j in self.submissions if task_marker in j.task_id or task_marker in json.dumps(j.body)]

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
                self._send(*fake.post(self.path, raw, dict(self.headers)))

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

    # -- answers ------------------------------------------------------------------------------

    def post(self, path: str, raw: bytes, headers: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        b = self.behaviour
        with self._lock:
            if b.down:
                return 503, {"error": {"code": "comfyui_unavailable", "message": "service unavailable"}}
            if path.startswith(JOBS) and path.endswith("/cancel"):
                return self._cancel(path[len(JOBS):-len("/cancel")])
            self.post_attempts += 1
            if b.submit_failures > 0:
                b.submit_failures -= 1
                return 503, {"error": {"code": "comfyui_unavailable", "message": "service unavailable"}}
            if b.submit_status >= 300:
                return b.submit_status, {"error": {"code": "prompt_rejected", "message": b.submit_error}}
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                return 400, {"error": {"code": "malformed_json", "message": "body is not JSON"}}
            headers = {k.lower(): v for k, v in headers.items()}
            task_id = headers.get(TASK_ID_HEADER.lower()) or f"random-{len(self.submissions)}"
            job_id = f"comfy-{task_id}"
            existing = self.jobs.get(job_id)
            if existing is not None:
                return 200, self._view(existing)
            job = FakeJob(job_id, path, body, self.clock(), task_id, headers.get(HASH_HEADER.lower()))
            self.jobs[job_id] = job
            self.submissions.append(job)
            return 202, {"job_id": job_id, "status": "pending", "progress": 0.0, "task_id": task_id}

    def get(self, path: str) -> tuple[int, dict[str, Any]]:
        b = self.behaviour
        path = path.split("?", 1)[0]
        with self._lock:
            if path == "/health":
                self.health_checks += 1
                if b.down or b.starting:
                    return 503, {"status": "starting", "reason": "ComfyUI at http://127.0.0.1:8188 unreachable"}
                return 200, {"status": "healthy"}
            if b.down:
                return 503, {"error": {"code": "comfyui_unavailable", "message": "service unavailable"}}
            if not path.startswith(JOBS):
                return 404, {"error": {"code": "not_found", "message": "not found"}}
            if b.status_failures > 0:
                b.status_failures -= 1
                return 503, {"error": {"code": "comfyui_unavailable", "message": "service unavailable"}}
            job = self.jobs.get(path[len(JOBS):])
            if job is not None and b.forget_jobs > 0:
                b.forget_jobs -= 1
                del self.jobs[job.job_id]
                job = None
            if job is None:
                return 404, {"error": {"code": "job_not_found", "message": "job not found"}}
            return 200, self._view(job)

    def _cancel(self, job_id: str) -> tuple[int, dict[str, Any]]:
        self.cancels.append(job_id)
        job = self.jobs.get(job_id)
        if job is None:
            return 404, {"error": {"code": "job_not_found", "message": "job not found"}}
        if self._view(job)["status"] in ("pending", "processing"):
            job.cancelled = True
        return 200, self._view(job)

    def _view(self, job: FakeJob) -> dict[str, Any]:
        b = self.behaviour
        view: dict[str, Any] = {"job_id": job.job_id, "task_id": job.task_id, "result_s3_uri": None, "error": None}
        elapsed = self.clock() - job.submitted_at
        if job.cancelled or (b.outcome == "cancelled" and elapsed >= b.latency_s):
            return {**view, "status": "cancelled", "error": "interrupted at node 5 (KSampler)", "progress": 0.5}
        if elapsed < b.latency_s:
            return {**view, "status": "processing", "progress": round(elapsed / b.latency_s, 4)}
        if b.outcome == "failed":
            return {**view, "status": "failed", "error": b.job_error, "progress": 0.5}
        workflow = job.api_path.split("/")[3] if job.api_path.count("/") >= 4 else "unknown"
        return {**view, "status": "completed", "progress": 1.0,
                "result_s3_uri": f"s3://results/comfyui-results/{workflow}/{job.job_id}/output.png"}

    def transport(self, method: str, path: str, body: dict[str, Any] | None, headers: Mapping[str, str]) -> Answer:
        """The Unified API client's transport, in process (no HTTP, no threads)."""
        if method == "POST":
            code, answer = self.post(path, json.dumps(body).encode() if body is not None else b"", headers)
        else:
            code, answer = self.get(path)
        return Answer(code, json.dumps(answer))
