"""The SQS message that carries a job to a worker:

    {"task_id": "...", "api_path": "/api/v1/camera-angle/jobs", "request_body": {...}}

The message names a task; what runs is the task row's stored request, which the API validated when
it wrote the row. `api_path` and `request_body` matter only for a message sent by hand for an id no
row has: the worker validates them exactly as a submit is (gpujobs.workflows.validate_request) before
it creates the row. So a message is read here only as far as everyone needs, once per process: a JSON
object with a well-formed `task_id`; the other two fields are kept as they came.
"""

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from gpujobs.task_model import Task, TaskStatus

TASK_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$"
_TASK_ID = re.compile(TASK_ID_PATTERN)
# The attribute the distributor puts on a message it sends to its dead-letter queue: why it refused it.
REJECTION_ATTRIBUTE = "distributor_rejection"


class MessageInvalid(ValueError):
    """The body names no task (not JSON, not an object, no well-formed task_id): nothing can be done with it."""


@dataclass(frozen=True)
class TaskMessage:
    task_id: str
    api_path: Any = None
    request_body: Any = None

    def to_body(self) -> str:
        return json.dumps({"task_id": self.task_id, "api_path": self.api_path, "request_body": self.request_body})

    def failed_task(self, error: str, now: int) -> Task:
        """The row of a task nobody created that can never run (a message sent by hand): failed at once,
        keeping what the message asked for."""
        body = self.request_body if isinstance(self.request_body, dict) else {}
        api_path = self.api_path if isinstance(self.api_path, str) else ""
        return replace(Task.new(self.task_id, api_path, body, now), status=TaskStatus.FAILED,
                       error_message=error, finished_at=now)


def is_task_id(value: object) -> bool:
    return isinstance(value, str) and _TASK_ID.match(value) is not None


def parse_message(body: str) -> TaskMessage:
    """Read a message body as far as a task id; raise MessageInvalid saying what is wrong."""
    try:
        raw = json.loads(body)
    except (json.JSONDecodeError, TypeError) as exc:
        raise MessageInvalid(f"message body is not JSON: {exc}") from None
    return message_from(raw)


def message_from(raw: object) -> TaskMessage:
    """The TaskMessage of a parsed body (see parse_message)."""
    if not isinstance(raw, dict):
        raise MessageInvalid("message body must be a JSON object")
    task_id = raw.get("task_id")
    if not is_task_id(task_id):
        raise MessageInvalid(f"message has no valid task_id (got {task_id!r:.100}; expected {TASK_ID_PATTERN})")
    return TaskMessage(task_id, raw.get("api_path"), raw.get("request_body"))
