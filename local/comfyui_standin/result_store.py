"""Where results go: s3://<results bucket>/comfyui-results/<workflow>/<job id>/output.png."""

from collections.abc import Callable
from typing import Any

from gpujobs import aws_clients


def result_key(workflow: str, job_id: str) -> str:
    return f"comfyui-results/{workflow}/{job_id}/output.png"


class ResultStore:
    def __init__(self, bucket: str, s3_client: Callable[[], Any] = lambda: aws_clients.client("s3")) -> None:
        self.bucket = bucket
        self._s3_client = s3_client

    def put_png(self, workflow: str, job_id: str, data: bytes) -> str:
        key = result_key(workflow, job_id)
        self._s3_client().put_object(Bucket=self.bucket, Key=key, Body=data, ContentType="image/png")
        return f"s3://{self.bucket}/{key}"
