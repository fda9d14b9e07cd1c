"""The task's state machine: pending -> processing -> completed | failed (and cancelled), and the lease.

A task in a terminal state never moves again; processing may be re-entered by a worker whose
lease on the task has expired (its predecessor crashed), which is how a redelivered message resumes.
ALLOWED and the lease rule below are the only statement of both: TaskStore builds its conditional
writes from them.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class TaskStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED})

ALLOWED: dict[TaskStatus, frozenset[TaskStatus]] = {
    TaskStatus.PENDING: frozenset({TaskStatus.PROCESSING, TaskStatus.FAILED, TaskStatus.CANCELLED}),
    TaskStatus.PROCESSING: frozenset(
        {TaskStatus.PROCESSING, TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED}
    ),
    TaskStatus.COMPLETED: frozenset(),
    TaskStatus.FAILED: frozenset(),
    TaskStatus.CANCELLED: frozenset(),
}


def sources_of(target: TaskStatus) -> frozenset[TaskStatus]:
    """The states from which `target` may be entered; used to build conditional writes."""
    return frozenset(s for s, targets in ALLOWED.items() if target in targets)


def lease_lapsed(lease_expires_at: int | None, now: int) -> bool:
    """The lease rule: a processing task is held by its `worker_id` until `lease_expires_at`; from then
    on (or with no lease at all) it is lapsed and anyone may take it over. TaskStore.LAPSED says the same
    as a condition."""
    return lease_expires_at is None or lease_expires_at < now


# How long finished task rows are kept before DynamoDB's TTL removes them.
DEFAULT_RETENTION_S = 30 * 24 * 3600
# The tenant of a row made without a key: a message sent to the queue by hand. The development key
# `make up` creates belongs to it, so such jobs show up in its list.
DEFAULT_TENANT = "default"
# Set to the tenant only while a row is pending (every move out of pending removes it), so the index keyed
# on it holds exactly the waiting jobs: counting a tenant's waiting jobs reads nothing else.
WAITING_TENANT = "waiting_tenant"
# The error_message of a job a client cancelled, whether the API (pending) or its worker (processing) wrote it.
CANCELLED_BY_CLIENT = "cancelled at the client's request"


@dataclass
class Task:
    """One job as stored in the task table; see docs/state-machine.md for the fields."""

    task_id: str
    status: TaskStatus
    job_type: str
    created_at: int
    updated_at: int
    ttl: int
    request_body: dict[str, Any] = field(default_factory=dict)
    result_s3_uri: str | None = None
    error_message: str | None = None
    comfy_job_id: str | None = None
    worker_id: str | None = None
    attempts: int = 0
    started_at: int | None = None
    finished_at: int | None = None
    lease_expires_at: int | None = None
    # The GPU pool whose worker claimed the task last (multi-region mode); None until then or without pools.
    pool: str | None = None
    # Why the last attempt was handed back to the queue (TaskStore.note_retry); the dead-letter error cites it.
    last_error: str | None = None
    # The content hash of the workflow folder the API validated the request against; None for a row made
    # from a message sent by hand. The GPU side refuses a job whose hash differs from its own folder's.
    workflow_hash: str | None = None
    # 0-1 as the Unified API last reported it, copied by the worker's heartbeat (1.0 once completed).
    progress: float | None = None
    # Whose job it is: the tenant of the API key that submitted it (the tenant index lists by it).
    tenant: str = DEFAULT_TENANT
    # A client asked to cancel the job while it was processing; the worker's heartbeat sees it.
    cancel_requested: bool = False
    # The SQS receipt handle of the message the lease holder received, so that holder, restarted, can
    # make the message visible again at once instead of waiting out its visibility timeout.
    receipt_handle: str | None = None
    # Where the job's webhook deliveries go and which events (gpujobs.webhook_events); None: no webhook.
    webhook: str | None = None
    webhook_events: tuple[str, ...] | None = None
    # Seconds workers held the job, summed over its attempts, each added by the worker's write that ended it.
    gpu_seconds: int = 0
    # When a client removed the job's result objects (DELETE); the row stays, its result_s3_uri cleared.
    results_deleted_at: int | None = None

    def held_at(self, now: int) -> bool:
        """A worker holds this task now: it is processing and its lease has not lapsed."""
        return self.status == TaskStatus.PROCESSING and not lease_lapsed(self.lease_expires_at, now)

    @classmethod
    def new(cls, task_id: str, job_type: str, request_body: dict[str, Any], now: int,
            retention_s: int = DEFAULT_RETENTION_S, workflow_hash: str | None = None,
            tenant: str = DEFAULT_TENANT, webhook: str | None = None,
            webhook_events: tuple[str, ...] | None = None) -> "Task":
        return cls(task_id=task_id, status=TaskStatus.PENDING, job_type=job_type,
                   created_at=now, updated_at=now, ttl=now + retention_s,
                   request_body=request_body, workflow_hash=workflow_hash, tenant=tenant,
                   webhook=webhook, webhook_events=webhook_events if webhook else None)

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> "Task":
        """Build from a deserialised DynamoDB item (numbers arrive as Decimal)."""
        def num(key: str) -> int | None:
            value = item.get(key)
            return None if value is None else int(value)

        return cls(
            task_id=item["task_id"],
            status=TaskStatus(item["status"]),
            job_type=item.get("job_type", ""),
            created_at=num("created_at") or 0,
            updated_at=num("updated_at") or 0,
            ttl=num("ttl") or 0,
            request_body=_plain(item.get("request_body") or {}),
            result_s3_uri=item.get("result_s3_uri"),
            error_message=item.get("error_message"),
            comfy_job_id=item.get("comfy_job_id"),
            worker_id=item.get("worker_id"),
            attempts=num("attempts") or 0,
            started_at=num("started_at"),
            finished_at=num("finished_at"),
            lease_expires_at=num("lease_expires_at"),
            pool=item.get("pool"),
            last_error=item.get("last_error"),
            workflow_hash=item.get("workflow_hash"),
            progress=None if item.get("progress") is None else float(item["progress"]),
            tenant=item.get("tenant") or DEFAULT_TENANT,
            cancel_requested=bool(item.get("cancel_requested", False)),
            receipt_handle=item.get("receipt_handle"),
            webhook=item.get("webhook"),
            webhook_events=None if item.get("webhook_events") is None else tuple(item["webhook_events"]),
            gpu_seconds=num("gpu_seconds") or 0,
            results_deleted_at=num("results_deleted_at"),
        )

    def to_item(self) -> dict[str, Any]:
        """The DynamoDB item of a new row; the nullable fields are written as null so every field exists."""
        item = {
            "task_id": self.task_id,
            "status": self.status.value,
            "job_type": self.job_type,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "ttl": self.ttl,
            "request_body": self.request_body,
            "result_s3_uri": self.result_s3_uri,
            "error_message": self.error_message,
            "comfy_job_id": self.comfy_job_id,
            "workflow_hash": self.workflow_hash,
            "attempts": self.attempts,
            "tenant": self.tenant,
        }
        if self.status is TaskStatus.PENDING:
            item[WAITING_TENANT] = self.tenant
        if self.finished_at is not None:
            item["finished_at"] = self.finished_at
        if self.webhook is not None:  # only rows with a webhook carry its fields
            item["webhook"] = self.webhook
            item["webhook_events"] = list(self.webhook_events or ())
        return item


def _plain(value: Any) -> Any:
    """Turn DynamoDB Decimals back into ints and floats."""
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def job_fields(task: Task) -> dict[str, Any]:
    """The job representation's fields that the row alone holds: the status route's model and a webhook's
    `data` are both built from these."""
    return {
        "job_id": task.task_id,
        "status": task.status,
        "result_s3_uri": task.result_s3_uri,
        "error": task.error_message,
        "created_at": task.created_at,
        "updated_at": task.updated_at,
        "attempts": task.attempts,
        "progress": task.progress,
        "pool": task.pool,
        "started_at": task.started_at,
        "finished_at": task.finished_at,
        "cancel_requested": task.cancel_requested,
        "gpu_seconds": task.gpu_seconds,
        "results_deleted_at": task.results_deleted_at,
    }
