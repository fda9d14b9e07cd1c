"""`webhook` and `webhook_events_filter` on a submit: address-checked like image URLs, kept on the row,
never sent to the GPU."""

import json
from typing import Any

import pytest

from gpujobs.task_store import deserialize
from tests.unit.api.test_url_guard_on_submit import CAMERA, resolving_to

BODY = {"image_url": "https://images.example.com/a.png", "prompt": "x"}


def test_the_row_keeps_the_webhook_apart_from_the_request(client: Any, aws: Any) -> None:
    response = client.post(CAMERA, json={**BODY, "webhook": "https://hooks.example.com/in",
                                         "webhook_events_filter": ["completed", "completed"]})
    assert response.status_code == 202
    [row] = [deserialize(r) for r in aws.rows()]
    assert row["webhook"] == "https://hooks.example.com/in" and row["webhook_events"] == ["completed"]
    assert "webhook" not in row["request_body"] and "webhook_events_filter" not in row["request_body"]
    [message] = aws.queue_bodies()
    assert "webhook" not in json.loads(message)["request_body"]


def test_without_a_filter_both_events_are_sent(client: Any, aws: Any) -> None:
    assert client.post(CAMERA, json={**BODY, "webhook": "https://hooks.example.com/in"}).status_code == 202
    assert deserialize(aws.rows()[0])["webhook_events"] == ["start", "completed"]


@pytest.mark.parametrize(("extra", "loc"), [
    ({"webhook": "http://hooks.example.com/in"}, "webhook"),
    ({"webhook": "https://127.0.0.1:9000/in"}, "webhook"),
    ({"webhook": "https://hooks.example.com/in", "webhook_events_filter": ["finished"]}, "webhook_events_filter"),
    ({"webhook": "https://hooks.example.com/in", "webhook_events_filter": []}, "webhook_events_filter"),
    ({"webhook_events_filter": ["start"]}, "webhook_events_filter"),
    ({"webhook": "https://" + "a" * 2050 + ".example.com/"}, "webhook"),
])
def test_a_bad_webhook_is_422_and_nothing_is_written(client: Any, aws: Any, extra: dict[str, Any], loc: str) -> None:
    response = client.post(CAMERA, json={**BODY, **extra})
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error" and loc in json.dumps(error["details"])
    assert aws.rows() == [] and aws.queue_bodies() == []


def test_a_webhook_host_inside_the_network_is_422_without_its_address(make_app: Any, aws: Any) -> None:
    client = make_app(resolver=resolving_to("93.184.215.14", "10.1.2.3")).test_client()
    response = client.post(CAMERA, json={"image_url": "s3://inputs/a.png", "prompt": "x",
                                         "webhook": "https://hooks.example.com/in"})
    assert response.status_code == 422
    assert response.get_json()["error"]["message"].startswith("webhook:")
    assert "10.1.2.3" not in response.get_data(as_text=True)
    assert aws.rows() == []


def test_loopback_receivers_pass_only_where_the_deployment_allows_them(make_app: Any, aws: Any) -> None:
    local = make_app(settings=aws.settings.with_values(WEBHOOK_ALLOW_LOOPBACK="true")).test_client()
    response = local.post(CAMERA, json={**BODY, "webhook": "http://127.0.0.1:9000/in"})
    assert response.status_code == 202
    assert deserialize(aws.rows()[0])["webhook"] == "http://127.0.0.1:9000/in"
