"""The message format, read only as far as its task id; a hand-sent request checked as a submit is."""

import json

import pytest

from gpujobs.task_message import MessageInvalid, TaskMessage, parse_message
from gpujobs.task_model import TaskStatus
from gpujobs.workflows import RequestInvalid, load_registry, stored_body

WORKFLOWS = load_registry({})

HAND_WRITTEN_EXAMPLE = (
    '{"task_id":"manual-test-001","api_path":"/api/v1/camera-angle/jobs",'
    '"request_body":{"image_url":"https://example.com/test.jpg","prompt":"test","steps":8}}'
)


def public(host: str) -> list[str]:
    return ["93.184.215.14"]


def test_hand_written_example_message_parses():
    message = parse_message(HAND_WRITTEN_EXAMPLE)
    assert message.task_id == "manual-test-001"
    assert message.api_path == "/api/v1/camera-angle/jobs"
    assert message.request_body["steps"] == 8


def test_body_round_trips_in_the_message_format():
    message = TaskMessage(task_id="abc", api_path="/api/v1/qwen-image-edit/jobs",
                          request_body={"image_url": "s3://b/k", "prompt": "p"})
    assert json.loads(message.to_body()) == {
        "task_id": "abc", "api_path": "/api/v1/qwen-image-edit/jobs",
        "request_body": {"image_url": "s3://b/k", "prompt": "p"},
    }
    assert parse_message(message.to_body()) == message


@pytest.mark.parametrize(("body", "fragment"), [
    ("not json", "not JSON"),
    ("[1]", "JSON object"),
    ('{"api_path": "/api/v1/camera-angle/jobs", "request_body": {}}', "task_id"),
    ('{"task_id": "bad id with spaces", "api_path": "/api/v1/camera-angle/jobs", "request_body": {}}', "task_id"),
])
def test_a_body_naming_no_task_says_why(body, fragment):
    with pytest.raises(MessageInvalid, match=fragment):
        parse_message(body)


def test_the_rest_of_the_message_is_kept_as_it_came():
    message = parse_message('{"task_id": "t9", "api_path": 3, "request_body": "x"}')
    assert (message.task_id, message.api_path, message.request_body) == ("t9", 3, "x")
    failed = message.failed_task("rejected", now=50)
    assert (failed.status, failed.job_type, failed.request_body, failed.finished_at) == (TaskStatus.FAILED, "", {}, 50)


@pytest.mark.parametrize(("api_path", "body", "fragment"), [
    (None, {}, "unknown api_path"),
    ("/api/v1/other/jobs", {}, "unknown api_path"),
    ("/api/v1/camera-angle/jobs", {"prompt": "p"}, "invalid request_body: image_url"),
    ("/api/v1/camera-angle/jobs", "x", "invalid request_body"),
    ("/api/v1/camera-angle/jobs", {"image_url": "https://10.0.0.7/a.png", "prompt": "p"}, "image_url: host"),
])
def test_a_hand_sent_request_is_checked_as_a_submit(api_path, body, fragment):
    with pytest.raises(RequestInvalid, match=fragment):
        WORKFLOWS.validate_request(api_path, body, public)


def test_a_valid_request_is_stored_as_a_submit_stores_it_with_a_seed_drawn():
    workflow, request = WORKFLOWS.validate_request("/api/v1/qwen-image-edit/jobs",
                                                   {"image_url": "https://example.com/a.png", "prompt": "p"}, public)
    assert workflow.name == "qwen-image-edit"
    stored = stored_body(workflow, request, draw=lambda low, high: high)
    assert stored["sampler_name"] == "sa_solver" and stored["seed"] == 2**53 - 1
    assert "image2_url" not in stored  # unset optional fields are left out
    given = WORKFLOWS.validate_request("/api/v1/camera-angle/jobs",
                                       {"image_url": "s3://bucket-b/k.png", "prompt": "p", "seed": 3}, public)
    assert stored_body(*given)["seed"] == 3  # a given seed is kept
    blend = WORKFLOWS.validate_request("/api/v1/invert-blend/jobs", {"image_url": "s3://bucket-b/k.png"}, public)
    assert "seed" not in stored_body(*blend)  # a workflow without a seed field gets none
