"""Which image URLs the system will fetch.

The GPU worker downloads these URLs, so an address inside the instance's network (the metadata
service above all) would let a client read what it must not. Only `s3://bucket/key` and
`https://` URLs pass, and an https host must resolve only to public addresses. The check runs on
the resolved addresses, so a DNS name that points at 169.254.169.254 is refused too. An IPv6 address
that carries an IPv4 one (mapped, compatible, translated, NAT64, 6to4) is judged by the IPv4 address a
translator or dual-stack host would reach. A refusal never says what a name resolved to: that would
let a client map the network the system sits in.
"""

import ipaddress
import re
import socket
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from urllib.parse import SplitResult, urlsplit

Resolver = Callable[[str], Iterable[str]]

# S3's naming rules for general purpose buckets: 3-63 lowercase letters, digits, dots and hyphens, a
# letter or digit at each end, no adjacent dots, not an IPv4 address, no reserved prefix or suffix.
_BUCKET = re.compile(r"\A[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]\Z")
_BUCKET_IP = re.compile(r"\A\d+\.\d+\.\d+\.\d+\Z")
_BUCKET_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_BUCKET_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")

# IPv6 prefixes whose last 32 bits are an IPv4 address: IPv4-compatible (deprecated), IPv4-translated
# (SIIT) and the well-known NAT64 prefix. IPv4-mapped and 6to4 have ipaddress properties of their own.
_EMBEDS_IPV4 = tuple(ipaddress.IPv6Network(n) for n in ("::/96", "::ffff:0:0:0/96", "64:ff9b::/96"))
# Not globally reachable in IANA's registry but global to Python's ipaddress before 3.13: the local-use
# NAT64 prefix (an operator's translator, whose IPv4 position depends on a prefix length only it knows)
# and the newer documentation and segment-routing prefixes.
_NOT_GLOBAL_V6 = tuple(ipaddress.IPv6Network(n) for n in ("64:ff9b:1::/48", "3fff::/20", "5f00::/16"))
_resolver_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dns")
RESOLVE_TIMEOUT_S = 3.0


class UnsafeUrl(ValueError):
    """The URL may not be fetched; the message says why in words a client understands."""


class Unresolved(UnsafeUrl):
    """The host did not resolve (now): unlike the other refusals, asking again later may succeed."""


def _split(url: str) -> SplitResult:
    """urlsplit, refusing what it would silently drop (tabs and newlines anywhere) or choke on."""
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise UnsafeUrl("URL contains spaces or control characters")
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError as exc:
        raise UnsafeUrl(f"malformed URL: {str(exc)[:100]}") from None
    return parts


def parse_s3_uri(url: str) -> tuple[str, str]:
    """Split `s3://bucket/key`; raises UnsafeUrl when either part is missing or malformed."""
    parts = _split(url)
    if parts.scheme != "s3":
        raise UnsafeUrl("not an s3:// URL")
    bucket, key = parts.netloc, parts.path.lstrip("/")
    if not is_bucket_name(bucket):
        raise UnsafeUrl(f"invalid S3 bucket name {bucket[:70]!r}")
    if not key:
        raise UnsafeUrl("s3:// URL has no object key")
    return bucket, key


def is_bucket_name(name: str) -> bool:
    return (bool(_BUCKET.match(name)) and ".." not in name and not _BUCKET_IP.match(name)
            and not name.startswith(_BUCKET_RESERVED_PREFIXES) and not name.endswith(_BUCKET_RESERVED_SUFFIXES))


def check_syntax(url: str) -> str:
    """Accept only s3://bucket/key or https://host/...; no credentials in the URL."""
    if len(url) > 2048:
        raise UnsafeUrl("URL longer than 2048 characters")
    parts = _split(url)
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
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and any(ip in net for net in _EMBEDS_IPV4):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(str(embedded))
        if ip.teredo or any(ip in net for net in _NOT_GLOBAL_V6):
            return False
    return ip.is_global and not ip.is_multicast


def system_resolver(host: str) -> list[str]:
    """Resolve with the OS, bounded by RESOLVE_TIMEOUT_S since getaddrinfo has no timeout."""
    future = _resolver_pool.submit(socket.getaddrinfo, host, 443, type=socket.SOCK_STREAM)
    try:
        infos = future.result(timeout=RESOLVE_TIMEOUT_S)
    except FutureTimeout:
        raise Unresolved(f"host {host!r} did not resolve within {RESOLVE_TIMEOUT_S:g} s") from None
    except socket.gaierror:
        raise Unresolved(f"host {host!r} does not resolve") from None
    return [str(info[4][0]) for info in infos]


def check_addresses(host: str, addresses: Iterable[str],
                    allowed: Callable[[str], bool] = is_public_address) -> None:
    """Every address `host` resolved to must be `allowed`; the refusal names the host, never an address."""
    addresses = list(addresses)
    if not addresses:
        raise Unresolved(f"host {host!r} does not resolve")
    if not all(allowed(address) for address in addresses):
        raise UnsafeUrl(f"host {host!r} resolves to a private, loopback, link-local or otherwise non-public address")


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
    check_addresses(host, addresses)
    return url


def is_loopback_address(address: str) -> bool:
    return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback


def check_webhook_url(url: str, allow_loopback: bool = False, resolver: Resolver = system_resolver) -> list[str]:
    """A webhook receiver: https to public addresses only; with `allow_loopback` (a deployment on one
    machine), http or https to loopback addresses too. Returns the addresses checked, which the caller
    connects to (never resolving again, so a name cannot change its answer between check and request)."""
    if len(url) > 2048:
        raise UnsafeUrl("URL longer than 2048 characters")
    parts = _split(url)
    if parts.scheme != "https" and not (allow_loopback and parts.scheme == "http"):
        raise UnsafeUrl("a webhook must be an https:// URL")
    if not parts.hostname:
        raise UnsafeUrl("the webhook URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("credentials in the URL are not accepted")
    host = parts.hostname
    try:
        addresses = [str(ipaddress.ip_address(host))]
    except ValueError:
        addresses = list(resolver(host))
    if not addresses:
        raise Unresolved(f"host {host!r} does not resolve")
    if allow_loopback and all(is_loopback_address(a) for a in addresses):
        return addresses
    if parts.scheme != "https":
        raise UnsafeUrl("a webhook must be an https:// URL unless it is on this machine's loopback")
    check_addresses(host, addresses)
    return addresses
