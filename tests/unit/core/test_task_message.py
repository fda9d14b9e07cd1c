import json

import pytest

from gpujobs.task_message import MessageInvalid, TaskMessage, parse_message

DESIGN_EXAMPLE = (
    '{"task_id":"manual-test-001","api_path":"/api/v1/camera-angle/jobs",'
    '"request_body":{"image_url":"https://example.com/test.jpg","prompt":"test","steps":8}}'
)


def test_design_example_message_parses():
    message = parse_message(DESIGN_EXAMPLE)
    assert message.task_id == "manual-test-001"
    assert message.workflow.name == "camera-angle"
    assert message.request_body["steps"] == 8


def test_body_round_trips_in_design_format():
    message = TaskMessage(task_id="abc", api_path="/api/v1/qwen-image-edit/jobs",
                          request_body={"image_url": "s3://b/k", "prompt": "p"})
    assert json.loads(message.to_body()) == {
        "task_id": "abc", "api_path": "/api/v1/qwen-image-edit/jobs",
        "request_body": {"image_url": "s3://b/k", "prompt": "p"},
    }


@pytest.mark.parametrize(
    ("body", "names_task", "fragment"),
    [
        ("not json", False, "not JSON"),
        ("[1]", False, "JSON object"),
        ('{"api_path": "/api/v1/camera-angle/jobs", "request_body": {}}', False, "task_id"),
        ('{"task_id": "t9", "request_body": {}}', True, "api_path"),
        ('{"task_id": "t9", "api_path": "/api/v1/other/jobs", "request_body": {}}', True, "unknown api_path"),
        ('{"task_id": "t9", "api_path": "/api/v1/camera-angle/jobs", "request_body": {"prompt": "p"}}',
         True, "image_url"),
        ('{"task_id": "t9", "api_path": "/api/v1/camera-angle/jobs", "request_body": "x"}', True, "request_body"),
        ('{"task_id": "bad id with spaces", "api_path": "/api/v1/camera-angle/jobs", "request_body": {}}',
         False, "task_id"),
    ],
)
def test_invalid_messages_say_why_and_name_their_task(body, names_task, fragment):
    with pytest.raises(MessageInvalid) as caught:
        parse_message(body)
    assert fragment in str(caught.value)
    assert (caught.value.task_id == "t9") is names_task
