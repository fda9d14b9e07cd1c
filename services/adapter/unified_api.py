"""Client of the ComfyUI Unified API on the GPU instance (SPEC section 4).

It sorts every answer into what the worker does next: a job id or status (go on), ApiUnavailable
(retry later: unreachable, timeout, 5xx, 429), ApiRejected (fail the task now: any other 4xx on
submit) and JobUnknown (404 on a status read: the API restarted and lost the job, resubmit).
"""

import threading
from dataclasses import dataclass
from typing import Any

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


def _error_text(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        for key in ("error", "detail", "message"):
            if body.get(key):
                value = body[key]
                return value if isinstance(value, str) else str(value)[:500]
    return str(body)[:500]


def is_transient_api(exc: BaseException) -> bool:
    return isinstance(exc, ApiUnavailable)


class UnifiedApi:
    """One HTTP session per thread (requests sessions are not thread-safe), every call with a timeout."""

    def __init__(self, base_url: str, connect_timeout_s: float = 3.0, read_timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (connect_timeout_s, read_timeout_s)
        self._local = threading.local()

    @property
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> requests.Response:
        try:
            response = self._session.request(method, self.base_url + path, json=body, timeout=self.timeout)
        except requests.RequestException as exc:
            raise ApiUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from None
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise ApiUnavailable(f"{method} {path}: HTTP {response.status_code}: {_error_text(response)}")
        return response

    @staticmethod
    def _json(response: requests.Response, what: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise ApiUnavailable(f"{what}: answer is not JSON: {response.text[:200]!r}") from None
        if not isinstance(body, dict):
            raise ApiUnavailable(f"{what}: answer is not a JSON object: {body!r:.200}")
        return body

    def submit(self, api_path: str, request_body: dict[str, Any]) -> str:
        """POST the request; returns the API's job id."""
        response = self._call("POST", api_path, request_body)
        if 400 <= response.status_code < 500:
            raise ApiRejected(f"HTTP {response.status_code}: {_error_text(response)}")
        body = self._json(response, f"POST {api_path}")
        job_id = body.get("job_id")
        if not isinstance(job_id, str) or not job_id:
            raise ApiUnavailable(f"POST {api_path}: answer has no job_id: {body!r:.200}")
        return job_id

    def status(self, job_id: str) -> JobStatus:
        path = f"/api/v1/jobs/{requests.utils.quote(job_id, safe='')}"
        response = self._call("GET", path)
        if response.status_code == 404:
            raise JobUnknown(job_id)
        if response.status_code >= 400:
            raise ApiUnavailable(f"GET {path}: HTTP {response.status_code}: {_error_text(response)}")
        body = self._json(response, f"GET {path}")
        state = body.get("status")
        if state not in STATES:
            raise ApiUnavailable(f"GET {path}: unknown status {state!r}")
        uri = body.get("result_s3_uri")
        error = body.get("error")
        return JobStatus(state, uri if isinstance(uri, str) and uri else None,
                         error if isinstance(error, str) and error else None)

    def healthy(self) -> bool:
        try:
            return self._session.get(self.base_url + "/health", timeout=self.timeout).status_code == 200
        except requests.RequestException:
            return False
