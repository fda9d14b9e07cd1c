"""Processes started by these tests, always stopped by PID."""

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

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
