"""Reading input images from s3:// (through the shared AWS endpoint) or https://.

An https URL is re-checked here with the URL guard, because this process is the one that fetches
it: the API checked the address when the job was submitted, but DNS may answer differently now.
Redirects are followed by hand so each hop is checked too. Every read has a timeout and a size cap.
"""

from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from botocore.exceptions import BotoCoreError, ClientError

from gpujobs import aws_clients
from gpujobs.url_guard import Resolver, UnsafeUrl, check_fetchable, parse_s3_uri, system_resolver

MAX_REDIRECTS = 3
_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}


class ImageUnavailable(RuntimeError):
    """The input image cannot be read; the message is what the failed job reports."""


class ImageFetcher:
    def __init__(
        self,
        max_bytes: int,
        timeout_s: float,
        s3_client: Callable[[], Any] = lambda: aws_clients.client("s3"),
        session: requests.Session | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self._s3_client = s3_client
        self._session = session or requests.Session()
        self._resolver = resolver

    def fetch(self, url: str) -> bytes:
        scheme = urlsplit(url).scheme
        if scheme == "s3":
            return self._fetch_s3(url)
        if scheme == "https":
            return self._fetch_https(url)
        raise ImageUnavailable(f"unsupported image URL scheme {scheme!r}: {url}")

    def _fetch_s3(self, url: str) -> bytes:
        try:
            bucket, key = parse_s3_uri(url)
        except UnsafeUrl as exc:
            raise ImageUnavailable(f"invalid image URL {url}: {exc}") from None
        try:
            response = self._s3_client().get_object(Bucket=bucket, Key=key)
            if response.get("ContentLength", 0) > self.max_bytes:
                raise ImageUnavailable(f"image {url} is larger than {self.max_bytes} bytes")
            data = response["Body"].read(self.max_bytes + 1)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _NOT_FOUND:
                raise ImageUnavailable(f"image not found: {url}") from None
            if code == "NoSuchBucket":
                raise ImageUnavailable(f"image not found: bucket {bucket!r} does not exist ({url})") from None
            if code in {"AccessDenied", "403"}:
                raise ImageUnavailable(f"access denied reading {url}") from None
            raise ImageUnavailable(f"could not read {url}: {code or 'S3 error'}") from None
        except BotoCoreError as exc:
            raise ImageUnavailable(f"could not read {url}: {type(exc).__name__}") from None
        if len(data) > self.max_bytes:
            raise ImageUnavailable(f"image {url} is larger than {self.max_bytes} bytes")
        return data

    def _fetch_https(self, url: str) -> bytes:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                check_fetchable(current, self._resolver)
            except UnsafeUrl as exc:
                raise ImageUnavailable(f"refused to fetch {current}: {exc}") from None
            try:
                response = self._session.get(
                    current, stream=True, allow_redirects=False, timeout=(min(5.0, self.timeout_s), self.timeout_s)
                )
            except requests.RequestException as exc:
                raise ImageUnavailable(f"could not fetch {current}: {type(exc).__name__}") from None
            with response:
                if response.is_redirect and response.headers.get("Location"):
                    current = urljoin(current, response.headers["Location"])
                    continue
                if response.status_code in (404, 410):
                    raise ImageUnavailable(f"image not found: {url} (HTTP {response.status_code})")
                if response.status_code >= 400:
                    raise ImageUnavailable(f"fetching {url} returned HTTP {response.status_code}")
                return self._read_capped(response, url)
        raise ImageUnavailable(f"fetching {url}: more than {MAX_REDIRECTS} redirects")

    def _read_capped(self, response: requests.Response, url: str) -> bytes:
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in response.iter_content(64 * 1024):
                total += len(chunk)
                if total > self.max_bytes:
                    raise ImageUnavailable(f"image {url} is larger than {self.max_bytes} bytes")
                chunks.append(chunk)
        except requests.RequestException as exc:
            raise ImageUnavailable(f"could not fetch {url}: {type(exc).__name__}") from None
        return b"".join(chunks)
