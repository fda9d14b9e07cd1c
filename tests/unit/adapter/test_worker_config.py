"""Configuration: defaults, and a clear stop naming the variable when something is wrong."""

import pytest

from gpujobs.errors import ConfigError
from services.adapter.worker_config import WorkerConfig


@pytest.fixture
def env(monkeypatch):
    for name in ("GPUJOBS_OUTPUTS_FILE", "SQS_DLQ_URL", "WORKER_ID", "COMFYUI_API_URL", "WORKER_CONCURRENCY",
                 "VISIBILITY_TIMEOUT_S", "HEARTBEAT_INTERVAL_S", "JOB_TIMEOUT_S", "WAIT_TIME_S", "GPU_POOL",
                 "DYNAMODB_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SQS_QUEUE_URL", "http://127.0.0.1:1/123/q")
    monkeypatch.setenv("DYNAMODB_TABLE", "task_store")
    return monkeypatch


def test_defaults(env):
    config = WorkerConfig.from_env()
    assert config.api_url == "http://127.0.0.1:8000"
    assert (config.concurrency, config.wait_time_s, config.visibility_timeout_s) == (1, 20, 300)
    assert config.job_timeout_s == 1800
    assert 0 < config.heartbeat_interval_s < config.lease_s < config.visibility_timeout_s
    assert config.dlq_url is None
    assert config.worker_id


@pytest.mark.parametrize("name", ["SQS_QUEUE_URL", "DYNAMODB_TABLE"])
def test_missing_resource_names_the_variable(env, name):
    env.delenv(name)
    with pytest.raises(ConfigError, match=name):
        WorkerConfig.from_env()


@pytest.mark.parametrize(("name", "value"), [
    ("WORKER_CONCURRENCY", "many"), ("WORKER_CONCURRENCY", "0"), ("VISIBILITY_TIMEOUT_S", "1.5"),
    ("JOB_TIMEOUT_S", "soon"), ("WAIT_TIME_S", "30"), ("COMFYUI_API_URL", "localhost:8000"),
])
def test_malformed_value_names_the_variable(env, name, value):
    env.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        WorkerConfig.from_env()


def test_heartbeat_must_beat_before_the_message_returns(env):
    env.setenv("VISIBILITY_TIMEOUT_S", "30")
    env.setenv("HEARTBEAT_INTERVAL_S", "29")
    with pytest.raises(ConfigError, match="HEARTBEAT_INTERVAL_S"):
        WorkerConfig.from_env()


def test_values_from_the_environment(env):
    env.setenv("WORKER_CONCURRENCY", "8")
    env.setenv("SQS_DLQ_URL", "http://127.0.0.1:1/123/dlq")
    env.setenv("WORKER_ID", "gpu-1")
    env.setenv("COMFYUI_API_URL", "http://127.0.0.1:9000/")
    config = WorkerConfig.from_env()
    assert (config.concurrency, config.dlq_url, config.worker_id, config.api_url) == (
        8, "http://127.0.0.1:1/123/dlq", "gpu-1", "http://127.0.0.1:9000")


def test_pool_and_table_region_from_the_environment(env):
    unpooled = WorkerConfig.from_env()
    assert (unpooled.pool, unpooled.table_region) == (None, None)
    env.setenv("GPU_POOL", "us-west-2")
    env.setenv("DYNAMODB_REGION", "us-east-1")
    config = WorkerConfig.from_env()
    assert (config.pool, config.table_region) == ("us-west-2", "us-east-1")
    env.setenv("GPU_POOL", "us west 2")
    with pytest.raises(ConfigError, match="GPU_POOL"):
        WorkerConfig.from_env()
