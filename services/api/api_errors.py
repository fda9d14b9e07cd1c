"""Every failure becomes `{"error": {"code", "message", "details"}}` with the right status (docs/http-api.md).

Handlers cover the API's own errors, werkzeug's HTTP exceptions (unknown routes and methods,
malformed JSON, oversized bodies) and pydantic validation (flask-openapi3 validates request models
itself; its callback is replaced here). An unexpected exception is logged with its traceback and
answered with a generic 500: no exception text ever reaches a client.
"""

import logging
from typing import Any

from flask import Flask, Response, jsonify
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)

# Longest error message text echoed back; long inputs are never repeated whole.
_MESSAGE_LIMIT = 300

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    408: "request_timeout",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    417: "expectation_failed",
    422: "validation_error",
    429: "rate_limited",
    431: "request_header_fields_too_large",
    500: "internal_error",
    501: "not_implemented",
    503: "service_unavailable",
}


class ApiError(Exception):
    """An error the API answers on purpose; `message` is written for the client."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, details: Any = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        self.headers = headers or {}


class MalformedJson(ApiError):
    status, code = 400, "malformed_json"


class Unauthorized(ApiError):
    status, code = 401, "unauthorized"


class JobNotFound(ApiError):
    status, code = 404, "job_not_found"


class UnsupportedMediaType(ApiError):
    status, code = 415, "unsupported_media_type"


class InvalidRequest(ApiError):
    status, code = 422, "validation_error"


class RateLimited(ApiError):
    status, code = 429, "rate_limited"


class ServiceUnavailable(ApiError):
    status, code = 503, "service_unavailable"


def error_document(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The one shape of every error body (the app's and gunicorn's own, services/api/gunicorn_worker.py)."""
    return {"error": {"code": code, "message": message, "details": details}}


def error_response(status: int, code: str, message: str, details: Any = None,
                   headers: dict[str, str] | None = None) -> Response:
    response = jsonify(error_document(code, message, details))
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _clip(text: str) -> str:
    return text if len(text) <= _MESSAGE_LIMIT else text[: _MESSAGE_LIMIT - 1] + "…"


def validation_details(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic errors without the offending input (it may be huge or sensitive)."""
    return [
        {"loc": [str(p) for p in err["loc"]], "msg": _clip(err["msg"]), "type": err["type"]}
        for err in exc.errors(include_url=False, include_input=False, include_context=False)[:20]
    ]


def validation_error_response(exc: ValidationError) -> Response:
    """flask-openapi3's validation_error_callback: our error shape instead of pydantic's raw list."""
    details = validation_details(exc)
    first = details[0] if details else {"loc": [], "msg": "invalid request"}
    where = ".".join(first["loc"]) or "body"
    return error_response(422, "validation_error", f"{where}: {first['msg']}", details)


def _handle_api_error(exc: ApiError) -> Response:
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


def _handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    code = HTTP_CODES.get(status, "http_error")
    message = exc.description or exc.name
    if status == 413:
        message = "request body is too large"
    # Keep the Allow header of a 405 (werkzeug computes it from the routes).
    headers = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}
    return error_response(status, code, _clip(message), None, headers)


def _handle_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error")
    return error_response(500, "internal_error", "internal error; the failure was logged")


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ApiError, _handle_api_error)
    app.register_error_handler(HTTPException, _handle_http_exception)
    app.register_error_handler(Exception, _handle_unexpected)
