"""Messages that reached the dead-letter queue leave their task `failed`, saying so.

SQS moves a message to the DLQ after the task queue's receive limit, which happens when its job
failed transiently too often or its worker died each time. The sweep (run by the worker every so
often, and callable by the power Lambda) reads the DLQ and, for each message, fails its task with
"moved to the dead-letter queue after N receives: <last error>", where the last error is what the
worker noted when it last handed the message back (`note_retry_error`).

A task whose lease is still held by a live worker is left alone (a duplicate message of a running
job can reach the DLQ); its DLQ message is hidden and looked at again later. Once the task is
final, the DLQ message is deleted: the task row keeps the error, the log keeps the body, and
redriving it could not run the job again anyway.
"""

import json
import logging
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from gpujobs import aws_clients, job_metrics
from gpujobs.task_model import TERMINAL, Task, TaskStatus
from gpujobs.task_store import TaskStore, deserialize, serialize

log = logging.getLogger(__name__)

NO_ERROR_NOTED = "no error was recorded (the worker stopped before it could finish the job)"


@dataclass
class SweepReport:
    failed: list[str] = field(default_factory=list)
    already_final: list[str] = field(default_factory=list)
    still_running: list[str] = field(default_factory=list)
    unreadable: int = 0


def _condition_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def note_retry_error(table_name: str, task_id: str, worker_id: str, error: str, now: int,
                     dynamodb: Any = None) -> bool:
    """Record why a job was handed back to the queue and let its lease lapse now, so the next
    receive may claim it at once. Only the lease holder may write; False if it no longer holds it."""
    db = dynamodb if dynamodb is not None else aws_clients.task_table_client()
    try:
        db.update_item(
            TableName=table_name,
            Key={"task_id": {"S": task_id}},
            UpdateExpression="SET last_error = :e, lease_expires_at = :now, updated_at = :now",
            ConditionExpression="#s = :processing AND worker_id = :w",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=serialize(
                {":e": error[:1000], ":now": now, ":processing": TaskStatus.PROCESSING.value, ":w": worker_id}),
        )
    except ClientError as exc:
        if _condition_failed(exc):
            return False
        raise
    return True


def _fail_unless_held(db: Any, table_name: str, task_id: str, error: str, now: int) -> bool:
    """Fail a pending task, or a processing one whose lease has lapsed; never one a worker holds."""
    try:
        db.update_item(
            TableName=table_name,
            Key={"task_id": {"S": task_id}},
            UpdateExpression="SET #s = :failed, error_message = :e, updated_at = :now, finished_at = :now",
            ConditionExpression=(
                "attribute_exists(task_id) AND (#s = :pending OR (#s = :processing AND "
                "(attribute_not_exists(lease_expires_at) OR lease_expires_at < :now)))"
            ),
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues=serialize({
                ":failed": TaskStatus.FAILED.value, ":e": error[:2000], ":now": now,
                ":pending": TaskStatus.PENDING.value, ":processing": TaskStatus.PROCESSING.value,
            }),
        )
    except ClientError as exc:
        if _condition_failed(exc):
            return False
        raise
    return True


def _task_id_of(body: str) -> tuple[str | None, dict[str, Any]]:
    try:
        raw = json.loads(body)
    except (json.JSONDecodeError, TypeError):
        return None, {}
    if not isinstance(raw, dict) or not isinstance(raw.get("task_id"), str) or not raw["task_id"]:
        return None, {}
    return raw["task_id"], raw


def max_receives_of(queue_url: str, sqs: Any = None) -> int | None:
    """The task queue's redrive limit (maxReceiveCount), or None if it has no redrive policy."""
    sqs = sqs if sqs is not None else aws_clients.client("sqs")
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])
    policy = attributes.get("Attributes", {}).get("RedrivePolicy")
    if not policy:
        return None
    return int(json.loads(policy)["maxReceiveCount"])


def sweep_dead_letters(dlq_url: str, table_name: str, now: int, *, max_receives: int | None = None,
                       sqs: Any = None, dynamodb: Any = None, max_messages: int = 100,
                       recheck_after_s: int = 300) -> SweepReport:
    """Fail the tasks of up to `max_messages` DLQ messages (conditional writes) and delete them.

    `max_receives` is the task queue's redrive limit, used in the error text; without it the
    message's own receive count is used. Safe to run from several places at once.
    """
    sqs = sqs if sqs is not None else aws_clients.client("sqs")
    db = dynamodb if dynamodb is not None else aws_clients.task_table_client()
    store = TaskStore(table_name, db)
    report = SweepReport()
    seen = 0
    while seen < max_messages:
        response = sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=min(10, max_messages - seen), WaitTimeSeconds=0,
            VisibilityTimeout=60, AttributeNames=["ApproximateReceiveCount"],
        )
        messages = response.get("Messages", [])
        if not messages:
            break
        seen += len(messages)
        for message in messages:
            if _settle(message, store, db, table_name, now, max_receives, report):
                sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
            else:
                sqs.change_message_visibility(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"],
                                              VisibilityTimeout=recheck_after_s)
    return report


def _settle(message: dict[str, Any], store: TaskStore, db: Any, table_name: str, now: int,
            max_receives: int | None, report: SweepReport) -> bool:
    """Record the dead letter's outcome; True once it may be deleted."""
    task_id, raw = _task_id_of(message.get("Body", ""))
    if task_id is None:
        report.unreadable += 1
        log.error("dead letter names no task; deleted", extra={"message_id": message.get("MessageId"),
                                                               "body": message.get("Body", "")[:1000]})
        return True
    received = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
    count = max_receives if max_receives is not None else max(1, received - 1)
    response = db.get_item(TableName=table_name, Key={"task_id": {"S": task_id}}, ConsistentRead=True)
    item = deserialize(response["Item"]) if "Item" in response else None
    if item is None:
        body = raw.get("request_body") if isinstance(raw.get("request_body"), dict) else {}
        api_path = raw.get("api_path") if isinstance(raw.get("api_path"), str) else ""
        store.create_if_absent(Task.new(task_id, api_path, body, now))
        item = {"status": TaskStatus.PENDING.value}
    status = TaskStatus(item["status"])
    if status in TERMINAL:
        report.already_final.append(task_id)
        log.info("dead letter of a task already %s; deleted", status.value, extra={"job_id": task_id})
        return True
    lease = item.get("lease_expires_at")
    if status == TaskStatus.PROCESSING and lease is not None and int(lease) >= now:
        report.still_running.append(task_id)
        log.info("dead letter of a task a worker still runs; looked at again later", extra={"job_id": task_id})
        return False
    error = f"moved to the dead-letter queue after {count} receives: {item.get('last_error') or NO_ERROR_NOTED}"
    if _fail_unless_held(db, table_name, task_id, error, now):
        report.failed.append(task_id)
        log.warning("task failed: %s", error, extra={"job_id": task_id, "message_id": message.get("MessageId")})
        job_metrics.count(job_metrics.JOBS_FAILED, "worker", job_id=task_id)
        return True
    # The row changed between the read and the write: look again on the next sweep.
    report.still_running.append(task_id)
    return False
