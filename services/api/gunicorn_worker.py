"""gunicorn's gthread worker, answering the errors gunicorn raises itself as the API's JSON errors.

A request gunicorn cannot parse (an over-long request line or header, too many headers, a malformed
line or header) never reaches the app: gunicorn answers with an HTML page of its own. This worker lets
gunicorn decide as before (status, logging, the access log line) and replaces only the page with
`{"error": {"code", "message", "details"}}`: the page is rendered into a buffer and its status line
kept. The messages are fixed text: gunicorn's would echo parts of the request.
"""

import json
from typing import Any

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from services.api.api_errors import HTTP_CODES, error_document


class _PageBuffer:
    """Takes the place of the client socket while gunicorn writes its error page."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def sendall(self, data: bytes) -> None:
        self.data += data


def _status_of(page: bytes) -> tuple[int, str]:
    """(status, reason) from the page's status line; 500 when gunicorn wrote nothing readable."""
    parts = page.split(b"\r\n", 1)[0].split(b" ", 2)
    if len(parts) == 3 and parts[1].isdigit():
        return int(parts[1]), parts[2].decode("latin-1")
    return 500, "Internal Server Error"


class JsonErrorWorker(ThreadWorker):
    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        page = _PageBuffer()
        super().handle_error(req, page, addr, exc)
        status, reason = _status_of(page.data)
        body = json.dumps(error_document(HTTP_CODES.get(status, "http_error"), self._message(status, reason)),
                          separators=(",", ":")).encode()
        head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
        try:
            util.write_nonblock(client, head + body)
        except OSError:
            self.log.debug("Failed to send error message.")

    def _message(self, status: int, reason: str) -> str:
        if status == 414:
            return f"the request line is longer than {self.cfg.limit_request_line} bytes"
        if status == 431:
            return (f"more than {self.cfg.limit_request_fields} header fields, or one longer than "
                    f"{self.cfg.limit_request_field_size} bytes")
        if status == 400:
            return "malformed HTTP request"
        if status >= 500:
            return "internal error; the failure was logged" if status == 500 else reason.lower()
        return reason.lower()
