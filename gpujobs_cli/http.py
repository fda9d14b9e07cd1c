"""The public API as the command-line client sees it: submit, status, and the API's own errors.

Errors carry the API's JSON message (`{"error": {"code", "message", "details"}}`) so the client can
show a person what the service said, and tell a rejected request (4xx) from an unavailable one.
"""

from typing import Any

import requests

DEFAULT_API_URL = "http://127.0.0.1:8080"


class ClientError(RuntimeError):
    """Base of what the client reports to a person; `exit_code` is the process exit status."""

    exit_code = 1


class RequestRejected(ClientError):
    """The API answered 4xx: the request must change before it can succeed."""

    exit_code = 3

    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(f"HTTP {status} {code}: {message}")
        self.status, self.code, self.message, self.details = status, code, message, details


class ApiUnavailable(ClientError):
    """The API could not be reached or answered 5xx: trying again later may work."""

    exit_code = 4


def _error_from(response: requests.Response) -> tuple[str, str, Any]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        error = body["error"]
        return str(error.get("code", "error")), str(error.get("message", "")), error.get("details")
    text = (response.text or "").strip().splitlines()
    return "error", (text[0][:200] if text else response.reason or "no message"), None


class ApiClient:
    def __init__(self, base_url: str = DEFAULT_API_URL, api_key: str | None = None, timeout_s: float = 10.0,
                 session: requests.Session | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.session = session or requests.Session()
        if api_key:
            self.session.headers["Authorization"] = f"Bearer {api_key}"

    def submit(self, api_path: str, body: dict[str, Any]) -> dict[str, Any]:
        return self._call("POST", api_path, json=body)

    def status(self, job_id: str) -> dict[str, Any]:
        return self._call("GET", f"/api/v1/jobs/{job_id}")

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self._call("POST", f"/api/v1/jobs/{job_id}/cancel")

    def delete(self, job_id: str) -> dict[str, Any]:
        return self._call("DELETE", f"/api/v1/jobs/{job_id}")

    def upload(self, data: bytes, content_type: str) -> str:
        """PUT `data` to a presigned URL the API hands out; returns the s3:// URI to name as an input."""
        target = self._call("POST", "/api/v1/uploads", expect="upload", json={"content_type": content_type})
        try:
            response = requests.put(target["url"], data=data, headers=target.get("headers") or {},
                                    timeout=max(self.timeout_s, 60.0))
        except requests.RequestException as exc:
            raise ApiUnavailable(f"cannot upload to the presigned URL: {type(exc).__name__}") from None
        if response.status_code != 200:
            raise ApiUnavailable(f"the upload answered HTTP {response.status_code}")
        return str(target["s3_uri"])

    def list_jobs(self, **query: Any) -> dict[str, Any]:
        params = {k: v for k, v in query.items() if v is not None}
        return self._call("GET", "/api/v1/jobs", params=params, expect="jobs")

    def _call(self, method: str, path: str, expect: str = "job", **kwargs: Any) -> dict[str, Any]:
        url = self.base_url + path
        try:
            response = self.session.request(method, url, timeout=self.timeout_s, **kwargs)
        except requests.RequestException as exc:
            raise ApiUnavailable(f"cannot reach the API at {self.base_url}: {type(exc).__name__}") from None
        if response.status_code >= 500:
            code, message, _ = _error_from(response)
            raise ApiUnavailable(f"the API answered HTTP {response.status_code} {code}: {message}")
        if response.status_code >= 400:
            raise RequestRejected(response.status_code, *_error_from(response))
        try:
            body = response.json()
        except ValueError:
            raise ApiUnavailable(f"the API answered {method} {path} with a body that is not JSON") from None
        if expect == "jobs":
            if not isinstance(body, dict) or not isinstance(body.get("jobs"), list):
                raise ApiUnavailable(f"the API answered {method} {path} without a list of jobs")
        elif expect == "upload":
            if not isinstance(body, dict) or not isinstance(body.get("url"), str) or "s3_uri" not in body:
                raise ApiUnavailable(f"the API answered {method} {path} without an upload URL")
        elif not isinstance(body, dict) or "job_id" not in body or "status" not in body:
            raise ApiUnavailable(f"the API answered {method} {path} without a job_id and status")
        return body
