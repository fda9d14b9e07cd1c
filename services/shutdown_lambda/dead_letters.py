"""Messages that reached a dead-letter queue leave their task `failed`, saying so.

Every dead-letter queue has one owner: the power run of its pool (the Lambda, or local/power_timer.py),
which runs on its schedule while the GPU sleeps, where no worker can. It drains its pool's DLQ
(SQS_DLQ_URL) and, in the home pool with the distributor, the distributor's (MASTER_DLQ_URL).

SQS moves a message to the pool's DLQ after the task queue's receive limit, which happens when its
job failed transiently too often or its worker died each time. Its task is failed with
"moved to the dead-letter queue after N receives: <last error>", where the last error is what the
worker noted when it last handed the message back (TaskStore.note_retry). The distributor's DLQ holds
task messages it could not forward (every region overloaded, receive after receive) or refused (the
reason is in the message's `distributor_rejection` attribute), and distribution requests, which have
no task row: those are logged and deleted.

A task whose lease is still held by a live worker is left alone (a duplicate message of a running job
can reach the DLQ); its dead letter is hidden and looked at again on a later run. Once the task is
final, the dead letter is deleted: the task row keeps the error, the log keeps the body, and redriving
it could not run the job again anyway. A body that names no task is logged and deleted.
"""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gpujobs.errors import TransitionRejected
from gpujobs.job_metrics import JOBS_FAILED, JobCounter
from gpujobs.task_message import REJECTION_ATTRIBUTE, MessageInvalid, message_from
from gpujobs.task_model import TERMINAL, Task
from gpujobs.task_queue import max_receives_of
from gpujobs.task_store import Lease, TaskStore

log = logging.getLogger(__name__)

# How long a dead letter of a task a worker still holds stays hidden before the next look.
RECHECK_AFTER_S = 300
# Dead letters settled per queue per run, so one run stays short whatever piled up.
MAX_MESSAGES = 50


@dataclass(frozen=True)
class DeadLetterQueue:
    """One DLQ and how to word the failure of its tasks."""

    url: str
    name: str
    unexplained: str
    """The error when nothing better is known."""
    source_queue_url: str | None = None
    """The queue that dead-letters into it, whose redrive limit the error names (None: use the message's count)."""


def pool_dlq(dlq_url: str, queue_url: str) -> DeadLetterQueue:
    return DeadLetterQueue(dlq_url, "dead-letter queue",
                           "no error was recorded (the worker stopped before it could finish the job)", queue_url)


def distributor_dlq(dlq_url: str) -> DeadLetterQueue:
    return DeadLetterQueue(dlq_url, "distributor's dead-letter queue",
                           "the distributor could not forward it to any regional queue")


@dataclass
class DrainReport:
    failed: list[str] = field(default_factory=list)
    already_final: list[str] = field(default_factory=list)
    still_running: list[str] = field(default_factory=list)
    unreadable: int = 0
    requests: int = 0
    """Distribution requests (no task row) logged and deleted."""
    stranded: list[str] = field(default_factory=list)
    """Tasks the run's sweep failed because no message was left to run them (stranded_tasks.py)."""

    def add(self, other: "DrainReport") -> None:
        self.failed += other.failed
        self.already_final += other.already_final
        self.still_running += other.still_running
        self.unreadable += other.unreadable
        self.requests += other.requests
        self.stranded += other.stranded


class DeadLetterDrain:
    """Settles the dead letters of the given queues: conditional writes on the task rows, then deletes."""

    def __init__(self, store: TaskStore, sqs: Any, counter: JobCounter, clock: Callable[[], float]) -> None:
        self.store = store
        self.sqs = sqs
        self.counter = counter
        self.clock = clock

    def drain(self, queue: DeadLetterQueue, max_messages: int = MAX_MESSAGES) -> DrainReport:
        """Fail the tasks of up to `max_messages` dead letters and delete them. Safe to run from several
        places at once: every write is conditional."""
        report = DrainReport()
        max_receives: int | None = None
        seen = 0
        while seen < max_messages:
            response = self.sqs.receive_message(
                QueueUrl=queue.url, MaxNumberOfMessages=min(10, max_messages - seen), WaitTimeSeconds=0,
                VisibilityTimeout=60, AttributeNames=["ApproximateReceiveCount"],
                MessageAttributeNames=[REJECTION_ATTRIBUTE],
            )
            messages = response.get("Messages", [])
            if not messages:
                break
            if max_receives is None and queue.source_queue_url:
                max_receives = max_receives_of(self.sqs, queue.source_queue_url)
            seen += len(messages)
            for message in messages:
                if self._settle(message, queue, max_receives, report):
                    self.sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
                else:
                    self.sqs.change_message_visibility(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"],
                                                       VisibilityTimeout=RECHECK_AFTER_S)
        if report.failed or report.unreadable or report.requests:
            log.info("dead letters settled", extra={"queue_url": queue.url, "failed": report.failed,
                                                    "unreadable": report.unreadable, "requests": report.requests})
        return report

    def _settle(self, message: dict[str, Any], queue: DeadLetterQueue, max_receives: int | None,
                report: DrainReport) -> bool:
        """Record the dead letter's outcome; True once it may be deleted."""
        body = message.get("Body", "")
        extra: dict[str, Any] = {"message_id": message.get("MessageId"), "queue_url": queue.url}
        rejection = message.get("MessageAttributes", {}).get(REJECTION_ATTRIBUTE, {}).get("StringValue")
        raw = _object_or_none(body)
        try:
            task_message = message_from(raw)
        except MessageInvalid:
            if isinstance(raw, dict) and "request_id" in raw:
                report.requests += 1
                log.warning("dead-lettered distribution request deleted (it has no task row)",
                            extra={**extra, "request_id": raw.get("request_id"), "reason": rejection})
                return True
            report.unreadable += 1
            log.error("dead letter names no task; deleted", extra={**extra, "body": body[:1000], "reason": rejection})
            return True
        task_id = task_message.task_id
        extra["job_id"] = task_id
        now = int(self.clock())
        task = self.store.find(task_id)
        if task is not None and task.status in TERMINAL:
            report.already_final.append(task_id)
            log.info("dead letter of a task already %s; deleted", task.status.value, extra=extra)
            return True
        if task is not None and task.held_at(now):
            report.still_running.append(task_id)
            log.info("dead letter of a task a worker still runs; looked at again later", extra=extra)
            return False
        received = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        error = self._error(queue, task, rejection, max_receives if max_receives is not None else max(1, received - 1))
        try:
            if task is None:
                self.store.create(task_message.failed_task(error, now))
            else:
                self.store.fail(task_id, error, now, lease=Lease.LAPSED)
        except TransitionRejected as exc:
            # The row changed since it was read: final now, or a worker took it up again.
            if exc.current in TERMINAL:
                report.already_final.append(task_id)
                return True
            report.still_running.append(task_id)
            return False
        report.failed.append(task_id)
        log.warning("task failed: %s", error, extra=extra)
        self.counter.count(JOBS_FAILED, job_id=task_id)
        return True

    @staticmethod
    def _error(queue: DeadLetterQueue, task: Task | None, rejection: str | None, receives: int) -> str:
        if rejection:
            return f"rejected by the distributor: {rejection}"
        noted = task.last_error if task is not None else None
        return f"moved to the {queue.name} after {receives} receives: {noted or queue.unexplained}"


def _object_or_none(body: str) -> Any:
    try:
        return json.loads(body)
    except (json.JSONDecodeError, TypeError):
        return None

