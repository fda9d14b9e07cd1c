"""Session fixtures: one emulator and one `terraform apply` of the local environment per session.

moto's server enforces IAM: the harness and Terraform sign as its admin, and every service a test runs
signs as the stand-in user of its own role (`roles`, local/role_users.py), so a permission the role lacks
fails the test as it would fail on AWS. When AWS_ENDPOINT_URL already names a running emulator (LocalStack
in CI), it is used as is, with the credentials the environment holds; tests marked `moto_only` need what
only moto's server offers and are skipped on another emulator.
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
from local import role_users
from local import stack as local_stack

ROOT = Path(__file__).resolve().parent.parent


ENV_KEYS = ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION")


@pytest.fixture(scope="session")
def running_emulator() -> Iterator[emulator_process.Emulator]:
    """The emulator; os.environ points boto3 at it, signing as its admin, for the session."""
    log_dir = Path(tempfile.mkdtemp(prefix="gpujobs-emulator-"))
    running = emulator_process.use_or_start(log_path=log_dir / "moto.log")
    saved = {k: os.environ.get(k) for k in ENV_KEYS}
    os.environ.update(running.environment())
    aws_clients.reset_clients()
    yield running
    running.stop()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    aws_clients.reset_clients()


@pytest.fixture(scope="session")
def emulator(running_emulator: emulator_process.Emulator) -> str:
    """The emulator endpoint."""
    return running_emulator.endpoint


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip `moto_only` tests when AWS_ENDPOINT_URL names an emulator other than moto's server."""
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if not endpoint or emulator_process.is_moto(endpoint):
        return
    for item in items:
        marker = item.get_closest_marker("moto_only")
        if marker is not None:
            reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else "needs moto's server")
            item.add_marker(pytest.mark.skip(reason=f"AWS_ENDPOINT_URL={endpoint} is not moto's server: {reason}"))


def _build_lambda_packages() -> None:
    """Rebuild every session (about 2 s with the builder's cache), so the zips never hold stale code."""
    subprocess.run([sys.executable, str(ROOT / "scripts" / "build_lambda_packages.py")], check=True)


@pytest.fixture(scope="session")
def stack_info(emulator: str) -> Iterator[local_stack.LocalStack]:
    """The local environment applied once to the emulator; destroyed at the end of the session."""
    _build_lambda_packages()
    run_dir = Path(tempfile.mkdtemp(prefix="gpujobs-stack-"))
    # With the distributor beside the stack, so it runs under its role too (tests/integration/distributor).
    applied = local_stack.apply(dict(os.environ), run_dir, {"home_distributor": "true"})
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
def roles(running_emulator: emulator_process.Emulator, stack: dict[str, Any]) -> role_users.ServiceRoles:
    """Each service's role as a user of the emulator, made from what Terraform created (none on an
    emulator other than moto's server: there every service signs as the session's identity)."""
    iam = aws_clients.client("iam")
    if not running_emulator.enforces_iam:
        return role_users.ServiceRoles(iam, {})
    return role_users.service_roles(iam, stack)


@pytest.fixture(scope="session")
def api_keys(stack: dict[str, Any]) -> KeyTable:
    """The stack's API key table (the operator's view: create, list, revoke)."""
    return KeyTable(load_settings("api").require("API_KEYS_TABLE").get("API_KEYS_TABLE") or "",
                    aws_clients.client("dynamodb"))


@pytest.fixture(scope="session")
def api_key(api_keys: KeyTable) -> str:
    """A key of the default tenant for every test that calls the API, its rate limit far above their load."""
    return api_keys.create(DEFAULT_TENANT, 0, rate_limit=10_000.0)[0]
