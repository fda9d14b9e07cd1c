"""The power Lambda starts through the pool's capacity row, against in-process moto: a start clears a
past shortfall, a run inside the backoff leaves the stopped instance alone, and GPU_INSTANCE_TYPES
that are not instance types stop the run at start."""

import pytest

from gpujobs.capacity_policy import CapacityState
from gpujobs.errors import ConfigError
from gpujobs.settings import load_settings
from services.shutdown_lambda.handler import build_handler
from services.shutdown_lambda.power_config import PowerRunConfig
from tests.doubles.lambda_context import LambdaContext
from tests.unit.power.conftest import PowerWorld


def _stopped_with_work(world: PowerWorld) -> int:
    world.moto.ec2.stop_instances(InstanceIds=[world.instance_id])
    world.queue_job(created_at=world.launch_time - 7200)  # older than the window: its message is the work
    return world.launch_time + 60


def test_a_start_clears_a_past_shortfall(world: PowerWorld) -> None:
    now = _stopped_with_work(world)
    world.store.record_capacity(CapacityState(1, now - 3600, ("g6e.2xlarge",)), now - 3600)
    response = build_handler(clock=lambda: now, sleep=lambda _s: None)({"action": "evaluate"}, LambdaContext())
    assert response["acted"] == "started" and world.state() in ("pending", "running")
    assert world.store.capacity() == CapacityState()


def test_inside_the_backoff_the_stopped_instance_waits(world: PowerWorld) -> None:
    now = _stopped_with_work(world)
    world.store.record_capacity(CapacityState(1, now - 10, ("g6e.2xlarge",)), now - 10)
    response = build_handler(clock=lambda: now, sleep=lambda _s: None)({"action": "evaluate"}, LambdaContext())
    assert (response["action"], response["acted"]) == ("start", "start-backing-off")
    assert world.state() == "stopped"
    assert world.store.capacity().shortfalls == 1, "waiting is not another shortfall"


@pytest.mark.parametrize("raw", ["g6e.2xlarge,big", "g6e.2xlarge,g6e.2xlarge"])
def test_bad_instance_types_stop_the_run_at_start(world: PowerWorld, monkeypatch: pytest.MonkeyPatch,
                                                  raw: str) -> None:
    monkeypatch.setenv("GPU_INSTANCE_TYPES", raw)
    with pytest.raises(ConfigError, match="GPU_INSTANCE_TYPES"):
        PowerRunConfig.from_settings(load_settings("power"))


def test_instance_types_are_read_in_order(world: PowerWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GPU_INSTANCE_TYPES", "g6e.2xlarge, g6.2xlarge,g5.2xlarge")
    config = PowerRunConfig.from_settings(load_settings("power"))
    assert config.instance_types == ("g6e.2xlarge", "g6.2xlarge", "g5.2xlarge")
