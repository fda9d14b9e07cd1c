"""The API in the multi-region mode: the task table may be in another region than the API's own, and the
API may have no GPU instance of its own to wake (each pool's power logic starts its own)."""

from dataclasses import replace
from typing import Any

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
