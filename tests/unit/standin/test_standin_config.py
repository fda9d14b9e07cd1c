"""Strict configuration: nonsense in the environment stops the stand-in at start."""

import pytest

from gpujobs.errors import ConfigError
from local.comfyui_standin.__main__ import main
from local.comfyui_standin.standin_config import StandinConfig


def test_from_env_reads_the_knobs(monkeypatch):
    monkeypatch.setenv("RESULTS_BUCKET", "bucket-a")
    monkeypatch.setenv("STANDIN_LATENCY_S", "0.25")
    monkeypatch.setenv("STANDIN_FAILURE_RATE", "0.1")
    monkeypatch.setenv("STANDIN_FAILURE_MODE", "http")
    monkeypatch.setenv("STANDIN_SEED", "9")
    config = StandinConfig.from_env(latency_s=1.5)
    assert (config.results_bucket, config.latency_s, config.failure_rate, config.failure_mode, config.seed) == (
        "bucket-a", 1.5, 0.1, "http", 9)


@pytest.mark.parametrize(
    ("name", "value"),
    [("STANDIN_FAILURE_RATE", "1.5"), ("STANDIN_FAILURE_RATE", "often"), ("STANDIN_LATENCY_S", "-1"),
     ("STANDIN_FAILURE_MODE", "sometimes"), ("STANDIN_SEED", "x")],
)
def test_nonsense_is_a_config_error(monkeypatch, name, value):
    monkeypatch.setenv("RESULTS_BUCKET", "bucket-a")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError):
        StandinConfig.from_env()


def test_missing_bucket_stops_the_service_with_exit_code_2(monkeypatch, capsys):
    monkeypatch.delenv("RESULTS_BUCKET", raising=False)
    monkeypatch.delenv("GPUJOBS_OUTPUTS_FILE", raising=False)
    assert main(["--port", "0"]) == 2
    assert "RESULTS_BUCKET" in capsys.readouterr().err
