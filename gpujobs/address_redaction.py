"""Internal addresses taken out of error text before it is stored where a client reads it (a job's `error`).

A job's error is built from what went wrong on the GPU host: connection errors to the Unified API or
ComfyUI on loopback, botocore's endpoint URLs, a private host an input redirected to. Clients need the
reason, not the layout of the network behind the API, so every private, loopback or link-local
address (IPv4 or IPv6, with its port), internal host name (`localhost`, `*.internal`, `*.local`,
`*.localdomain`, the single-label host of a URL) and urllib3's `host='...', port=N` is replaced by
`<internal>`. Public addresses and names (a client's own image URL) stay as they are.
"""

import ipaddress
import re
from urllib.parse import urlsplit

from gpujobs.url_guard import is_public_address

INTERNAL = "<internal>"

_PORT = r"(?::\d{1,5})?"
# The authority of a URL of any scheme but s3 (whose "host" is a bucket name).
_URL_AUTHORITY = re.compile(r"(?P<scheme>\b(?!s3://)[A-Za-z][A-Za-z0-9+.-]*://)(?P<authority>[^/\s'\"<>()?#]+)")
_POOL = re.compile(r"host='(?P<host>[^']*)', port=\d+")
_IPV6_BRACKETED = re.compile(r"\[(?P<host>[0-9A-Fa-f:.]+)(?:%[\w.-]+)?\]" + _PORT)
_IPV4 = re.compile(r"(?<![\w.])(?P<host>\d{1,3}(?:\.\d{1,3}){3})" + _PORT + r"(?![\w.])")
_IPV6 = re.compile(r"(?<![\w:.])(?P<host>(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f.]*)(?:%[\w.-]+)?(?![\w:])")
_INTERNAL_NAME = re.compile(r"(?<![\w.-])(?P<host>localhost|(?:[A-Za-z0-9-]+\.)+(?:internal|local|localdomain))"
                            + _PORT + r"(?![\w.-])", re.IGNORECASE)
_INTERNAL_SUFFIXES = (".internal", ".local", ".localdomain")


def is_internal_host(host: str) -> bool:
    """An IP address that is not public, `localhost`, a name under an internal suffix, or a single-label
    name (which only a local resolver can answer)."""
    host = host.strip("[]").split("%", 1)[0].rstrip(".").lower()
    if not host:
        return False
    try:
        return not is_public_address(host)
    except ValueError:
        pass
    return host == "localhost" or host.endswith(_INTERNAL_SUFFIXES) or "." not in host


def _ip_internal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return is_internal_host(host)


def redact_addresses(text: str) -> str:
    def url(match: re.Match[str]) -> str:
        try:
            host = urlsplit("//" + match["authority"]).hostname or ""
        except ValueError:
            host = match["authority"]
        return match["scheme"] + INTERNAL if is_internal_host(host) else match[0]

    def pool(match: re.Match[str]) -> str:
        return f"host='{INTERNAL}'" if is_internal_host(match["host"]) else match[0]

    def address(match: re.Match[str]) -> str:
        return INTERNAL if _ip_internal(match["host"]) else match[0]

    text = _URL_AUTHORITY.sub(url, text)
    text = _POOL.sub(pool, text)
    for pattern in (_IPV6_BRACKETED, _IPV4, _IPV6):
        text = pattern.sub(address, text)
    return _INTERNAL_NAME.sub(INTERNAL, text)
