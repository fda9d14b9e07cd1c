"""Webhook receivers on loopback for the tests: real HTTP servers, each answering one way."""

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from gpujobs.webhook_signature import InvalidSignature, verify


@dataclass
class Receiver:
    """What it got (headers, body) and how it answers: `status`, `location` for a redirect, `stall` to
    hold each request until released (a receiver slower than the delivery's timeout)."""

    status: int = 204
    location: str | None = None
    secret: str | None = None  # when set, answers 401 to a delivery whose signature does not verify
    stall: bool = False
    fail_first: int = 0  # answer 500 to this many requests first
    host: str = "127.0.0.1"  # "::1" for a receiver on IPv6 loopback
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    server: Any = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://[{host}]:{port}/hooks" if ":" in host else f"http://{host}:{port}/hooks"


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            receiver.received.append((headers, body))
            if receiver.stall:
                receiver.release.wait(10)
            status = 500 if len(receiver.received) <= receiver.fail_first else receiver.status
            if receiver.secret is not None:
                try:
                    verify(receiver.secret, headers, body, now=float(headers.get("webhook-timestamp", 0)))
                except InvalidSignature:
                    status = 401
            receiver.answered.append(status)
            self.send_response(status)
            if receiver.location:
                self.send_header("Location", receiver.location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def running(receiver: Receiver) -> Iterator[Receiver]:
    """Serve `receiver` on its loopback host (a free port) until the generator is closed."""
    server_class = type("Server", (ThreadingHTTPServer,), {
        "address_family": socket.AF_INET6 if ":" in receiver.host else socket.AF_INET})
    receiver.server = server_class((receiver.host, 0), _handler(receiver))
    receiver.server.daemon_threads = True
    thread = threading.Thread(target=receiver.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        receiver.server.shutdown()
        receiver.server.server_close()
        thread.join(timeout=5)
