"""The host's knobs from its settings."""

import sys

import pytest

from gpujobs.errors import ConfigError
from gpujobs.settings import Settings
from local.gpu_host.__main__ import main
from local.gpu_host.host_config import HostConfig


def test_defaults_run_the_standin_and_the_worker():
    config = HostConfig.from_settings(Settings({}))
    assert config.boot_delay_s == 20.0
    assert config.standin.command == (sys.executable, "-m", "local.comfyui_standin", "--host", "127.0.0.1",
                                      "--port", "8000")
    assert config.worker.command == (sys.executable, "-m", "services.adapter")
    assert config.worker.stop_timeout_s == 40.0
    assert config.standin_health_url == "http://127.0.0.1:8000/health"


def test_commands_and_delays_come_from_the_settings():
    settings = Settings({"LOCAL_GPU_WORKER_CMD": "sleep '60'", "LOCAL_GPU_STANDIN_PORT": "8123",
                         "BOOT_DELAY_S": "0.5", "SHUTDOWN_GRACE_S": "5", "LOCAL_GPU_STANDIN_HEALTH_URL": ""})
    config = HostConfig.from_settings(settings)
    assert config.worker.command == ("sleep", "60")
    assert config.standin.command[-1] == "8123"
    assert config.boot_delay_s == 0.5
    assert config.worker.stop_timeout_s == 15.0
    assert config.standin_health_url is None  # empty: no readiness check
    assert HostConfig.from_settings(settings, boot_delay_s=3).boot_delay_s == 3


@pytest.mark.parametrize(("name", "value"), [("BOOT_DELAY_S", "soon"), ("LOCAL_GPU_WORKER_CMD", "run 'unclosed")])
def test_nonsense_is_a_config_error(name, value):
    with pytest.raises(ConfigError):
        HostConfig.from_settings(Settings({name: value}))


def test_missing_instance_id_exits_2(monkeypatch, capsys):
    monkeypatch.delenv("GPU_INSTANCE_ID", raising=False)
    monkeypatch.delenv("GPUJOBS_OUTPUTS_FILE", raising=False)
    assert main([]) == 2
    assert "GPU_INSTANCE_ID" in capsys.readouterr().err
