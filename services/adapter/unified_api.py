"""Client of the ComfyUI Unified API on the GPU instance.

It sorts every answer into what the worker does next: a job id or status (go on), ApiUnavailable
(retry later: unreachable, timeout, 5xx, 408, 429), ApiRejected (fail the task now: any other 4xx on
submit) and JobUnknown (404 on a status read: the API restarted and lost the job, resubmit).

The HTTP exchange itself is a `Transport` (requests sessions by default), so tests can answer in
process and the sorting above is the same code either way.
"""

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import requests

STATES = frozenset({"pending", "processing", "completed", "failed"})


class ApiUnavailable(RuntimeError):
    """Transient: the API did not answer, or answered with a server error."""


class ApiRejected(RuntimeError):
    """Permanent: the API refused the request; the message is the API's own error text."""


class JobUnknown(LookupError):
    """The API has no job with this id (404)."""


@dataclass(frozen=True)
class JobStatus:
    state: str
    result_s3_uri: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: its status code and body text."""

    status_code: int
    text: str


# (method, path, JSON body or None) -> the answer; raises ApiUnavailable when nothing answered.
Transport = Callable[[str, str, dict[str, Any] | None], Answer]


class HttpTransport:
    """One requests session per thread (sessions are not thread-safe), every call with a timeout."""

    def __init__(self, base_url: str, connect_timeout_s: float = 3.0, read_timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout_s, read_timeout_s)
        self._local = threading.local()

    def __call__(self, method: str, path: str, body: dict[str, Any] | None) -> Answer:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        try:
            response = session.request(method, self.base_url + path, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ApiUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from None
        return Answer(response.status_code, response.text)


def _json(answer: Answer) -> Any:
    try:
        return json.loads(answer.text)
    except ValueError:
        return None


def _error_text(answer: Answer) -> str:
    body = _json(answer)
    if body is None:
        return answer.text.strip()[:500] or f"HTTP {answer.status_code}"
    if isinstance(body, dict):
        for key in ("error", "detail", "message"):
            if body.get(key):
                value = body[key]
                return value if isinstance(value, str) else str(value)[:500]
    return str(body)[:500]


def is_transient_api(exc: BaseException) -> bool:
    return isinstance(exc, ApiUnavailable)


class UnifiedApi:
    def __init__(self, transport: Transport) -> None:
        self._send = transport

    @classmethod
    def at(cls, base_url: str, connect_timeout_s: float = 3.0, read_timeout_s: float = 30.0) -> "UnifiedApi":
        return cls(HttpTransport(base_url, connect_timeout_s, read_timeout_s))

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Answer:
        answer = self._send(method, path, body)
        if answer.status_code >= 500 or answer.status_code in (408, 429):
            raise ApiUnavailable(f"{method} {path}: HTTP {answer.status_code}: {_error_text(answer)}")
        return answer

    @staticmethod
    def _object(answer: Answer, what: str) -> dict[str, Any]:
        body = _json(answer)
        if body is None:
            raise ApiUnavailable(f"{what}: answer is not JSON: {answer.text[:200]!r}")
        if not isinstance(body, dict):
            raise ApiUnavailable(f"{what}: answer is not a JSON object: {body!r:.200}")
        return body

    def submit(self, api_path: str, request_body: dict[str, Any]) -> str:
        """POST the request; returns the API's job id."""
        answer = self._call("POST", api_path, request_body)
        if 400 <= answer.status_code < 500:
            raise ApiRejected(f"HTTP {answer.status_code}: {_error_text(answer)}")
        body = self._object(answer, f"POST {api_path}")
        job_id = body.get("job_id")
        if not isinstance(job_id, str) or not job_id:
            raise ApiUnavailable(f"POST {api_path}: answer has no job_id: {body!r:.200}")
        return job_id

    def status(self, job_id: str) -> JobStatus:
        path = f"/api/v1/jobs/{quote(job_id, safe='')}"
        answer = self._call("GET", path)
        if answer.status_code == 404:
            raise JobUnknown(job_id)
        if answer.status_code >= 400:
            raise ApiUnavailable(f"GET {path}: HTTP {answer.status_code}: {_error_text(answer)}")
        body = self._object(answer, f"GET {path}")
        state = body.get("status")
        if state not in STATES:
            raise ApiUnavailable(f"GET {path}: unknown status {state!r}")
        uri = body.get("result_s3_uri")
        error = body.get("error")
        return JobStatus(state, uri if isinstance(uri, str) and uri else None,
                         error if isinstance(error, str) and error else None)
