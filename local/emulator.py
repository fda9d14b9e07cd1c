"""The embedded AWS emulator (moto's server) on loopback, started and stopped by PID, enforcing IAM.

moto's server checks every request against the IAM policies of the user that signed it once
INITIAL_NO_AUTH_ACTION_COUNT requests have been answered; those first ones are used to make the admin
identity (local/role_users.py), which Terraform and the harness then use. Every service gets the
identity of its own role from local/role_users.py instead.

When AWS_ENDPOINT_URL already names a running emulator (LocalStack in CI, or a `make up`), callers
use it instead of starting their own, with the credentials the environment holds (`make up` writes
its admin's to .run/admin.env); whether that emulator enforces IAM is its own affair.
"""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import boto3

from gpujobs.aws_clients import Credentials
from local.processes import stop
from local.role_users import ADMIN_CALLS, Identity, make_admin

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


@dataclass
class Emulator:
    endpoint: str
    admin: Identity
    process: subprocess.Popen | None = None
    enforces_iam: bool = False
    """True for a moto server started here; an emulator found at AWS_ENDPOINT_URL may or may not."""

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
    moto = Path(sys.executable).with_name("moto_server")
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115 (owned by the child)
    process = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)],
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
        return Emulator(endpoint, Identity("the environment's", given))
    return start(log_path=log_path)


@contextmanager
def iam_checks_paused(endpoint: str) -> Iterator[None]:
    """moto answers the IAM check of a GET request that has neither query string nor body with
    SignatureDoesNotMatch (moto 5.2.5 takes the request's headers for its query string and signs them as
    the payload), and Terraform makes such requests (Lambda's GetFunction, API Gateway's GetApi). So the
    checks are off while Terraform runs (it signs as the admin, who may do anything anyway) and on again
    after. On an emulator without moto's /moto-api/reset-auth (LocalStack) this does nothing."""
    previous = _reset_auth(endpoint, "inf")
    try:
        yield
    finally:
        if previous is not None and previous != "inf":
            _reset_auth(endpoint, "0")  # enforce from the next request: no free calls


def _reset_auth(endpoint: str, count: str) -> str | None:
    """Set moto's INITIAL_NO_AUTH_ACTION_COUNT (and its request count to 0); the previous count, or None."""
    request = urllib.request.Request(endpoint + "/moto-api/reset-auth", data=count.encode(), method="POST",
                                     headers={"Content-Type": "text/plain"})  # moto reads the raw body
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return str(json.loads(response.read())["PREVIOUS_INITIAL_NO_AUTH_ACTION_COUNT"])
    except (urllib.error.URLError, OSError, ValueError, KeyError):
        return None


def environment(endpoint: str, credentials: Credentials) -> dict[str, str]:
    """Variables that point boto3, Terraform and every service at the emulator, signing with `credentials`."""
    region = os.environ.get("AWS_REGION") or FAKE_CREDENTIALS["AWS_REGION"]
    return {"AWS_ACCESS_KEY_ID": credentials.access_key_id, "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
            "AWS_ENDPOINT_URL": endpoint, "AWS_REGION": region, "AWS_DEFAULT_REGION": region}


def _iam(endpoint: str, access_key_id: str, secret_access_key: str) -> object:
    return boto3.client("iam", endpoint_url=endpoint, region_name=FAKE_CREDENTIALS["AWS_REGION"],
                        aws_access_key_id=access_key_id, aws_secret_access_key=secret_access_key)
