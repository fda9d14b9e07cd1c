"""The stand-in as a real process: real HTTP in, a real PNG in the emulator's results bucket out."""

import io

import pytest
import requests
from PIL import Image

from gpujobs import aws_clients
from local.emulator import free_port
from tests.polling import wait_until

from .conftest import answers

pytestmark = pytest.mark.integration


def start_standin(processes, python, *flags):
    port = free_port()
    processes([python, "-m", "local.comfyui_standin", "--port", str(port), "--latency", "0", *flags],
              log_name=f"standin-{port}")
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: answers(f"{base}/health"), 30, "the stand-in's /health")
    return base


def finished(base, job_id):
    body = requests.get(f"{base}/api/v1/jobs/{job_id}", timeout=5).json()
    return body if body["status"] in ("completed", "failed") else None


def test_both_workflows_write_a_png_of_the_input_size(stack, processes, python, input_image):
    bucket, image_url = input_image
    base = start_standin(processes, python)
    s3 = aws_clients.client("s3")
    for workflow, body in [
        ("camera-angle", {"image_url": image_url, "prompt": "orbit 25 degrees right", "seed": 1}),
        ("qwen-image-edit", {"image_url": image_url, "prompt": "line art", "image2_url": image_url}),
    ]:
        submitted = requests.post(f"{base}/api/v1/{workflow}/jobs", json=body, timeout=5)
        assert submitted.status_code == 200
        job_id = submitted.json()["job_id"]
        job = wait_until(lambda job_id=job_id: finished(base, job_id), 30, f"{workflow} job")
        assert job["status"] == "completed", job
        key = f"comfyui-results/{workflow}/{job_id}/output.png"
        assert job["result_s3_uri"] == f"s3://{bucket}/{key}"
        stored = s3.get_object(Bucket=bucket, Key=key)
        image = Image.open(io.BytesIO(stored["Body"].read()))
        assert (image.format, image.size) == ("PNG", (160, 120))
        assert stored["ContentType"] == "image/png"


def test_missing_image_fails_the_job_and_a_restart_forgets_it(stack, processes, python):
    bucket = stack["results_bucket_name"]
    base = start_standin(processes, python)
    url = f"s3://{bucket}/standin-tests/never-uploaded.png"
    job_id = requests.post(f"{base}/api/v1/camera-angle/jobs", json={"image_url": url, "prompt": "x"},
                           timeout=5).json()["job_id"]
    job = wait_until(lambda: finished(base, job_id), 30, "the job to fail")
    assert job["status"] == "failed"
    assert job["error"] == f"image not found: {url}"
    other = start_standin(processes, python)
    assert requests.get(f"{other}/api/v1/jobs/{job_id}", timeout=5).status_code == 404


def test_http_failure_mode_answers_503(stack, processes, python, input_image):
    base = start_standin(processes, python, "--failure-rate", "1", "--failure-mode", "http")
    response = requests.post(f"{base}/api/v1/camera-angle/jobs", json={"image_url": input_image[1], "prompt": "x"},
                             timeout=5)
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
