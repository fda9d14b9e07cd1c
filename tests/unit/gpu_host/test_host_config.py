"""The host's configuration from the environment."""

import sys

import pytest

from gpujobs.errors import ConfigError
from local.gpu_host.__main__ import main
from local.gpu_host.host_config import HostConfig


def test_defaults_run_the_standin_and_the_worker(monkeypatch):
    for name in ("LOCAL_GPU_STANDIN_CMD", "LOCAL_GPU_WORKER_CMD", "BOOT_DELAY_S", "SHUTDOWN_GRACE_S",
                 "LOCAL_GPU_STANDIN_PORT", "LOCAL_GPU_STANDIN_HEALTH_URL", "LOCAL_GPU_WORKER_STOP_S"):
        monkeypatch.delenv(name, raising=False)
    config = HostConfig.from_env("i-1")
    assert config.boot_delay_s == 20.0
    assert config.standin.command == (sys.executable, "-m", "local.comfyui_standin", "--host", "127.0.0.1",
                                      "--port", "8000")
    assert config.worker.command == (sys.executable, "-m", "services.adapter")
    assert config.worker.stop_timeout_s == 40.0
    assert config.standin_health_url == "http://127.0.0.1:8000/health"


def test_commands_and_delays_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("LOCAL_GPU_WORKER_CMD", "sleep '60'")
    monkeypatch.setenv("LOCAL_GPU_STANDIN_PORT", "8123")
    monkeypatch.setenv("BOOT_DELAY_S", "0.5")
    monkeypatch.setenv("SHUTDOWN_GRACE_S", "5")
    config = HostConfig.from_env("i-1")
    assert config.worker.command == ("sleep", "60")
    assert config.standin.command[-1] == "8123"
    assert config.boot_delay_s == 0.5
    assert config.worker.stop_timeout_s == 15.0
    assert HostConfig.from_env("i-1", boot_delay_s=3).boot_delay_s == 3


@pytest.mark.parametrize(("name", "value"), [("BOOT_DELAY_S", "soon"), ("LOCAL_GPU_WORKER_CMD", "run 'unclosed")])
def test_nonsense_is_a_config_error(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError):
        HostConfig.from_env("i-1")


def test_missing_instance_id_exits_2(monkeypatch, capsys):
    monkeypatch.delenv("GPU_INSTANCE_ID", raising=False)
    monkeypatch.delenv("GPUJOBS_OUTPUTS_FILE", raising=False)
    assert main([]) == 2
    assert "GPU_INSTANCE_ID" in capsys.readouterr().err
