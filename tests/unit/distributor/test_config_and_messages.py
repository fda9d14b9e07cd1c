"""Strict settings and the two message shapes the master queue may carry."""

import json

import pytest

from gpujobs.errors import ConfigError
from gpujobs.settings import Settings
from gpujobs.task_queue import queue_client_region
from services.distributor_lambda import handler
from services.distributor_lambda.distribution_message import InvalidMessage, parse_routable
from services.distributor_lambda.distributor_config import DistributorConfig
from tests.doubles.lambda_context import LambdaContext

from .conftest import load_event

GOOD = {
    "REGION_QUEUES": json.dumps({"us-east-1": "https://sqs.us-east-1.amazonaws.com/123456789012/tasks_a",
                                 "pool-b": "http://127.0.0.1:5000/123456789012/tasks_b"}),
    "MASTER_DLQ_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/master_dlq",
    "IDEMPOTENCY_TABLE": "distributor_idempotency",
}


@pytest.fixture
def env(monkeypatch):
    for name in ("OVERLOAD_THRESHOLD", "DEPTH_CACHE_TTL_S", "IDEMPOTENCY_TTL_S", "GPUJOBS_OUTPUTS_FILE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in GOOD.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_settings_and_defaults():
    settings = Settings(GOOD)
    config = DistributorConfig.from_settings(settings)
    assert settings.region_queues["pool-b"] == "http://127.0.0.1:5000/123456789012/tasks_b"
    assert (config.overload_threshold, config.depth_cache_ttl_s, config.idempotency_ttl_s) == (5000, 60.0, 86400)


@pytest.mark.parametrize(("name", "value", "named"), [
    ("REGION_QUEUES", "{not json", "REGION_QUEUES"),
    ("REGION_QUEUES", "{}", "REGION_QUEUES"),
    ("REGION_QUEUES", '{"us-east-1": "sqs-queue"}', "REGION_QUEUES['us-east-1']"),
    ("REGION_QUEUES", '{"bad region": "https://h/1/q"}', "REGION_QUEUES"),
    ("OVERLOAD_THRESHOLD", "lots", "OVERLOAD_THRESHOLD"),
    ("OVERLOAD_THRESHOLD", "0", "OVERLOAD_THRESHOLD"),
    ("DEPTH_CACHE_TTL_S", "-1", "DEPTH_CACHE_TTL_S"),
    ("IDEMPOTENCY_TTL_S", "1.5", "IDEMPOTENCY_TTL_S"),
    ("MASTER_DLQ_URL", "", "MASTER_DLQ_URL"),
    ("IDEMPOTENCY_TABLE", "", "IDEMPOTENCY_TABLE"),
])
def test_bad_setting_is_named(name, value, named):
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        DistributorConfig.from_settings(Settings({**GOOD, name: value}))


def test_first_invocation_fails_on_a_bad_setting(env):
    env.setenv("OVERLOAD_THRESHOLD", "many")
    handler.install_instance(None)
    with pytest.raises(ConfigError, match="OVERLOAD_THRESHOLD"):
        handler.lambda_handler(load_event("ten_requests.json"), LambdaContext())


def test_client_region_comes_from_the_queue_url_or_the_region_name():
    assert queue_client_region("pool-b", "https://sqs.eu-west-1.amazonaws.com/1/q") == "eu-west-1"
    assert queue_client_region("us-west-2", "http://127.0.0.1:5000/1/q") == "us-west-2"
    assert queue_client_region("pool-b", "http://127.0.0.1:5000/1/q") is None


def request(**changes):
    body = {"request_id": "req-1", "model_name": "m", "input_data_url": "s3://b/k.json",
            "callback_sns_topic": "arn:aws:sns:us-east-1:123456789012:results", "priority": "low",
            "timestamp": "2025-12-02T10:23:00Z", "metadata": {"user_id": "u"}}
    body.update(changes)
    return json.dumps({k: v for k, v in body.items() if v is not None})


def test_distribution_request_keys_on_request_id():
    routable = parse_routable(request())
    assert (routable.idempotency_key, routable.priority) == ("request:req-1", "low")
    assert parse_routable(request(priority=None, callback_sns_topic=None, metadata=None)).priority == "normal"


def test_task_message_keys_on_task_id():
    routable = parse_routable(load_event("task_message.json")["Records"][0]["body"])
    assert (routable.idempotency_key, routable.priority) == ("task:task-0001", "normal")


@pytest.mark.parametrize(("body", "reason"), [
    ("not json", "not JSON"),
    ("[1, 2]", "JSON object"),
    ('{"hello": 1}', "neither request_id"),
    (request(request_id="has space"), "request_id"),
    (request(priority="urgent"), "priority"),
    (request(timestamp="2025-12-02T10:23:00"), "timestamp"),
    (request(input_data_url="file:///etc/passwd"), "input_data_url"),
    (request(callback_sns_topic="arn:aws:sqs:us-east-1:123456789012:q"), "callback_sns_topic"),
    (request(model_name=""), "model_name"),
    ('{"task_id": "has space", "api_path": "/api/v1/camera-angle/jobs", "request_body": {}}', "task_id"),
])
def test_invalid_bodies_say_why(body, reason):
    with pytest.raises(InvalidMessage, match=reason):
        parse_routable(body)


def test_a_task_message_is_checked_only_for_its_task_id():
    """The worker runs the task row, not the message's copy, and checks a hand-sent message itself."""
    for body in ('{"task_id": "t-1", "api_path": "/api/v1/unknown", "request_body": {}}',
                 '{"task_id": "t-1", "api_path": "/api/v1/camera-angle/jobs", "request_body": {}}'):
        assert parse_routable(body).idempotency_key == "task:t-1"
