"""Reading a job's input images from s3:// or https://, with size and time caps.

An https host is resolved here, every address is checked (public only), and the connection goes to
one of the checked addresses itself, with the host name kept for SNI, the certificate check and the
Host header: DNS cannot answer differently between the check and the connect. Redirects are
followed by hand, each hop checked the same way. Failures are sorted: InputRefused (permanent: not
found, denied, refused address, too large, not an image) and InputTransient (network trouble,
timeouts, server errors: worth a retry).
"""

import io
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

import certifi
import urllib3
from botocore.exceptions import BotoCoreError, ClientError
from PIL import Image, UnidentifiedImageError

from gpujobs import aws_clients
from gpujobs.url_guard import (
    Resolver,
    UnsafeUrl,
    check_addresses,
    check_syntax,
    is_public_address,
    parse_s3_uri,
    system_resolver,
)

MAX_REDIRECTS = 3
CHUNK = 64 * 1024
_PERMANENT_S3 = {"NoSuchKey": "not found", "404": "not found", "NotFound": "not found",
                 "NoSuchBucket": "bucket does not exist", "AccessDenied": "access denied", "403": "access denied"}


class InputRefused(ValueError):
    """The input can never be read as given; the message says why."""


class InputTransient(RuntimeError):
    """Reading the input failed for a reason that may pass."""


class InputFetcher:
    def __init__(self, max_bytes: int, timeout_s: float,
                 s3_client: Callable[[], Any] = lambda: aws_clients.client("s3"),
                 resolver: Resolver = system_resolver,
                 address_allowed: Callable[[str], bool] = is_public_address,
                 ca_certs: str | None = None) -> None:
        self.max_bytes = max_bytes
        self.timeout_s = timeout_s
        self._s3_client = s3_client
        self._resolver = resolver
        self._address_allowed = address_allowed
        self._ca_certs = ca_certs or certifi.where()

    def fetch(self, url: str, deadline: float | None = None) -> bytes:
        """The bytes at `url`, read before `deadline` (time.monotonic(); default now + timeout_s)."""
        deadline = deadline if deadline is not None else time.monotonic() + self.timeout_s
        try:
            check_syntax(url)
        except UnsafeUrl as exc:
            raise InputRefused(f"refused {url}: {exc}") from None
        if urlsplit(url).scheme == "s3":
            return self._fetch_s3(url)
        return self._fetch_https(url, deadline)

    def _fetch_s3(self, url: str) -> bytes:
        bucket, key = parse_s3_uri(url)
        try:
            response = self._s3_client().get_object(Bucket=bucket, Key=key)
            if response.get("ContentLength", 0) > self.max_bytes:
                raise InputRefused(f"image {url} is larger than {self.max_bytes} bytes")
            data = response["Body"].read(self.max_bytes + 1)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _PERMANENT_S3:
                raise InputRefused(f"cannot read {url}: {_PERMANENT_S3[code]}") from None
            raise InputTransient(f"cannot read {url}: {code or 'S3 error'}") from None
        except BotoCoreError as exc:
            raise InputTransient(f"cannot read {url}: {type(exc).__name__}") from None
        if len(data) > self.max_bytes:
            raise InputRefused(f"image {url} is larger than {self.max_bytes} bytes")
        return data

    def _connect_address(self, host: str) -> str:
        try:
            addresses = list(self._resolver(host))
        except UnsafeUrl as exc:
            raise InputTransient(str(exc)) from None
        try:
            check_addresses(host, addresses, self._address_allowed)
        except UnsafeUrl as exc:
            raise InputRefused(str(exc)) from None
        return addresses[0]

    def _fetch_https(self, url: str, deadline: float) -> bytes:
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            parts = urlsplit(current)
            if parts.scheme != "https" or not parts.hostname:
                raise InputRefused(f"refused {current}: only https:// redirects are followed")
            host = parts.hostname
            address = self._connect_address(host)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise InputTransient(f"fetching {url}: no time left within {self.timeout_s:g} s")
            pool = urllib3.HTTPSConnectionPool(
                address, port=parts.port or 443, server_hostname=host, assert_hostname=host,
                cert_reqs="CERT_REQUIRED", ca_certs=self._ca_certs, maxsize=1, retries=False,
                timeout=urllib3.Timeout(connect=min(5.0, remaining), read=remaining))
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            try:
                headers = {"Host": parts.netloc, "User-Agent": "gpujobs-unified-api"}
                response = pool.urlopen("GET", path, headers=headers, redirect=False, preload_content=False,
                                        retries=False)
            except urllib3.exceptions.SSLError as exc:
                raise InputRefused(f"fetching {current}: TLS verification failed ({exc.__class__.__name__})") from None
            except urllib3.exceptions.HTTPError as exc:
                raise InputTransient(f"fetching {current}: {type(exc).__name__}") from None
            try:
                location = response.headers.get("Location")
                if response.status in (301, 302, 303, 307, 308) and location:
                    current = urljoin(current, location)
                    continue
                if response.status in (404, 410):
                    raise InputRefused(f"image not found: {current} (HTTP {response.status})")
                if response.status >= 500 or response.status in (408, 429):
                    raise InputTransient(f"fetching {current} returned HTTP {response.status}")
                if response.status >= 400:
                    raise InputRefused(f"fetching {current} returned HTTP {response.status}")
                return self._read_capped(response, current, deadline)
            finally:
                response.release_conn()
                pool.close()
        raise InputRefused(f"fetching {url}: more than {MAX_REDIRECTS} redirects")

    def _read_capped(self, response: Any, url: str, deadline: float) -> bytes:
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > self.max_bytes:
            raise InputRefused(f"image {url} is larger than {self.max_bytes} bytes")
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in response.stream(CHUNK):
                total += len(chunk)
                if total > self.max_bytes:
                    raise InputRefused(f"image {url} is larger than {self.max_bytes} bytes")
                if time.monotonic() > deadline:
                    raise InputTransient(f"fetching {url}: slower than {self.timeout_s:g} s")
                chunks.append(chunk)
        except urllib3.exceptions.HTTPError as exc:
            raise InputTransient(f"fetching {url}: {type(exc).__name__}") from None
        return b"".join(chunks)


def image_format(data: bytes, url: str) -> tuple[str, str]:
    """(file extension, content type) of an image Pillow reads; InputRefused for anything else."""
    try:
        with Image.open(io.BytesIO(data)) as opened:
            kind = (opened.format or "").lower()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise InputRefused(f"{url} is not an image ComfyUI can read") from None
    extension = {"jpeg": "jpg"}.get(kind, kind or "png")
    return extension, Image.MIME.get(kind.upper(), "application/octet-stream")
