"""ComfyUI's own HTTP API, as the Unified API uses it; every call bounded by a timeout.

Answers are sorted into what the caller does next: ComfyUnavailable (unreachable, timeout, 5xx:
retry later) and PromptRejected (400 from POST /prompt: the graph or a value is wrong, permanent).
"""

import threading
from typing import Any

import requests


class ComfyUnavailable(RuntimeError):
    """ComfyUI did not answer, or answered with a server error."""


class PromptRejected(ValueError):
    """POST /prompt answered 400; `error` and `node_errors` are ComfyUI's own."""

    def __init__(self, error: Any, node_errors: dict[str, Any]) -> None:
        self.error = error if isinstance(error, dict) else {"message": str(error)}
        self.node_errors = node_errors if isinstance(node_errors, dict) else {}
        super().__init__(describe_rejection(self.error, self.node_errors))


def describe_rejection(error: dict[str, Any], node_errors: dict[str, Any]) -> str:
    """One line per failing node: 'node <id> (<class>): <message>: <details>'."""
    lines = []
    for node_id, entry in node_errors.items():
        for reason in entry.get("errors", []):
            lines.append(f"node {node_id} ({entry.get('class_type', '?')}): {reason.get('message', '')}: "
                         f"{reason.get('details', '')}".rstrip(": "))
    if not lines:
        lines.append(f"{error.get('message', 'prompt refused')}: {error.get('details', '')}".rstrip(": "))
    return "ComfyUI refused the workflow: " + "; ".join(lines)


class ComfyClient:
    """Sessions come from a small pool, one caller at a time each (sessions are not thread-safe), so
    short-lived job threads reuse open connections."""

    def __init__(self, base_url: str, timeout_s: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = (min(5.0, timeout_s), timeout_s)
        self._idle: list[requests.Session] = []
        self._lock = threading.Lock()

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        with self._lock:
            session = self._idle.pop() if self._idle else requests.Session()
        try:
            response = session.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            session.close()
            raise ComfyUnavailable(f"ComfyUI at {self.base_url} unreachable ({method} {path}: "
                                   f"{type(exc).__name__})") from None
        with self._lock:
            if len(self._idle) < 16:
                self._idle.append(session)
        if response.status_code >= 500:
            raise ComfyUnavailable(f"ComfyUI answered {method} {path} with HTTP {response.status_code}")
        return response

    def _json(self, response: requests.Response, what: str) -> Any:
        if response.status_code != 200:
            raise ComfyUnavailable(f"ComfyUI answered {what} with HTTP {response.status_code}")
        try:
            return response.json()
        except ValueError:
            raise ComfyUnavailable(f"ComfyUI's answer to {what} is not JSON") from None

    def object_info(self) -> dict[str, Any]:
        return self._json(self._call("GET", "/object_info"), "GET /object_info")

    def system_stats(self) -> dict[str, Any]:
        return self._json(self._call("GET", "/system_stats"), "GET /system_stats")

    def queue(self) -> tuple[list[list[Any]], list[list[Any]]]:
        body = self._json(self._call("GET", "/queue"), "GET /queue")
        return list(body.get("queue_running", [])), list(body.get("queue_pending", []))

    def history(self, prompt_id: str) -> dict[str, Any] | None:
        body = self._json(self._call("GET", f"/history/{prompt_id}"), "GET /history")
        return body.get(prompt_id) if isinstance(body, dict) else None

    def post_prompt(self, prompt: dict[str, Any], prompt_id: str, client_id: str,
                    extra_data: dict[str, Any]) -> dict[str, Any]:
        body = {"prompt": prompt, "prompt_id": prompt_id, "client_id": client_id, "extra_data": extra_data}
        response = self._call("POST", "/prompt", json=body)
        if response.status_code == 400:
            try:
                answer = response.json()
            except ValueError:
                answer = {"error": {"message": response.text[:500]}, "node_errors": {}}
            raise PromptRejected(answer.get("error"), answer.get("node_errors") or {})
        return self._json(response, "POST /prompt")

    def upload_image(self, name: str, data: bytes, content_type: str) -> str:
        response = self._call("POST", "/upload/image", files={"image": (name, data, content_type)},
                              data={"overwrite": "true", "type": "input"})
        return str(self._json(response, "POST /upload/image")["name"])

    def view(self, image: dict[str, Any]) -> bytes:
        params = {"filename": image.get("filename", ""), "subfolder": image.get("subfolder", ""),
                  "type": image.get("type", "output")}
        response = self._call("GET", "/view", params=params)
        if response.status_code != 200:
            raise ComfyUnavailable(f"ComfyUI answered GET /view for {params['filename']} with "
                                   f"HTTP {response.status_code}")
        return response.content

    def interrupt(self, prompt_id: str) -> None:
        self._call("POST", "/interrupt", json={"prompt_id": prompt_id})

    def delete_queued(self, prompt_id: str) -> None:
        self._call("POST", "/queue", json={"delete": [prompt_id]})
