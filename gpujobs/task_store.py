"""The task table in DynamoDB: every read and write of a task row, and the last-activity rows.

Every state change is a conditional write built from the state machine (task_model.ALLOWED) and the
lease rule (task_model.lease_lapsed): workers hold a lease on a processing task (`worker_id`,
`lease_expires_at`); only the holder may finish it, and another worker may take it over only after
the lease lapses, so a duplicate delivery never runs a job to completion twice and a stale worker can
never move a finished job. A refused write returns the row as it found it
(ReturnValuesOnConditionCheckFailure), so callers learn why without reading it again.

The last-activity rows (when a pool's worker last finished a job, for the power logic) live in the
same table under keys no task can have (task ids start with a letter or a digit), with no `status`
attribute, so the status index never sees them. Writes only move the time forward, so two workers
finishing out of order never make the instance look idler than it is. Each pool has its own row,
`#last-activity#<pool>`; without a pool the row is `#last-activity`.

The idempotency rows (`#idempotency#<tenant>#<sha256 of the client's key>`) record which job a
submit with an `Idempotency-Key` made: no `status` and no `tenant` attribute, so neither index sees
them, and the table's TTL removes them after their retention.

The capacity rows (`#gpu-capacity#<pool>`, or `#gpu-capacity`) hold a pool's record of starts AWS
refused for want of GPUs (gpujobs.capacity_policy): only that pool's power run writes it, one run at a
time, and the job status reads it to say why a waiting job's GPU is not up.
"""

from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import Enum
from typing import Any, cast

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from gpujobs.address_redaction import redact_addresses
from gpujobs.capacity_policy import CapacityState
from gpujobs.errors import TaskNotFound, TransitionRejected
from gpujobs.task_model import WAITING_TENANT, Task, TaskStatus, sources_of

STATUS_INDEX = "status-created_at-index"
# A tenant's jobs newest first (the job list).
TENANT_INDEX = "tenant-created_at-index"
# A tenant's pending jobs only (a sparse index on `waiting_tenant`, keys only): the count of waiting jobs.
WAITING_INDEX = "waiting_tenant-created_at-index"
# Rows read per page when filtering the status index by pool (see list_by_status_in_pool).
POOL_PAGE_SIZE = 100
ACTIVITY_KEY = "#last-activity"
CAPACITY_KEY = "#gpu-capacity"
IDEMPOTENCY_KEY = "#idempotency"
# How much of an error message a row keeps.
ERROR_LIMIT = 2000


def error_text(error: str) -> str:
    """A job's error as its row stores it and a client reads it: internal addresses out, clipped. Every
    write of `error_message` goes through here; `last_error`, seen only by operators, keeps the detail."""
    return redact_addresses(error)[:ERROR_LIMIT]


def _with_error_text(task: Task) -> Task:
    return task if task.error_message is None else replace(task, error_message=error_text(task.error_message))


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


def _refused(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _row_of(exc: ClientError) -> Task | None:
    """The row a refused write found (ALL_OLD), or None when there was none."""
    item = exc.response.get("Item")
    return Task.from_item(deserialize(item)) if item else None


def _same_creation(existing: Task, written: Task) -> bool:
    return (existing.created_at, existing.job_type, existing.request_body, existing.tenant) == (
        written.created_at, written.job_type, written.request_body, written.tenant)


def _job_id(comfy_job_id: str | None) -> dict[str, str]:
    return {"comfy_job_id": comfy_job_id} if comfy_job_id else {}


def _held(held_s: int | None) -> dict[str, int] | None:
    """The ADD of an attempt's held time to `gpu_seconds` (never negative: clocks of hosts may differ)."""
    return None if held_s is None else {"gpu_seconds": max(0, int(held_s))}


def activity_key(pool: str | None = None) -> str:
    """The last-activity row's key for `pool` (None or empty: the single-pool row)."""
    return f"{ACTIVITY_KEY}#{pool}" if pool else ACTIVITY_KEY


def idempotency_key(tenant: str, key_digest: str) -> str:
    """The idempotency row's key of a tenant's Idempotency-Key (given as its SHA-256 hex digest)."""
    return f"{IDEMPOTENCY_KEY}#{tenant}#{key_digest}"


@dataclass(frozen=True)
class IdempotencyRecord:
    """What a submit with an Idempotency-Key left: the body's hash, the job, and whether it is done."""

    body_hash: str
    job_id: str
    done: bool
    in_flight_until: int


def capacity_key(pool: str | None = None) -> str:
    """The capacity row's key for `pool` (None or empty: the single-pool row)."""
    return f"{CAPACITY_KEY}#{pool}" if pool else CAPACITY_KEY


class Lease(Enum):
    """Who may change a processing task (the lease rule as conditions)."""

    ANY = ""                                                   # the API, a cancel: whoever holds it
    HELD = "worker_id = :worker"                               # only the holder
    LAPSED = "(attribute_not_exists(lease_expires_at) OR lease_expires_at < :now)"  # only when nobody holds it
    # the claim: the holder again, or anyone once the lease lapsed
    HELD_OR_LAPSED = "(attribute_not_exists(lease_expires_at) OR lease_expires_at < :now OR worker_id = :worker)"


def _condition(sources: frozenset[TaskStatus], lease: Lease) -> tuple[str, dict[str, Any]]:
    """`#s` is one of `sources`, and for processing the lease condition holds. A missing row has no
    status, so no condition holds for it. (DynamoDB refuses redundant parentheses, so they are added
    only where an OR needs them.)"""
    parts, values = [], {}
    for source in sorted(sources):
        key = f":from_{source.value}"
        values[key] = source.value
        if source == TaskStatus.PROCESSING and lease is not Lease.ANY:
            parts.append(f"#s = {key} AND {lease.value}")
        else:
            parts.append(f"#s = {key}")
    return " OR ".join(f"({p})" if " AND " in p and len(parts) > 1 else p for p in parts), values


class TaskStore:
    """Reads and conditionally writes task rows; callers pass `now` so tests control the clock."""

    def __init__(self, table_name: str, dynamodb: Any) -> None:
        self.table_name = table_name
        self.db = dynamodb

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

    def _status_query(self, status: TaskStatus, pool: str | None = None, created_before: int | None = None,
                      **extra: Any) -> dict[str, Any]:
        """Arguments of one Query of the status index for `status`, only `pool`'s tasks when given, only
        tasks created before `created_before` when given (the index's range key: no row past it is read)."""
        names, values = {"#s": "status"}, {":s": {"S": status.value}}
        key = "#s = :s"
        if pool is not None:
            names["#p"], values[":p"] = "pool", {"S": pool}
            extra["FilterExpression"] = "#p = :p"
        if created_before is not None:
            names["#c"], values[":c"] = "created_at", {"N": str(int(created_before))}
            key += " AND #c < :c"
        return {"TableName": self.table_name, "IndexName": STATUS_INDEX, "KeyConditionExpression": key,
                "ExpressionAttributeNames": names, "ExpressionAttributeValues": values, **extra}

    def list_by_status(self, status: TaskStatus, limit: int = 100) -> list[Task]:
        """Newest first, through the status GSI (eventually consistent, as GSIs are)."""
        response = self.db.query(**self._status_query(status, ScanIndexForward=False, Limit=limit))
        return [Task.from_item(deserialize(i)) for i in response.get("Items", [])]

    def _pages(self, query: dict[str, Any], max_read: int) -> Iterator[list[Task]]:
        """The tasks of `query`, one page at a time, until the index ends or `max_read` rows were read
        (DynamoDB applies a FilterExpression after `Limit` rows were read, so a page may match none)."""
        read = 0
        start: dict[str, Any] | None = None
        while read < max_read:
            kwargs = {**query, "Limit": min(POOL_PAGE_SIZE, max_read - read)}
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = self.db.query(**kwargs)
            read += response.get("ScannedCount", 0)
            yield [Task.from_item(deserialize(i)) for i in response.get("Items", [])]
            start = response.get("LastEvaluatedKey")
            if not start:
                return

    def list_by_status_in_pool(self, status: TaskStatus, pool: str, limit: int, max_read: int) -> list[Task]:
        """Newest first, only tasks whose `pool` is `pool`, at most `limit` of them.

        Pages are read until `limit` tasks match, the index ends, or `max_read` rows (of every pool)
        were read. Older tasks of this pool beyond `max_read` newer rows are not seen; callers choose
        the bound knowing that."""
        found: list[Task] = []
        for page in self._pages(self._status_query(status, pool, ScanIndexForward=False), max_read):
            found.extend(page)
            if len(found) >= limit:
                break
        return found[:limit]

    def list_for_tenant(self, tenant: str, limit: int, start: dict[str, Any] | None = None,
                        status: TaskStatus | None = None, job_type: str | None = None,
                        max_read: int = 1000) -> tuple[list[Task], dict[str, Any] | None]:
        """A tenant's jobs newest first from the tenant index, at most `limit`, only those of `status` and
        `job_type` when given, from after `start` (a key this returned); and the key to go on from, or None
        at the end. Filters apply after DynamoDB reads a page, so pages are read until `limit` match or
        `max_read` rows were read: a page may then hold fewer than `limit` jobs and still a next key."""
        names, values = {"#t": "tenant"}, {":t": {"S": tenant}}
        filters = []
        if status is not None:
            names["#s"], values[":s"] = "status", {"S": status.value}
            filters.append("#s = :s")
        if job_type is not None:
            names["#j"], values[":j"] = "job_type", {"S": job_type}
            filters.append("#j = :j")
        found: list[Task] = []
        read = 0
        while True:
            kwargs: dict[str, Any] = {
                "TableName": self.table_name, "IndexName": TENANT_INDEX, "KeyConditionExpression": "#t = :t",
                "ExpressionAttributeNames": names, "ExpressionAttributeValues": values,
                "ScanIndexForward": False, "Limit": max(1, min(POOL_PAGE_SIZE, limit - len(found), max_read - read)),
            }
            if filters:
                kwargs["FilterExpression"] = " AND ".join(filters)
                kwargs["Limit"] = max(1, min(POOL_PAGE_SIZE, max_read - read))
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = self.db.query(**kwargs)
            read += response.get("ScannedCount", 0)
            items = response.get("Items", [])
            for i, item in enumerate(items):
                found.append(Task.from_item(deserialize(item)))
                if len(found) == limit:
                    more = i + 1 < len(items) or bool(response.get("LastEvaluatedKey"))
                    return found, (self.tenant_index_key(found[-1]) if more else None)
            start = response.get("LastEvaluatedKey")
            if not start or read >= max_read:
                return found, start or None

    @staticmethod
    def tenant_index_key(task: Task) -> dict[str, Any]:
        """The tenant index's key of a row: where a list page that ended at it goes on."""
        return {"task_id": {"S": task.task_id}, "tenant": {"S": task.tenant},
                "created_at": {"N": str(task.created_at)}}

    def count_waiting(self, tenant: str, at_most: int) -> int:
        """How many of a tenant's jobs are pending, counting no further than `at_most`: reads only the
        tenant's pending rows (the sparse waiting index), at most `at_most` of them."""
        return self._count({
            "TableName": self.table_name, "IndexName": WAITING_INDEX, "KeyConditionExpression": "#w = :t",
            "ExpressionAttributeNames": {"#w": WAITING_TENANT}, "ExpressionAttributeValues": {":t": {"S": tenant}},
        }, at_most)

    def _count(self, query: dict[str, Any], at_most: int | None = None) -> int:
        """The rows a Query matches, read as COUNT pages, stopping once `at_most` are counted (None: all)."""
        count, start = 0, None
        while at_most is None or count < at_most:
            kwargs: dict[str, Any] = {**query, "Select": "COUNT"}
            if at_most is not None:
                kwargs["Limit"] = at_most - count
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = self.db.query(**kwargs)
            count += response.get("Count", 0)
            start = response.get("LastEvaluatedKey")
            if not start:
                break
        return count if at_most is None else min(count, at_most)

    def list_oldest(self, status: TaskStatus, created_before: int, pool: str | None = None,
                    max_read: int = 1000) -> list[Task]:
        """Oldest first, tasks created before `created_before`, from up to `max_read` rows of the status
        index (only `pool`'s when given): where the power run looks for tasks that can no longer run."""
        query = self._status_query(status, pool, created_before, ScanIndexForward=True)
        return [task for page in self._pages(query, max_read) for task in page]

    def held_by(self, worker_id: str, max_read: int = 1000) -> list[Task]:
        """The processing tasks whose lease names `worker_id` (lapsed or not), for a worker taking back its
        own jobs after a restart. A query of the status index's processing rows filtered by worker: those
        rows are the jobs running anywhere right now, a few per GPU host, never the whole table."""
        query = self._status_query(TaskStatus.PROCESSING)
        query["ExpressionAttributeNames"]["#w"] = "worker_id"
        query["ExpressionAttributeValues"][":w"] = {"S": worker_id}
        query["FilterExpression"] = "#w = :w"
        return [task for page in self._pages(query, max_read) for task in page]

    def count_pending_before(self, created_at: int, at_most: int) -> int:
        """How many jobs are pending that were created in an earlier second than `created_at`, counting no
        further than `at_most`: a COUNT Query of the status index's pending rows, bounded by that range key."""
        return self._count(self._status_query(TaskStatus.PENDING, created_before=created_at), at_most)

    def count_by_status(self, status: TaskStatus) -> int:
        return self._count(self._status_query(status))

    # -- writes ----------------------------------------------------------------------------

    def create(self, task: Task) -> None:
        """Insert a new row (pending, or failed for a message refused before it could run); raises
        TransitionRejected carrying the existing row if the id is taken by another write.

        A put whose answer timed out may have landed, and the client's retry then finds that row: a row
        with this task's creation (time, workflow, request, tenant) is this write's own, not a clash."""
        written = _with_error_text(task)
        try:
            self.db.put_item(
                TableName=self.table_name,
                Item=serialize(written.to_item()),
                ConditionExpression="attribute_not_exists(task_id)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if _refused(exc):
                existing = _row_of(exc)
                if existing is not None and _same_creation(existing, written):
                    return
                raise TransitionRejected(task.task_id, task.status, existing) from None
            raise

    def _update(self, task_id: str, target: TaskStatus, condition: tuple[str, dict[str, Any]],
                sets: dict[str, Any], *, now: int | None = None, worker_id: str | None = None,
                add: dict[str, int] | None = None, returns: bool = False) -> Task | None:
        """SET `sets` if `condition` holds (`target` names the status wanted, for a refusal); with
        `returns`, the row after the write (only the claim needs it: returning rows nobody reads costs
        every write on the hot path)."""
        expression, values = condition
        names = {"#s": "status"}
        attrs = {**values}
        if now is not None:
            attrs[":now"] = now
        if worker_id is not None:
            attrs[":worker"] = worker_id
        parts = []
        for i, (key, value) in enumerate(sets.items()):
            name = "#s" if key == "status" else f"#f{i}"
            names[name] = key
            attrs[f":f{i}"] = value
            parts.append(f"{name} = :f{i}")
        update = "SET " + ", ".join(parts)
        if sets.get("status", TaskStatus.PENDING.value) != TaskStatus.PENDING.value:
            names["#w"] = WAITING_TENANT
            update += " REMOVE #w"  # out of pending: out of the waiting index
        if add:
            update += " ADD " + ", ".join(f"#a{i} :a{i}" for i in range(len(add)))
            for i, (key, value) in enumerate(add.items()):
                names[f"#a{i}"] = key
                attrs[f":a{i}"] = value
        try:
            response = self.db.update_item(
                TableName=self.table_name,
                Key={"task_id": {"S": task_id}},
                UpdateExpression=update,
                ConditionExpression=expression,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=serialize(attrs),
                ReturnValues="ALL_NEW" if returns else "NONE",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if _refused(exc):
                raise TransitionRejected(task_id, target, _row_of(exc)) from None
            raise
        return Task.from_item(deserialize(response["Attributes"])) if returns else None

    def _move(self, task_id: str, target: TaskStatus, lease: Lease, sets: dict[str, Any], **kwargs: Any) -> None:
        """A transition the state machine allows, under `lease`."""
        self._update(task_id, target, _condition(sources_of(target), lease), {"status": target.value, **sets},
                     **kwargs)

    def _while_held(self, task_id: str, worker_id: str, sets: dict[str, Any], now: int,
                    returns: bool = False, add: dict[str, int] | None = None) -> Task | None:
        """A write by the lease holder to its processing task, which stays processing."""
        held = _condition(frozenset({TaskStatus.PROCESSING}), Lease.HELD)
        return self._update(task_id, TaskStatus.PROCESSING, held, {**sets, "updated_at": now},
                            worker_id=worker_id, returns=returns, add=add)

    def claim(self, task_id: str, worker_id: str, now: int, lease_s: int, pool: str | None = None,
              receipt_handle: str | None = None) -> Task:
        """Move to processing for `worker_id`: from pending, or from processing whose lease lapsed
        (or that this worker already holds). Counts the attempt and records the start. With `pool`,
        records it in the same write (attribute `pool`): each pool's power logic counts its own work.
        With `receipt_handle` (the message's), records it too: the holder, restarted, takes it back."""
        sets: dict[str, Any] = {"status": TaskStatus.PROCESSING.value, "worker_id": worker_id, "started_at": now,
                                "updated_at": now, "lease_expires_at": now + lease_s}
        if pool is not None:
            sets["pool"] = pool
        if receipt_handle is not None:
            sets["receipt_handle"] = receipt_handle
        condition = _condition(sources_of(TaskStatus.PROCESSING), Lease.HELD_OR_LAPSED)
        claimed = self._update(task_id, TaskStatus.PROCESSING, condition, sets, now=now, worker_id=worker_id,
                               add={"attempts": 1}, returns=True)
        return cast(Task, claimed)

    def renew_lease(self, task_id: str, worker_id: str, now: int, lease_s: int,
                    progress: float | None = None) -> Task:
        """Extend the holder's lease; with `progress`, record it in the same write (no write per step).
        Returns the row after the write, so the holder learns of a cancel a client asked for."""
        sets: dict[str, Any] = {"lease_expires_at": now + lease_s}
        if progress is not None:
            sets["progress"] = progress
        return cast(Task, self._while_held(task_id, worker_id, sets, now, returns=True))

    def note_retry(self, task_id: str, worker_id: str, error: str, now: int, held_s: int | None = None) -> bool:
        """Record why a job was handed back to the queue and let its lease lapse now (a lease lapses once
        its expiry is past), so the next receive may claim it at once; `held_s` (how long this attempt held
        the job) is added to its `gpu_seconds` in the same write. Only the holder may write; False if it no
        longer holds it."""
        try:
            self._while_held(task_id, worker_id, {"last_error": error[:ERROR_LIMIT], "lease_expires_at": now - 1},
                             now, add=_held(held_s))
        except TransitionRejected:
            return False
        return True

    def complete(self, task_id: str, worker_id: str, result_s3_uri: str, now: int,
                 comfy_job_id: str | None = None, held_s: int | None = None) -> None:
        """The holder's success; `comfy_job_id` (the Unified API's job) and `held_s` (added to
        `gpu_seconds`) ride in the same write."""
        self._move(task_id, TaskStatus.COMPLETED, Lease.HELD,
                   {"result_s3_uri": result_s3_uri, "progress": 1.0, "updated_at": now, "finished_at": now,
                    **_job_id(comfy_job_id)},
                   worker_id=worker_id, add=_held(held_s))

    def fail(self, task_id: str, error_message: str, now: int, worker_id: str | None = None,
             lease: Lease | None = None, comfy_job_id: str | None = None, ended_at: int | None = None,
             held_s: int | None = None) -> None:
        """Fail a task. With `worker_id`, a processing task must be held by that worker; without it
        (the API after a failed enqueue) any non-terminal task may be failed; with `Lease.LAPSED`
        (dead letters) only a pending one or one whose lease has lapsed. `ended_at` (default `now`) is
        its `finished_at`: earlier for a task that stopped long before anyone noticed, so its failure
        does not count as fresh GPU activity."""
        if lease is None:
            lease = Lease.ANY if worker_id is None else Lease.HELD
        self._move(task_id, TaskStatus.FAILED, lease,
                   {"error_message": error_text(error_message), "updated_at": now,
                    "finished_at": now if ended_at is None else min(now, ended_at),
                    **_job_id(comfy_job_id)},
                   now=now if lease in (Lease.LAPSED, Lease.HELD_OR_LAPSED) else None, worker_id=worker_id,
                   add=_held(held_s))

    def cancel(self, task_id: str, now: int, worker_id: str | None = None, reason: str | None = None,
               comfy_job_id: str | None = None, held_s: int | None = None) -> None:
        """Cancel a task: anyone's (the API), or with `worker_id` only the holder's processing task (the
        worker, when the Unified API reports the job cancelled); `reason` goes to `error_message`."""
        sets: dict[str, Any] = {"updated_at": now, "finished_at": now, **_job_id(comfy_job_id)}
        if reason is not None:
            sets["error_message"] = error_text(reason)
        self._move(task_id, TaskStatus.CANCELLED, Lease.ANY if worker_id is None else Lease.HELD, sets,
                   worker_id=worker_id, add=_held(held_s))

    def cancel_pending(self, task_id: str, now: int, reason: str) -> None:
        """A client's cancel of a job no worker has claimed: pending -> cancelled, or TransitionRejected
        carrying the row when it is not pending any more (a worker claimed it meanwhile)."""
        self._update(task_id, TaskStatus.CANCELLED, _condition(frozenset({TaskStatus.PENDING}), Lease.ANY),
                     {"status": TaskStatus.CANCELLED.value, "error_message": error_text(reason),
                      "updated_at": now, "finished_at": now})

    def request_cancel(self, task_id: str, now: int) -> None:
        """A client's cancel of a processing job: mark it for its worker, whose next heartbeat sees the mark
        and cancels the job on the GPU. TransitionRejected carrying the row when it is not processing."""
        self._update(task_id, TaskStatus.CANCELLED, _condition(frozenset({TaskStatus.PROCESSING}), Lease.ANY),
                     {"cancel_requested": True, "updated_at": now})

    def clear_results(self, task_id: str, tenant: str, now: int) -> Task:
        """A client removed a finished job's result objects: the row stays (its status, times and error) with
        `result_s3_uri` cleared and `results_deleted_at` set. Only a finished job of `tenant` is written;
        TransitionRejected carrying the row otherwise. Returns the row after the write."""
        finished = sorted(s.value for s in TaskStatus if s.terminal)
        try:
            response = self.db.update_item(
                TableName=self.table_name, Key={"task_id": {"S": task_id}},
                UpdateExpression="SET result_s3_uri = :none, results_deleted_at = :now, updated_at = :now",
                ConditionExpression=f"#s IN ({', '.join(f':f{i}' for i in range(len(finished)))}) AND tenant = :t",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=serialize({":none": None, ":now": now, ":t": tenant,
                                                     **{f":f{i}": v for i, v in enumerate(finished)}}),
                ReturnValues="ALL_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if _refused(exc):
                raise TransitionRejected(task_id, "results deleted", _row_of(exc)) from None
            raise
        return Task.from_item(deserialize(response["Attributes"]))

    def delete_pending(self, task_id: str) -> None:
        """Remove a row that is still pending (a submit whose message could not be queued); raises
        TransitionRejected carrying the row if it is not pending any more."""
        try:
            self.db.delete_item(
                TableName=self.table_name,
                Key={"task_id": {"S": task_id}},
                ConditionExpression="#s = :pending",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":pending": {"S": TaskStatus.PENDING.value}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if _refused(exc):
                raise TransitionRejected(task_id, "deleted", _row_of(exc)) from None
            raise

    # -- last activity ---------------------------------------------------------------------

    def record_activity(self, now: int, pool: str | None = None) -> bool:
        """Set `pool`'s last-activity time to `now` unless a later one is stored; True if it was written."""
        try:
            self.db.update_item(
                TableName=self.table_name,
                Key={"task_id": {"S": activity_key(pool)}},
                UpdateExpression="SET last_activity_at = :now",
                ConditionExpression="attribute_not_exists(last_activity_at) OR last_activity_at < :now",
                ExpressionAttributeValues={":now": {"N": str(int(now))}},
            )
        except ClientError as exc:
            if _refused(exc):
                return False
            raise
        return True

    def last_activity(self, pool: str | None = None) -> int | None:
        """`pool`'s last recorded activity (epoch seconds), or None if no job of it has finished yet."""
        response = self.db.get_item(
            TableName=self.table_name, Key={"task_id": {"S": activity_key(pool)}}, ConsistentRead=True
        )
        value = response.get("Item", {}).get("last_activity_at", {}).get("N")
        return int(value) if value is not None else None

    # -- idempotent submits ------------------------------------------------------------------

    def reserve_idempotency(self, row_key: str, body_hash: str, job_id: str, now: int, in_flight_s: int,
                            retention_s: int) -> IdempotencyRecord | None:
        """Claim `row_key` for a submit about to make `job_id`: None when claimed (no row, or one whose
        retention ended or whose in-flight time ran out: its submit crashed), else the row that holds it."""
        record = {"task_id": row_key, "body_hash": body_hash, "job_id": job_id, "done": False,
                  "in_flight_until": now + in_flight_s, "created_at": now, "ttl": now + retention_s}
        try:
            self.db.put_item(
                TableName=self.table_name, Item=serialize(record),
                ConditionExpression="attribute_not_exists(task_id) OR #ttl < :now OR "
                                    "(done = :false AND in_flight_until < :now)",
                ExpressionAttributeNames={"#ttl": "ttl"},
                ExpressionAttributeValues={":now": {"N": str(now)}, ":false": {"BOOL": False}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if _refused(exc) and exc.response.get("Item"):
                row = deserialize(exc.response["Item"])
                return IdempotencyRecord(str(row["body_hash"]), str(row["job_id"]), bool(row["done"]),
                                         int(row["in_flight_until"]))
            raise
        return None

    def finish_idempotency(self, row_key: str, job_id: str) -> None:
        """The submit that claimed `row_key` made `job_id`: later duplicates answer with it."""
        self.db.update_item(
            TableName=self.table_name, Key={"task_id": {"S": row_key}}, UpdateExpression="SET done = :true",
            ConditionExpression="job_id = :job", ExpressionAttributeValues={":true": {"BOOL": True},
                                                                             ":job": {"S": job_id}},
        )

    def release_idempotency(self, row_key: str, job_id: str) -> None:
        """The submit that claimed `row_key` made no job (it was refused): the key is free again."""
        try:
            self.db.delete_item(TableName=self.table_name, Key={"task_id": {"S": row_key}},
                                ConditionExpression="job_id = :job AND done = :false",
                                ExpressionAttributeValues={":job": {"S": job_id}, ":false": {"BOOL": False}})
        except ClientError as exc:
            if not _refused(exc):
                raise

    # -- a pool's GPU capacity ---------------------------------------------------------------

    def record_capacity(self, state: CapacityState, now: int, pool: str | None = None) -> None:
        """Store `pool`'s capacity state as of `now` (its power run is the only writer, one run at a time)."""
        item: dict[str, Any] = {
            "task_id": capacity_key(pool),
            "shortfalls": state.shortfalls,
            "types_tried": list(state.types_tried),
            "updated_at": int(now),
        }
        if state.last_shortfall_at is not None:
            item["last_shortfall_at"] = state.last_shortfall_at
        self.db.put_item(TableName=self.table_name, Item=serialize(item))

    def capacity(self, pool: str | None = None) -> CapacityState:
        """`pool`'s capacity state; no row yet means no shortfall."""
        response = self.db.get_item(
            TableName=self.table_name, Key={"task_id": {"S": capacity_key(pool)}}, ConsistentRead=True
        )
        if "Item" not in response:
            return CapacityState()
        row = deserialize(response["Item"])
        last = row.get("last_shortfall_at")
        return CapacityState(
            shortfalls=int(row.get("shortfalls", 0)),
            last_shortfall_at=int(last) if last is not None else None,
            types_tried=tuple(str(t) for t in row.get("types_tried", [])),
        )
