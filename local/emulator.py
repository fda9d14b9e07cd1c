"""The embedded AWS emulator (moto's server, through local/moto_server.py) on loopback, started and
stopped by PID, enforcing IAM.

moto's server checks every request against the IAM policies of the user that signed it once
INITIAL_NO_AUTH_ACTION_COUNT requests have been answered; those first ones are used to make the admin
identity (local/role_users.py), which Terraform and the harness then use. Every service gets the
identity of its own role from local/role_users.py instead.

When AWS_ENDPOINT_URL already names a running emulator (LocalStack in CI, or a `make up`), callers
use it instead of starting their own, with the credentials the environment holds (`make up` writes
its admin's to .run/admin.env); whether that emulator enforces IAM is its own affair.
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

import boto3

from gpujobs.aws_clients import Credentials
from local.processes import stop
from local.role_users import ADMIN_CALLS, Identity, make_admin

ROOT = Path(__file__).resolve().parent.parent
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


def is_up(endpoint: str, timeout: float = 1.0, path: str = "/") -> bool:
    """True when something answers HTTP at the endpoint (any status counts)."""
    try:
        urllib.request.urlopen(endpoint + path, timeout=timeout).close()
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False
    return True


# moto's own pages: asking them whether the server is up spends none of the requests answered unchecked.
MOTO_PROBE_PATH = "/moto-api/"


def is_moto(endpoint: str, timeout: float = 2.0) -> bool:
    """True when the emulator is moto's server (it serves its own pages under /moto-api/; LocalStack does not)."""
    try:
        with urllib.request.urlopen(endpoint + MOTO_PROBE_PATH, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


@dataclass
class Emulator:
    endpoint: str
    admin: Identity
    process: subprocess.Popen | None = None
    enforces_iam: bool = False
    """True for moto's server (started here, or found at AWS_ENDPOINT_URL, as `make up` leaves it); False for
    another emulator, whose IAM checks, if any, are its own affair."""

    def environment(self) -> dict[str, str]:
        """Variables that point boto3 and Terraform at the emulator, signing as its admin."""
        return environment(self.endpoint, self.admin.credentials)

    def stop(self) -> None:
        """Stop the server if we started it; an emulator we merely found is left running."""
        if self.process is not None:
            stop([self.process], timeout_s=10)


def start(port: int | None = None, log_path: Path | None = None, ready_timeout: float = 30.0) -> Emulator:
    """Start moto_server on 127.0.0.1 (a free port unless one is given), wait until it answers, and make
    its admin with the requests it answers before enforcing IAM."""
    port = port or free_port()
    endpoint = f"http://127.0.0.1:{port}"
    if is_up(endpoint):
        raise RuntimeError(f"port {port} is already in use; stop that process or pick another port")
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 (owned by the child)
    process = subprocess.Popen(
        [sys.executable, "-m", "local.moto_server", "-H", "127.0.0.1", "-p", str(port)], cwd=ROOT,
        env={**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(ADMIN_CALLS)},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + ready_timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited with code {process.returncode}")
        if is_up(endpoint, timeout=0.5, path=MOTO_PROBE_PATH):
            try:
                admin = make_admin(_iam(endpoint, FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                                        FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]))
            except Exception:
                stop([process], timeout_s=10)
                raise
            return Emulator(endpoint, admin, process, enforces_iam=True)
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"moto_server did not answer on {endpoint} within {ready_timeout:g} s")


def use_or_start(log_path: Path | None = None) -> Emulator:
    """The emulator named by AWS_ENDPOINT_URL if it answers, else a new moto server."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        if not is_up(endpoint):
            raise RuntimeError(f"AWS_ENDPOINT_URL={endpoint} does not answer")
        given = Credentials(os.environ.get("AWS_ACCESS_KEY_ID") or FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            os.environ.get("AWS_SECRET_ACCESS_KEY") or FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"])
        return Emulator(endpoint, Identity("the environment's", given), enforces_iam=is_moto(endpoint))
    return start(log_path=log_path)


def environment(endpoint: str, credentials: Credentials) -> dict[str, str]:
    """Variables that point boto3, Terraform and every service at the emulator, signing with `credentials`."""
    region = os.environ.get("AWS_REGION") or FAKE_CREDENTIALS["AWS_REGION"]
    return {"AWS_ACCESS_KEY_ID": credentials.access_key_id, "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
            "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": region, "AWS_DEFAULT_REGION": region}


def _iam(endpoint: str, access_key_id: str, secret_access_key: str) -> object:
    return boto3.client("iam", endpoint_url=endpoint, region_name=FAKE_CREDENTIALS["AWS_REGION"],
                        aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key)
