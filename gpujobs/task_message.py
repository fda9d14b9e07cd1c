"""The SQS message that carries a job to a worker, in the design's exact format (SPEC section 4):

    {"task_id": "...", "api_path": "/api/v1/camera-angle/jobs", "request_body": {...}}

Operators send these by hand with the AWS CLI, so parsing is strict about the three fields and
says exactly what is wrong.
"""

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from gpujobs.workflows import BY_API_PATH, Workflow

TASK_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
_TASK_ID = re.compile(TASK_ID_PATTERN)


class MessageInvalid(ValueError):
    """The body cannot be run; `task_id` is set when the body named one, so its task can be failed."""

    def __init__(self, reason: str, task_id: str | None = None) -> None:
        super().__init__(reason)
        self.task_id = task_id


class TaskMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    task_id: str = Field(pattern=TASK_ID_PATTERN)
    api_path: str
    request_body: dict[str, Any]

    def to_body(self) -> str:
        return json.dumps(
            {"task_id": self.task_id, "api_path": self.api_path, "request_body": self.request_body}
        )

    @property
    def workflow(self) -> Workflow:
        return BY_API_PATH[self.api_path]


def parse_message(body: str) -> TaskMessage:
    """Parse and validate a message body, including the request body against its workflow."""
    try:
        raw = json.loads(body)
    except (json.JSONDecodeError, TypeError) as exc:
        raise MessageInvalid(f"message body is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise MessageInvalid("message body must be a JSON object")
    named = raw.get("task_id")
    task_id = named if isinstance(named, str) and _TASK_ID.match(named) else None
    try:
        message = TaskMessage.model_validate(raw)
    except ValidationError as exc:
        raise MessageInvalid(f"invalid message: {_first_errors(exc)}", task_id) from None
    workflow = BY_API_PATH.get(message.api_path)
    if workflow is None:
        raise MessageInvalid(
            f"unknown api_path {message.api_path!r}; expected one of {sorted(BY_API_PATH)}", task_id
        )
    try:
        workflow.request_model.model_validate(message.request_body)
    except ValidationError as exc:
        raise MessageInvalid(f"invalid request_body: {_first_errors(exc)}", task_id) from None
    return message


def _first_errors(exc: ValidationError, limit: int = 3) -> str:
    parts = []
    for err in exc.errors()[:limit]:
        where = ".".join(str(p) for p in err["loc"]) or "body"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
