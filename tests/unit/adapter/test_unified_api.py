"""The Unified API client sorts answers into go on, retry, fail now and resubmit, and reads readiness."""

import socket
from collections.abc import Iterator

import pytest

from services.adapter.unified_api import Answer, ApiRejected, ApiUnavailable, JobUnknown, UnifiedApi, error_text
from tests.doubles.fake_unified_api import FakeUnifiedApi

PATH = "/api/v1/camera-angle/jobs"


@pytest.fixture
def fake_api() -> Iterator[FakeUnifiedApi]:
    """The fake served over real HTTP on loopback: these tests are about the HTTP client."""
    fake = FakeUnifiedApi().start()
    yield fake
    fake.stop()


def test_submit_names_the_task_and_a_second_submit_is_the_same_job(fake_api):
    api = UnifiedApi.at(fake_api.url)
    first = api.submit(PATH, {"image_url": "s3://a/b.png", "prompt": "x"}, "task-1", "f" * 64)
    again = api.submit(PATH, {"image_url": "s3://a/b.png", "prompt": "x"}, "task-1", "f" * 64)
    assert first.job_id == again.job_id and len(fake_api.submissions) == 1
    assert (fake_api.submissions[0].task_id, fake_api.submissions[0].workflow_hash) == ("task-1", "f" * 64)
    status = api.status(first.job_id, wait_s=5)
    assert status.state == "completed" and status.result_s3_uri.endswith(f"/{first.job_id}/output.png")
    assert status.progress == 1.0


def test_client_error_is_permanent_with_the_api_code_and_message(fake_api):
    fake_api.behaviour.submit_status = 422
    fake_api.behaviour.submit_error = "ComfyUI refused the workflow: node 5 (KSampler): Value not in list"
    with pytest.raises(ApiRejected, match="HTTP 422: prompt_rejected: ComfyUI refused the workflow: node 5"):
        UnifiedApi.at(fake_api.url).submit(PATH, {}, "task-1")


def test_server_error_is_transient(fake_api):
    fake_api.behaviour.down = True
    api = UnifiedApi.at(fake_api.url)
    with pytest.raises(ApiUnavailable, match="503"):
        api.submit(PATH, {}, "task-1")
    with pytest.raises(ApiUnavailable):
        api.status("comfy-1")


def test_unknown_job(fake_api):
    api = UnifiedApi.at(fake_api.url)
    with pytest.raises(JobUnknown):
        api.status("comfy-404")
    with pytest.raises(JobUnknown):
        api.cancel("comfy-404")


def test_cancel_answers_the_jobs_state(fake_api):
    fake_api.behaviour.latency_s = 600
    api = UnifiedApi.at(fake_api.url)
    job = api.submit(PATH, {}, "task-1")
    assert job.state == "pending" and not job.finished
    assert api.cancel(job.job_id).state == "cancelled"
    assert api.status(job.job_id).finished and fake_api.cancels == [job.job_id]


def test_health_says_why_it_is_not_ready(fake_api):
    api = UnifiedApi.at(fake_api.url)
    assert api.health().ready
    fake_api.behaviour.starting = True
    health = api.health()
    assert not health.ready and "HTTP 503" in health.reason and "unreachable" in health.reason


def test_error_text_is_the_apis_own_words():
    assert error_text(Answer(422, '{"error": {"code": "invalid_fields", "message": "bad"}}')) == "invalid_fields: bad"
    assert error_text(Answer(502, "<html>Bad Gateway</html>")) == "<html>Bad Gateway</html>"
    assert error_text(Answer(503, "")) == "HTTP 503"


def test_unreachable_api_is_transient():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ApiUnavailable):
        UnifiedApi.at(f"http://127.0.0.1:{port}", connect_timeout_s=0.5).submit(PATH, {}, "task-1")
    assert not UnifiedApi.at(f"http://127.0.0.1:{port}", connect_timeout_s=0.5).health().ready
