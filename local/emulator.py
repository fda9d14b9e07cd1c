"""The embedded AWS emulator (moto's server) on loopback, started and stopped by PID.

When AWS_ENDPOINT_URL already names a running emulator (LocalStack in CI, or a `make up`), callers
use it instead of starting their own.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from local.processes import stop

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def is_up(endpoint: str, timeout: float = 1.0) -> bool:
    """True when something answers HTTP at the endpoint (any status counts)."""
    try:
        urllib.request.urlopen(endpoint, timeout=timeout).close()
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False
    return True


@dataclass
class Emulator:
    endpoint: str
    process: subprocess.Popen | None = None

    def stop(self) -> None:
        """Stop the server if we started it; an emulator we merely found is left running."""
        if self.process is not None:
            stop([self.process], timeout_s=10)


def start(port: int | None = None, log_path: Path | None = None, ready_timeout: float = 30.0) -> Emulator:
    """Start moto_server on 127.0.0.1 (a free port unless one is given) and wait until it answers."""
    port = port or free_port()
    endpoint = f"http://127.0.0.1:{port}"
    if is_up(endpoint):
        raise RuntimeError(f"port {port} is already in use; stop that process or pick another port")
    moto = Path(sys.executable).with_name("moto_server")
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 (owned by the child)
    process = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with code {process.returncode}")
        if is_up(endpoint, timeout=0.5):
            return Emulator(endpoint, process)
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"moto_server did not answer on {endpoint} within {ready_timeout:g} s")


def use_or_start(log_path: Path | None = None) -> Emulator:
    """The emulator named by AWS_ENDPOINT_URL if it answers, else a new moto server."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        if not is_up(endpoint):
            raise RuntimeError(f"AWS_ENDPOINT_URL={endpoint} does not answer")
        return Emulator(endpoint)
    return start(log_path=log_path)


def environment(endpoint: str) -> dict[str, str]:
    """Variables that point boto3, Terraform and every service at the emulator."""
    region = os.environ.get("AWS_REGION") or FAKE_CREDENTIALS["AWS_REGION"]
    return {**FAKE_CREDENTIALS, "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": region, "AWS_DEFAULT_REGION": region}
