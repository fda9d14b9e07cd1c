"""The Unified API client sorts answers into go on, retry, fail now and resubmit."""

import socket
from collections.abc import Iterator

import pytest

from services.adapter.unified_api import ApiRejected, ApiUnavailable, JobUnknown, UnifiedApi
from tests.doubles.fake_unified_api import FakeUnifiedApi

PATH = "/api/v1/camera-angle/jobs"


@pytest.fixture
def fake_api() -> Iterator[FakeUnifiedApi]:
    """The fake served over real HTTP on loopback: these tests are about the HTTP client."""
    fake = FakeUnifiedApi().start()
    yield fake
    fake.stop()


def test_submit_and_poll(fake_api):
    api = UnifiedApi.at(fake_api.url)
    job_id = api.submit(PATH, {"image_url": "s3://a/b.png", "prompt": "x"})
    status = api.status(job_id)
    assert status.state == "completed" and status.result_s3_uri.endswith(f"/{job_id}/output.png")


def test_client_error_is_permanent_with_the_api_message(fake_api):
    fake_api.behaviour.submit_status = 400
    fake_api.behaviour.submit_error = "prompt: field required"
    with pytest.raises(ApiRejected, match="HTTP 400: prompt: field required"):
        UnifiedApi.at(fake_api.url).submit(PATH, {})


def test_server_error_is_transient(fake_api):
    fake_api.behaviour.down = True
    api = UnifiedApi.at(fake_api.url)
    with pytest.raises(ApiUnavailable, match="503"):
        api.submit(PATH, {})
    with pytest.raises(ApiUnavailable):
        api.status("comfy-1")


def test_unknown_job(fake_api):
    with pytest.raises(JobUnknown):
        UnifiedApi.at(fake_api.url).status("comfy-404")


def test_unreachable_api_is_transient():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ApiUnavailable):
        UnifiedApi.at(f"http://127.0.0.1:{port}", connect_timeout_s=0.5).submit(PATH, {})
