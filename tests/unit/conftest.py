"""Fixtures every unit test may use: `moto_clients` (moto in process, once per module)."""

from tests.unit.moto_world import moto_clients  # noqa: F401 (a fixture, found by pytest here)
