"""Submit: 202 with the job and a Location, the exact queue message, the full task row, the GPU woken."""

import json
from typing import Any

from gpujobs.task_store import TaskStore, deserialize
from services.api.gpu_power import GpuInstanceStarter

CAMERA = "/api/v1/camera-angle/jobs"
QWEN = "/api/v1/qwen-image-edit/jobs"
ROW_FIELDS = {"task_id", "status", "job_type", "created_at", "updated_at", "result_s3_uri",
                   "error_message", "comfy_job_id", "ttl"}


def test_submit_answers_202_with_job_and_location(client: Any) -> None:
    response = client.post(CAMERA, json={"image_url": "s3://inputs/cat.png", "prompt": "turn left"})

    assert response.status_code == 202
    job = response.get_json()
    assert job["status"] == "pending"
    assert job["result_s3_uri"] is None and job["error"] is None
    assert job["workflow"] == "camera-angle"
    assert response.headers["Location"] == f"/api/v1/jobs/{job['job_id']}"
    status = client.get(response.headers["Location"]).get_json()
    # The status adds what the stored job does not say: the GPU (stopped, so the submit started it) and the
    # place in the queue (no job ahead of it).
    assert status["gpu"] == "starting" and status["queue_position"] == 0
    assert {**status, "gpu": None, "queue_position": None} == job


def test_status_says_when_the_job_started_and_ended_and_why_without_internal_addresses(client: Any,
                                                                                     aws: Any) -> None:
    job_id = client.post(CAMERA, json={"image_url": "s3://inputs/cat.png", "prompt": "x"}).get_json()["job_id"]
    pending = client.get(f"/api/v1/jobs/{job_id}").get_json()
    assert pending["started_at"] is None and pending["finished_at"] is None
    store = TaskStore(aws.table_name, aws.dynamodb)
    store.claim(job_id, "w1", now=pending["created_at"] + 5, lease_s=300)
    store.fail(job_id, "Unified API at http://127.0.0.1:8188 refused: connection refused",
               now=pending["created_at"] + 9, worker_id="w1")
    failed = client.get(f"/api/v1/jobs/{job_id}").get_json()
    assert (failed["started_at"], failed["finished_at"]) == (pending["created_at"] + 5, pending["created_at"] + 9)
    assert failed["error"] == "Unified API at http://<internal> refused: connection refused"


def test_queue_message_is_exactly_the_task_message_format(client: Any, aws: Any) -> None:
    body = {"image_url": "s3://inputs/cat.png", "prompt": "turn left", "seed": 7}
    job_id = client.post(CAMERA, json=body).get_json()["job_id"]

    [raw] = aws.queue_bodies()
    assert json.loads(raw) == {
        "task_id": job_id,
        "api_path": CAMERA,
        "request_body": {"image_url": "s3://inputs/cat.png", "prompt": "turn left", "seed": 7, "steps": 8},
    }


def test_qwen_message_carries_every_given_field(client: Any, aws: Any) -> None:
    body = {"image_url": "https://images.example.com/a.png", "image2_url": "s3://inputs/b.png", "prompt": "blend",
            "steps": 6, "cfg": 2.5, "sampler_name": "lcm", "scheduler": "karras", "denoise": 0.5, "seed": 1}
    job_id = client.post(QWEN, json=body).get_json()["job_id"]

    [raw] = aws.queue_bodies()
    assert json.loads(raw) == {"task_id": job_id, "api_path": QWEN, "request_body": body}


def test_task_row_has_every_spec_field(client: Any, aws: Any) -> None:
    job_id = client.post(CAMERA, json={"image_url": "s3://inputs/cat.png", "prompt": "x"}).get_json()["job_id"]

    item = aws.dynamodb.get_item(TableName=aws.table_name, Key={"task_id": {"S": job_id}}, ConsistentRead=True)
    row = deserialize(item["Item"])
    assert set(row) >= ROW_FIELDS
    assert row["status"] == "pending"
    assert row["job_type"] == CAMERA
    assert row["created_at"] == row["updated_at"]
    assert row["ttl"] > row["created_at"]
    assert row["result_s3_uri"] is None and row["error_message"] is None and row["comfy_job_id"] is None
    assert item["Item"]["created_at"].keys() == {"N"}  # a number, as the GSI's sort key requires


def test_stopped_instance_is_started(client: Any, aws: Any) -> None:
    assert aws.instance_state() == "stopped"
    assert client.post(CAMERA, json={"image_url": "s3://inputs/cat.png", "prompt": "x"}).status_code == 202
    assert aws.instance_state() in ("pending", "running")


def test_instance_state_is_cached_between_submits(app: Any, aws: Any) -> None:
    client = app.test_client()
    gpu: GpuInstanceStarter = app.extensions["gpujobs_api"].gpu
    for _ in range(5):
        assert client.post(CAMERA, json={"image_url": "s3://inputs/cat.png", "prompt": "x"}).status_code == 202
    assert gpu.describe_calls == 1
    assert gpu.start_calls == 1


def test_stopping_instance_is_recorded_and_submit_succeeds(app: Any, aws: Any, monkeypatch: Any) -> None:
    gpu: GpuInstanceStarter = app.extensions["gpujobs_api"].gpu
    original = aws.ec2.describe_instances

    def stopping(**kwargs: Any) -> dict[str, Any]:
        described = original(**kwargs)
        described["Reservations"][0]["Instances"][0]["State"]["Name"] = "stopping"
        return described

    monkeypatch.setattr(gpu, "_ec2", _Ec2(stopping, aws.ec2.start_instances))
    response = app.test_client().post(CAMERA, json={"image_url": "s3://inputs/cat.png", "prompt": "x"})
    assert response.status_code == 202
    assert gpu.wake_requested
    assert gpu.start_calls == 0


def test_ec2_failure_never_fails_the_submit(make_app: Any, aws: Any) -> None:
    settings = aws.settings.with_values(GPU_INSTANCE_ID="i-0123456789abcdef0")
    app = make_app(settings=settings)
    response = app.test_client().post(CAMERA, json={"image_url": "s3://inputs/cat.png", "prompt": "x"})
    assert response.status_code == 202
    assert len(aws.queue_bodies()) == 1


class _Ec2:
    def __init__(self, describe: Any, start: Any) -> None:
        self.describe_instances = describe
        self.start_instances = start


def test_each_accepted_job_is_counted_once_and_a_refused_one_not(client: Any, capsys: Any) -> None:
    capsys.readouterr()
    assert client.post(CAMERA, json={"image_url": "s3://inputs/cat.png", "prompt": "turn left"}).status_code == 202
    assert client.post(CAMERA, json={"prompt": "no image"}).status_code == 422
    counts = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert [(c["service"], c.get("JobsSubmitted"), c["workflow"]) for c in counts] == [("api", 1, "camera-angle")]
