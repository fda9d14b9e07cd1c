"""Submitting a job: check the image URLs, write the task `pending`, enqueue it, wake the GPU.

The row records what will run: the request as its workflow's model read it, with a seed drawn here
when the workflow has one and the request left it out (every attempt then runs that seed), and the
content hash of the workflow folder it was validated against (`workflow_hash`), which the worker
sends to the Unified API so a GPU host with another version of the folder refuses the job.

Nothing is left half-written: if the enqueue fails after the task row was written, the row is
marked `failed` with the reason (kept, rather than deleted, so the 503's job id can be looked up
and the failure is visible to operators); only if the table refuses that write too is the row
deleted, and if even that fails the error is logged with the job id. A table that does not answer
at all leaves the row to the power run, which ends a task `pending` with nothing on its queue
(services/shutdown_lambda/stranded_tasks.py), as it does a row whose write landed after its call
timed out (the answer was a 503; the write arrived late).

Every AWS call here has the request path's deadlines (gpujobs.aws_clients.REQUEST_PATH): a stalled
dependency costs a submit at most a few seconds and a 503 with Retry-After.
"""

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, ReadTimeoutError
from pydantic import BaseModel

from gpujobs.errors import TransitionRejected
from gpujobs.job_metrics import JOBS_SUBMITTED, JobCounter
from gpujobs.task_message import TaskMessage
from gpujobs.task_model import DEFAULT_RETENTION_S, Task, TaskStatus
from gpujobs.task_store import TaskStore
from gpujobs.url_guard import Resolver, system_resolver
from gpujobs.workflow_spec import WorkflowSpec
from gpujobs.workflows import RequestInvalid, check_request_urls, check_webhook, stored_body
from services.api.api_errors import InvalidRequest, ServiceUnavailable
from services.api.gpu_power import CachedWake
from services.api.job_objects import JobObjects

log = logging.getLogger(__name__)

AWS_ERRORS = (ClientError, BotoCoreError)
# The call's outcome is unknown: the dependency took the request and did not answer in time.
TIMEOUTS = (ConnectTimeoutError, ReadTimeoutError)


def aws_error_code(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        return str(exc.response.get("Error", {}).get("Code") or "ClientError")
    return type(exc).__name__


@dataclass
class JobSubmitter:
    store: TaskStore
    sqs: Any
    queue_url: str
    counter: JobCounter
    gpu: CachedWake | None = None
    resolver: Resolver = system_resolver
    clock: Callable[[], float] = time.time
    retention_s: int = DEFAULT_RETENTION_S
    allow_loopback_webhooks: bool = False  # WEBHOOK_ALLOW_LOOPBACK: a deployment on one machine
    new_id: Callable[[], str] = field(default=lambda: str(uuid.uuid4()))
    objects: JobObjects | None = None  # which s3:// inputs a tenant may name; None: any

    def submit(self, workflow: WorkflowSpec, request: BaseModel, tenant: str, job_id: str | None = None) -> Task:
        """Queue `tenant`'s request its model already accepted (flask-openapi3 validated the body), as job
        `job_id` when given (an idempotent submit chose it), else a new one."""
        try:
            check_request_urls(workflow, request, self.resolver)
            webhook, events = check_webhook(request, self.allow_loopback_webhooks, self.resolver)
        except RequestInvalid as exc:
            raise InvalidRequest(str(exc), exc.details) from None
        self._check_s3_inputs(workflow, request, tenant)
        body = stored_body(workflow, request)
        task = Task.new(job_id or self.new_id(), workflow.api_path, body, int(self.clock()), self.retention_s,
                        workflow_hash=workflow.content_hash, tenant=tenant, webhook=webhook, webhook_events=events)
        extra = {"job_id": task.task_id, "workflow": workflow.name, "tenant": tenant}
        try:
            self.store.create(task)
        except AWS_ERRORS as exc:
            code = aws_error_code(exc)
            log.error("task write failed; nothing queued", extra={**extra, "error": code})
            raise ServiceUnavailable(
                "the task store is unavailable; nothing was queued, retry later",
                {"dependency": "dynamodb", "error": code}, {"Retry-After": "5"},
            ) from None
        message = TaskMessage(task_id=task.task_id, api_path=workflow.api_path, request_body=body)
        try:
            self.sqs.send_message(QueueUrl=self.queue_url, MessageBody=message.to_body())
        except AWS_ERRORS as exc:
            code = aws_error_code(exc)
            log.error("enqueue failed; task abandoned", extra={**extra, "error": code})
            status = self._abandon(task, f"could not be queued: {code}")
            raise ServiceUnavailable(
                "the task queue is unavailable; the job was not queued, retry later",
                {"dependency": "sqs", "error": code, "job_id": task.task_id, "job_status": status},
                {"Retry-After": "5"},
            ) from None
        log.info("job queued", extra=extra)
        self.counter.count(JOBS_SUBMITTED, workflow=workflow.name)
        if self.gpu is not None:
            self.gpu.ensure_starting(task.task_id)
        return task

    def _check_s3_inputs(self, workflow: WorkflowSpec, request: BaseModel, tenant: str) -> None:
        """An s3:// image must be the tenant's upload or in a bucket named for inputs (services/api/job_objects.py)."""
        if self.objects is None:
            return
        for name in workflow.image_fields:
            url = getattr(request, name, None)
            reason = self.objects.input_refusal(url, tenant) if url else None
            if reason is not None:
                raise InvalidRequest(f"{name}: {reason}", [{"loc": [name], "msg": reason, "type": "input_not_allowed"}])

    def _abandon(self, task: Task, reason: str) -> str | None:
        """Leave no pending row without a message: fail it, else delete it. Returns what is left."""
        extra = {"job_id": task.task_id}
        try:
            try:
                self.store.fail(task.task_id, reason, int(self.clock()))
                return TaskStatus.FAILED.value
            except TIMEOUTS:
                # A table that did not answer in time will not answer a delete either, and the request's
                # time is spent: the power run ends the row (pending, and no message on the queue).
                log.error("could not mark the task failed (no answer); the power run will end it",
                          extra=extra, exc_info=True)
                return TaskStatus.PENDING.value
            except AWS_ERRORS:
                log.warning("could not mark the task failed; deleting it", extra=extra, exc_info=True)
            try:
                self.store.delete_pending(task.task_id)
                return None
            except AWS_ERRORS:
                log.error("orphan pending task left behind: could neither fail nor delete it",
                          extra=extra, exc_info=True)
                return TaskStatus.PENDING.value
        except TransitionRejected as exc:
            # The message went out after all and a worker moved the task on: it is in good hands.
            log.warning("the task is %s already; left as it is", exc.current, extra=extra)
            return exc.current.value if exc.current else None
