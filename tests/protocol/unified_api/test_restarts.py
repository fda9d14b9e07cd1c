"""Restarts: ComfyUI's queue and history are the record, so the Unified API can restart mid-job and
finish it once; a restarted ComfyUI has lost the job, which then reads as 404 (the worker resubmits)."""

import uuid
from typing import Any

import pytest
import requests

from gpujobs import aws_clients
from local.role_users import ServiceRoles
from tests.polling import wait_until
from tests.protocol.unified_api.conftest import role_over_bucket
from tests.protocol.unified_api.harness import Double, Unified, png_bytes

pytestmark = pytest.mark.integration


def test_comfyui_restarted_mid_job_makes_the_job_unknown(pair: tuple[Double, Unified], input_url: str) -> None:
    double, unified = pair
    double.knobs(latency_by_class={"ImageInvert": 2.0})
    task = str(uuid.uuid4())
    job_id = unified.submit("invert-blend", {"image_url": input_url}, task_id=task).json()["job_id"]
    wait_until(lambda: unified.status(job_id).json()["status"] == "processing", 10, "the job to start")
    double.stop(kill=True)
    assert unified.status(job_id).status_code in (200, 503)  # still known, or ComfyUI unreachable
    double.start()
    wait_until(lambda: unified.status(job_id).status_code == 404, 10, "the lost job to read as not found")
    assert unified.status(job_id).json()["error"]["code"] == "job_not_found"
    # the worker's resubmit under the same task id queues it again
    double.knobs(latency_by_class={})
    again = unified.submit("invert-blend", {"image_url": input_url}, task_id=task)
    assert again.status_code == 202 and again.json()["job_id"] == job_id
    assert unified.wait_finished(job_id)["status"] == "completed"


def test_the_unified_api_restarted_mid_job_finishes_it_once(pair: tuple[Double, Unified], stack: dict[str, Any],
                                                            roles: ServiceRoles) -> None:
    double, unified = pair
    s3 = aws_clients.client("s3")
    versioned = f"unified-v-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=versioned)
    s3.put_bucket_versioning(Bucket=versioned, VersioningConfiguration={"Status": "Enabled"})
    input_url = f"s3://{versioned}/inputs/cat.png"  # the role reads inputs from its results bucket only
    s3.put_object(Bucket=versioned, Key="inputs/cat.png", Body=png_bytes())
    identity = role_over_bucket(stack, roles, versioned)
    unified.stop()
    unified.env.update({"RESULTS_BUCKET": versioned, **(identity.environment() if identity else {})})
    unified.start()
    double.knobs(latency_by_class={"ImageInvert": 1.0})
    task = str(uuid.uuid4())
    job_id = unified.submit("invert-blend", {"image_url": input_url}, task_id=task).json()["job_id"]
    wait_until(lambda: unified.status(job_id).json()["status"] == "processing", 10, "the job to start")
    unified.stop(kill=True)
    unified.start()
    done = unified.wait_finished(job_id)
    assert done["status"] == "completed" and done["task_id"] == task
    # a resubmit after the restart is the same job, already done
    again = unified.submit("invert-blend", {"image_url": input_url}, task_id=task)
    assert again.status_code == 200 and again.json()["status"] == "completed"
    key = f"comfyui-results/invert-blend/{job_id}/output.png"
    versions = s3.list_object_versions(Bucket=versioned, Prefix=key).get("Versions", [])
    assert len(versions) == 1
    assert double.executions()[job_id] == 1
    assert requests.get(f"{double.url}/history/{job_id}", timeout=5).json()[job_id]["status"]["completed"]
