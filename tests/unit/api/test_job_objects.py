"""A job's status (result_url, gpu, queue_position, gpu_seconds), DELETE of a finished job's results and presigned
uploads, with s3:// inputs limited to the tenant's uploads and the named input buckets; on the Flask app and
through the Lambda handler, each route answering another tenant's job as unknown."""

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from apig_wsgi import make_lambda_handler

from gpujobs.errors import ConfigError
from gpujobs.settings import Settings
from gpujobs.task_model import Task
from gpujobs.task_store import TaskStore
from services.api.api_config import ApiConfig
from tests.unit.api.test_entry_points import http_api_event

CAMERA = "/api/v1/camera-angle/jobs"


@pytest.fixture
def store(aws: Any) -> TaskStore:
    return TaskStore(aws.table_name, aws.dynamodb)


def finished_job(aws: Any, store: TaskStore, job_id: str, tenant: str = "acme", images: int = 2) -> str:
    """A completed job of `tenant` whose worker held it 30 s and wrote `images` result objects."""
    store.create(Task.new(job_id, CAMERA, {"prompt": "x"}, 1000, tenant=tenant))
    store.claim(job_id, "w1", 1000, 300)
    folder = f"comfyui-results/camera-angle/{job_id}"
    for n in range(images):
        aws.s3.put_object(Bucket=aws.bucket, Key=f"{folder}/output{'' if n == 0 else f'-{n}'}.png", Body=b"png")
    store.complete(job_id, "w1", f"s3://{aws.bucket}/{folder}/output.png", 1030, held_s=30)
    return folder


def keys_under(aws: Any, prefix: str) -> list[str]:
    return [o["Key"] for o in aws.s3.list_objects_v2(Bucket=aws.bucket, Prefix=prefix).get("Contents", [])]


def test_a_completed_job_has_a_presigned_result_url_and_its_gpu_seconds(client: Any, aws: Any,
                                                                         store: TaskStore) -> None:
    folder = finished_job(aws, store, "job-done")
    job = client.get("/api/v1/jobs/job-done").get_json()
    url = urlsplit(job["result_url"])
    assert url.path.endswith(f"{folder}/output.png") and aws.bucket in f"{url.netloc}{url.path}"
    query = parse_qs(url.query)
    assert query["X-Amz-Expires"] == ["3600"] and "X-Amz-Signature" in query
    assert job["gpu_seconds"] == 30
    assert job["gpu"] is None and job["queue_position"] is None, "a finished job waits for nothing"
    listed = client.get("/api/v1/jobs").get_json()["jobs"]
    assert [j["result_url"] is not None for j in listed] == [True]


def test_gpu_seconds_sum_the_attempts_each_worker_held_the_job(store: TaskStore) -> None:
    store.create(Task.new("job-retried", CAMERA, {"prompt": "x"}, 1000, tenant="acme"))
    store.claim("job-retried", "w1", 1000, 300)
    assert store.note_retry("job-retried", "w1", "GPU host went away", 1012, held_s=12)
    store.claim("job-retried", "w2", 1020, 300)
    store.fail("job-retried", "broken", 1025, worker_id="w2", held_s=5)
    assert store.get("job-retried").gpu_seconds == 17


def test_a_pending_job_says_its_place_in_the_queue_and_what_its_gpu_does(client: Any, aws: Any,
                                                                          store: TaskStore) -> None:
    for i in range(3):
        store.create(Task.new(f"job-{i}", CAMERA, {"prompt": "x"}, 1000 + i, tenant="globex" if i == 0 else "acme"))
    aws.ec2.start_instances(InstanceIds=[aws.instance_id])
    positions = [client.get(f"/api/v1/jobs/job-{i}").status_code for i in range(3)]
    assert positions == [404, 200, 200], "another tenant's job is unknown"
    second, third = (client.get(f"/api/v1/jobs/job-{i}").get_json() for i in (1, 2))
    # Jobs of every tenant share the queue: globex's job is ahead of acme's.
    assert (second["queue_position"], third["queue_position"]) == (1, 2)
    assert second["gpu"] in ("starting", "running") and second["result_url"] is None
    store.cancel_pending("job-1", 1100, "x")
    assert client.get("/api/v1/jobs/job-2").get_json()["queue_position"] == 1


def test_without_an_instance_of_its_own_the_api_shows_no_gpu(make_app: Any, aws: Any, store: TaskStore) -> None:
    settings = aws.settings.with_values(GPU_INSTANCE_ID="")
    client = make_app(settings=settings).test_client()
    store.create(Task.new("job-w", CAMERA, {"prompt": "x"}, 1000, tenant="acme"))
    job = client.get("/api/v1/jobs/job-w").get_json()
    assert job["gpu"] is None and job["queue_position"] == 0


def test_an_upload_is_a_presigned_put_under_the_tenants_prefix(client: Any, aws: Any) -> None:
    created = client.post("/api/v1/uploads", json={})
    assert created.status_code == 201, created.get_json()
    upload = created.get_json()
    assert upload["s3_uri"].startswith(f"s3://{aws.bucket}/uploads/acme/") and upload["s3_uri"].endswith(".png")
    assert upload["method"] == "PUT" and upload["headers"] == {"Content-Type": "image/png"}
    url = urlsplit(upload["url"])
    assert url.path.endswith(upload["s3_uri"].split("/", 3)[3])
    assert parse_qs(url.query)["X-Amz-Expires"] == ["900"] and upload["expires_in"] == 900
    jpeg = client.post("/api/v1/uploads", json={"content_type": "image/jpeg"}).get_json()
    assert jpeg["s3_uri"].endswith(".jpg") and jpeg["headers"] == {"Content-Type": "image/jpeg"}
    refused = client.post("/api/v1/uploads", json={"content_type": "text/html"})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "validation_error"
    assert client.post("/api/v1/uploads", data="x", content_type="text/plain").status_code == 415
    assert client.post("/api/v1/uploads", json={}, headers={"Authorization": ""}).status_code == 401


@pytest.mark.parametrize(("image_url", "accepted"), [
    ("s3://{bucket}/uploads/acme/a.png", True),
    ("s3://inputs/anything/a.png", True),              # a bucket the deployment names for inputs
    ("https://images.example.com/a.png", True),
    ("s3://{bucket}/uploads/globex/a.png", False),     # another tenant's upload
    ("s3://{bucket}/uploads/acme/../globex/a.png", False),
    ("s3://{bucket}/comfyui-results/camera-angle/j/output.png", False),
    ("s3://{bucket}/uploads/acmecorp/a.png", False),   # a tenant whose name begins with the caller's
    ("s3://elsewhere/a.png", False),
])
def test_s3_inputs_are_the_tenants_uploads_or_in_the_input_buckets(client: Any, aws: Any, image_url: str,
                                                                    accepted: bool) -> None:
    response = client.post(CAMERA, json={"image_url": image_url.format(bucket=aws.bucket), "prompt": "x"})
    assert response.status_code == (202 if accepted else 422), response.get_json()
    if not accepted:
        error = response.get_json()["error"]
        assert error["details"][0]["type"] == "input_not_allowed" and "uploads" in error["message"]
        assert aws.queue_bodies() == [] and aws.rows() == [], "a refused submit writes and sends nothing"


def test_delete_removes_a_finished_jobs_results_and_keeps_its_row(client: Any, aws: Any, store: TaskStore) -> None:
    folder = finished_job(aws, store, "job-del", images=3)
    finished_job(aws, store, "job-other", tenant="globex")
    assert client.delete("/api/v1/jobs/job-other").status_code == 404
    assert keys_under(aws, "comfyui-results/camera-angle/job-other/"), "another tenant's results stay"

    deleted = client.delete("/api/v1/jobs/job-del")
    assert deleted.status_code == 200, deleted.get_json()
    job = deleted.get_json()
    assert job["status"] == "completed" and job["result_s3_uri"] is None and job["result_url"] is None
    assert job["results_deleted_at"] is not None and job["gpu_seconds"] == 30
    assert keys_under(aws, f"{folder}/") == []
    assert client.get("/api/v1/jobs/job-del").get_json()["result_s3_uri"] is None
    assert client.delete("/api/v1/jobs/job-del").status_code == 200, "repeating it answers the same"


def test_delete_of_a_job_not_finished_is_409_and_changes_nothing(client: Any, aws: Any, store: TaskStore) -> None:
    job_id = client.post(CAMERA, json={"image_url": "s3://inputs/a.png", "prompt": "x"}).get_json()["job_id"]
    before = store.get(job_id)
    refused = client.delete(f"/api/v1/jobs/{job_id}")
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert (error["code"], error["details"]) == ("job_not_finished", {"status": "pending"})
    assert store.get(job_id) == before
    assert client.delete("/api/v1/jobs/no-such-job").status_code == 404


def test_the_new_routes_through_the_lambda_handler(app: Any, aws: Any, store: TaskStore) -> None:
    handler = make_lambda_handler(app, binary_support=False)
    finished_job(aws, store, "job-l")
    other = aws.new_key("globex")

    def call(method: str, path: str, key: str, body: str | None = None) -> tuple[int, Any]:
        answer = handler(http_api_event(method, path, body, {"authorization": f"Bearer {key}"}), None)
        return answer["statusCode"], json.loads(answer["body"])

    status, job = call("GET", "/api/v1/jobs/job-l", aws.key)
    assert status == 200 and job["result_url"] and job["gpu_seconds"] == 30
    assert call("GET", "/api/v1/jobs/job-l", other)[0] == 404
    assert call("DELETE", "/api/v1/jobs/job-l", other)[0] == 404
    status, upload = call("POST", "/api/v1/uploads", other, "{}")
    assert status == 201 and "/uploads/globex/" in upload["s3_uri"]
    submit = json.dumps({"image_url": upload["s3_uri"], "prompt": "x"})
    assert call("POST", CAMERA, aws.key, submit)[0] == 422, "acme may not use globex's upload"
    assert call("POST", CAMERA, other, submit)[0] == 202
    status, job = call("DELETE", "/api/v1/jobs/job-l", aws.key)
    assert status == 200 and job["result_s3_uri"] is None


def test_the_settings_of_uploads_and_result_urls_are_parsed_strictly() -> None:
    config = ApiConfig.from_settings(Settings({"INPUT_BUCKETS": " images-a ,images-b,", "RESULT_URL_EXPIRY_S": "600"}))
    assert config.input_buckets == frozenset({"images-a", "images-b"}) and config.result_url_expiry_s == 600
    assert ApiConfig.from_settings(Settings({})).input_buckets == frozenset()
    for bad in ({"INPUT_BUCKETS": "Not_A_Bucket"}, {"RESULT_URL_EXPIRY_S": "700000"}, {"UPLOAD_URL_EXPIRY_S": "10"}):
        with pytest.raises(ConfigError, match=next(iter(bad))):
            ApiConfig.from_settings(Settings(bad))
