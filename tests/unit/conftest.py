"""Fixtures every unit test may use: `moto_clients` (moto in process, once per module)."""

import pytest

from tests.unit.moto_world import moto_clients  # noqa: F401 (a fixture, found by pytest here)


@pytest.fixture(autouse=True)
def _no_instance_metadata(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unit tests never reach for the EC2 metadata address (a worker without WORKER_ID would)."""
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
