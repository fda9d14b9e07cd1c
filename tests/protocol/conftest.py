"""Fixtures of every protocol test: S3 in the session's emulator, with a bucket of our own and an input
image in it. The services under test sign as their roles (the session's `roles`, made from the stack)."""

import uuid
from collections.abc import Iterator

import pytest

from gpujobs import aws_clients
from tests.protocol.unified_api.harness import png_bytes


@pytest.fixture(scope="session")
def bucket(emulator: str) -> Iterator[str]:
    name = f"unified-{uuid.uuid4().hex[:12]}"
    aws_clients.client("s3").create_bucket(Bucket=name)
    yield name


@pytest.fixture(scope="session")
def input_url(bucket: str) -> str:
    key = f"inputs/{uuid.uuid4().hex}.png"
    aws_clients.client("s3").put_object(Bucket=bucket, Key=key, Body=png_bytes())
    return f"s3://{bucket}/{key}"
