"""The API in the multi-region mode: the task table may be in another region than the API's own, and the
API may have no GPU instance of its own to wake (each pool's power logic starts its own)."""

from dataclasses import replace
from typing import Any

from gpujobs.task_store import TaskStore
from tests.unit.api.conftest import REGION, Aws

CAMERA = "/api/v1/camera-angle/jobs"
BODY = {"image_url": "s3://inputs/cat.png", "prompt": "rotate"}


def test_task_row_goes_to_the_table_in_dynamodb_region(aws: Aws, make_app: Any) -> None:
    # No DynamoDB client given: the factory builds one, for the table region and not the API's own.
    settings = replace(aws.settings, aws_region="eu-west-1", table_region=REGION)
    client = make_app(settings=settings, dynamodb=None).test_client()
    response = client.post(CAMERA, json=BODY)
    assert response.status_code == 202, response.get_json()
    [row] = aws.rows()
    assert row["task_id"]["S"] == response.get_json()["job_id"]


def test_status_shows_the_pool_that_claimed_the_job(aws: Aws, client: Any) -> None:
    submitted = client.post(CAMERA, json=BODY).get_json()
    assert submitted["pool"] is None, "nobody has claimed a job just submitted"
    store = TaskStore(aws.table_name, aws.dynamodb)
    store.claim(submitted["job_id"], "w-1", now=submitted["created_at"] + 1, lease_s=300, pool="us-west-2")
    status = client.get(f"/api/v1/jobs/{submitted['job_id']}").get_json()
    assert (status["status"], status["pool"]) == ("processing", "us-west-2")


def test_pool_is_documented_in_the_job_schema(client: Any) -> None:
    job = client.get("/openapi.json").get_json()["components"]["schemas"]["Job"]
    assert "region" in job["properties"]["pool"]["description"]
    assert "pool" not in job.get("required", [])
