"""The stand-in's HTTP contract and its real image work, against moto S3 in process."""

import io
from typing import Any

import pytest
import responses
from PIL import Image

from local.comfyui_standin.image_fetch import ImageFetcher
from local.comfyui_standin.job_runner import JobRunner
from local.comfyui_standin.result_store import ResultStore
from local.comfyui_standin.standin_config import StandinConfig

BUCKET = "standin-results"
INPUT = f"s3://{BUCKET}/inputs/pattern.png"
REFERENCE = f"s3://{BUCKET}/inputs/reference.png"
CAMERA = "/api/v1/camera-angle/jobs"
EDIT = "/api/v1/qwen-image-edit/jobs"


def submit(client: Any, path: str, body: dict[str, Any]) -> str:
    response = client.post(path, json=body)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "pending"
    return response.get_json()["job_id"]


def test_camera_angle_writes_a_png_of_the_input_size_at_the_documented_key(client, wait_for_job, read_png):
    job_id = submit(client, CAMERA, {"image_url": INPUT, "prompt": "orbit 30 degrees left", "seed": 7})
    job = wait_for_job(client, job_id)
    assert job["status"] == "completed", job
    assert job["error"] is None
    assert job["result_s3_uri"] == f"s3://{BUCKET}/comfyui-results/camera-angle/{job_id}/output.png"
    assert read_png(job["result_s3_uri"]).size == (96, 64)
    assert job["details"]["yaw_deg"] == 30.0


def test_image_edit_uses_the_reference_images_and_keeps_the_input_size(client, wait_for_job, read_png):
    body = {"image_url": INPUT, "prompt": "turn it into line art", "seed": 3}
    plain = wait_for_job(client, submit(client, EDIT, body))
    with_refs = wait_for_job(client, submit(client, EDIT, {**body, "image2_url": REFERENCE, "image3_url": REFERENCE}))
    assert plain["status"] == with_refs["status"] == "completed"
    assert with_refs["result_s3_uri"].startswith(f"s3://{BUCKET}/comfyui-results/qwen-image-edit/")
    assert with_refs["result_s3_uri"].endswith("/output.png")
    plain_image, ref_image = read_png(plain["result_s3_uri"]), read_png(with_refs["result_s3_uri"])
    assert plain_image.size == ref_image.size == (96, 64)
    assert plain_image.tobytes() != ref_image.tobytes()
    assert with_refs["details"] == {"operation": "line-art", "denoise": 1.0, "references": 2,
                                    "width": 96, "height": 64, "seed": 3}


def test_same_request_gives_the_same_bytes_and_another_prompt_does_not(client, wait_for_job, s3):
    def output(path: str, body: dict[str, Any]) -> bytes:
        job = wait_for_job(client, submit(client, path, body))
        bucket, key = job["result_s3_uri"].removeprefix("s3://").split("/", 1)
        return s3.get_object(Bucket=bucket, Key=key)["Body"].read()

    camera = {"image_url": INPUT, "prompt": "a view from above", "seed": 11}
    assert output(CAMERA, camera) == output(CAMERA, camera)
    assert output(CAMERA, camera) != output(CAMERA, {**camera, "prompt": "45 degrees right"})
    edit = {"image_url": INPUT, "prompt": "warm sunset tones", "image2_url": REFERENCE}
    assert output(EDIT, edit) == output(EDIT, edit)
    assert output(EDIT, edit) != output(EDIT, {**edit, "prompt": "cold blue night"})


def test_missing_input_image_fails_the_job_with_a_clear_error(client, wait_for_job):
    job_id = submit(client, CAMERA, {"image_url": f"s3://{BUCKET}/inputs/nope.png", "prompt": "left"})
    job = wait_for_job(client, job_id)
    assert job["status"] == "failed"
    assert job["error"] == f"image not found: s3://{BUCKET}/inputs/nope.png"
    assert job["result_s3_uri"] is None


def test_missing_bucket_and_missing_reference_fail_the_job(client, wait_for_job):
    no_bucket = wait_for_job(client, submit(client, CAMERA, {"image_url": "s3://no-such-bucket/a.png", "prompt": "x"}))
    assert no_bucket["status"] == "failed"
    assert "no-such-bucket" in no_bucket["error"] and "not found" in no_bucket["error"]
    body = {"image_url": INPUT, "prompt": "sepia", "image2_url": f"s3://{BUCKET}/inputs/gone.png"}
    no_ref = wait_for_job(client, submit(client, EDIT, body))
    assert no_ref["status"] == "failed"
    assert no_ref["error"] == f"image not found: s3://{BUCKET}/inputs/gone.png"


def test_input_that_is_not_an_image_fails_the_job(client, wait_for_job, s3):
    s3.put_object(Bucket=BUCKET, Key="inputs/text.png", Body=b"not an image at all")
    job = wait_for_job(client, submit(client, CAMERA, {"image_url": f"s3://{BUCKET}/inputs/text.png", "prompt": "x"}))
    assert job["status"] == "failed"
    assert "not a readable image" in job["error"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"prompt": "x"}, "image_url"),
        ({"image_url": INPUT}, "prompt"),
        ({"image_url": "http://example.com/a.png", "prompt": "x"}, "image_url"),
        ({"image_url": INPUT, "prompt": "x", "steps": 0}, "steps"),
        ({"image_url": INPUT, "prompt": "x", "colour": "red"}, "colour"),
    ],
)
def test_bad_field_is_422_naming_the_field(client, body, field):
    response = client.post(CAMERA, json=body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid_fields"
    assert field in [d["field"] for d in error["details"]]


def test_image_edit_rejects_an_unknown_sampler_and_a_denoise_above_one(client):
    response = client.post(EDIT, json={"image_url": INPUT, "prompt": "x", "sampler_name": "magic", "denoise": 2})
    assert response.status_code == 422
    assert {d["field"] for d in response.get_json()["error"]["details"]} == {"sampler_name", "denoise"}


def test_malformed_json_is_400_and_a_non_object_is_422(client):
    bad = client.post(CAMERA, data="{not json", content_type="application/json")
    assert bad.status_code == 400
    assert bad.get_json()["error"]["code"] == "malformed_json"
    assert client.post(CAMERA, json=[1, 2]).status_code == 422


def test_unknown_job_and_unknown_workflow_are_404_json(client):
    assert client.get("/api/v1/jobs/does-not-exist").status_code == 404
    assert client.get("/api/v1/jobs/does-not-exist").get_json()["error"]["code"] == "not_found"
    assert client.post("/api/v1/upscale/jobs", json={}).status_code == 404
    missing_route = client.get("/nothing/here")
    assert missing_route.status_code == 404
    assert "error" in missing_route.get_json()


def test_per_workflow_status_alias_answers_only_for_its_workflow(client, wait_for_job):
    job_id = submit(client, CAMERA, {"image_url": INPUT, "prompt": "x"})
    wait_for_job(client, job_id)
    assert client.get(f"/api/v1/camera-angle/jobs/{job_id}").get_json()["job_id"] == job_id
    assert client.get(f"/api/v1/qwen-image-edit/jobs/{job_id}").status_code == 404


def test_a_new_process_forgets_jobs(make_client, wait_for_job):
    first = make_client()
    job_id = submit(first, CAMERA, {"image_url": INPUT, "prompt": "x"})
    wait_for_job(first, job_id)
    assert make_client().get(f"/api/v1/jobs/{job_id}").status_code == 404


def test_health_and_info(client):
    health = client.get("/health")
    assert health.status_code == 200
    assert health.get_json()["status"] == "healthy"
    info = client.get("/").get_json()
    assert info["workflows"] == {"camera-angle": CAMERA, "qwen-image-edit": EDIT}


def test_latency_keeps_the_job_running_until_it_has_passed(make_client, wait_for_job):
    client = make_client(latency_s=0.5)
    job_id = submit(client, CAMERA, {"image_url": INPUT, "prompt": "x"})
    assert client.get(f"/api/v1/jobs/{job_id}").get_json()["status"] in ("pending", "processing")
    job = wait_for_job(client, job_id)
    assert job["status"] == "completed"
    assert job["finished_at"] - job["started_at"] >= 0.5


def test_failure_rate_in_job_mode_fails_jobs(make_client, wait_for_job):
    client = make_client(failure_rate=1.0, failure_mode="job")
    job = wait_for_job(client, submit(client, CAMERA, {"image_url": INPUT, "prompt": "x"}))
    assert job["status"] == "failed"
    assert "injected failure" in job["error"]


def test_failure_rate_in_http_mode_answers_503_and_health_stays_up(make_client):
    client = make_client(failure_rate=1.0, failure_mode="http")
    response = client.post(CAMERA, json={"image_url": INPUT, "prompt": "x"})
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "unavailable"
    assert client.get("/api/v1/jobs/any").status_code == 503
    assert client.get("/health").status_code == 200


def test_failure_rate_is_a_fraction_and_repeatable_with_the_same_seed(make_client):
    def outcomes() -> list[int]:
        client = make_client(failure_rate=0.5, failure_mode="http", seed=42)
        return [client.get("/api/v1/jobs/x").status_code for _ in range(40)]

    first = outcomes()
    assert first == outcomes()
    assert 5 <= first.count(503) <= 35
    assert set(first) == {404, 503}


def test_config_and_stats_controls(client, wait_for_job):
    changed = client.put("/_standin/config", json={"failure_rate": 1.0, "failure_mode": "http"})
    assert changed.status_code == 200
    assert client.post(CAMERA, json={"image_url": INPUT, "prompt": "x"}).status_code == 503
    client.put("/_standin/config", json={"failure_rate": 0})
    wait_for_job(client, submit(client, CAMERA, {"image_url": INPUT, "prompt": "x"}))
    stats = client.get("/_standin/stats").get_json()
    assert stats["submitted"] == {"camera-angle": 1}
    assert client.put("/_standin/config", json={"failure_mode": "sometimes"}).status_code == 422
    assert client.put("/_standin/config", json={"results_bucket": "other"}).status_code == 422


class PublicResolver:
    def __call__(self, host: str) -> list[str]:
        return ["93.184.215.14"]


@responses.activate
def test_https_input_is_fetched_and_a_private_address_is_refused(s3, wait_for_job):
    png = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 200, 30)).save(png, format="PNG")
    responses.get("https://images.example.com/a.png", body=png.getvalue(), content_type="image/png")
    responses.get("https://images.example.com/moved.png", status=302, headers={"Location": "https://169.254.169.254/x"})
    responses.get("https://images.example.com/gone.png", status=404)
    config = StandinConfig(latency_s=0.0)
    runner = JobRunner(config, ResultStore(BUCKET), fetcher=ImageFetcher(1_000_000, 5.0, resolver=PublicResolver()))
    from local.comfyui_standin.app import create_app

    client = create_app(runner).test_client()
    try:
        ok = wait_for_job(client, submit(client, CAMERA, {"image_url": "https://images.example.com/a.png",
                                                          "prompt": "x"}))
        assert ok["status"] == "completed", ok
        assert ok["details"]["width"] == 30
        moved = wait_for_job(client, submit(client, CAMERA, {"image_url": "https://images.example.com/moved.png",
                                                             "prompt": "x"}))
        assert moved["status"] == "failed"
        assert "refused to fetch https://169.254.169.254/x" in moved["error"]
        gone = wait_for_job(client, submit(client, CAMERA, {"image_url": "https://images.example.com/gone.png",
                                                            "prompt": "x"}))
        assert gone["error"] == "image not found: https://images.example.com/gone.png (HTTP 404)"
    finally:
        runner.shutdown()


@responses.activate
def test_https_input_over_the_size_cap_fails():
    responses.get("https://images.example.com/big.png", body=b"x" * 5000)
    fetcher = ImageFetcher(4096, 5.0, resolver=PublicResolver())
    with pytest.raises(Exception, match="larger than 4096 bytes"):
        fetcher.fetch("https://images.example.com/big.png")
