"""The S3 objects of jobs as the API hands them out: presigned result downloads, presigned input uploads,
which `s3://` inputs a tenant may name, and removing a finished job's results.

Layout of the results bucket (RESULTS_BUCKET): the Unified API writes a job's images under
`comfyui-results/<workflow>/<job_id>/`; a tenant's uploads go to `uploads/<tenant>/<uuid>.<ext>`. The
bucket's lifecycle rules expire both prefixes after the retention of task rows (terraform/modules/
results_bucket), so nothing here has to clean up after a job.

Presigning is local (no AWS call): a URL carries the API role's signature and is worth what the role may
do with that object, for `expiry_s`. So the role may read only `comfyui-results/*` and write only
`uploads/*` (terraform/modules/api/iam.tf), and a URL never reaches beyond those prefixes.

An `s3://` input must name an object the tenant uploaded (`uploads/<tenant>/...` in the results bucket) or
any object of a bucket the deployment names for inputs (INPUT_BUCKETS, the GPU's `input_bucket_names`):
another tenant's upload or a result could otherwise be fed to a job and read back as its output.
"""

import posixpath
import uuid
from dataclasses import dataclass
from typing import Any

from gpujobs.url_guard import UnsafeUrl, parse_s3_uri

RESULTS_PREFIX = "comfyui-results/"
UPLOADS_PREFIX = "uploads/"
# The image types an upload may declare, and the extension its key gets.
UPLOAD_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}


def upload_prefix(tenant: str) -> str:
    """Where `tenant`'s uploads go (tenant names are A-Z, a-z, 0-9, '.', '_', '-': no '/' can escape it)."""
    return f"{UPLOADS_PREFIX}{tenant}/"


@dataclass(frozen=True)
class Upload:
    """A presigned PUT: send the image's bytes with exactly these headers, then pass `s3_uri` as an input."""

    s3_uri: str
    url: str
    headers: dict[str, str]
    expires_in: int


@dataclass
class JobObjects:
    s3: Any
    bucket: str | None                 # RESULTS_BUCKET; None: no presigning, s3:// inputs only from input_buckets
    input_buckets: frozenset[str]      # buckets whose every object may be an input
    result_url_expiry_s: int = 3600
    upload_expiry_s: int = 900

    def result_url(self, result_s3_uri: str | None) -> str | None:
        """A presigned GET of a result in the results bucket; None for anything else (or no result)."""
        if not result_s3_uri or not self.bucket:
            return None
        try:
            bucket, key = parse_s3_uri(result_s3_uri)
        except UnsafeUrl:
            return None
        if bucket != self.bucket or not key.startswith(RESULTS_PREFIX):
            return None
        return str(self.s3.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=self.result_url_expiry_s))

    def upload(self, tenant: str, content_type: str) -> Upload:
        """A new key under the tenant's prefix and a presigned PUT for it; `content_type` is signed, so the
        upload must send that Content-Type."""
        if not self.bucket:
            raise LookupError("no results bucket: uploads are not available")
        key = f"{upload_prefix(tenant)}{uuid.uuid4()}.{UPLOAD_TYPES[content_type]}"
        url = self.s3.generate_presigned_url(
            "put_object", Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=self.upload_expiry_s)
        return Upload(f"s3://{self.bucket}/{key}", str(url), {"Content-Type": content_type}, self.upload_expiry_s)

    def input_refusal(self, url: str, tenant: str) -> str | None:
        """Why `tenant` may not name the s3:// object `url` as an input, or None when it may (and for any
        URL that is not s3://: the address check judges those)."""
        if not url.startswith("s3://"):
            return None
        bucket, key = parse_s3_uri(url)
        if bucket in self.input_buckets:
            return None
        prefix = upload_prefix(tenant)
        if bucket == self.bucket and posixpath.normpath(key).startswith(prefix) and key.startswith(prefix):
            return None
        return (f"s3:// inputs must be your uploads (POST /api/v1/uploads: s3://{self.bucket}/{prefix}...)"
                if self.bucket else "s3:// inputs are not accepted here") + (
                    f" or objects of the input buckets ({', '.join(sorted(self.input_buckets))})"
                    if self.input_buckets else "")

    def result_prefix(self, result_s3_uri: str | None, *job_ids: str | None) -> str | None:
        """The folder of a job's result objects in the results bucket (`comfyui-results/<workflow>/<id>/`, the id
        the Unified API ran it as, derived from the task id), or None when the URI is not one written for a job
        of `job_ids`."""
        if not result_s3_uri or not self.bucket:
            return None
        try:
            bucket, key = parse_s3_uri(result_s3_uri)
        except UnsafeUrl:
            return None
        folder = posixpath.dirname(key)
        if (bucket != self.bucket or not key.startswith(RESULTS_PREFIX) or posixpath.basename(folder) not in job_ids
                or posixpath.normpath(folder) != folder):
            return None
        return folder + "/"

    def delete_results(self, prefix: str) -> int:
        """Delete every object under `prefix` (a job's result folder: its few images, one call each); returns
        how many. The bucket is versioned, so each becomes a delete marker: GETs answer 404 at once and the
        bytes, kept as a noncurrent version, go after the bucket's noncurrent retention."""
        deleted = 0
        token: str | None = None
        while True:
            kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix, "MaxKeys": 1000}
            if token:
                kwargs["ContinuationToken"] = token
            page = self.s3.list_objects_v2(**kwargs)
            for item in page.get("Contents", []):
                self.s3.delete_object(Bucket=self.bucket, Key=item["Key"])
                deleted += 1
            token = page.get("NextContinuationToken")
            if not token:
                return deleted
