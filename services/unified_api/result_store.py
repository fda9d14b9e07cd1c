"""Results in S3 at comfyui-results/<workflow>/<job_id>/output.png, each object written once.

put_once uses S3's conditional write (If-None-Match: *), so two processes finishing the same job
cannot overwrite each other's object; the loser's 412 means the object is already there.
"""

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from gpujobs import aws_clients


class ResultStore:
    def __init__(self, bucket: str, s3_client: Callable[[], Any] = lambda: aws_clients.client("s3")) -> None:
        self.bucket = bucket
        self._s3 = s3_client

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    def exists(self, key: str) -> bool:
        try:
            self._s3().head_object(Bucket=self.bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def put_once(self, key: str, data: bytes, content_type: str = "image/png") -> bool:
        """True when this call wrote the object, False when it was there already."""
        try:
            self._s3().put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type, IfNoneMatch="*")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("PreconditionFailed", "412", "ConditionalRequestConflict"):
                return False
            raise
        return True
