"""ComfyUI's websocket events, read on one thread and handed to a callback.

The socket is opened with the service's stable client_id, so after a restart of the Unified API
ComfyUI sends it the events of the prompts it queued before. The reader reconnects with a backoff;
`healthy()` says whether events can be trusted right now (connected, and not silent while a job
runs), and the job watchers poll GET /history/{id} whenever it says no.
"""

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import websocket

log = logging.getLogger(__name__)

Handler = Callable[[str, dict[str, Any]], None]


class EventStream:
    def __init__(self, ws_url: str, client_id: str, handler: Handler, recv_timeout_s: float = 1.0) -> None:
        self.url = f"{ws_url}?clientId={client_id}"
        self.handler = handler
        self.recv_timeout_s = recv_timeout_s
        self.connected = False
        self.last_message_at = 0.0
        self.connections = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._socket: websocket.WebSocket | None = None

    def start(self) -> "EventStream":
        self._thread = threading.Thread(target=self._run, name="comfyui-events", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        sock = self._socket
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def healthy(self, silence_s: float, busy: bool) -> bool:
        if not self.connected:
            return False
        return not busy or time.monotonic() - self.last_message_at < silence_s

    def _run(self) -> None:
        backoff = 0.1
        while not self._stop.is_set():
            try:
                sock = websocket.create_connection(self.url, timeout=5)
            except (OSError, websocket.WebSocketException) as exc:
                log.debug("ComfyUI websocket: cannot connect (%s); retrying in %.1f s", exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 2.0)
                continue
            backoff = 0.1
            self._socket = sock
            sock.settimeout(self.recv_timeout_s)
            self.connected = True
            self.connections += 1
            self.last_message_at = time.monotonic()
            try:
                self._read(sock)
            finally:
                self.connected = False
                self._socket = None
                with contextlib.suppress(OSError):
                    sock.close()

    def _read(self, sock: websocket.WebSocket) -> None:
        while not self._stop.is_set():
            try:
                message = sock.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except (OSError, websocket.WebSocketException):
                return
            if not message:
                if not sock.connected:
                    return
                continue
            self.last_message_at = time.monotonic()
            if isinstance(message, bytes):
                continue  # preview images
            try:
                event = json.loads(message)
                kind, data = event["type"], event.get("data") or {}
            except (ValueError, KeyError, TypeError):
                continue
            try:
                self.handler(kind, data)
            except Exception:
                log.exception("handling ComfyUI event %s failed", kind)
