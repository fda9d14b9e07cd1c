"""Which webhook events a job's change of state makes, and what each delivery says.

A submit may name a `webhook` and the events it wants (`webhook_events_filter`): `start` (the job left
the queue for a GPU: pending -> processing) and `completed` (the job ended: completed, failed or
cancelled; `data.status` says which). Both by default. The events come from the task table's stream:
`events_for(old, new)` compares a row before and after one write, so a redelivered stream record makes
the same events again, and a worker re-taking a processing job (its predecessor's lease lapsed) makes
none.

Each event has a stable `webhook-id` (`job_<id>_<event>`), the same on every attempt and every
redelivery, so a receiver drops duplicates by it (delivery is at least once). The body is
`{"type": "job.started" | "job.completed", "timestamp": <ISO 8601 of the change>, "data": <the job>}`,
and identical on every attempt: only the `webhook-timestamp` header changes.
"""

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gpujobs.task_model import Task, TaskStatus, job_fields

START, COMPLETED = "start", "completed"
EVENT_NAMES = (START, COMPLETED)
DEFAULT_EVENTS = EVENT_NAMES
EVENT_TYPES = {START: "job.started", COMPLETED: "job.completed"}
# "true" where API and receivers share one machine (`make up`): http:// and https:// to loopback pass too.
WEBHOOK_LOOPBACK_SETTING = "WEBHOOK_ALLOW_LOOPBACK"
# A workflow's api_path is /api/v1/<name>/jobs (gpujobs.workflow_spec checks it).
_API_PATH = re.compile(r"^/api/v1/([^/]+)/jobs$")


@dataclass(frozen=True)
class WebhookEvent:
    """One delivery to make: where, with which id, and the exact body to sign and send."""

    task: Task
    event: str

    @property
    def webhook_id(self) -> str:
        return f"job_{self.task.task_id}_{self.event}"

    @property
    def type(self) -> str:
        return EVENT_TYPES[self.event]

    def body(self) -> bytes:
        stamp = datetime.fromtimestamp(self.task.updated_at, UTC).isoformat().replace("+00:00", "Z")
        payload = {"type": self.type, "timestamp": stamp, "data": job_data(self.task)}
        return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def events_for(old: Task | None, new: Task) -> list[WebhookEvent]:
    """The events one write of the row made, as the row's webhook filter keeps them."""
    if not new.webhook:
        return []
    was = old.status if old is not None else None
    made = []
    if new.status is TaskStatus.PROCESSING and was in (None, TaskStatus.PENDING):
        made.append(START)
    if new.status.terminal and (was is None or not was.terminal):
        made.append(COMPLETED)
    wanted = new.webhook_events if new.webhook_events is not None else DEFAULT_EVENTS
    return [WebhookEvent(new, e) for e in made if e in wanted]


def workflow_name(api_path: str) -> str | None:
    match = _API_PATH.match(api_path)
    return match.group(1) if match else None


def job_data(task: Task) -> dict[str, Any]:
    """The job as the status route shows it, from the row alone (what the route adds by reading other
    things at request time, such as a pool's capacity, is not in a webhook)."""
    return {**job_fields(task), "status": task.status.value, "workflow": workflow_name(task.job_type)}


class WebhookOptions(BaseModel):
    """The submit fields every workflow's request model has besides its inputs (not sent to the GPU)."""

    model_config = ConfigDict(extra="forbid")

    webhook: str | None = Field(
        default=None, max_length=2048,
        description="An https URL to POST the job's events to, signed as Standard Webhooks specify with the "
                    "tenant's webhook secret (docs/webhooks.md). Its host must resolve to public addresses.",
    )
    webhook_events_filter: list[Literal["start", "completed"]] | None = Field(
        default=None, min_length=1, max_length=len(EVENT_NAMES),
        description="Which events to send: `start` (a GPU began the job) and `completed` (it ended: completed, "
                    "failed or cancelled). Default: both. Needs `webhook`.",
    )


WEBHOOK_FIELDS = frozenset(WebhookOptions.model_fields)
