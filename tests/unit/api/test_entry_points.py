"""The Lambda handler (apig-wsgi, payload v2), gunicorn's settings and JSON access log, start-up config errors."""

import importlib.util
import io
import json
import logging
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from gpujobs.errors import ConfigError
from services.api.app import create_app

ROOT = Path(__file__).resolve().parents[3]


def http_api_event(method: str, path: str, body: str | None = None,
                   headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {"content-type": "application/json", "host": "api.example.com", **(headers or {})},
        "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                    "sourceIp": "203.0.113.9", "userAgent": "test"},
                           "stage": "$default", "requestId": "r1"},
        "body": body, "isBase64Encoded": False,
    }


def test_lambda_handler_builds_the_app_on_first_call(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from services.api import lambda_handler as module

    monkeypatch.setattr(module, "_handler", None)
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", list(root.handlers))  # the cold start configures JSON logging
    monkeypatch.setattr(root, "level", root.level)
    monkeypatch.setenv("SQS_QUEUE_URL", aws.queue_url)
    monkeypatch.setenv("DYNAMODB_TABLE", aws.table_name)
    monkeypatch.setenv("GPU_INSTANCE_ID", aws.instance_id)
    monkeypatch.setenv("API_KEYS_TABLE", aws.key_table_name)
    monkeypatch.setenv("INPUT_BUCKETS", "inputs")

    health = module.lambda_handler(http_api_event("GET", "/health"), None)
    assert health["statusCode"] == 200
    assert json.loads(health["body"]) == {"status": "healthy"}

    body = json.dumps({"image_url": "s3://inputs/a.png", "prompt": "x"})
    refused = module.lambda_handler(http_api_event("POST", "/api/v1/camera-angle/jobs", body), None)
    assert refused["statusCode"] == 401
    assert json.loads(refused["body"])["error"]["code"] == "unauthorized"
    submitted = module.lambda_handler(
        http_api_event("POST", "/api/v1/camera-angle/jobs", body, {"authorization": f"Bearer {aws.key}"}), None)
    assert submitted["statusCode"] == 202
    headers = {k.lower(): v for k, v in submitted["headers"].items()}
    assert headers["location"].startswith("/api/v1/jobs/")
    assert len(aws.queue_bodies()) == 1


def test_missing_setting_stops_the_app_with_its_name(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("SQS_QUEUE_URL", "DYNAMODB_TABLE", "GPU_INSTANCE_ID", "GPUJOBS_OUTPUTS_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("SQS_QUEUE_URL", "https://sqs.example/q")
    with pytest.raises(ConfigError) as raised:
        create_app()
    assert "DYNAMODB_TABLE" in str(raised.value)
    assert "GPU_INSTANCE_ID" not in str(raised.value), "optional: the multi-region API has no instance to wake"


def test_malformed_api_setting_stops_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SQS_QUEUE_URL", "https://sqs.example/q")
    monkeypatch.setenv("DYNAMODB_TABLE", "t")
    monkeypatch.setenv("API_KEYS_TABLE", "k")
    monkeypatch.setenv("GPU_INSTANCE_ID", "i-1")
    monkeypatch.setenv("MAX_CONTENT_LENGTH", "lots")
    with pytest.raises(ConfigError, match="MAX_CONTENT_LENGTH"):
        create_app()


def _load_gunicorn_conf() -> Any:
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "services/api/gunicorn.conf.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_defaults_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("API_BIND", "API_WORKERS", "API_THREADS"):
        monkeypatch.delenv(key, raising=False)
    conf = _load_gunicorn_conf()
    assert (conf.bind, conf.workers, conf.threads) == ("127.0.0.1:8080", 2, 8)
    assert conf.worker_class == "services.api.gunicorn_worker.JsonErrorWorker"
    assert (conf.limit_request_line, conf.limit_request_fields, conf.limit_request_field_size) == (4094, 100, 8190)
    assert conf.logger_class == "services.api.gunicorn_logging.JsonLogger"
    monkeypatch.setenv("API_BIND", "127.0.0.1:9999")
    monkeypatch.setenv("API_WORKERS", "3")
    monkeypatch.setenv("API_THREADS", "4")
    conf = _load_gunicorn_conf()
    assert (conf.bind, conf.workers, conf.threads) == ("127.0.0.1:9999", 3, 4)
    monkeypatch.setenv("API_WORKERS", "zero")
    with pytest.raises(ConfigError, match="API_WORKERS"):
        _load_gunicorn_conf()


def test_access_log_lines_are_json_even_with_quotes() -> None:
    from gunicorn.config import Config

    from services.api.gunicorn_logging import JsonLogger

    cfg = Config()
    cfg.set("accesslog", "-")
    logger = JsonLogger(cfg)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger.access_log.handlers[:] = [handler]
    response = SimpleNamespace(status="202 ACCEPTED", sent=190, headers=[])
    environ = {"REQUEST_METHOD": "POST", "PATH_INFO": '/api/v1/"quoted"', "QUERY_STRING": "",
               "REMOTE_ADDR": "127.0.0.1", "HTTP_USER_AGENT": 'agent "x"', "RAW_URI": "/",
               "SERVER_PROTOCOL": "HTTP/1.1"}
    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=12))
    entry = json.loads(stream.getvalue())
    assert entry["status"] == 202 and entry["path"] == '/api/v1/"quoted"' and entry["duration_ms"] == 12.0
    assert entry["user_agent"] == 'agent "x"'
