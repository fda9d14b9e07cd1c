import json

import pytest

from gpujobs import aws_clients
from gpujobs.env_values import env_bool, env_int, parse_bool
from gpujobs.errors import ConfigError
from gpujobs.settings import OUTPUTS_FILE_VAR, Settings, load_settings


def write_outputs(tmp_path, **values):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({k: {"value": v, "type": "string", "sensitive": False} for k, v in values.items()}))
    return str(path)


def test_outputs_file_supplies_names(tmp_path):
    path = write_outputs(tmp_path, task_queue_url="http://q", task_table_name="task_store", aws_region="eu-west-1")
    settings = load_settings({OUTPUTS_FILE_VAR: path}, require=["queue_url", "table_name"])
    assert (settings.queue_url, settings.table_name, settings.aws_region) == ("http://q", "task_store", "eu-west-1")


def test_environment_wins_over_outputs_file(tmp_path):
    path = write_outputs(tmp_path, task_queue_url="http://from-file", task_table_name="file_table")
    settings = load_settings({OUTPUTS_FILE_VAR: path, "SQS_QUEUE_URL": "http://from-env"})
    assert settings.queue_url == "http://from-env"
    assert settings.table_name == "file_table"


def test_missing_setting_names_variable_and_output():
    with pytest.raises(ConfigError) as caught:
        load_settings({}, require=["queue_url", "gpu_instance_id"])
    assert "SQS_QUEUE_URL" in str(caught.value)
    assert "task_queue_url" in str(caught.value)
    assert "GPU_INSTANCE_ID" in str(caught.value)


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"task_queue_url": "bare"}'])
def test_malformed_outputs_file_is_refused(tmp_path, content):
    path = tmp_path / "outputs.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=OUTPUTS_FILE_VAR):
        load_settings({OUTPUTS_FILE_VAR: str(path)})


def test_missing_outputs_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings({OUTPUTS_FILE_VAR: str(tmp_path / "nope.json")})


def test_non_string_output_is_refused(tmp_path):
    path = write_outputs(tmp_path, task_queue_url=["a", "b"])
    with pytest.raises(ConfigError, match="task_queue_url"):
        load_settings({OUTPUTS_FILE_VAR: path})


def test_region_falls_back_to_default_region():
    assert load_settings({"AWS_DEFAULT_REGION": "ap-south-1"}).aws_region == "ap-south-1"


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("ON", True), ("1", True), ("no", False), ("0", False)])
def test_parse_bool_accepts_the_usual_words(raw, expected):
    assert parse_bool("X", raw) is expected


def test_parse_bool_rejects_nonsense():
    with pytest.raises(ConfigError, match="X='maybe'"):
        parse_bool("X", "maybe")


def test_env_int_checks_type_and_range(monkeypatch):
    monkeypatch.setenv("N", "abc")
    with pytest.raises(ConfigError, match="not an integer"):
        env_int("N", 1)
    monkeypatch.setenv("N", "0")
    with pytest.raises(ConfigError, match="below the minimum 1"):
        env_int("N", 1, minimum=1)
    monkeypatch.setenv("N", "7")
    assert env_int("N", 1, minimum=1) == 7
    monkeypatch.delenv("N")
    assert env_int("N", 3) == 3
    assert env_bool("UNSET_FLAG_FOR_TEST", True) is True


def test_pool_settings_from_the_environment():
    settings = load_settings({"DYNAMODB_REGION": "us-east-1", "GPU_POOL": "us-west-2", "AWS_REGION": "us-west-2"})
    assert (settings.table_region, settings.pool, settings.aws_region) == ("us-east-1", "us-west-2", "us-west-2")


def test_pool_settings_from_the_outputs_file(tmp_path):
    path = write_outputs(tmp_path, task_table_region="us-east-1", gpu_pool="eu-west-1", aws_region="eu-west-1")
    settings = load_settings({OUTPUTS_FILE_VAR: path})
    assert (settings.table_region, settings.pool) == ("us-east-1", "eu-west-1")


def test_pool_settings_default_to_none():
    settings = load_settings({"AWS_REGION": "us-west-2"})
    assert (settings.table_region, settings.pool) == (None, None)


@pytest.mark.parametrize("pool", ["us west", "a" * 65, "pool/1", "#x", "pööl"])
def test_bad_pool_is_refused_naming_the_variable(pool):
    with pytest.raises(ConfigError, match="GPU_POOL"):
        load_settings({"GPU_POOL": pool})


@pytest.mark.parametrize("pool", ["a", "us-west-2", "Pool_1.b", "x" * 64])
def test_good_pool_names_are_accepted(pool):
    assert load_settings({"GPU_POOL": pool}).pool == pool


def test_task_table_client_is_built_for_the_table_region(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    aws_clients.reset_clients()
    pooled = Settings(aws_region="us-west-2", table_region="us-east-1")
    assert aws_clients.task_table_client(pooled).meta.region_name == "us-east-1"
    assert aws_clients.task_table_client(Settings(aws_region="us-west-2")).meta.region_name == "us-west-2"


def test_task_table_client_reads_the_environment_when_not_given_settings(monkeypatch):
    for key in ("AWS_ENDPOINT_URL", OUTPUTS_FILE_VAR):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("DYNAMODB_REGION", "ap-south-1")
    aws_clients.reset_clients()
    assert aws_clients.task_table_client().meta.region_name == "ap-south-1"
