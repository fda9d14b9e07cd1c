"""The routes, request models and document come from the workflow folders; each row records what will run."""

import json
from pathlib import Path
from typing import Any

from gpujobs.task_store import deserialize
from gpujobs.workflows import load_registry
from tests.workflow_folders import EXTRA, write_workflows_dir

CAMERA = "/api/v1/camera-angle/jobs"


def test_a_folder_added_to_workflows_dir_is_served_and_documented(make_app: Any, aws: Any, tmp_path: Path) -> None:
    folders = write_workflows_dir(tmp_path / "workflows", shipped=("camera-angle",))
    client = make_app(settings=aws.settings.with_values(WORKFLOWS_DIR=str(folders))).test_client()
    document = client.get("/openapi.json").get_json()
    assert set(document["paths"]) == {
        "/health", "/api/v1/jobs/{job_id}", "/api/v1/jobs", "/api/v1/jobs/{job_id}/cancel", "/api/v1/uploads",
        CAMERA,
        f"{CAMERA}/{{job_id}}", f"/api/v1/{EXTRA}/jobs", f"/api/v1/{EXTRA}/jobs/{{job_id}}",
    }
    model = document["components"]["schemas"]["ScaleInvertRequest"]
    assert model["required"] == ["image_url"] and model["additionalProperties"] is False
    assert (model["properties"]["scale_by"]["minimum"], model["properties"]["scale_by"]["maximum"]) == (0.25, 2.0)
    assert "Scale an image, then invert it." in document["paths"][f"/api/v1/{EXTRA}/jobs"]["post"]["description"]

    refused = client.post(f"/api/v1/{EXTRA}/jobs", json={"image_url": "s3://inputs/a.png", "scale_by": 3})
    assert refused.status_code == 422 and refused.get_json()["error"]["details"][0]["loc"][-1] == "scale_by"
    assert client.post("/api/v1/qwen-image-edit/jobs", json={"image_url": "s3://inputs/a.png",
                                                              "prompt": "x"}).status_code == 404

    accepted = client.post(f"/api/v1/{EXTRA}/jobs", json={"image_url": "s3://inputs/a.png"})
    assert accepted.status_code == 202, accepted.get_json()
    job = accepted.get_json()
    assert job["workflow"] == EXTRA
    status = client.get(f"/api/v1/{EXTRA}/jobs/{job['job_id']}").get_json()
    assert status["gpu"] == "starting" and status["queue_position"] == 0
    assert {**status, "gpu": None, "queue_position": None} == job
    assert client.get(f"{CAMERA}/{job['job_id']}").status_code == 404  # another workflow's route
    [raw] = aws.queue_bodies()
    assert json.loads(raw)["request_body"] == {"image_url": "s3://inputs/a.png", "scale_by": 0.5,
                                               "upscale_method": "bilinear"}


def test_the_row_records_the_folders_hash_and_a_drawn_seed(client: Any, aws: Any) -> None:
    job_id = client.post(CAMERA, json={"image_url": "s3://inputs/cat.png", "prompt": "turn"}).get_json()["job_id"]
    item = aws.dynamodb.get_item(TableName=aws.table_name, Key={"task_id": {"S": job_id}}, ConsistentRead=True)
    row = deserialize(item["Item"])
    assert row["workflow_hash"] == load_registry({}).by_name["camera-angle"].content_hash
    seed = row["request_body"]["seed"]  # a DynamoDB number
    assert seed == int(seed) and 0 <= seed <= 2**53 - 1
    [raw] = aws.queue_bodies()
    assert json.loads(raw)["request_body"]["seed"] == seed  # the worker runs the seed the row records

    other = client.post(CAMERA, json={"image_url": "s3://inputs/cat.png", "prompt": "turn"}).get_json()["job_id"]
    other_row = deserialize(aws.dynamodb.get_item(TableName=aws.table_name, Key={"task_id": {"S": other}},
                                                  ConsistentRead=True)["Item"])
    assert other_row["request_body"]["seed"] != seed
