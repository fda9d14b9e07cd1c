"""One settings object: a service's map from the Terraform outputs, overlaid by the environment."""

import json

import pytest

from gpujobs import aws_clients
from gpujobs.errors import ConfigError
from gpujobs.settings import DEFAULT_METRICS_NAMESPACE, OUTPUTS_FILE_VAR, Settings, load_settings


def write_outputs(tmp_path, **outputs):
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({k: {"value": v, "type": "map", "sensitive": False} for k, v in outputs.items()}))
    return str(path)


API = {"SQS_QUEUE_URL": "http://q/master", "DYNAMODB_TABLE": "task_store", "RESULTS_BUCKET": "results"}
WORKER = {"SQS_QUEUE_URL": "http://q/regional", "DYNAMODB_TABLE": "task_store", "VISIBILITY_TIMEOUT_S": "3600"}


def test_each_service_reads_its_own_map(tmp_path):
    path = write_outputs(tmp_path, api_environment=API, worker_environment=WORKER, task_queue_url="http://q/regional")
    api = load_settings("api", {OUTPUTS_FILE_VAR: path})
    worker = load_settings("worker", {OUTPUTS_FILE_VAR: path})
    assert (api.queue_url, api.results_bucket) == ("http://q/master", "results")
    assert (worker.queue_url, worker.integer("VISIBILITY_TIMEOUT_S", 300)) == ("http://q/regional", 3600)


def test_the_environment_wins_over_the_map_but_an_empty_variable_does_not(tmp_path):
    path = write_outputs(tmp_path, api_environment=API)
    settings = load_settings("api", {OUTPUTS_FILE_VAR: path, "SQS_QUEUE_URL": "http://from-env", "DYNAMODB_TABLE": ""})
    assert (settings.queue_url, settings.table_name) == ("http://from-env", "task_store")


def test_without_an_outputs_file_the_environment_is_all():
    settings = load_settings("worker", {"SQS_QUEUE_URL": "http://q", "AWS_DEFAULT_REGION": "ap-south-1"})
    assert (settings.queue_url, settings.aws_region, settings.table_name) == ("http://q", "ap-south-1", None)


def test_missing_setting_names_the_variable_and_where_it_was_looked_for(tmp_path):
    path = write_outputs(tmp_path, api_environment=API)
    with pytest.raises(ConfigError, match=r"GPU_INSTANCE_ID .*api_environment of .*outputs.json"):
        load_settings("api", {OUTPUTS_FILE_VAR: path}).require("SQS_QUEUE_URL", "GPU_INSTANCE_ID")
    with pytest.raises(ConfigError, match="SQS_QUEUE_URL, DYNAMODB_TABLE"):
        Settings({}).require("SQS_QUEUE_URL", "DYNAMODB_TABLE")


@pytest.mark.parametrize(("outputs", "named"), [
    ({"worker_environment": WORKER}, "'api_environment'"),
    ({"api_environment": None}, "'api_environment'"),
    ({"api_environment": ["SQS_QUEUE_URL"]}, "'api_environment'"),
    ({"api_environment": {"SQS_QUEUE_URL": 3}}, r"api_environment\['SQS_QUEUE_URL'\]"),
])
def test_a_missing_map_or_malformed_value_is_named(tmp_path, outputs, named):
    path = write_outputs(tmp_path, **outputs)
    with pytest.raises(ConfigError, match=named):
        load_settings("api", {OUTPUTS_FILE_VAR: path})


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '{"task_queue_url": "bare"}'])
def test_malformed_outputs_file_is_refused(tmp_path, content):
    path = tmp_path / "outputs.json"
    path.write_text(content)
    with pytest.raises(ConfigError, match=OUTPUTS_FILE_VAR):
        load_settings("api", {OUTPUTS_FILE_VAR: str(path)})


def test_missing_outputs_file_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings("api", {OUTPUTS_FILE_VAR: str(tmp_path / "nope.json")})


def test_a_local_tool_reads_the_environment_only(tmp_path):
    path = write_outputs(tmp_path, api_environment=API)
    assert load_settings(None, {OUTPUTS_FILE_VAR: path}).queue_url is None
    with pytest.raises(ValueError, match="unknown service"):
        load_settings("gateway", {})


@pytest.mark.parametrize(("raw", "expected"), [("true", True), ("ON", True), ("1", True), ("no", False), ("0", False)])
def test_flags_accept_the_usual_words(raw, expected):
    assert Settings({"X": raw}).flag("X", not expected) is expected


def test_nonsense_is_refused_naming_the_variable():
    with pytest.raises(ConfigError, match="X='maybe'"):
        Settings({"X": "maybe"}).flag("X", True)
    with pytest.raises(ConfigError, match="not an integer"):
        Settings({"N": "abc"}).integer("N", 1)
    with pytest.raises(ConfigError, match="below the minimum 1"):
        Settings({"N": "0"}).integer("N", 1, minimum=1)
    with pytest.raises(ConfigError, match=r"above the maximum 2\.5"):
        Settings({"N": "3"}).number("N", 1, maximum=2.5)
    assert (Settings({"N": "7"}).integer("N", 1, minimum=1), Settings({}).integer("N", 3)) == (7, 3)


def test_one_metrics_namespace_with_one_default():
    assert Settings({}).metrics_namespace == DEFAULT_METRICS_NAMESPACE == "GpuOrchestrator"
    assert Settings({"POWERTOOLS_METRICS_NAMESPACE": "Team/Gpu"}).metrics_namespace == "Team/Gpu"


def test_pool_settings():
    settings = Settings({"DYNAMODB_REGION": "us-east-1", "GPU_POOL": "us-west-2", "AWS_REGION": "us-west-2"})
    assert (settings.table_region, settings.pool, settings.aws_region) == ("us-east-1", "us-west-2", "us-west-2")
    assert (Settings({}).table_region, Settings({}).pool) == (None, None)


@pytest.mark.parametrize("pool", ["us west", "a" * 65, "pool/1", "#x", "pööl"])
def test_bad_pool_is_refused_naming_the_variable(pool):
    with pytest.raises(ConfigError, match="GPU_POOL"):
        Settings({"GPU_POOL": pool})


@pytest.mark.parametrize("pool", ["a", "us-west-2", "Pool_1.b", "x" * 64])
def test_good_pool_names_are_accepted(pool):
    assert Settings({"GPU_POOL": pool}).pool == pool


@pytest.mark.parametrize(("value", "named"), [
    ("{not json", "REGION_QUEUES"), ("{}", "REGION_QUEUES"),
    ('{"us-east-1": "sqs-queue"}', "REGION_QUEUES['us-east-1']"), ('{"bad region": "https://h/1/q"}', "REGION_QUEUES"),
])
def test_region_queues_are_checked(value, named):
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        _ = Settings({"REGION_QUEUES": value}).region_queues


def test_peer_queues_are_optional_and_checked_like_region_queues():
    assert Settings({}).peer_queues == {}
    assert Settings({"PEER_QUEUES": "{}"}).peer_queues == {}
    url = "https://sqs.eu-west-1.amazonaws.com/123456789012/tasks"
    assert Settings({"PEER_QUEUES": json.dumps({"eu-west-1": url})}).peer_queues == {"eu-west-1": url}
    with pytest.raises(ConfigError, match=r"PEER_QUEUES\['eu-west-1'\]"):
        _ = Settings({"PEER_QUEUES": '{"eu-west-1": "sqs-queue"}'}).peer_queues


def test_task_table_client_is_built_for_the_table_region(monkeypatch):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    aws_clients.reset_clients()
    pooled = Settings({"AWS_REGION": "us-west-2", "DYNAMODB_REGION": "us-east-1"})
    assert aws_clients.task_table_client(pooled).meta.region_name == "us-east-1"
    assert aws_clients.task_table_client(Settings({"AWS_REGION": "us-west-2"})).meta.region_name == "us-west-2"
