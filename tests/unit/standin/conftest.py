"""In-process moto S3 and the stand-in app built from its factory with a zero-latency config."""

import io
from collections.abc import Iterator
from typing import Any

import pytest
from PIL import Image

from gpujobs import aws_clients
from local.comfyui_standin.app import create_app
from local.comfyui_standin.job_runner import JobRunner
from local.comfyui_standin.result_store import ResultStore
from local.comfyui_standin.standin_config import StandinConfig
from tests.polling import wait_until

BUCKET = "standin-results"
INPUT_KEY = "inputs/pattern.png"
INPUT_SIZE = (96, 64)


def pattern_png(size: tuple[int, int] = INPUT_SIZE, shift: int = 0) -> bytes:
    """A small deterministic colour pattern; `shift` makes a different image of the same size."""
    image = Image.new("RGB", size)
    image.putdata([((x * 9 + shift) % 256, (y * 13) % 256, ((x + y) * 5 + shift) % 256)
                   for y in range(size[1]) for x in range(size[0])])
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def s3(moto_clients: Any) -> Any:
    """The results bucket with two inputs, in the module's moto (the stand-in's client is the shared one)."""
    client = aws_clients.client("s3")
    client.create_bucket(Bucket=BUCKET)
    client.put_object(Bucket=BUCKET, Key=INPUT_KEY, Body=pattern_png())
    client.put_object(Bucket=BUCKET, Key="inputs/reference.png", Body=pattern_png((40, 80), shift=77))
    return client


@pytest.fixture
def make_client(s3: Any) -> Iterator[Any]:
    apps = []

    def build(**overrides: Any) -> Any:
        app = create_app(JobRunner(StandinConfig(**{"latency_s": 0.0, **overrides}), ResultStore(BUCKET)))
        apps.append(app)
        return app.test_client()

    yield build
    for app in apps:
        app.extensions["standin_runner"].shutdown(wait_s=2.0)


@pytest.fixture
def client(make_client: Any) -> Any:
    return make_client()


def _wait_for_job(client: Any, job_id: str, timeout_s: float = 10.0) -> dict[str, Any]:
    """Poll the status until the job ends; fails the test after timeout_s."""

    def ended() -> dict[str, Any] | None:
        body = client.get(f"/api/v1/jobs/{job_id}").get_json()
        return body if body["status"] in ("completed", "failed") else None

    return wait_until(ended, timeout_s, f"job {job_id} to end", every_s=0.01)


def _read_png(s3: Any, uri: str) -> Image.Image:
    bucket, key = uri.removeprefix("s3://").split("/", 1)
    data = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG"
    return image


@pytest.fixture
def wait_for_job() -> Any:
    return _wait_for_job


@pytest.fixture
def read_png(s3: Any) -> Any:
    return lambda uri: _read_png(s3, uri)
