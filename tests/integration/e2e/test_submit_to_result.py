"""The whole path on real pieces: gunicorn API -> DynamoDB + SQS -> worker -> ComfyUI stand-in -> S3.

Every piece is its own process talking real HTTP and the emulator's real AWS APIs, configured only
by the Terraform outputs file, as on the GPU instance.
"""

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
import requests
from PIL import Image

from local.emulator import free_port
from local.processes import stop
from tests.polling import wait_until

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def healthy(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def system(stack, tmp_path_factory) -> Iterator[dict[str, str]]:
    logs = tmp_path_factory.mktemp("e2e-logs")
    api_port, standin_port = free_port(), free_port()
    env = {**os.environ, "WORKER_CONCURRENCY": "2", "WAIT_TIME_S": "1", "POLL_INTERVAL_S": "0.2",
           "COMFYUI_API_URL": f"http://127.0.0.1:{standin_port}", "STANDIN_LATENCY_S": "0.2"}
    # Other modules leave jobs on the shared queue that were never meant to run; start clean.
    boto3.client("sqs").purge_queue(QueueUrl=stack["task_queue_url"])
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    commands = {
        "api": [gunicorn, "-c", "services/api/gunicorn.conf.py", "--bind", f"127.0.0.1:{api_port}",
                "--workers", "1", "services.api.wsgi:app"],
        "standin": [sys.executable, "-m", "local.comfyui_standin", "--port", str(standin_port)],
        "worker": [sys.executable, "-m", "services.adapter"],
    }
    processes = {
        name: subprocess.Popen(argv, cwd=ROOT, env=env, stdout=open(logs / f"{name}.log", "wb"),  # noqa: SIM115
                               stderr=subprocess.STDOUT, start_new_session=True)
        for name, argv in commands.items()
    }
    try:
        wait_until(lambda: healthy(f"http://127.0.0.1:{api_port}/health"), 30, "the API to answer")
        wait_until(lambda: healthy(f"http://127.0.0.1:{standin_port}/health"), 30, "the stand-in to answer")
        yield {"api": f"http://127.0.0.1:{api_port}", "logs": str(logs)}
    finally:
        stop(processes.values(), timeout_s=40, group=True)


def upload_image(bucket: str, key: str, size: tuple[int, int]) -> str:
    image = Image.new("RGB", size)
    for x in range(0, size[0], 16):
        for y in range(0, size[1], 16):
            image.putpixel((x, y), (x % 256, y % 256, 128))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    boto3.client("s3").put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())
    return f"s3://{bucket}/{key}"


def read_png(uri: str) -> Image.Image:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    body = boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(body))


@pytest.mark.parametrize(
    ("path", "extra"),
    [("/api/v1/camera-angle/jobs", {"steps": 8, "seed": 7}),
     ("/api/v1/qwen-image-edit/jobs", {"steps": 4, "sampler_name": "lcm", "denoise": 0.6})],
)
def test_submitted_job_completes_with_a_png_result(system, stack, path, extra):
    bucket = stack["results_bucket_name"]
    image_url = upload_image(bucket, f"inputs/e2e-{path.split('/')[3]}.png", (320, 240))
    response = requests.post(system["api"] + path, json={"image_url": image_url, "prompt": "line art", **extra},
                             timeout=10)
    assert response.status_code == 202, response.text
    job = response.json()
    assert job["status"] == "pending"

    def finished():
        status = requests.get(f"{system['api']}/api/v1/jobs/{job['job_id']}", timeout=5).json()
        return status if status["status"] in {"completed", "failed"} else None

    final = wait_until(finished, 90, "the job to finish", every_s=0.25)
    assert final["status"] == "completed", final
    assert final["result_s3_uri"].startswith(f"s3://{bucket}/comfyui-results/")
    assert read_png(final["result_s3_uri"]).size == (320, 240)
