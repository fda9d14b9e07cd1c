"""Live reads for the power decision: EC2 (state, tags, launch time), SQS counts, the task table.

Nothing here is cached: each decision reads the world again, because the alarm that triggered it
may be minutes late. Clients and the task store are passed in (tests point them at the emulator);
the clock is too.

With a pool (multi-region mode, GPU_POOL) the task table is shared with other pools, so only this
pool's work counts: processing and finished tasks whose `pool` is this pool, and this pool's
last-activity row. Pending tasks are only counted, all pools together: a pending task's pool is
unknown until a worker claims it (the distributor may have sent it to any region), so this pool's
waiting work is what its regional queue shows as visible or delayed messages, bounded by the tasks
that can still use one (a cancelled job's message wakes no GPU).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from gpujobs.power_policy import PowerFacts, ProcessingTask
from gpujobs.task_model import TaskStatus
from gpujobs.task_store import TaskStore

# A single GPU runs a handful of jobs at once at most; more than this many is a sign of trouble,
# and the count still holds the GPU on because any live one does.
PROCESSING_SCAN_LIMIT = 100
# How many recently created finished tasks to read for their finish time (the activity row is the
# main record; these cover a cancelled or failed task the worker never saw).
FINISHED_SCAN_LIMIT = 5
FINISHED_STATUSES = (TaskStatus.COMPLETED, TaskStatus.FAILED, TaskStatus.CANCELLED)
# With a pool, the status index holds every pool's tasks and the pool filter applies after the read
# (TaskStore.list_by_status_in_pool), so a bound on rows read per status keeps a decision cheap.
# Processing rows of all pools together are few (one per running job, plus lapsed leases until the
# power run fails their dead letters); should this pool's live job lie beyond the bound, its in-flight
# message still holds the instance on. Finished rows pile up (30 days of them), and they are only
# a backstop to the activity row, so the newest few hundred suffice.
POOL_PROCESSING_READ_LIMIT = 2000
POOL_FINISHED_READ_LIMIT = 300
QUEUE_ATTRIBUTES = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
]


@dataclass(frozen=True)
class InstanceView:
    state: str | None
    tags: dict[str, str]
    launch_time: int | None


def describe_instance(ec2: Any, instance_id: str) -> InstanceView:
    try:
        reservations = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed"):
            return InstanceView(None, {}, None)
        raise
    instances = [i for r in reservations for i in r.get("Instances", [])]
    if not instances:
        return InstanceView(None, {}, None)
    instance = instances[0]
    launch = instance.get("LaunchTime")
    return InstanceView(
        state=instance["State"]["Name"],
        tags={t["Key"]: t["Value"] for t in instance.get("Tags", [])},
        launch_time=int(launch.timestamp()) if launch is not None else None,
    )


@dataclass
class FactsReader:
    """Reads PowerFacts for one instance, queue and task table with the given clients and clock."""

    instance_id: str
    queue_url: str
    store: TaskStore
    ec2: Any
    sqs: Any
    clock: Callable[[], float]
    pool: str | None = None

    def read(self) -> PowerFacts:
        # A fleet's run reads only the work (its instances come from the group): no instance id.
        instance = describe_instance(self.ec2, self.instance_id) if self.instance_id else InstanceView(None, {}, None)
        attrs = self.sqs.get_queue_attributes(QueueUrl=self.queue_url, AttributeNames=QUEUE_ATTRIBUTES)["Attributes"]
        store = self.store
        if self.pool:
            pending_count, newest_pending = 0, []
            every_pending = store.count_by_status(TaskStatus.PENDING)
            processing = store.list_by_status_in_pool(TaskStatus.PROCESSING, self.pool, PROCESSING_SCAN_LIMIT,
                                                      POOL_PROCESSING_READ_LIMIT)
            finished_tasks = [t for status in FINISHED_STATUSES for t in store.list_by_status_in_pool(
                status, self.pool, FINISHED_SCAN_LIMIT, POOL_FINISHED_READ_LIMIT)]
        else:
            pending_count = every_pending = store.count_by_status(TaskStatus.PENDING)
            newest_pending = store.list_by_status(TaskStatus.PENDING, limit=1) if pending_count else []
            processing = store.list_by_status(TaskStatus.PROCESSING, limit=PROCESSING_SCAN_LIMIT)
            finished_tasks = [t for status in FINISHED_STATUSES
                              for t in store.list_by_status(status, limit=FINISHED_SCAN_LIMIT)]
        finished = [t.finished_at or t.updated_at for t in finished_tasks]
        return PowerFacts(
            now=int(self.clock()),
            instance_id=self.instance_id,
            instance_state=instance.state,
            tags=instance.tags,
            launch_time=instance.launch_time,
            queue_visible=int(attrs.get("ApproximateNumberOfMessages", 0)),
            queue_in_flight=int(attrs.get("ApproximateNumberOfMessagesNotVisible", 0)),
            queue_delayed=int(attrs.get("ApproximateNumberOfMessagesDelayed", 0)),
            pending_count=pending_count,
            newest_pending_created_at=newest_pending[0].created_at if newest_pending else None,
            processing=tuple(ProcessingTask(t.task_id, t.started_at, t.updated_at) for t in processing),
            last_activity_at=store.last_activity(pool=self.pool),
            last_finished_at=max(finished) if finished else None,
            open_tasks=every_pending + len(processing),
        )
