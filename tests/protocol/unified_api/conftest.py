"""Fixtures: the Unified API (real gunicorn) in front of the ComfyUI double (real aiohttp), S3 in the
session's emulator with a bucket of our own (tests/protocol/conftest.py; no terraform apply needed)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.protocol.unified_api.harness import Double, Unified


@pytest.fixture(scope="module")
def double(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Double]:
    base = tmp_path_factory.mktemp("comfyui")
    process = Double(base, base.parent / f"{base.name}-double.log").start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def unified(double: Double, bucket: str) -> Iterator[Unified]:
    process = Unified(double, bucket, double.dir.parent / f"{double.dir.name}-unified.log").start()
    yield process
    process.stop()


@pytest.fixture(autouse=True)
def fresh_knobs(request: pytest.FixtureRequest) -> None:
    if "double" in request.fixturenames:
        request.getfixturevalue("double").reset()


@pytest.fixture
def pair(tmp_path: Path, bucket: str) -> Iterator[tuple[Double, Unified]]:
    """A double and a Unified API of this test's own, for tests that restart one of them."""
    base = tmp_path / "comfyui"
    base.mkdir()
    double = Double(base, tmp_path / "double.log").start()
    unified = Unified(double, bucket, tmp_path / "unified.log").start()
    yield double, unified
    unified.stop()
    double.stop()
