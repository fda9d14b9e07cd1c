"""The job status says why a waiting job's GPU is not up: the pool's capacity row, while the job waits
and the single pool is short of GPUs; nothing once the job runs, and nothing in the multi-region mode."""

from typing import Any

from gpujobs.capacity_policy import CapacityState
from gpujobs.settings import Settings
from gpujobs.task_store import TaskStore

CAMERA = "/api/v1/camera-angle/jobs"
BODY = {"image_url": "s3://inputs/cat.png", "prompt": "turn left"}
SHORT = CapacityState(shortfalls=2, last_shortfall_at=1_800_000_000, types_tried=("g6e.2xlarge", "g6.2xlarge"))


def _store(aws: Any) -> TaskStore:
    return TaskStore(aws.table_name, aws.dynamodb)


def test_a_waiting_job_shows_the_pools_shortfall(client: Any, aws: Any) -> None:
    location = client.post(CAMERA, json=BODY).headers["Location"]
    assert client.get(location).get_json()["gpu_capacity"] is None
    _store(aws).record_capacity(SHORT, now=1_800_000_000)
    assert client.get(location).get_json()["gpu_capacity"] == {
        "shortfalls": 2, "since": 1_800_000_000, "retry_at": 1_800_000_000 + 120,
        "types_tried": ["g6e.2xlarge", "g6.2xlarge"],
    }


def test_a_running_job_shows_no_shortfall(client: Any, aws: Any) -> None:
    job_id = client.post(CAMERA, json=BODY).get_json()["job_id"]
    _store(aws).record_capacity(SHORT, now=1_800_000_000)
    _store(aws).claim(job_id, "worker-1", now=1_800_000_100, lease_s=300)
    assert client.get(f"/api/v1/jobs/{job_id}").get_json()["gpu_capacity"] is None


def test_the_multi_region_mode_shows_none(make_app: Any, aws: Any) -> None:
    settings = Settings({k: v for k, v in aws.settings.values.items() if k != "GPU_INSTANCE_ID"})
    client = make_app(settings=settings).test_client()
    location = client.post(CAMERA, json=BODY).headers["Location"]
    _store(aws).record_capacity(SHORT, now=1_800_000_000)
    assert client.get(location).get_json()["gpu_capacity"] is None
