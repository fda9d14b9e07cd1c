"""Session fixtures: one emulator and one `terraform apply` of the local environment per session.

When AWS_ENDPOINT_URL already names a running emulator (LocalStack in CI), it is used as is.
"""

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gpujobs import aws_clients
from gpujobs.api_keys import KeyTable
from gpujobs.settings import load_settings
from gpujobs.task_model import DEFAULT_TENANT
from local import emulator as emulator_process
from local import stack as local_stack

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def emulator() -> Iterator[str]:
    """The emulator endpoint; os.environ points boto3 at it (fake credentials) for the session."""
    log_dir = Path(tempfile.mkdtemp(prefix="gpujobs-emulator-"))
    running = emulator_process.use_or_start(log_path=log_dir / "moto.log")
    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", *emulator_process.FAKE_CREDENTIALS)}
    os.environ.update(emulator_process.environment(running.endpoint))
    aws_clients.reset_clients()
    yield running.endpoint
    running.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    aws_clients.reset_clients()


def _build_lambda_packages() -> None:
    """Rebuild every session (about 2 s with the builder's cache), so the zips never hold stale code."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_lambda_packages.py")], check=True)


@pytest.fixture(scope="session")
def stack_info(emulator: str) -> Iterator[local_stack.LocalStack]:
    """The local environment applied once to the emulator; destroyed at the end of the session."""
    _build_lambda_packages()
    run_dir = Path(tempfile.mkdtemp(prefix="gpujobs-stack-"))
    applied = local_stack.apply(emulator_process.environment(emulator), run_dir)
    # Tests that submit jobs start the stand-in; remember the state Terraform left it in.
    instances = aws_clients.client("ec2").describe_instances(InstanceIds=[applied.outputs["gpu_instance_id"]])
    applied.instance_state_after_apply = instances["Reservations"][0]["Instances"][0]["State"]["Name"]
    os.environ["GPUJOBS_OUTPUTS_FILE"] = str(applied.outputs_file)
    yield applied
    os.environ.pop("GPUJOBS_OUTPUTS_FILE", None)


@pytest.fixture(scope="session")
def stack(stack_info: local_stack.LocalStack) -> dict[str, Any]:
    """Terraform output values of the applied local environment (name -> value)."""
    return stack_info.outputs


@pytest.fixture(scope="session")
def api_keys(stack: dict[str, Any]) -> KeyTable:
    """The stack's API key table (the operator's view: create, list, revoke)."""
    return KeyTable(load_settings("api").require("API_KEYS_TABLE").get("API_KEYS_TABLE") or "",
                    aws_clients.client("dynamodb"))


@pytest.fixture(scope="session")
def api_key(api_keys: KeyTable) -> str:
    """A key of the default tenant for every test that calls the API, its rate limit far above their load."""
    return api_keys.create(DEFAULT_TENANT, 0, rate_limit=10_000.0)[0]
