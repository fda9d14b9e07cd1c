"""The API as a real gunicorn process (the repo's configuration) on a free loopback port, on the stack,
signing as the API's role."""

import os
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from local.emulator import free_port
from local.processes import stop
from local.role_users import ServiceRoles
from tests.polling import wait_until

ROOT = Path(__file__).resolve().parents[3]


@dataclass
class ApiServer:
    url: str
    process: subprocess.Popen
    log_path: Path
    http: requests.Session  # sends the session's API key

    def stop(self) -> None:
        stop([self.process], timeout_s=20, group=True)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def raw_http(url: str, request: bytes, timeout_s: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send `request` as it is (no client library would send most of these) on a new connection and read
    the answer to the end; the request must ask for `Connection: close` unless the server closes anyway."""
    host, port = urlsplit(url).hostname or "", urlsplit(url).port or 80
    with socket.create_connection((host, port), timeout=timeout_s) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def _answers(url: str) -> bool:
    try:
        requests.get(f"{url}/health", timeout=2)
    except requests.RequestException:
        return False
    return True


@pytest.fixture(scope="module")
def start_api(stack: dict[str, Any], roles: ServiceRoles, api_key: str,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., ApiServer]]:
    """Start gunicorn with the stack's outputs file and `overrides` in its environment, as the API's role
    (with its rights over the stack's resources moved to the test's when `resources` maps them)."""
    servers: list[ApiServer] = []
    logs = tmp_path_factory.mktemp("api-logs")

    def start(resources: dict[str, str] | None = None, **overrides: str) -> ApiServer:
        port = free_port()
        identity = roles.environment("api")
        if resources:
            rebound = roles.rebound("api", f"api-{port}", resources)
            identity = rebound.environment() if rebound else {}
        # The tests' jobs name images of a bucket "inputs", as a deployment names its input buckets.
        env = {**os.environ, **identity, "API_WORKERS": "1", "API_THREADS": "4", "INPUT_BUCKETS": "inputs",
               **overrides}
        log_path = logs / f"gunicorn-{port}.log"
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "-c", "services/api/gunicorn.conf.py",
             "--bind", f"127.0.0.1:{port}", "services.api.wsgi:app"],
            cwd=ROOT, env=env, stdout=open(log_path, "wb"), stderr=subprocess.STDOUT,  # noqa: SIM115
            start_new_session=True,
        )
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {api_key}"
        server = ApiServer(f"http://127.0.0.1:{port}", process, log_path, http)
        servers.append(server)
        wait_until(lambda: process.poll() is not None or _answers(server.url), 60, "gunicorn to answer")
        assert process.poll() is None, f"gunicorn exited:\n{server.log()}"
        return server

    yield start
    for server in servers:
        server.stop()
        server.http.close()
