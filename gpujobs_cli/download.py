"""Fetching a finished job's image: a presigned or https URL when the API gives one, else the s3:// URI.

s3:// goes through the shared boto3 factory, so AWS_ENDPOINT_URL points it at the emulator locally.
"""

import os
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from botocore.exceptions import BotoCoreError
from botocore.exceptions import ClientError as BotoClientError

from gpujobs import aws_clients
from gpujobs.url_guard import UnsafeUrl, parse_s3_uri
from gpujobs_cli.http import ClientError

URL_FIELDS = ("result_url", "presigned_url", "result_presigned_url", "download_url")


class DownloadFailed(ClientError):
    exit_code = 6


def result_source(job: dict[str, Any]) -> str | None:
    for name in URL_FIELDS:
        value = job.get(name)
        if isinstance(value, str) and value.startswith(("https://", "http://")):
            return value
    uri = job.get("result_s3_uri")
    return uri if isinstance(uri, str) and uri else None


def target_path(job: dict[str, Any], out_dir: Path, source: str) -> Path:
    suffix = Path(urlsplit(source).path).suffix or ".png"
    prefix = f"{job['workflow']}-" if isinstance(job.get("workflow"), str) else ""
    return out_dir / f"{prefix}{job['job_id']}{suffix}"


def download_result(job: dict[str, Any], out_dir: Path, timeout_s: float = 60.0) -> Path:
    """Save the result into out_dir (created if missing) and return the file's path."""
    source = result_source(job)
    if source is None:
        raise DownloadFailed(f"job {job.get('job_id')} has no result to download")
    out_dir.mkdir(parents=True, exist_ok=True)
    target = target_path(job, out_dir, source)
    data = _read_s3(source) if source.startswith("s3://") else _read_http(source, timeout_s)
    # Write beside the target and rename, so a reader never sees half a file.
    with tempfile.NamedTemporaryFile(dir=out_dir, delete=False, prefix=".partial-") as handle:
        handle.write(data)
    os.replace(handle.name, target)
    return target


def _read_s3(uri: str) -> bytes:
    try:
        bucket, key = parse_s3_uri(uri)
        return aws_clients.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except UnsafeUrl as exc:
        raise DownloadFailed(f"cannot download {uri}: {exc}") from None
    except BotoClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "error")
        raise DownloadFailed(f"cannot download {uri}: {code}") from None
    except BotoCoreError as exc:
        raise DownloadFailed(f"cannot download {uri}: {exc}") from None


def _read_http(url: str, timeout_s: float) -> bytes:
    try:
        response = requests.get(url, timeout=timeout_s)
    except requests.RequestException as exc:
        raise DownloadFailed(f"cannot download {url}: {type(exc).__name__}") from None
    if response.status_code != 200:
        raise DownloadFailed(f"cannot download {url}: HTTP {response.status_code}")
    return response.content
