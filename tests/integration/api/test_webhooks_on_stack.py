"""Webhooks on the Terraform-built stack: a job submitted over HTTP with a loopback webhook, moved through
its states by conditional writes as a worker makes them, and the task table's stream read from the
emulator by the local event source and handed to the webhook handler, which signs as the webhook
Lambda's role (the tenant's secret read and decrypted with that role's rights)."""

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from gpujobs import aws_clients
from gpujobs.settings import load_settings
from gpujobs.task_store import TaskStore
from gpujobs.webhook_secrets import TenantSecrets
from gpujobs.webhook_signature import verify
from local.role_users import ServiceRoles
from local.webhook_stream import LocalStreamSource
from services.webhook_lambda import handler
from tests.polling import wait_until
from tests.unit.webhook.receivers import Receiver, running

from .conftest import ApiServer

pytestmark = pytest.mark.integration

CAMERA = "/api/v1/camera-angle/jobs"


@pytest.fixture(scope="module")
def api(start_api: Any) -> ApiServer:
    return start_api()


@pytest.fixture(scope="module")
def stream_reader(stack: dict[str, Any], roles: ServiceRoles) -> Iterator[LocalStreamSource]:
    """The stream fed to the handler in a thread, both as the webhook Lambda's role."""
    credentials = roles.credentials("webhook")
    settings = load_settings("webhook")
    handler.install_instance(handler.build_dispatcher(settings.with_values(WEBHOOK_BACKOFF_S="0"), credentials))
    source = LocalStreamSource(aws_clients.client("dynamodbstreams", credentials=credentials),
                               stack["task_table_stream_arn"], handler.lambda_handler, poll_interval_s=0.1)
    source.start_at_end()
    thread = threading.Thread(target=source.run, daemon=True)
    thread.start()
    yield source
    source.stop()
    thread.join(timeout=10)
    handler.install_instance(None)


@contextmanager
def receiving(receiver: Receiver) -> Iterator[Receiver]:
    yield from running(receiver)


def _tenant_secret(tenant: str) -> str:
    """The operator's command's work: the tenant's secret, encrypted under the stack's key."""
    settings = load_settings("webhook")
    return TenantSecrets(settings.get("API_KEYS_TABLE") or "", aws_clients.client("dynamodb"),
                         aws_clients.client("kms"), settings.get("WEBHOOK_SECRET_KEY_ARN") or "").ensure(
        tenant, int(time.time()))


def test_a_completed_job_is_delivered_signed_to_its_webhook(
        api: ApiServer, api_keys: Any, stream_reader: LocalStreamSource, stack: dict[str, Any]) -> None:
    tenant = f"hooks-{uuid.uuid4().hex[:8]}"
    key = api_keys.create(tenant, int(time.time()), 10_000.0)[0]
    secret = _tenant_secret(tenant)
    with receiving(Receiver(secret=secret)) as receiver:
        response = api.http.post(f"{api.url}{CAMERA}", headers={"Authorization": f"Bearer {key}"}, json={
            "image_url": "s3://inputs/cat.png", "prompt": "x", "webhook": receiver.url}, timeout=10)
        assert response.status_code == 202, response.text
        job_id = response.json()["job_id"]
        store = TaskStore(stack["task_table_name"], aws_clients.client("dynamodb"))
        now = int(time.time())
        store.claim(job_id, "worker-1", now, 300)
        store.complete(job_id, "worker-1", f"s3://results/{job_id}.png", now + 1)

        wait_until(lambda: len(receiver.received) >= 2, 30, "both webhooks to arrive")
    (_, started), (done_headers, done) = receiver.received[:2]
    for headers, body in receiver.received:
        verify(secret, headers, body, now=time.time())
    assert [json.loads(started)["type"], json.loads(done)["type"]] == ["job.started", "job.completed"]
    assert done_headers["webhook-id"] == f"job_{job_id}_completed"
    data = json.loads(done)["data"]
    assert (data["job_id"], data["status"], data["result_s3_uri"]) == (job_id, "completed", f"s3://results/{job_id}.png")
    assert data["workflow"] == "camera-angle"


def test_a_receiver_that_fails_gets_the_event_again_with_the_same_id(
        api: ApiServer, api_keys: Any, stream_reader: LocalStreamSource, stack: dict[str, Any]) -> None:
    tenant = f"hooks-{uuid.uuid4().hex[:8]}"
    key = api_keys.create(tenant, int(time.time()), 10_000.0)[0]
    secret = _tenant_secret(tenant)
    # The first invocation's attempts (3) and one more fail; the stream hands the record over again.
    with receiving(Receiver(fail_first=4, secret=secret)) as receiver:
        response = api.http.post(f"{api.url}{CAMERA}", headers={"Authorization": f"Bearer {key}"}, json={
            "image_url": "s3://inputs/cat.png", "prompt": "x", "webhook": receiver.url,
            "webhook_events_filter": ["completed"]}, timeout=10)
        assert response.status_code == 202, response.text
        job_id = response.json()["job_id"]
        cancelled = api.http.post(f"{api.url}/api/v1/jobs/{job_id}/cancel",
                                  headers={"Authorization": f"Bearer {key}"}, timeout=10)
        assert cancelled.status_code == 200
        wait_until(lambda: 204 in receiver.answered, 30, "the event to be taken at last")
    assert receiver.answered[:5] == [500, 500, 500, 500, 204]
    assert {headers["webhook-id"] for headers, _ in receiver.received} == {f"job_{job_id}_completed"}
    assert len({body for _, body in receiver.received}) == 1  # the same body every time
    assert json.loads(receiver.received[-1][1])["data"]["status"] == "cancelled"
