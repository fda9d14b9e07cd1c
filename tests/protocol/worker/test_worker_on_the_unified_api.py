"""The worker on the real Unified API and the ComfyUI double: restarts of either mid-job end with the job
completed once, progress reaches the task row, and a job cancelled on the GPU ends `cancelled`."""

import pytest
import requests

from gpujobs.task_model import TaskStatus
from tests.polling import wait_until
from tests.protocol.unified_api.harness import s3_object

from .conftest import Gpu

pytestmark = pytest.mark.integration
INVERT = {"blend_mode": "normal", "blend_factor": 1.0}


def running_on_the_gpu(gpu: Gpu, job_id: str) -> bool:
    response = gpu.unified.status(job_id)
    return response.status_code == 200 and response.json()["status"] == "processing"


def test_comfyui_restarted_mid_job_the_worker_resubmits_and_the_job_completes_once(gpu: Gpu, input_url: str) -> None:
    gpu.double.knobs(latency_by_class={"ImageInvert": 2.0})
    task_id, job_id = gpu.submit("invert-blend", {"image_url": input_url, **INVERT})
    wait_until(lambda: running_on_the_gpu(gpu, job_id), 20, "the job to run on the GPU")
    gpu.double.stop(kill=True)  # ComfyUI keeps its queue and history in memory: the job is gone
    gpu.double.start()
    task = wait_until(lambda: gpu.finished(task_id), 60, "the job to finish after ComfyUI's restart")
    assert task.status == TaskStatus.COMPLETED, task.error_message
    assert gpu.double.executions() == {job_id: 1}  # the restarted ComfyUI ran it once
    assert task.attempts == 1 and task.comfy_job_id == job_id  # one delivery, the same job id
    assert s3_object(task.result_s3_uri)[:8] == b"\x89PNG\r\n\x1a\n"
    assert any("resubmitting" in line and task_id in line for line in gpu.log_lines())


def test_the_unified_api_restarted_mid_job_the_job_completes_once(gpu: Gpu, input_url: str) -> None:
    gpu.double.knobs(latency_by_class={"ImageInvert": 2.0})
    task_id, job_id = gpu.submit("invert-blend", {"image_url": input_url, **INVERT})
    wait_until(lambda: running_on_the_gpu(gpu, job_id), 20, "the job to run on the GPU")
    gpu.unified.stop(kill=True)
    gpu.unified.start()  # it adopts the job ComfyUI still runs
    task = wait_until(lambda: gpu.finished(task_id), 60, "the job to finish after the Unified API's restart")
    assert task.status == TaskStatus.COMPLETED, task.error_message
    assert gpu.double.executions()[job_id] == 1
    assert task.attempts == 1 and task.result_s3_uri.endswith(f"/invert-blend/{job_id}/output.png")


def test_progress_reaches_the_task_row(gpu: Gpu, input_url: str) -> None:
    gpu.double.knobs(step_latency_s=0.4)  # 8 sampler steps
    task_id, _ = gpu.submit("camera-angle", {"image_url": input_url, "prompt": "orbit 30 degrees left", "seed": 5})
    moving = wait_until(lambda: (gpu.row(task_id).progress or 0) > 0 and gpu.row(task_id), 20, "progress on the row")
    assert moving.status == TaskStatus.PROCESSING and 0 < moving.progress < 1
    task = wait_until(lambda: gpu.finished(task_id), 30, "the job to finish")
    assert (task.status, task.progress) == (TaskStatus.COMPLETED, 1.0)


def test_a_job_cancelled_on_the_unified_api_ends_cancelled(gpu: Gpu, input_url: str) -> None:
    gpu.double.knobs(step_latency_s=0.5)
    task_id, job_id = gpu.submit("camera-angle", {"image_url": input_url, "prompt": "orbit 30 degrees left"})
    wait_until(lambda: running_on_the_gpu(gpu, job_id), 20, "the job to run on the GPU")
    cancelled = requests.post(f"{gpu.unified.url}/api/v1/jobs/{job_id}/cancel", timeout=10)
    assert cancelled.status_code == 200, cancelled.text
    task = wait_until(lambda: gpu.finished(task_id), 30, "the worker to record the end")
    assert task.status == TaskStatus.CANCELLED and task.error_message.startswith("interrupted at node")
    assert task.comfy_job_id == job_id and task.result_s3_uri is None
