"""The worker's knobs: defaults, and a clear stop naming the variable when something is wrong."""

import pytest

from gpujobs.errors import ConfigError
from gpujobs.settings import Settings
from services.adapter.worker_config import WorkerConfig

NAMES = {"SQS_QUEUE_URL": "http://127.0.0.1:1/123/q", "DYNAMODB_TABLE": "task_store"}


def config_of(**values: str) -> WorkerConfig:
    return WorkerConfig.from_settings(Settings({**NAMES, **values}))


def test_defaults():
    config = config_of()
    assert config.api_url == "http://127.0.0.1:8000"
    assert (config.concurrency, config.wait_time_s, config.visibility_timeout_s) == (1, 20, 300)
    assert config.job_timeout_s == 1800
    assert 0 < config.heartbeat_interval_s < config.lease_s < config.visibility_timeout_s
    assert config.worker_id


@pytest.mark.parametrize("name", ["SQS_QUEUE_URL", "DYNAMODB_TABLE"])
def test_missing_resource_names_the_variable(name):
    with pytest.raises(ConfigError, match=name):
        WorkerConfig.from_settings(Settings({k: v for k, v in NAMES.items() if k != name}))


@pytest.mark.parametrize(("name", "value"), [
    ("WORKER_CONCURRENCY", "many"), ("WORKER_CONCURRENCY", "0"), ("VISIBILITY_TIMEOUT_S", "1.5"),
    ("JOB_TIMEOUT_S", "soon"), ("WAIT_TIME_S", "30"), ("UNIFIED_API_URL", "localhost:8000"),
    ("COMFYUI_API_URL", "localhost:8000"), ("STATUS_WAIT_S", "21"),
])
def test_malformed_value_names_the_variable(name, value):
    with pytest.raises(ConfigError, match=name):
        config_of(**{name: value})


def test_heartbeat_must_beat_before_the_message_returns():
    with pytest.raises(ConfigError, match="HEARTBEAT_INTERVAL_S"):
        config_of(VISIBILITY_TIMEOUT_S="30", HEARTBEAT_INTERVAL_S="29")


def test_values_from_the_settings():
    config = config_of(WORKER_CONCURRENCY="8", WORKER_ID="gpu-1", UNIFIED_API_URL="http://127.0.0.1:9000/",
                       VISIBILITY_TIMEOUT_S="3600", JOB_TIMEOUT_S="900", STATUS_WAIT_S="0")
    assert (config.concurrency, config.worker_id, config.api_url) == (8, "gpu-1", "http://127.0.0.1:9000")
    assert (config.visibility_timeout_s, config.lease_s, config.job_timeout_s) == (3600, 3598, 900)
    assert config.status_wait_s == 0


def test_the_old_name_of_the_unified_api_url_is_read_with_a_warning(caplog):
    with caplog.at_level("WARNING"):
        assert config_of(COMFYUI_API_URL="http://127.0.0.1:9001").api_url == "http://127.0.0.1:9001"
    assert "COMFYUI_API_URL is deprecated" in caplog.text and "UNIFIED_API_URL" in caplog.text
    caplog.clear()
    both = config_of(COMFYUI_API_URL="http://127.0.0.1:9001", UNIFIED_API_URL="http://127.0.0.1:9002")
    assert both.api_url == "http://127.0.0.1:9002" and not caplog.text
