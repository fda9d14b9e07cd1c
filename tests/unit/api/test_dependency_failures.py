"""A dependency down gives 503 in the error shape, and never a pending task without a message."""

from typing import Any

from gpujobs.task_store import deserialize

CAMERA = "/api/v1/camera-angle/jobs"
BODY = {"image_url": "s3://inputs/cat.png", "prompt": "x"}


def _statuses(aws: Any) -> list[str]:
    return [deserialize(row)["status"] for row in aws.rows()]


def test_queue_deleted_gives_503_and_the_task_is_failed(client: Any, aws: Any) -> None:
    aws.sqs.delete_queue(QueueUrl=aws.queue_url)

    response = client.post(CAMERA, json=BODY)

    assert response.status_code == 503
    error = response.get_json()["error"]
    assert error["code"] == "service_unavailable"
    assert error["details"]["dependency"] == "sqs"
    assert error["details"]["job_status"] == "failed"
    assert response.headers["Retry-After"]
    assert _statuses(aws) == ["failed"]
    row = deserialize(aws.rows()[0])
    assert row["task_id"] == error["details"]["job_id"]
    assert "could not be queued" in row["error_message"]
    assert client.get(f"/api/v1/jobs/{row['task_id']}").get_json()["status"] == "failed"


def test_table_missing_gives_503_and_nothing_is_queued(client: Any, aws: Any) -> None:
    aws.dynamodb.delete_table(TableName=aws.table_name)

    response = client.post(CAMERA, json=BODY)

    assert response.status_code == 503
    assert response.get_json()["error"]["details"]["dependency"] == "dynamodb"
    assert aws.queue_bodies() == []


def test_row_is_deleted_when_it_cannot_be_marked_failed(app: Any, aws: Any, monkeypatch: Any) -> None:
    aws.sqs.delete_queue(QueueUrl=aws.queue_url)
    store = app.extensions["gpujobs_api"].store

    def fail_unavailable(*args: Any, **kwargs: Any) -> None:
        from botocore.exceptions import EndpointConnectionError

        raise EndpointConnectionError(endpoint_url="http://dynamodb")

    monkeypatch.setattr(store, "fail", fail_unavailable)
    response = app.test_client().post(CAMERA, json=BODY)

    assert response.status_code == 503
    assert response.get_json()["error"]["details"]["job_status"] is None
    assert aws.rows() == []


def test_status_read_failure_gives_503(client: Any, aws: Any) -> None:
    aws.dynamodb.delete_table(TableName=aws.table_name)
    response = client.get("/api/v1/jobs/4b0a8f0e-3c1d-4e55-9f6a-2b7c9d0e1f23")
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"


def test_health_reports_each_dependency_to_a_key(client: Any, aws: Any) -> None:
    healthy = client.get("/health")
    assert healthy.status_code == 200
    assert healthy.get_json()["status"] == "healthy"
    assert set(healthy.get_json()["checks"]) == {"dynamodb", "sqs"}

    aws.sqs.delete_queue(QueueUrl=aws.queue_url)
    public = client.get("/health", headers={"Authorization": ""})
    assert (public.status_code, public.get_json()) == (503, {"status": "unhealthy"})
    degraded = client.get("/health")
    assert degraded.status_code == 503
    body = degraded.get_json()
    assert body["status"] == "unhealthy"
    assert body["checks"]["dynamodb"]["ok"] is True
    assert body["checks"]["sqs"]["ok"] is False
    assert body["checks"]["sqs"]["error"]


def test_an_unanswered_abandon_write_leaves_the_row_to_the_power_run(app: Any, aws: Any, monkeypatch: Any) -> None:
    from botocore.exceptions import ReadTimeoutError

    aws.sqs.delete_queue(QueueUrl=aws.queue_url)
    store = app.extensions["gpujobs_api"].store
    deletes: list[str] = []

    def no_answer(*args: Any, **kwargs: Any) -> None:
        raise ReadTimeoutError(endpoint_url="http://dynamodb")

    monkeypatch.setattr(store, "fail", no_answer)
    monkeypatch.setattr(store, "delete_pending", deletes.append)
    response = app.test_client().post(CAMERA, json=BODY)

    assert response.status_code == 503
    assert response.get_json()["error"]["details"]["job_status"] == "pending"
    assert deletes == []  # the table did not answer; no second call spends the request's time
    assert _statuses(aws) == ["pending"]
