"""The host's knobs from its settings."""

import sys
from pathlib import Path

import pytest

from gpujobs.errors import ConfigError
from gpujobs.settings import Settings
from local.gpu_host.__main__ import main
from local.gpu_host.host_config import HostConfig, host_count, host_environment


def test_defaults_run_the_double_the_unified_api_and_the_worker_in_that_order():
    config = HostConfig.from_settings(Settings({}))
    assert config.boot_delay_s == 20.0
    double, unified, worker = config.children
    folder = str(Path(".run/comfyui").resolve())
    assert double.command == (sys.executable, "-m", "local.comfyui_double", "--host", "127.0.0.1", "--port", "8188",
                              "--dir", folder, "--knobs", '{"step_latency_s": 0.25}')
    assert double.ready_url == "http://127.0.0.1:8188/system_stats"
    assert unified.command == (sys.executable, "-m", "services.unified_api")
    assert unified.ready_url == "http://127.0.0.1:8000/health"  # ready once ComfyUI is
    assert dict(unified.env) == {"UNIFIED_API_BIND": "127.0.0.1:8000", "COMFYUI_URL": "http://127.0.0.1:8188",
                                 "COMFYUI_DIR": folder}
    assert worker.command == (sys.executable, "-m", "services.adapter")
    assert worker.stop_timeout_s == 40.0 and worker.env["UNIFIED_API_URL"] == "http://127.0.0.1:8000"


def test_a_comfyui_named_by_comfyui_url_replaces_the_double():
    config = HostConfig.from_settings(Settings({"COMFYUI_URL": "http://127.0.0.1:9188", "COMFYUI_DIR": "/srv/c"}))
    assert [child.name for child in config.children] == ["unified-api", "worker"]
    unified = config.children[0]
    assert unified.env["COMFYUI_URL"] == "http://127.0.0.1:9188"
    assert "COMFYUI_DIR" not in unified.env  # the host's own COMFYUI_DIR passes through, if any


def test_commands_and_delays_come_from_the_settings():
    settings = Settings({"LOCAL_GPU_WORKER_CMD": "sleep '60'", "LOCAL_UNIFIED_API_PORT": "8123",
                         "LOCAL_COMFYUI_PORT": "8124", "LOCAL_COMFYUI_KNOBS": "{}",
                         "BOOT_DELAY_S": "0.5", "SHUTDOWN_GRACE_S": "5"})
    config = HostConfig.from_settings(settings)
    double, unified, worker = config.children
    assert worker.command == ("sleep", "60")
    assert double.command[double.command.index("--port") + 1] == "8124" and double.command[-1] == "{}"
    assert unified.env["UNIFIED_API_BIND"] == "127.0.0.1:8123" and unified.ready_url == "http://127.0.0.1:8123/health"
    assert worker.env["UNIFIED_API_URL"] == "http://127.0.0.1:8123"
    assert config.boot_delay_s == 0.5
    assert worker.stop_timeout_s == 15.0
    assert HostConfig.from_settings(settings, boot_delay_s=3).boot_delay_s == 3


@pytest.mark.parametrize(("name", "value"), [("BOOT_DELAY_S", "soon"), ("LOCAL_GPU_WORKER_CMD", "run 'unclosed"),
                                             ("LOCAL_COMFYUI_KNOBS", "{oops")])
def test_nonsense_is_a_config_error(name, value):
    with pytest.raises(ConfigError):
        HostConfig.from_settings(Settings({name: value}))


def test_missing_instance_id_exits_2(monkeypatch, capsys):
    monkeypatch.delenv("GPU_INSTANCE_ID", raising=False)
    monkeypatch.delenv("GPUJOBS_OUTPUTS_FILE", raising=False)
    assert main([]) == 2
    assert "GPU_INSTANCE_ID" in capsys.readouterr().err


def test_the_children_sign_with_the_instance_role_file_and_nothing_else_of_it(tmp_path):
    role_file = tmp_path / "gpu-instance.env"
    role_file.write_text("AWS_ACCESS_KEY_ID=AKIAROLE\nAWS_SECRET_ACCESS_KEY=secret\nAWS_ENDPOINT_URL=http://elsewhere\n")
    config = HostConfig.from_settings(Settings({"LOCAL_GPU_ROLE_ENV_FILE": str(role_file)}))
    for child in config.children:
        assert child.env["AWS_ACCESS_KEY_ID"] == "AKIAROLE" and child.env["AWS_SECRET_ACCESS_KEY"] == "secret"
        assert "AWS_ENDPOINT_URL" not in child.env  # the endpoint stays the host's


def test_a_role_file_without_a_key_stops_the_host(tmp_path):
    role_file = tmp_path / "gpu-instance.env"
    role_file.write_text("AWS_ACCESS_KEY_ID=AKIAROLE\n")
    with pytest.raises(ConfigError, match="LOCAL_GPU_ROLE_ENV_FILE"):
        HostConfig.from_settings(Settings({"LOCAL_GPU_ROLE_ENV_FILE": str(role_file)}))
    with pytest.raises(ConfigError, match="cannot be read"):
        HostConfig.from_settings(Settings({"LOCAL_GPU_ROLE_ENV_FILE": str(tmp_path / "missing.env")}))


def test_several_hosts_take_ports_folders_and_worker_ids_of_their_own():
    settings = Settings({"GPU_HOSTS": "3"})
    assert host_count(settings) == 3
    hosts = [HostConfig.from_settings(Settings(host_environment(n, "i-0abc", settings))) for n in range(3)]
    envs = [{k: v for c in h.children for k, v in c.env.items()} for h in hosts]
    ready = [c.ready_url for h in hosts for c in h.children if c.ready_url]
    assert len(set(ready)) == 6  # a double and a Unified API per host, none on another's port
    assert len({e["COMFYUI_DIR"] for e in envs}) == 3
    assert [host_environment(n, "i-0abc", settings).get("WORKER_ID") for n in range(3)] == [
        None, "i-0abc-1", "i-0abc-2"]  # the first keeps the instance's id, as on EC2


@pytest.mark.parametrize("values", [
    {"GPU_HOSTS": "0"}, {"GPU_HOSTS": "17"}, {"GPU_HOSTS": "2", "COMFYUI_URL": "http://127.0.0.1:8188"},
    {"GPU_HOSTS": "4", "LOCAL_UNIFIED_API_PORT": "8000", "LOCAL_COMFYUI_PORT": "8002"},
])
def test_host_counts_that_would_collide_are_refused(values):
    with pytest.raises(ConfigError):
        host_count(Settings(values))
