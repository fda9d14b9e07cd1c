"""The whole path on real pieces: gunicorn API -> DynamoDB + SQS -> worker -> Unified API (gunicorn) ->
ComfyUI double -> S3.

Every piece is its own process talking real HTTP and the emulator's real AWS APIs, configured by the
Terraform outputs file as on the GPU instance and signing as its role (the API as the API's, the worker
and the Unified API as the GPU instance's), and every one reads the same WORKFLOWS_DIR: a folder
of the test's own holding the two design workflows and `scale-invert`, which no service knows in
advance. One set of processes serves all three jobs.
"""

import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from PIL import Image

from gpujobs.task_store import TaskStore
from gpujobs.workflow_spec import load_workflows
from local.emulator import free_port
from local.processes import stop
from local.role_users import ServiceRoles
from tests.input_uploads import upload_through_api
from tests.polling import wait_until
from tests.workflow_folders import EXTRA, write_workflows_dir

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
INPUT_SIZE = (320, 240)
INPUT_COLOUR = (10, 200, 30)


def healthy(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture(scope="module")
def system(stack: dict[str, Any], roles: ServiceRoles, api_key: str,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("e2e")
    workflows = write_workflows_dir(base / "workflows")
    comfyui_dir = base / "comfyui"
    api_port, unified_port, comfyui_port = free_port(), free_port(), free_port()
    unified = f"http://127.0.0.1:{unified_port}"
    env = {**os.environ, "WORKFLOWS_DIR": str(workflows), "PYTHONPATH": str(ROOT),
           # the worker
           "UNIFIED_API_URL": unified, "WORKER_CONCURRENCY": "2", "WAIT_TIME_S": "1", "POLL_INTERVAL_S": "0.2",
           "STATUS_WAIT_S": "5", "HEARTBEAT_INTERVAL_S": "1",
           # the Unified API
           "UNIFIED_API_BIND": f"127.0.0.1:{unified_port}", "COMFYUI_URL": f"http://127.0.0.1:{comfyui_port}",
           "COMFYUI_DIR": str(comfyui_dir), "COMFYUI_POLL_INTERVAL_S": "0.1"}
    # Other modules leave jobs on the shared queue that were never meant to run; start clean.
    boto3.client("sqs").purge_queue(QueueUrl=stack["task_queue_url"])
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    commands = {  # in the order the GPU host starts them; the API is independent
        "api": [gunicorn, "-c", "services/api/gunicorn.conf.py", "--bind", f"127.0.0.1:{api_port}",
                "--workers", "1", "services.api.wsgi:app"],
        "comfyui": [sys.executable, "-m", "local.comfyui_double", "--port", str(comfyui_port), "--dir",
                    str(comfyui_dir), "--knobs", '{"step_latency_s": 0.05}'],
        "unified": [sys.executable, "-m", "services.unified_api"],
        "worker": [sys.executable, "-m", "services.adapter"],
    }
    # Everything but the API runs on the GPU instance, with its role.
    role = {"api": "api", "comfyui": "unified_api", "unified": "unified_api", "worker": "worker"}
    processes = {
        name: subprocess.Popen(argv, cwd=ROOT, env={**env, **roles.environment(role[name])},
                               stdout=open(base / f"{name}.log", "wb"),  # noqa: SIM115
                               stderr=subprocess.STDOUT, start_new_session=True)
        for name, argv in commands.items()
    }
    try:
        wait_until(lambda: healthy(f"http://127.0.0.1:{api_port}/health"), 30, "the API to answer")
        wait_until(lambda: healthy(f"{unified}/health"), 30, "the Unified API and ComfyUI to be ready")
        http = requests.Session()
        http.headers["Authorization"] = f"Bearer {api_key}"
        yield {"api": f"http://127.0.0.1:{api_port}", "workflows": workflows, "logs": base, "http": http}
    finally:
        stop(processes.values(), timeout_s=40, group=True)


def upload_image(system: dict[str, Any]) -> str:
    """The test image, uploaded as a client does: the API's presigned PUT under the key's tenant prefix."""
    buffer = io.BytesIO()
    Image.new("RGB", INPUT_SIZE, INPUT_COLOUR).save(buffer, format="PNG")
    return upload_through_api(system["api"], system["http"], buffer.getvalue())


def read_png(url: str) -> Image.Image:
    """A result read as a client reads it: a plain GET of the status's presigned result_url."""
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 200, answer.text[:300]
    assert answer.content[:8] == b"\x89PNG\r\n\x1a\n"
    return Image.open(io.BytesIO(answer.content)).convert("RGB")


def test_both_design_workflows_and_a_folder_only_workflow_complete_with_png_results(system, stack):
    bucket = stack["results_bucket_name"]
    image_url = upload_image(system)
    assert image_url.startswith(f"s3://{bucket}/uploads/default/")
    bodies = {
        "camera-angle": {"image_url": image_url, "prompt": "orbit the camera 30 degrees left", "steps": 8},
        "qwen-image-edit": {"image_url": image_url, "image2_url": image_url, "prompt": "line art", "steps": 4,
                            "sampler_name": "lcm", "denoise": 0.6, "seed": 7},
        EXTRA: {"image_url": image_url, "scale_by": 0.5},
    }
    document = requests.get(system["api"] + "/openapi.json", timeout=10).json()
    assert f"/api/v1/{EXTRA}/jobs" in document["paths"]  # the API serves the folder it was pointed at
    jobs = {}
    for name, body in bodies.items():
        response = system["http"].post(f"{system['api']}/api/v1/{name}/jobs", json=body, timeout=10)
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "pending"
        jobs[name] = response.json()["job_id"]

    def finished(job_id: str) -> dict[str, Any] | None:
        status = system["http"].get(f"{system['api']}/api/v1/jobs/{job_id}", timeout=5).json()
        return status if status["status"] in {"completed", "failed", "cancelled"} else None

    store = TaskStore(stack["task_table_name"], boto3.client("dynamodb"))
    folders = load_workflows(system["workflows"])
    finals = {}
    for name, job_id in jobs.items():
        final = wait_until(lambda j=job_id: finished(j), 90, f"the {name} job to finish", every_s=0.25)
        assert final["status"] == "completed", final
        assert final["workflow"] == name and final["progress"] == 1.0
        assert final["result_s3_uri"].startswith(f"s3://{bucket}/comfyui-results/{name}/")
        row = store.get(job_id)
        assert row.workflow_hash == folders[name].content_hash  # the version the GPU side checked
        assert row.comfy_job_id and final["result_s3_uri"].endswith(f"/{row.comfy_job_id}/output.png")
        assert final["gpu_seconds"] == row.finished_at - row.started_at and final["gpu"] is None
        finals[name] = final

    camera = read_png(finals["camera-angle"]["result_url"])
    # The graph scales its input to one megapixel (ImageScaleToTotalPixels) and keeps the aspect ratio.
    assert abs(camera.size[0] * camera.size[1] - 1024 * 1024) < 0.01 * 1024 * 1024
    assert abs(camera.size[0] / camera.size[1] - INPUT_SIZE[0] / INPUT_SIZE[1]) < 0.01
    assert isinstance(store.get(jobs["camera-angle"]).request_body["seed"], int)  # drawn by the API, recorded
    assert store.get(jobs["qwen-image-edit"]).request_body["seed"] == 7
    extra = read_png(finals[EXTRA]["result_url"])
    assert extra.size == (INPUT_SIZE[0] // 2, INPUT_SIZE[1] // 2)  # scale_by 0.5 reached the graph
    assert extra.getpixel((40, 30)) == tuple(255 - c for c in INPUT_COLOUR)  # then inverted

    # Deleting the job's results (as the API's role) removes its objects: the presigned URL stops working,
    # the job stays, without a result.
    deleted = system["http"].delete(f"{system['api']}/api/v1/jobs/{jobs[EXTRA]}", timeout=10)
    assert deleted.status_code == 200, deleted.text
    assert (deleted.json()["result_s3_uri"], deleted.json()["result_url"]) == (None, None)
    assert requests.get(finals[EXTRA]["result_url"], timeout=10).status_code == 404
    folder = finals[EXTRA]["result_s3_uri"].split("/", 3)[3].rsplit("/", 1)[0] + "/"
    assert boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=folder).get("KeyCount") == 0


def test_a_processing_job_cancelled_ends_cancelled_through_its_worker(system, stack):
    """The API marks the row; the worker's next heartbeat sees it, cancels on the Unified API (which interrupts
    ComfyUI) and records the job cancelled: no result is written."""
    api, http = system["api"], system["http"]
    image_url = upload_image(system)
    # 100 steps of the double's 0.05 s: seconds of work, many heartbeats long.
    submitted = http.post(f"{api}/api/v1/camera-angle/jobs", json={"image_url": image_url, "prompt": "slow",
                                                                  "steps": 100}, timeout=10)
    assert submitted.status_code == 202, submitted.text
    job_id = submitted.json()["job_id"]

    def status() -> dict[str, Any]:
        return http.get(f"{api}/api/v1/jobs/{job_id}", timeout=5).json()

    wait_until(lambda: status()["status"] == "processing", 60, "the job to start", every_s=0.1)
    answer = http.post(f"{api}/api/v1/jobs/{job_id}/cancel", timeout=10)
    assert answer.status_code == 202, answer.text
    assert answer.json()["cancel_requested"] is True
    final = wait_until(lambda: (s := status())["status"] in {"completed", "failed", "cancelled"} and s, 60,
                       "the job to end", every_s=0.2)
    assert (final["status"], final["error"], final["result_s3_uri"]) == (
        "cancelled", "cancelled at the client's request", None)
    assert http.post(f"{api}/api/v1/jobs/{job_id}/cancel", timeout=10).status_code == 409
