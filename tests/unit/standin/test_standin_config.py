"""Strict configuration: nonsense in the environment stops the stand-in at start."""

import pytest

from gpujobs.errors import ConfigError
from gpujobs.settings import Settings
from local.comfyui_standin.__main__ import main
from local.comfyui_standin.standin_config import StandinConfig


def test_knobs_come_from_the_settings_and_overrides_win():
    settings = Settings({"STANDIN_LATENCY_S": "0.25", "STANDIN_FAILURE_RATE": "0.1", "STANDIN_FAILURE_MODE": "http",
                         "STANDIN_SEED": "9"})
    config = StandinConfig.from_settings(settings, latency_s=1.5)
    assert (config.latency_s, config.failure_rate, config.failure_mode, config.seed) == (1.5, 0.1, "http", 9)


@pytest.mark.parametrize(
    ("name", "value"),
    [("STANDIN_FAILURE_RATE", "1.5"), ("STANDIN_FAILURE_RATE", "often"), ("STANDIN_LATENCY_S", "-1"),
     ("STANDIN_FAILURE_MODE", "sometimes"), ("STANDIN_SEED", "x")],
)
def test_nonsense_is_a_config_error(name, value):
    with pytest.raises(ConfigError):
        StandinConfig.from_settings(Settings({name: value}))


def test_missing_bucket_stops_the_service_with_exit_code_2(monkeypatch, capsys):
    monkeypatch.delenv("RESULTS_BUCKET", raising=False)
    monkeypatch.delenv("GPUJOBS_OUTPUTS_FILE", raising=False)
    assert main(["--port", "0"]) == 2
    assert "RESULTS_BUCKET" in capsys.readouterr().err
