"""Fixtures: the Unified API (real gunicorn) in front of the ComfyUI double (real aiohttp), S3 in the
session's emulator with a bucket of our own (tests/protocol/conftest.py). The Unified API signs as the GPU
instance's role, which it shares with the worker on AWS, its rights over the stack's results bucket moved
to the test's bucket."""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from local.role_users import Identity, ServiceRoles, delete_stand_in
from tests.protocol.unified_api.harness import Double, Unified


def role_over_bucket(stack: dict[str, Any], roles: ServiceRoles, bucket: str) -> Identity | None:
    """A stand-in of the GPU instance's role whose results bucket is `bucket` (None on an emulator that
    enforces no IAM)."""
    return roles.rebound("unified_api", f"unified-api-{uuid.uuid4().hex[:8]}",
                         {stack["results_bucket_arn"]: f"arn:aws:s3:::{bucket}"})


@pytest.fixture(scope="module")
def gpu_role(stack: dict[str, Any], roles: ServiceRoles, bucket: str) -> Iterator[dict[str, str]]:
    """The variables that make the Unified API sign as the GPU instance's role over the test bucket."""
    identity = role_over_bucket(stack, roles, bucket)
    yield identity.environment() if identity else {}
    if identity:
        delete_stand_in(roles.iam, identity.user_name)


@pytest.fixture(scope="module")
def double(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Double]:
    base = tmp_path_factory.mktemp("comfyui")
    process = Double(base, base.parent / f"{base.name}-double.log").start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def unified(double: Double, bucket: str, gpu_role: dict[str, str]) -> Iterator[Unified]:
    process = Unified(double, bucket, double.dir.parent / f"{double.dir.name}-unified.log", **gpu_role).start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def fresh_knobs(request: pytest.FixtureRequest) -> None:
    if "double" in request.fixturenames:
        request.getfixturevalue("double").reset()


@pytest.fixture
def pair(tmp_path: Path, bucket: str, gpu_role: dict[str, str]) -> Iterator[tuple[Double, Unified]]:
    """A double and a Unified API of this test's own, for tests that restart one of them."""
    base = tmp_path / "comfyui"
    base.mkdir()
    double = Double(base, tmp_path / "double.log").start()
    unified = Unified(double, bucket, tmp_path / "unified.log", **gpu_role).start()
    yield double, unified
    unified.stop()
    double.stop()
