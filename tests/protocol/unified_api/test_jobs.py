"""Jobs through the Unified API and the ComfyUI double: success, refusals, failures, cancel, progress."""

import io
import json
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image, ImageOps

from gpujobs.workflow_spec import load_workflows
from tests.polling import wait_until
from tests.protocol.unified_api.harness import Double, Unified, png_bytes, s3_object

pytestmark = pytest.mark.integration
WORKFLOWS = load_workflows()
INVERT = {"blend_mode": "normal", "blend_factor": 1.0}


def status_of(unified: Unified, job_id: str) -> dict[str, Any]:
    response = unified.status(job_id)
    assert response.status_code == 200, response.text
    return response.json()


def test_a_job_completes_and_its_image_is_in_s3(unified: Unified, double: Double, input_url: str) -> None:
    submitted = unified.submit("invert-blend", {"image_url": input_url, **INVERT},
                               workflow_hash=WORKFLOWS["invert-blend"].content_hash)
    assert submitted.status_code == 202, submitted.text
    job = submitted.json()
    assert job["status"] == "pending"
    done = unified.wait_finished(job["job_id"])
    assert done["status"] == "completed", done
    assert done["progress"] == 1.0
    bucket = input_url.split("/")[2]
    assert done["result_s3_uri"] == f"s3://{bucket}/comfyui-results/invert-blend/{job['job_id']}/output.png"
    result = Image.open(io.BytesIO(s3_object(done["result_s3_uri"]))).convert("RGB")
    expected = ImageOps.invert(Image.open(io.BytesIO(png_bytes())).convert("RGB"))
    assert result.size == expected.size and result.tobytes() == expected.tobytes()
    assert wait_until(lambda: not double.files("input") and not double.files("output"), 5, "files removed")
    assert unified.submit("invert-blend", {"image_url": input_url, **INVERT}).status_code == 202


def test_the_shipped_workflows_run_with_one_to_three_images(unified: Unified, double: Double, input_url: str) -> None:
    one = unified.submit("qwen-image-edit", {"image_url": input_url, "prompt": "make it sepia", "steps": 2}).json()
    three = unified.submit("qwen-image-edit", {"image_url": input_url, "image2_url": input_url,
                                               "image3_url": input_url, "prompt": "warm"}).json()
    camera = unified.submit("camera-angle", {"image_url": input_url, "prompt": "30 degrees left", "seed": 3}).json()
    for job in (one, three, camera):
        done = unified.wait_finished(job["job_id"])
        assert done["status"] == "completed", done
    assert isinstance(one["seed"], int)  # drawn, recorded
    assert camera["seed"] == 3


def test_a_resubmitted_task_is_the_same_job_and_runs_once(unified: Unified, double: Double, input_url: str) -> None:
    double.knobs(latency_by_class={"ImageInvert": 0.5})
    task = str(uuid.uuid4())
    first = unified.submit("invert-blend", {"image_url": input_url, **INVERT}, task_id=task)
    again = unified.submit("invert-blend", {"image_url": input_url, **INVERT}, task_id=task)
    assert (first.status_code, again.status_code) == (202, 200)
    job_id = first.json()["job_id"]
    assert again.json()["job_id"] == job_id
    assert unified.wait_finished(job_id)["status"] == "completed"
    after = unified.submit("invert-blend", {"image_url": input_url, **INVERT}, task_id=task)
    assert after.status_code == 200 and after.json()["status"] == "completed"
    assert double.executions()[job_id] == 1


@pytest.mark.parametrize(("workflow", "body", "headers", "status", "code"), [
    ("invert-blend", {"image_url": "s3://b-b/x.png", "blend_mode": "sideways"}, {}, 422, "invalid_fields"),
    ("invert-blend", {"image_url": "s3://b-b/x.png", "colour": 1}, {}, 422, "invalid_fields"),
    ("invert-blend", {"image_url": "s3://b-b/x.png"}, {"X-Workflow-Hash": "0" * 64}, 422, "workflow_version_mismatch"),
    ("no-such-flow", {"image_url": "s3://b-b/x.png"}, {}, 404, "unknown_workflow"),
    ("invert-blend", {"image_url": "s3://no-such-bucket-x/x.png"}, {}, 422, "input_unavailable"),
])
def test_refusals_are_json_errors(unified: Unified, workflow: str, body: dict[str, Any], headers: dict[str, str],
                                  status: int, code: str) -> None:
    response = requests.post(f"{unified.url}/api/v1/{workflow}/jobs", json=body, headers=headers, timeout=10)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    if code == "workflow_version_mismatch":
        assert "differs between the sender" in response.json()["error"]["message"]


def test_malformed_json_and_unknown_jobs(unified: Unified) -> None:
    response = requests.post(f"{unified.url}/api/v1/invert-blend/jobs", data="{nope",
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert response.status_code == 400 and response.json()["error"]["code"] == "malformed_json"
    for path in ("/api/v1/jobs/{id}", "/api/v1/invert-blend/jobs/{id}"):
        response = requests.get(unified.url + path.format(id=uuid.uuid4()), timeout=10)
        assert response.status_code == 404 and response.json()["error"]["code"] == "job_not_found"
    cancel = requests.post(f"{unified.url}/api/v1/jobs/{uuid.uuid4()}/cancel", timeout=10)
    assert cancel.status_code == 404


def test_an_input_that_is_not_an_image_is_refused(unified: Unified, bucket: str) -> None:
    from gpujobs import aws_clients

    key = f"inputs/{uuid.uuid4().hex}.png"
    aws_clients.client("s3").put_object(Bucket=bucket, Key=key, Body=b"not an image")
    response = unified.submit("invert-blend", {"image_url": f"s3://{bucket}/{key}"})
    assert response.status_code == 422
    assert "is not an image" in response.json()["error"]["message"]


def test_an_execution_error_names_the_node_and_the_exception(unified: Unified, double: Double,
                                                             input_url: str) -> None:
    double.knobs(fail_nodes={"ImageInvert": "CUDA out of memory (the double says so)"})
    job = unified.submit("invert-blend", {"image_url": input_url}).json()
    done = unified.wait_finished(job["job_id"])
    assert done["status"] == "failed"
    assert done["error"] == "node 2 (ImageInvert) failed: RuntimeError: CUDA out of memory (the double says so)"
    assert wait_until(lambda: not double.files("input"), 5, "inputs removed after a failure")


def test_cancel_while_running_interrupts_between_nodes(unified: Unified, double: Double, input_url: str) -> None:
    double.knobs(latency_by_class={"ImageInvert": 2.0})
    # Progress comes from the websocket's events: with it connected, progress moves past 0 when the
    # second node (ImageInvert) starts, and the cancel lands while it runs.
    wait_until(lambda: requests.get(f"{unified.url}/health", timeout=5).json()["websocket"], 10,
               "the Unified API's websocket to ComfyUI")
    job_id = unified.submit("invert-blend", {"image_url": input_url}).json()["job_id"]
    wait_until(lambda: 0 < status_of(unified, job_id)["progress"] < 1, 10, "the second node to start")
    response = requests.post(f"{unified.url}/api/v1/jobs/{job_id}/cancel", timeout=10)
    assert response.status_code == 200
    done = unified.wait_finished(job_id)
    assert done["status"] == "cancelled", done
    assert done["error"].startswith("interrupted at node 3 (ImageBlend)")


def test_cancel_before_start_takes_the_prompt_off_the_queue(unified: Unified, double: Double,
                                                            input_url: str) -> None:
    double.knobs(latency_by_class={"ImageInvert": 0.8})
    busy = unified.submit("invert-blend", {"image_url": input_url}).json()["job_id"]
    waiting = unified.submit("invert-blend", {"image_url": input_url}).json()["job_id"]
    assert status_of(unified, waiting)["status"] == "pending"
    cancelled = requests.post(f"{unified.url}/api/v1/jobs/{waiting}/cancel", timeout=10).json()
    assert cancelled["status"] == "cancelled"
    queue = requests.get(double.url + "/queue", timeout=5).json()
    assert waiting not in [item[1] for item in queue["queue_pending"] + queue["queue_running"]]
    assert unified.wait_finished(busy)["status"] == "completed"
    assert status_of(unified, waiting)["status"] == "cancelled"
    assert waiting not in double.executions()


def test_progress_is_reported_from_the_sampler_steps(unified: Unified, double: Double, input_url: str) -> None:
    double.knobs(step_latency_s=0.08)
    body = {"image_url": input_url, "prompt": "from above", "steps": 12}
    job_id = unified.submit("camera-angle", body).json()["job_id"]
    seen: list[float] = []

    def finished() -> bool:
        body = status_of(unified, job_id)
        seen.append(body["progress"])
        return body["status"] == "completed"

    wait_until(finished, 20, "the camera-angle job", every_s=0.03)
    assert seen == sorted(seen)
    assert any(0.0 < p < 1.0 for p in seen) and seen[-1] == 1.0
    assert len({p for p in seen if 0.0 < p < 1.0}) >= 3


def test_the_job_completes_when_the_websocket_drops(unified: Unified, double: Double, input_url: str) -> None:
    double.knobs(latency_by_class={"ImageInvert": 0.6}, refuse_websockets=True)
    job_id = unified.submit("invert-blend", {"image_url": input_url}).json()["job_id"]
    wait_until(lambda: double.drop_websockets() >= 0 and not requests.get(double.url + "/_double/stats", timeout=5)
               .json()["sockets"], 5, "the socket to be dropped")
    done = unified.wait_finished(job_id)
    assert done["status"] == "completed"
    double.knobs(refuse_websockets=False)


def test_health_says_whether_comfyui_is_ready(unified: Unified, double: Double) -> None:
    health = requests.get(unified.url + "/health", timeout=10)
    assert health.status_code == 200 and health.json()["status"] == "healthy"
    info = requests.get(unified.url + "/", timeout=10).json()
    assert info["workflows"]["camera-angle"]["version"] == WORKFLOWS["camera-angle"].content_hash


def test_health_is_starting_while_comfyui_is_down_or_lacks_nodes(tmp_path: Path, bucket: str,
                                                                 gpu_role: dict[str, str]) -> None:
    folder = tmp_path / "workflows"
    shutil.copytree(WORKFLOWS["invert-blend"].folder, folder / "custom-nodes")
    spec = json.loads((folder / "custom-nodes" / "spec.json").read_text())
    spec.update(name="custom-nodes", api_path="/api/v1/custom-nodes/jobs")
    (folder / "custom-nodes" / "spec.json").write_text(json.dumps(spec))
    graph = json.loads((folder / "custom-nodes" / "workflow.json").read_text())
    graph["2"]["class_type"] = "SomePackInvert"
    (folder / "custom-nodes" / "workflow.json").write_text(json.dumps(graph))
    base = tmp_path / "comfyui"
    base.mkdir()
    double = Double(base, tmp_path / "double.log")
    unified = Unified(double, bucket, tmp_path / "unified.log", WORKFLOWS_DIR=str(folder), **gpu_role).start()
    try:
        down = requests.get(unified.url + "/health", timeout=10)
        assert down.status_code == 503 and down.json()["status"] == "starting"
        assert requests.post(f"{unified.url}/api/v1/custom-nodes/jobs", json={"image_url": "s3://b-b/x.png"},
                             timeout=10).status_code in (503, 422)
        double.start()
        lacking = requests.get(unified.url + "/health", timeout=10)
        assert lacking.status_code == 503 and lacking.json()["missing_nodes"] == ["SomePackInvert"]
    finally:
        unified.stop()
        double.stop()


def test_comfyui_refusals_become_permanent_failures_naming_the_node(tmp_path: Path, bucket: str, input_url: str,
                                                                   gpu_role: dict[str, str]) -> None:
    folder = tmp_path / "workflows"
    for name, change in (("bad-value", ("3", "blend_factor", 7.5)), ("bad-class", None)):
        shutil.copytree(WORKFLOWS["invert-blend"].folder, folder / name)
        spec = json.loads((folder / name / "spec.json").read_text())
        spec.update(name=name, api_path=f"/api/v1/{name}/jobs")
        spec["inputs"] = {"image_url": spec["inputs"]["image_url"]}
        (folder / name / "spec.json").write_text(json.dumps(spec))
        graph = json.loads((folder / name / "workflow.json").read_text())
        if change:
            graph[change[0]]["inputs"][change[1]] = change[2]
        else:
            graph["2"]["class_type"] = "SomePackInvert"
        (folder / name / "workflow.json").write_text(json.dumps(graph))
    base = tmp_path / "comfyui"
    base.mkdir()
    double = Double(base, tmp_path / "double.log").start()
    unified = Unified(double, bucket, tmp_path / "unified.log", WORKFLOWS_DIR=str(folder), **gpu_role).start()
    try:
        bad_value = unified.submit("bad-value", {"image_url": input_url})
        assert bad_value.status_code == 422
        error = bad_value.json()["error"]
        assert error["code"] == "prompt_rejected"
        assert "node 3 (ImageBlend): Value 7.5 bigger than max of 1.0: blend_factor" in error["message"]
        assert error["details"]["node_errors"]["3"]["class_type"] == "ImageBlend"
        bad_class = unified.submit("bad-class", {"image_url": input_url})
        assert bad_class.status_code == 422
        assert "Cannot execute because node SomePackInvert does not exist.: Node ID '#2'" in \
            bad_class.json()["error"]["message"]
        assert not double.files("input")  # the uploads of a refused prompt are removed
    finally:
        unified.stop()
        double.stop()


def test_a_status_read_can_wait_for_the_end(unified: Unified, double: Double, input_url: str) -> None:
    double.knobs(latency_by_class={"ImageInvert": 0.4})
    job_id = unified.submit("invert-blend", {"image_url": input_url}).json()["job_id"]
    answer = requests.get(f"{unified.url}/api/v1/jobs/{job_id}", params={"wait": 10}, timeout=30)
    assert answer.json()["status"] == "completed"
    bad = requests.get(f"{unified.url}/api/v1/jobs/{job_id}", params={"wait": "soon"}, timeout=30)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_wait"
