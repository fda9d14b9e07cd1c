"""When the GPU worker last finished a job, for the power logic that stops an idle instance.

Kept as one row of the task table under a key no task can have (task ids start with a letter or a
digit), with no `status` attribute so the status index never sees it. Writes only move the time
forward, so two workers finishing out of order never make the instance look idler than it is.

In the multi-region mode several pools share the table, and one pool's finished job must not keep
another pool's instance on: each pool has its own row, `#last-activity#<pool>` (still starting
with `#`, so still no task's key); without a pool the row is `#last-activity`, as before.
"""

from typing import Any

from botocore.exceptions import ClientError

from gpujobs import aws_clients

ACTIVITY_KEY = "#last-activity"


def activity_key(pool: str | None = None) -> str:
    """The row's key for `pool` (None or empty: the single-pool row)."""
    return f"{ACTIVITY_KEY}#{pool}" if pool else ACTIVITY_KEY


def _db(dynamodb: Any) -> Any:
    return dynamodb if dynamodb is not None else aws_clients.task_table_client()


def record_activity(table_name: str, now: int, dynamodb: Any = None, pool: str | None = None) -> bool:
    """Set `pool`'s last-activity time to `now` unless a later one is stored; True if it was written."""
    try:
        _db(dynamodb).update_item(
            TableName=table_name,
            Key={"task_id": {"S": activity_key(pool)}},
            UpdateExpression="SET last_activity_at = :now",
            ConditionExpression="attribute_not_exists(last_activity_at) OR last_activity_at < :now",
            ExpressionAttributeValues={":now": {"N": str(int(now))}},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def last_activity(table_name: str, dynamodb: Any = None, pool: str | None = None) -> int | None:
    """`pool`'s last recorded activity (epoch seconds), or None if no job of it has finished yet."""
    response = _db(dynamodb).get_item(
        TableName=table_name, Key={"task_id": {"S": activity_key(pool)}}, ConsistentRead=True
    )
    value = response.get("Item", {}).get("last_activity_at", {}).get("N")
    return int(value) if value is not None else None
