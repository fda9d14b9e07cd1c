"""The API in the multi-region mode: the task table may be in another region than the API's own, and the
API may have no GPU instance of its own to wake (each pool's power logic starts its own)."""

import json
from typing import Any

import pytest

from gpujobs import aws_clients
from gpujobs.settings import Settings
from gpujobs.task_store import TaskStore
from services.api.app import create_app
from tests.unit.api.conftest import REGION, UNLIMITED, Aws, keyed_client, public_resolver

CAMERA = "/api/v1/camera-angle/jobs"
BODY = {"image_url": "s3://inputs/cat.png", "prompt": "rotate"}


def test_task_row_goes_to_the_table_in_dynamodb_region(aws: Aws, make_app: Any) -> None:
    # No DynamoDB client given: the factory builds one, for the table region and not the API's own.
    settings = aws.settings.with_values(AWS_REGION="eu-west-1", DYNAMODB_REGION=REGION)
    client = make_app(settings=settings, dynamodb=None).test_client()
    response = client.post(CAMERA, json=BODY)
    assert response.status_code == 202, response.get_json()
    [row] = aws.rows()
    assert row["task_id"]["S"] == response.get_json()["job_id"]


def test_status_shows_the_pool_that_claimed_the_job(aws: Aws, client: Any) -> None:
    submitted = client.post(CAMERA, json=BODY).get_json()
    assert submitted["pool"] is None, "nobody has claimed a job just submitted"
    store = TaskStore(aws.table_name, aws.dynamodb)
    store.claim(submitted["job_id"], "w-1", now=submitted["created_at"] + 1, lease_s=300, pool="us-west-2")
    status = client.get(f"/api/v1/jobs/{submitted['job_id']}").get_json()
    assert (status["status"], status["pool"]) == ("processing", "us-west-2")


def test_pool_is_documented_in_the_job_schema(client: Any) -> None:
    job = client.get("/openapi.json").get_json()["components"]["schemas"]["Job"]
    assert "region" in job["properties"]["pool"]["description"]
    assert "pool" not in job.get("required", [])


class NoEc2:
    """Stands in for the EC2 client and records any use of it."""

    def __init__(self) -> None:
        self.used: list[str] = []

    def __getattr__(self, name: str) -> Any:
        self.used.append(name)
        raise AssertionError(f"the API called EC2 {name} without a GPU instance")


def test_without_gpu_instance_a_submit_is_queued_and_no_instance_touched(aws: Aws, make_app: Any) -> None:
    ec2 = NoEc2()
    app = make_app(settings=Settings({k: v for k, v in aws.settings.values.items() if k != "GPU_INSTANCE_ID"}),
                   ec2=ec2)
    assert app.extensions["gpujobs_api"].gpu is None
    response = app.test_client().post(CAMERA, json=BODY)
    assert response.status_code == 202, response.get_json()
    assert response.get_json()["status"] == "pending"
    [body] = aws.queue_bodies()
    assert json.loads(body)["task_id"] == response.get_json()["job_id"]
    assert ec2.used == []
    assert aws.instance_state() == "stopped"


def test_without_gpu_instance_from_the_environment_no_ec2_client_is_made(
        aws: Aws, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SQS_QUEUE_URL", aws.queue_url)
    monkeypatch.setenv("DYNAMODB_TABLE", aws.table_name)
    monkeypatch.setenv("API_KEYS_TABLE", aws.key_table_name)
    monkeypatch.setenv("INPUT_BUCKETS", "inputs")
    wanted: list[str] = []
    real_client = aws_clients.client

    def recording(service: str, *args: Any, **kwargs: Any) -> Any:
        wanted.append(service)
        return real_client(service, *args, **kwargs)

    monkeypatch.setattr(aws_clients, "client", recording)
    app = create_app(config=UNLIMITED, resolver=public_resolver)
    app.test_client_class = keyed_client(aws.key)
    client = app.test_client()
    assert client.post(CAMERA, json=BODY).status_code == 202
    assert client.get("/health").get_json()["status"] == "healthy"
    assert "ec2" not in wanted and {"dynamodb", "sqs"} <= set(wanted)
    assert len(aws.queue_bodies()) == 1
    assert aws.instance_state() == "stopped"


def test_api_started_from_the_outputs_file_sends_to_the_master_queue_with_the_distributor(
        aws: Aws, moto_clients: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The distributor mode's outputs: the top-level task queue and instance are the home pool's, while
    api_environment names the master queue and no instance. The API must read the latter."""
    master = moto_clients.task_queue()
    outputs = {
        "task_queue_url": aws.queue_url, "gpu_instance_id": aws.instance_id, "task_table_name": aws.table_name,
        "api_environment": {"SQS_QUEUE_URL": master, "DYNAMODB_TABLE": aws.table_name, "RESULTS_BUCKET": "results",
                            "API_KEYS_TABLE": aws.key_table_name,
                            "POWERTOOLS_SERVICE_NAME": "api", "POWERTOOLS_METRICS_NAMESPACE": "GpuOrchestrator"},
    }
    path = tmp_path / "outputs.json"
    path.write_text(json.dumps({name: {"value": value} for name, value in outputs.items()}))
    monkeypatch.setenv("GPUJOBS_OUTPUTS_FILE", str(path))
    ec2 = NoEc2()
    app = create_app(config=UNLIMITED, dynamodb=aws.dynamodb, sqs=aws.sqs, ec2=ec2, resolver=public_resolver)
    app.test_client_class = keyed_client(aws.key)
    client = app.test_client()
    response = client.post(CAMERA, json=BODY)
    assert response.status_code == 202, response.get_json()
    [body] = Aws(aws.dynamodb, aws.sqs, aws.ec2, aws.table_name, master, aws.instance_id, aws.key_table_name,
                 aws.key, aws.s3, aws.bucket).queue_bodies()
    assert json.loads(body)["task_id"] == response.get_json()["job_id"]
    assert aws.queue_bodies() == [], "nothing goes to the home pool's queue directly"
    assert ec2.used == [] and aws.instance_state() == "stopped"
