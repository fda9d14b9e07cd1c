"""Client of the ComfyUI Unified API on the GPU instance (services/unified_api/README.md has the contract).

It sorts every answer into what the worker does next: a job's state (go on), ApiUnavailable (retry
later: unreachable, timeout, 5xx such as `comfyui_unavailable`, 408, 429), ApiRejected (fail the task
now: any other 4xx on submit, e.g. 422 `prompt_rejected` naming the node ComfyUI refused, or
`workflow_version_mismatch`) and JobUnknown (404 on a status read or a cancel: ComfyUI restarted and
lost the job, resubmit). `health()` says whether it takes jobs now: /health answers 503 while ComfyUI
is starting or lacks nodes the workflows use.

A submit names the task (X-Task-Id): the Unified API derives the ComfyUI prompt id from it and looks
in ComfyUI's queue and history first, so submitting the same task again (a resumed attempt, a
duplicate delivery) answers the job that exists instead of running it twice. X-Workflow-Hash carries
the content hash of the workflow folder the API validated the request against, when the row has one.

The HTTP exchange itself is a `Transport` (requests sessions by default), so tests can answer in
process and the sorting above is the same code either way.
"""

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

STATES = frozenset({"pending", "processing", "completed", "failed", "cancelled"})
FINISHED = frozenset({"completed", "failed", "cancelled"})
TASK_ID_HEADER = "X-Task-Id"
HASH_HEADER = "X-Workflow-Hash"


class ApiUnavailable(RuntimeError):
    """Transient: the API did not answer, or answered with a server error."""


class ApiRejected(RuntimeError):
    """Permanent: the API refused the request; the message is the API's own error code and text."""


class JobUnknown(LookupError):
    """The API has no job with this id (404)."""


@dataclass(frozen=True)
class JobStatus:
    state: str
    job_id: str = ""
    result_s3_uri: str | None = None
    error: str | None = None
    progress: float | None = None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED


@dataclass(frozen=True)
class Health:
    ready: bool
    reason: str = ""


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: its status code and body text."""

    status_code: int
    text: str


# (method, path, JSON body or None, headers) -> the answer; raises ApiUnavailable when nothing answered.
Transport = Callable[[str, str, dict[str, Any] | None, Mapping[str, str]], Answer]


class HttpTransport:
    """One requests session per thread (sessions are not thread-safe), every call with a timeout."""

    def __init__(self, base_url: str, connect_timeout_s: float = 3.0, read_timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout_s, read_timeout_s)
        self._local = threading.local()

    def __call__(self, method: str, path: str, body: dict[str, Any] | None, headers: Mapping[str, str]) -> Answer:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        try:
            response = session.request(method, self.base_url + path, json=body, headers=dict(headers),
                                       timeout=self.timeout)
        except requests.RequestException as exc:
            raise ApiUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from None
        return Answer(response.status_code, response.text)


def _json(answer: Answer) -> Any:
    try:
        return json.loads(answer.text)
    except ValueError:
        return None


def error_text(answer: Answer) -> str:
    """The API's own words: `code: message` of its `{"error": {"code", "message"}}`, or what it sent."""
    body = _json(answer)
    if body is None:
        return answer.text.strip()[:500] or f"HTTP {answer.status_code}"
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            code, message = error.get("code"), error.get("message")
            return (f"{code}: {message}" if code and message else str(message or code or error))[:2000]
        for key in ("error", "detail", "message", "reason"):
            if body.get(key):
                value = body[key]
                return value if isinstance(value, str) else str(value)[:500]
    return str(body)[:500]


def is_transient_api(exc: BaseException) -> bool:
    return isinstance(exc, ApiUnavailable)


def _progress(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return min(1.0, max(0.0, float(value)))


class UnifiedApi:
    def __init__(self, transport: Transport) -> None:
        self._send = transport

    @classmethod
    def at(cls, base_url: str, connect_timeout_s: float = 3.0, read_timeout_s: float = 30.0) -> "UnifiedApi":
        return cls(HttpTransport(base_url, connect_timeout_s, read_timeout_s))

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None,
              headers: Mapping[str, str] | None = None) -> Answer:
        answer = self._send(method, path, body, headers or {})
        if answer.status_code >= 500 or answer.status_code in (408, 429):
            raise ApiUnavailable(f"{method} {path}: HTTP {answer.status_code}: {error_text(answer)}")
        return answer

    @staticmethod
    def _object(answer: Answer, what: str) -> dict[str, Any]:
        body = _json(answer)
        if body is None:
            raise ApiUnavailable(f"{what}: answer is not JSON: {answer.text[:200]!r}")
        if not isinstance(body, dict):
            raise ApiUnavailable(f"{what}: answer is not a JSON object: {body!r:.200}")
        return body

    def _status_of(self, answer: Answer, what: str, job_id: str = "") -> JobStatus:
        body = self._object(answer, what)
        state = body.get("status")
        if state not in STATES:
            raise ApiUnavailable(f"{what}: unknown status {state!r}")
        found = body.get("job_id")
        uri, error = body.get("result_s3_uri"), body.get("error")
        return JobStatus(state, found if isinstance(found, str) and found else job_id,
                         uri if isinstance(uri, str) and uri else None,
                         error if isinstance(error, str) and error else None, _progress(body.get("progress")))

    def submit(self, api_path: str, request_body: dict[str, Any], task_id: str,
               workflow_hash: str | None = None) -> JobStatus:
        """POST the task's request; the job's state (new, or the one the task already has)."""
        headers = {TASK_ID_HEADER: task_id}
        if workflow_hash:
            headers[HASH_HEADER] = workflow_hash
        answer = self._call("POST", api_path, request_body, headers)
        if 400 <= answer.status_code < 500:
            raise ApiRejected(f"HTTP {answer.status_code}: {error_text(answer)}")
        status = self._status_of(answer, f"POST {api_path}")
        if not status.job_id:
            raise ApiUnavailable(f"POST {api_path}: answer has no job_id")
        return status

    def status(self, job_id: str, wait_s: float = 0.0) -> JobStatus:
        """The job's state; with `wait_s`, the API holds the answer of a running job until it ends or
        `wait_s` passes, so the worker learns of the end at once without polling fast."""
        path = f"/api/v1/jobs/{quote(job_id, safe='')}"
        return self._job_call("GET", path + (f"?wait={wait_s:g}" if wait_s > 0 else ""), job_id)

    def cancel(self, job_id: str) -> JobStatus:
        """Stop the job on the GPU (taken off ComfyUI's queue, or interrupted); its state after that."""
        return self._job_call("POST", f"/api/v1/jobs/{quote(job_id, safe='')}/cancel", job_id)

    def _job_call(self, method: str, path: str, job_id: str) -> JobStatus:
        """A call about one job: 404 means the API does not know it (resubmit), other errors retry."""
        answer = self._call(method, path)
        if answer.status_code == 404:
            raise JobUnknown(job_id)
        if answer.status_code >= 400:
            raise ApiUnavailable(f"{method} {path}: HTTP {answer.status_code}: {error_text(answer)}")
        return self._status_of(answer, f"{method} {path}", job_id)

    def health(self) -> Health:
        """Ready when /health answers 200; otherwise why not (ComfyUI starting, the API unreachable)."""
        try:
            answer = self._send("GET", "/health", None, {})
        except ApiUnavailable as exc:
            return Health(False, str(exc))
        if answer.status_code == 200:
            return Health(True)
        return Health(False, f"HTTP {answer.status_code}: {error_text(answer)}")
