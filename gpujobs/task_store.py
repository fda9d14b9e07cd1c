"""The task table in DynamoDB. Every state change is a conditional write (SPEC section 4).

Workers hold a lease on a processing task (`worker_id`, `lease_expires_at`): only the holder may
finish it, and another worker may take it over only after the lease lapses, so a duplicate
delivery never runs a job to completion twice and a stale worker can never move a finished job.
"""

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from gpujobs import aws_clients
from gpujobs.errors import TaskNotFound, TransitionRejected
from gpujobs.task_model import Task, TaskStatus, sources_of

STATUS_INDEX = "status-created_at-index"
# Rows read per page when filtering the status index by pool (see list_by_status_in_pool).
POOL_PAGE_SIZE = 100

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


# DynamoDB numbers stop at 1E-130; a smaller float (valid JSON, e.g. a cfg of 5e-324) is stored as 0.
_SMALLEST_NUMBER = 1e-130


def _to_dynamo(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(0) if abs(value) < _SMALLEST_NUMBER else Decimal(str(value))
    if isinstance(value, dict):
        return {k: _to_dynamo(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_dynamo(v) for v in value]
    return value


def serialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_to_dynamo(v)) for k, v in item.items()}


def deserialize(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def _condition_failed(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class TaskStore:
    """Reads and conditionally writes task rows; callers pass `now` so tests control the clock."""

    def __init__(self, table_name: str, dynamodb: Any = None) -> None:
        self.table_name = table_name
        self._db = dynamodb

    @property
    def db(self) -> Any:
        if self._db is None:
            self._db = aws_clients.task_table_client()
        return self._db

    # -- reads -----------------------------------------------------------------------------

    def find(self, task_id: str) -> Task | None:
        response = self.db.get_item(
            TableName=self.table_name, Key={"task_id": {"S": task_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        return Task.from_item(deserialize(item)) if item else None

    def get(self, task_id: str) -> Task:
        task = self.find(task_id)
        if task is None:
            raise TaskNotFound(task_id)
        return task

    def _status_query(self, status: TaskStatus, pool: str | None = None, **extra: Any) -> dict[str, Any]:
        """Arguments of one Query of the status index for `status`, only `pool`'s tasks when given."""
        names, values = {"#s": "status"}, {":s": {"S": status.value}}
        if pool is not None:
            names["#p"], values[":p"] = "pool", {"S": pool}
            extra["FilterExpression"] = "#p = :p"
        return {"TableName": self.table_name, "IndexName": STATUS_INDEX, "KeyConditionExpression": "#s = :s",
                "ExpressionAttributeNames": names, "ExpressionAttributeValues": values, **extra}

    def list_by_status(self, status: TaskStatus, limit: int = 100) -> list[Task]:
        """Newest first, through the status GSI (eventually consistent, as GSIs are)."""
        response = self.db.query(**self._status_query(status, ScanIndexForward=False, Limit=limit))
        return [Task.from_item(deserialize(i)) for i in response.get("Items", [])]

    def list_by_status_in_pool(self, status: TaskStatus, pool: str, limit: int, max_read: int) -> list[Task]:
        """Newest first, only tasks whose `pool` is `pool`, at most `limit` of them.

        DynamoDB applies a FilterExpression after `Limit` rows were read, so one page may hold
        none of this pool's tasks while the index holds more: pages are read until `limit` tasks
        match, the index ends, or `max_read` rows (of every pool) were read. Older tasks of this
        pool beyond `max_read` newer rows are not seen; callers choose the bound knowing that."""
        found: list[Task] = []
        read = 0
        start: dict[str, Any] | None = None
        while len(found) < limit and read < max_read:
            kwargs = self._status_query(status, pool, ScanIndexForward=False,
                                        Limit=min(POOL_PAGE_SIZE, max_read - read))
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = self.db.query(**kwargs)
            read += response.get("ScannedCount", 0)
            found.extend(Task.from_item(deserialize(i)) for i in response.get("Items", []))
            start = response.get("LastEvaluatedKey")
            if not start:
                break
        return found[:limit]

    def count_by_status(self, status: TaskStatus) -> int:
        count, start = 0, None
        while True:
            kwargs = self._status_query(status, Select="COUNT")
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = self.db.query(**kwargs)
            count += response.get("Count", 0)
            start = response.get("LastEvaluatedKey")
            if not start:
                return count

    # -- writes ----------------------------------------------------------------------------

    def create(self, task: Task) -> None:
        """Insert a new pending task; raises TransitionRejected if the id is taken."""
        try:
            self.db.put_item(
                TableName=self.table_name,
                Item=serialize(task.to_item()),
                ConditionExpression="attribute_not_exists(task_id)",
            )
        except ClientError as exc:
            if _condition_failed(exc):
                raise TransitionRejected(task.task_id, TaskStatus.PENDING, "existing") from None
            raise

    def create_if_absent(self, task: Task) -> bool:
        """Insert unless a row exists (a hand-sent message names a task nobody created)."""
        try:
            self.create(task)
        except TransitionRejected:
            return False
        return True

    def _update(self, task_id: str, target: TaskStatus, condition: str, sets: dict[str, Any],
                values: dict[str, Any], add: dict[str, int] | None = None) -> Task:
        names = {"#s": "status"}
        attrs = {":target": target.value, **values}
        parts = ["#s = :target"]
        for i, (key, value) in enumerate(sets.items()):
            names[f"#f{i}"] = key
            attrs[f":f{i}"] = value
            parts.append(f"#f{i} = :f{i}")
        expression = "SET " + ", ".join(parts)
        if add:
            expression += " ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(add)))
            for i, (key, value) in enumerate(add.items()):
                names[f"#a{i}"] = key
                attrs[f":a{i}"] = value
        try:
            response = self.db.update_item(
                TableName=self.table_name,
                Key={"task_id": {"S": task_id}},
                UpdateExpression=expression,
                ConditionExpression=f"attribute_exists(task_id) AND ({condition})",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=serialize(attrs),
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _condition_failed(exc):
                current = self.find(task_id)
                raise TransitionRejected(
                    task_id, target, current.status if current else None
                ) from None
            raise
        return Task.from_item(deserialize(response["Attributes"]))

    @staticmethod
    def _status_in(statuses: frozenset[TaskStatus], prefix: str) -> tuple[str, dict[str, Any]]:
        ordered = sorted(statuses)
        keys = [f":{prefix}{i}" for i in range(len(ordered))]
        return f"#s IN ({', '.join(keys)})", {k: s.value for k, s in zip(keys, ordered, strict=True)}

    def claim(self, task_id: str, worker_id: str, now: int, lease_s: int, pool: str | None = None) -> Task:
        """Move to processing for `worker_id`: from pending, or from processing whose lease lapsed
        (or that this worker already holds). Counts the attempt and records the start. With `pool`,
        records it in the same write (attribute `pool`): each pool's power logic counts its own work."""
        condition = (
            "#s = :pending OR (#s = :target AND "
            "(attribute_not_exists(lease_expires_at) OR lease_expires_at < :now OR worker_id = :w))"
        )
        sets: dict[str, Any] = {"worker_id": worker_id, "started_at": now, "updated_at": now,
                                "lease_expires_at": now + lease_s}
        if pool is not None:
            sets["pool"] = pool
        return self._update(
            task_id, TaskStatus.PROCESSING, condition, sets,
            {":pending": TaskStatus.PENDING.value, ":now": now, ":w": worker_id},
            add={"attempts": 1},
        )

    def renew_lease(self, task_id: str, worker_id: str, now: int, lease_s: int) -> Task:
        return self._update(
            task_id, TaskStatus.PROCESSING, "#s = :target AND worker_id = :w",
            {"lease_expires_at": now + lease_s, "updated_at": now}, {":w": worker_id},
        )

    def set_comfy_job_id(self, task_id: str, worker_id: str, comfy_job_id: str, now: int) -> Task:
        return self._update(
            task_id, TaskStatus.PROCESSING, "#s = :target AND worker_id = :w",
            {"comfy_job_id": comfy_job_id, "updated_at": now}, {":w": worker_id},
        )

    def complete(self, task_id: str, worker_id: str, result_s3_uri: str, now: int) -> Task:
        return self._update(
            task_id, TaskStatus.COMPLETED, "#s = :processing AND worker_id = :w",
            {"result_s3_uri": result_s3_uri, "error_message": None, "updated_at": now,
             "finished_at": now},
            {":processing": TaskStatus.PROCESSING.value, ":w": worker_id},
        )

    def fail(self, task_id: str, error_message: str, now: int, worker_id: str | None = None) -> Task:
        """Fail a task. With `worker_id`, a processing task must be held by that worker; without
        it (the API after a failed enqueue, the DLQ sweep) any non-terminal task may be failed."""
        if worker_id is None:
            condition, values = self._status_in(sources_of(TaskStatus.FAILED), "from")
        else:
            condition = "#s = :pending OR (#s = :processing AND worker_id = :w)"
            values = {":pending": TaskStatus.PENDING.value,
                      ":processing": TaskStatus.PROCESSING.value, ":w": worker_id}
        return self._update(
            task_id, TaskStatus.FAILED, condition,
            {"error_message": error_message[:2000], "updated_at": now, "finished_at": now},
            values,
        )

    def cancel(self, task_id: str, now: int) -> Task:
        condition, values = self._status_in(sources_of(TaskStatus.CANCELLED), "from")
        return self._update(
            task_id, TaskStatus.CANCELLED, condition,
            {"updated_at": now, "finished_at": now}, values,
        )
