"""One webhook delivery: check the receiver's address, POST the signed body, retry with backoff.

The address check runs again at every attempt (a name that resolved to a public address at submit may
point inside the network now), and the request goes to the very addresses checked: the connection is
opened to them, with the URL's host name for TLS verification and the Host header, so a name cannot
answer one address to the check and another to the request. Redirects are not followed: a 3xx is the
receiver's answer, and a failed one. 2xx is success; 408, 425, 429, 5xx, a timeout, a refused
connection or a name that did not resolve are retried (`attempts` in all, with exponential backoff and
jitter, each wait bounded by the time left); any other answer, or an address the check refuses, will
not get better and ends the delivery at once.
"""

import http.client
import random
import socket
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from gpujobs.url_guard import Resolver, Unresolved, UnsafeUrl, check_webhook_url, system_resolver

USER_AGENT = "gpu-orchestrator-webhooks/1"
RETRYABLE_STATUSES = frozenset({408, 425, 429})


class Outcome(StrEnum):
    DELIVERED = "delivered"
    RETRY_LATER = "retry_later"  # transient: another invocation may succeed
    REFUSED = "refused"  # permanent: the address or the receiver's answer will not change


@dataclass(frozen=True)
class Attempt:
    status: int | None  # the receiver's HTTP status; None when no answer came
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        return self.status is None or self.status >= 500 or self.status in RETRYABLE_STATUSES


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(host, port, timeout=timeout, context=context)
        self._address = address
        self._context = context

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


def post(url: str, address: str, headers: Mapping[str, str], body: bytes, timeout_s: float,
         context: ssl.SSLContext | None = None) -> Attempt:
    """POST `body` to `url`, connecting to `address`; never follows a redirect."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    # The port is always given: http.client would otherwise read one off an IPv6 host's last colon.
    port = parts.port or (443 if parts.scheme == "https" else 80)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = _PinnedHTTPSConnection(host, port, address, timeout_s, context or ssl.create_default_context())
    else:
        connection = _PinnedHTTPConnection(host, port, address, timeout_s)
    try:
        connection.request("POST", path, body=body, headers={
            "Content-Type": "application/json", "User-Agent": USER_AGENT, **headers})
        response = connection.getresponse()
        response.read(64 * 1024)  # the answer's body is not used; read a bounded part so the socket closes cleanly
        return Attempt(response.status)
    except (OSError, http.client.HTTPException) as exc:
        return Attempt(None, type(exc).__name__)
    finally:
        connection.close()


@dataclass
class Deliverer:
    """Delivers one signed body to one receiver, retrying transient failures within `deadline`."""

    allow_loopback: bool = False
    attempts: int = 3
    timeout_s: float = 10.0
    backoff_s: float = 1.0
    resolver: Resolver = system_resolver
    sleep: Callable[[float], object] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rng: random.Random = field(default_factory=random.Random)
    context: ssl.SSLContext | None = None

    def deliver(self, url: str, sign: Callable[[], dict[str, str]], body: bytes,
                deadline: float) -> tuple[Outcome, Attempt]:
        """`sign()` makes the headers for one attempt (a fresh webhook-timestamp each time). Stops early
        when too little of `deadline` (a `clock` time) is left for another attempt."""
        last = Attempt(None, "not attempted")
        for attempt in range(self.attempts):
            if attempt:
                wait = self.backoff_s * 2 ** (attempt - 1) * (0.5 + self.rng.random())
                if self.clock() + wait + self.timeout_s > deadline:
                    break
                self.sleep(wait)
            try:
                address = check_webhook_url(url, self.allow_loopback, self.resolver)[0]
            except Unresolved as exc:
                last = Attempt(None, str(exc))
                continue
            except UnsafeUrl as exc:
                return Outcome.REFUSED, Attempt(None, str(exc))
            timeout = max(0.1, min(self.timeout_s, deadline - self.clock()))
            last = post(url, address, sign(), body, timeout, self.context)
            if last.ok:
                return Outcome.DELIVERED, last
            if not last.retryable:
                return Outcome.REFUSED, last
        return Outcome.RETRY_LATER, last
