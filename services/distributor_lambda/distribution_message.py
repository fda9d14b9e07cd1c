"""What the master queue carries, and what the distributor needs from it: an idempotency key and a priority.

Two shapes are accepted, and either is forwarded byte for byte:

* a distribution request: `request_id`, `model_name`, `input_data_url`, `callback_sns_topic`,
  `priority`, `timestamp`, `metadata`; the key is `request:<request_id>`;
* a task message of this project's API (`task_id`, `api_path`, `request_body`;
  gpujobs.task_message), so the API can send to the master queue instead of a single task queue; the
  key is `task:<task_id>`, and the priority is `normal`. Only its task id is checked: the worker runs
  the task row, not the message's copy of the request, and checks a message sent by hand itself.
"""

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from gpujobs.task_message import MessageInvalid, message_from
from gpujobs.workflows import describe_errors

SNS_TOPIC_ARN = r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$"
Priority = Literal["high", "normal", "low"]


class InvalidMessage(ValueError):
    """The body can never be forwarded; retrying it would not help."""


class DistributionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", protected_namespaces=())

    request_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$")
    model_name: str = Field(min_length=1, max_length=256)
    input_data_url: str = Field(pattern=r"^(s3|https?)://\S+$", max_length=2048)
    callback_sns_topic: str | None = Field(default=None, pattern=SNS_TOPIC_ARN)
    priority: Priority = "normal"
    timestamp: AwareDatetime
    metadata: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class Routable:
    """A valid message, reduced to what routing needs."""

    idempotency_key: str
    priority: Priority


def parse_routable(body: str) -> Routable:
    """Validate a master-queue body; raise InvalidMessage saying what is wrong."""
    try:
        raw = json.loads(body)
    except (json.JSONDecodeError, TypeError) as exc:
        raise InvalidMessage(f"body is not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise InvalidMessage("body must be a JSON object")
    if "request_id" in raw:
        try:
            request = DistributionRequest.model_validate(raw)
        except ValidationError as exc:
            raise InvalidMessage(f"invalid distribution request: {describe_errors(exc)}") from None
        return Routable(f"request:{request.request_id}", request.priority)
    if "task_id" in raw:
        try:
            task = message_from(raw)
        except MessageInvalid as exc:
            raise InvalidMessage(str(exc)) from None
        return Routable(f"task:{task.task_id}", "normal")
    raise InvalidMessage("body has neither request_id (distribution request) nor task_id (task message)")

