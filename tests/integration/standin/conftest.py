"""Processes started by these tests, always stopped by PID; inputs under a unique prefix."""

import io
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from gpujobs import aws_clients
from local.processes import stop

ROOT = Path(__file__).resolve().parents[3]


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Start processes from the repository root with the session's environment; stopped at teardown."""
    started: list[subprocess.Popen] = []

    def start(argv: list[str], extra_env: dict[str, str] | None = None, log_name: str = "proc") -> subprocess.Popen:
        log = open(tmp_path / f"{log_name}.log", "ab")  # noqa: SIM115 (handed to the child)
        process = subprocess.Popen(argv, cwd=ROOT, env={**os.environ, **(extra_env or {})},
                                   stdout=log, stderr=subprocess.STDOUT)
        started.append(process)
        return process

    yield start
    stop(started, timeout_s=20)


@pytest.fixture
def input_image(stack: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """A 160x120 PNG uploaded to the results bucket; yields (bucket, s3 URI)."""
    bucket = stack["results_bucket_name"]
    key = f"standin-tests/{uuid.uuid4()}/input.png"
    image = Image.new("RGB", (160, 120))
    image.putdata([(x * 3 % 256, y * 2 % 256, (x * y) % 256) for y in range(120) for x in range(160)])
    data = io.BytesIO()
    image.save(data, format="PNG")
    s3 = aws_clients.client("s3")
    s3.put_object(Bucket=bucket, Key=key, Body=data.getvalue())
    yield bucket, f"s3://{bucket}/{key}"
    s3.delete_object(Bucket=bucket, Key=key)


@pytest.fixture
def python() -> str:
    return sys.executable
