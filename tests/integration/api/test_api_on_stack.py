"""The API over real HTTP through gunicorn (and the Flask test client) on the Terraform-built stack."""

import json
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gpujobs import aws_clients
from gpujobs.settings import load_settings
from gpujobs.task_store import deserialize
from local.role_users import ServiceRoles
from services.api.api_config import ApiConfig
from services.api.app import create_app
from tests.polling import wait_until

from .conftest import ApiServer, raw_http

pytestmark = pytest.mark.integration

CAMERA = "/api/v1/camera-angle/jobs"
QWEN = "/api/v1/qwen-image-edit/jobs"
ROW_FIELDS = {"task_id", "status", "job_type", "created_at", "updated_at", "result_s3_uri",
                   "error_message", "comfy_job_id", "ttl"}


def _row(stack: dict[str, Any], task_id: str) -> dict[str, Any] | None:
    item = boto3.client("dynamodb").get_item(
        TableName=stack["task_table_name"], Key={"task_id": {"S": task_id}}, ConsistentRead=True
    ).get("Item")
    return deserialize(item) if item else None


def _take_message(queue_url: str, task_id: str, timeout_s: float = 20) -> str:
    """Find our message on the queue (others' are made visible again), delete it, return its body."""
    sqs = boto3.client("sqs")

    def look() -> str | None:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1,
                                  VisibilityTimeout=30).get("Messages", [])
        found = None
        for message in got:
            if json.loads(message["Body"]).get("task_id") == task_id:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
                found = message["Body"]
            else:
                sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"],
                                              VisibilityTimeout=0)
        return found

    return wait_until(look, timeout_s, f"the message of {task_id}")


def _instance_state(instance_id: str) -> str:
    reservations = boto3.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"]
    return reservations[0]["Instances"][0]["State"]["Name"]


@pytest.fixture(scope="module")
def api(start_api: Any) -> ApiServer:
    # No instance-state cache, so each submit looks at the instance (the cache has unit tests).
    return start_api(GPU_STATE_CACHE_S="0")


@pytest.fixture
def stopped_instance(stack: dict[str, Any]) -> Iterator[str]:
    """The stack's GPU stand-in, stopped for the test and put back in the state it was found in."""
    ec2 = boto3.client("ec2")
    instance_id = stack["gpu_instance_id"]
    before = _instance_state(instance_id)
    if before != "stopped":
        ec2.stop_instances(InstanceIds=[instance_id])
        wait_until(lambda: _instance_state(instance_id) == "stopped", 30, "the instance to stop")
    yield instance_id
    if before in ("stopped", "stopping") and _instance_state(instance_id) != "stopped":
        ec2.stop_instances(InstanceIds=[instance_id])


def test_submit_queues_the_task_message_and_writes_every_field(api: ApiServer, stack: dict[str, Any]) -> None:
    body = {"image_url": "s3://inputs/cat.png", "prompt": "rotate left", "seed": 3}
    response = api.http.post(api.url + CAMERA, json=body, timeout=10)

    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "pending" and job["result_s3_uri"] is None and job["error"] is None
    assert response.headers["Location"] == f"/api/v1/jobs/{job['job_id']}"

    raw = _take_message(stack["task_queue_url"], job["job_id"])
    assert json.loads(raw) == {"task_id": job["job_id"], "api_path": CAMERA,
                               "request_body": {**body, "steps": 8}}
    row = _row(stack, job["job_id"])
    assert row is not None and set(row) >= ROW_FIELDS
    assert row["status"] == "pending" and row["job_type"] == CAMERA
    assert row["ttl"] > row["created_at"] == row["updated_at"]


def test_status_round_trips(api: ApiServer, stack: dict[str, Any]) -> None:
    body = {"image_url": "s3://inputs/a.png", "prompt": "edit", "sampler_name": "lcm", "denoise": 0.6}
    submitted = api.http.post(api.url + QWEN, json=body, timeout=10)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["job_id"]
    _take_message(stack["task_queue_url"], job_id)

    status = api.http.get(api.url + submitted.headers["Location"], timeout=10)
    assert status.status_code == 200
    # The status adds the GPU's state and the place in the queue to the job as the submit answered it.
    assert status.json()["gpu"] in ("asleep", "starting", "running")
    assert isinstance(status.json()["queue_position"], int)
    assert {**status.json(), "gpu": None, "queue_position": None} == submitted.json()
    assert api.http.get(f"{api.url}{QWEN}/{job_id}", timeout=10).json()["job_id"] == job_id
    missing = api.http.get(f"{api.url}/api/v1/jobs/{uuid.uuid4()}", timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "job_not_found"


def test_stopped_instance_is_started(api: ApiServer, stack: dict[str, Any], stopped_instance: str) -> None:
    assert _instance_state(stopped_instance) == "stopped"
    response = api.http.post(api.url + CAMERA, json={"image_url": "s3://inputs/cat.png", "prompt": "x"}, timeout=10)
    assert response.status_code == 202
    _take_message(stack["task_queue_url"], response.json()["job_id"])
    wait_until(lambda: _instance_state(stopped_instance) in ("pending", "running"), 20, "the instance to start")


def test_errors_over_http_are_json(api: ApiServer) -> None:
    cases = [
        (api.http.post(api.url + CAMERA, data="{nope", headers={"Content-Type": "application/json"}, timeout=10),
         400),
        (api.http.post(api.url + CAMERA, data="x", headers={"Content-Type": "text/plain"}, timeout=10), 415),
        (api.http.post(api.url + CAMERA, json={"image_url": "http://a.example.com/x", "prompt": "x"}, timeout=10),
         422),
        (api.http.get(api.url + "/nope", timeout=10), 404),
        (api.http.put(api.url + CAMERA, json={}, timeout=10), 405),
        (api.http.post(api.url + CAMERA, data=b"{" + b" " * (1024 * 1024 + 10) + b"}",
                       headers={"Content-Type": "application/json"}, timeout=10), 413),
    ]
    for response, status in cases:
        assert response.status_code == status, response.text
        assert set(response.json()["error"]) == {"code", "message", "details"}


@pytest.mark.parametrize(("request_bytes", "status", "code"), [
    (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "uri_too_long"),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000 + b"\r\n\r\n", 431,
     "request_header_fields_too_large"),
    (b"GET /health HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: 1\r\n" % i for i in range(120)) + b"\r\n", 431,
     "request_header_fields_too_large"),
    (b"GET /health HTTP/1.1\r\nHost: x\r\nX-Api-Key: a\x01b\r\n\r\n", 400, "bad_request"),
    (b"G@T /health HTTP/1.1\r\nHost: x\r\n\r\n", 400, "bad_request"),
    (b"GET /health HTTP/9.9\r\nHost: x\r\n\r\n", 400, "bad_request"),
    # a key header in UTF-8 reaches the app (as latin-1, as WSGI says) and is refused there
    ("GET /api/v1/jobs HTTP/1.1\r\nHost: x\r\nX-Api-Key: gjk_ключ\r\nConnection: close\r\n\r\n".encode(), 401,
     "unauthorized"),
    ("GET /health HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ключ\r\nConnection: close\r\n\r\n".encode(), 401,
     "unauthorized"),
])
def test_requests_gunicorn_refuses_get_json_errors(api: ApiServer, request_bytes: bytes, status: int,
                                                   code: str) -> None:
    got, headers, body = raw_http(api.url, request_bytes)
    assert got == status, body
    assert headers["content-type"] == "application/json"
    assert set(json.loads(body)["error"]) == {"code", "message", "details"}
    assert json.loads(body)["error"]["code"] == code


_TOKEN = st.binary(min_size=1, max_size=12).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"") or b"x")
_HEADER_LINE = st.tuples(
    st.sampled_from([b"X-Api-Key", b"Authorization", b"Idempotency-Key", b"Content-Type", b"Host", b"X Bad",
                     b"X-Long"]) | _TOKEN.filter(lambda name: name.lower() not in (b"content-length",
                                                                                     b"transfer-encoding")),
    st.binary(max_size=60) | st.integers(4000, 9000).map(lambda n: b"v" * n),
).map(lambda h: h[0] + b": " + h[1].replace(b"\r", b"").replace(b"\n", b""))


@given(method=st.sampled_from([b"GET", b"POST", b"DELETE", b"PUT"]) | _TOKEN,
       path=st.sampled_from([b"/health", b"/api/v1/jobs", CAMERA.encode(), b"/openapi.json"]).flatmap(
           lambda base: st.binary(max_size=40).map(lambda tail: base + tail.replace(b" ", b"%20")))
       | st.integers(3000, 6000).map(lambda n: b"/" + b"a" * n),
       version=st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.1x"]),
       headers=st.lists(_HEADER_LINE, max_size=4) | st.integers(95, 130).map(lambda n: [b"X-N: 1"] * n))
@settings(max_examples=40, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_raw_request_gets_a_500_or_an_html_page(api: ApiServer, method: bytes, path: bytes, version: bytes,
                                                    headers: list[bytes]) -> None:
    """Whatever the bytes of the request line and headers, gunicorn or the app answers, never with a 500
    or an HTML page: errors are the API's JSON. (No body: a declared length the request lacks would wait.)"""
    request = b"\r\n".join([method + b" " + path + b" " + version, b"Host: x", *headers, b"Connection: close"])
    status, response_headers, body = raw_http(api.url, request + b"\r\n\r\n")
    assert status != 500, body[:300]
    if status >= 400:
        assert response_headers.get("content-type") == "application/json", (status, body[:300])
        assert set(json.loads(body)["error"]) == {"code", "message", "details"}


def test_health_and_document(api: ApiServer) -> None:
    health = api.http.get(api.url + "/health", timeout=10)
    assert health.status_code == 200
    assert health.json()["status"] == "healthy"
    assert {"dynamodb", "sqs"} == set(health.json()["checks"])
    assert api.http.get(api.url + "/openapi.json", timeout=10).json()["openapi"].startswith("3.")


def test_queue_missing_gives_503_and_no_pending_task(start_api: Any, stack: dict[str, Any]) -> None:
    missing_queue = stack["task_queue_url"].rsplit("/", 1)[0] + f"/missing-{uuid.uuid4().hex[:8]}"
    server = start_api(SQS_QUEUE_URL=missing_queue)

    response = server.http.post(server.url + CAMERA, json={"image_url": "s3://inputs/cat.png", "prompt": "x"},
                             timeout=30)

    assert response.status_code == 503, response.text
    error = response.json()["error"]
    assert error["code"] == "service_unavailable" and error["details"]["dependency"] == "sqs"
    row = _row(stack, error["details"]["job_id"])
    assert row is None or row["status"] == "failed"
    assert server.http.get(server.url + "/health", timeout=30).status_code == 503
    log_lines = [json.loads(line) for line in server.log().splitlines() if line.startswith("{")]
    assert any(line.get("job_id") == error["details"]["job_id"] for line in log_lines)


def test_table_missing_gives_503_and_nothing_queued(start_api: Any, stack: dict[str, Any]) -> None:
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName=f"api-it-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    try:
        server = start_api({stack["task_queue_arn"]: queue_arn},
                           SQS_QUEUE_URL=queue_url, DYNAMODB_TABLE=f"missing-{uuid.uuid4().hex[:8]}")
        response = server.http.post(server.url + CAMERA, json={"image_url": "s3://inputs/cat.png", "prompt": "x"},
                                 timeout=30)
        assert response.status_code == 503, response.text
        assert response.json()["error"]["details"]["dependency"] == "dynamodb"
        attributes = sqs.get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        )["Attributes"]
        assert attributes == {"ApproximateNumberOfMessages": "0", "ApproximateNumberOfMessagesNotVisible": "0"}
    finally:
        sqs.delete_queue(QueueUrl=queue_url)


def test_flask_test_client_on_the_stack(stack: dict[str, Any], roles: ServiceRoles, api_key: str) -> None:
    aws_clients.reset_clients()
    config = ApiConfig(instance_state_ttl_s=0.0, input_buckets=frozenset({"inputs"}))
    app = create_app(load_settings("api"), config=config, credentials=roles.credentials("api"))
    client = app.test_client()
    client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {api_key}"

    response = client.post(CAMERA, json={"image_url": "s3://inputs/cat.png", "prompt": "in process"})

    assert response.status_code == 202
    job_id = response.get_json()["job_id"]
    assert json.loads(_take_message(stack["task_queue_url"], job_id))["task_id"] == job_id
    assert client.get(response.headers["Location"]).get_json()["status"] == "pending"
    assert client.get("/health").status_code == 200
