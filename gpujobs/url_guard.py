"""Which image URLs the system will fetch.

The GPU worker downloads these URLs, so an address inside the instance's network (the metadata
service above all) would let a client read what it must not. Only `s3://bucket/key` and
`https://` URLs pass, and an https host must resolve only to public addresses. The check runs on
the resolved addresses, so a DNS name that points at 169.254.169.254 is refused too.
"""

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import urlsplit

Resolver = Callable[[str], Iterable[str]]

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
_resolver_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dns")
RESOLVE_TIMEOUT_S = 3.0


class UnsafeUrl(ValueError):
    """The URL may not be fetched; the message says why in words a client understands."""


def parse_s3_uri(url: str) -> tuple[str, str]:
    """Split `s3://bucket/key`; raises UnsafeUrl when either part is missing or malformed."""
    parts = urlsplit(url)
    if parts.scheme != "s3":
        raise UnsafeUrl("not an s3:// URL")
    bucket, key = parts.netloc, parts.path.lstrip("/")
    if not _BUCKET.match(bucket):
        raise UnsafeUrl(f"invalid S3 bucket name {bucket!r}")
    if not key:
        raise UnsafeUrl("s3:// URL has no object key")
    return bucket, key


def check_syntax(url: str) -> str:
    """Accept only s3://bucket/key or https://host/...; no credentials in the URL."""
    if len(url) > 2048:
        raise UnsafeUrl("URL longer than 2048 characters")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError as exc:
        raise UnsafeUrl(f"malformed URL: {exc}") from None
    if parts.scheme == "s3":
        parse_s3_uri(url)
        return url
    if parts.scheme != "https":
        raise UnsafeUrl("only s3:// and https:// image URLs are accepted")
    if not parts.hostname:
        raise UnsafeUrl("https URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("credentials in the URL are not accepted")
    return url


def is_public_address(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return is_public_address(str(mapped))
        if ip.teredo:
            return False
    return ip.is_global and not ip.is_multicast


def system_resolver(host: str) -> list[str]:
    """Resolve with the OS, bounded by RESOLVE_TIMEOUT_S since getaddrinfo has no timeout."""
    future = _resolver_pool.submit(socket.getaddrinfo, host, 443, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=RESOLVE_TIMEOUT_S)
    except FutureTimeout:
        raise UnsafeUrl(f"host {host!r} did not resolve within {RESOLVE_TIMEOUT_S:g} s") from None
    except socket.gaierror:
        raise UnsafeUrl(f"host {host!r} does not resolve") from None
    return [str(info[4][0]) for info in infos]


def check_fetchable(url: str, resolver: Resolver = system_resolver) -> str:
    """Syntax check, then for https every resolved address must be public."""
    check_syntax(url)
    parts = urlsplit(url)
    if parts.scheme == "s3":
        return url
    host = parts.hostname or ""
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        addresses = list(resolver(host))
    if not addresses:
        raise UnsafeUrl(f"host {host!r} does not resolve")
    for address in addresses:
        if not is_public_address(address):
            raise UnsafeUrl(
                f"host {host!r} resolves to {address}, a private, loopback, link-local "
                "or otherwise non-public address"
            )
    return url
