"""Tasks that can no longer run end `failed`, saying why: the power run's sweep.

A task waits on its message: `pending` until a worker receives it, `processing` while a worker holds
its lease. When the message is gone (deleted or purged by hand, expired past the queue's retention, or
never sent because a submit's write landed after its call had timed out), nothing will move the task
again, and it would stay as it is until the row's TTL. Each pool's power run looks, on its schedule:

- `pending` tasks created more than the idle window ago while every queue a pending task's message
  can be in holds nothing (visible, in flight or delayed): with one pool, its queue; behind the
  distributor, the master queue and every pool's queue, read by the run that owns the master queue (the
  home pool's, given MASTER_QUEUE_URL and the other pools' queues as PEER_QUEUES). A queue that cannot
  be read counts as holding something: the rule waits for a run that sees them all.
- `pending` tasks older than a message can live: the queue's retention; behind the distributor, the
  master queue's and the pool queue's together (a forward starts the message's retention anew), looked
  at by the same run, whenever some queue holds messages.
- `processing` tasks of this pool whose lease lapsed more than LEASE_GRACE_S ago while the pool's queue
  holds nothing: their worker stopped, and no message is left to bring them back.

Each is failed by a conditional write (pending, or processing with a lapsed lease): a worker that
claims the task meanwhile wins, and two runs at once fail it once. SQS's counts are approximate and lag
by up to a minute, hence the grace and the idle window: a message is never that new.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from gpujobs.errors import TransitionRejected
from gpujobs.job_metrics import JOBS_FAILED, JobCounter
from gpujobs.task_model import Task, TaskStatus, lease_lapsed
from gpujobs.task_queue import holding_of
from gpujobs.task_store import Lease, TaskStore

log = logging.getLogger(__name__)

# A lapsed lease is left alone this long: the queue's counts may not show a message handed back just now.
LEASE_GRACE_S = 120
# Rows read per status per run, so one run stays short whatever piled up; the next run reads on.
MAX_READ = 500


def no_message(waited_min: int) -> str:
    return (f"no message for this task was left on its queue after {waited_min} min pending (deleted, purged, "
            "or never sent); nothing will run it: submit it again")


def expired(retention_s: int) -> str:
    return (f"pending longer than its queue keeps a message ({retention_s} s): the message expired and "
            "nothing will run it: submit it again")


WORKER_GONE = ("its worker stopped and no message for it is left on the queue (deleted or purged); "
               "nothing will resume it: submit it again")


@dataclass
class SweepReport:
    failed: list[str] = field(default_factory=list)


@dataclass
class StrandedTaskSweep:
    """One pool's sweep: its queue, its pool (None: one pool, no distributor), and, when this run owns
    the master queue, that queue and the other pools' (`peer_queues`, read through `sqs_for(pool)`)."""

    store: TaskStore
    sqs: Any
    counter: JobCounter
    clock: Callable[[], float]
    idle_window_s: int
    queue_url: str
    pool: str | None = None
    master_queue_url: str | None = None
    peer_queues: dict[str, str] = field(default_factory=dict)
    sqs_for: Callable[[str], Any] | None = None

    def sweep(self) -> SweepReport:
        now = int(self.clock())
        report = SweepReport()
        own = holding_of(self.sqs, self.queue_url)
        if own.messages == 0:
            for task in self.store.list_oldest(TaskStatus.PROCESSING, now, self.pool, MAX_READ):
                if lease_lapsed(task.lease_expires_at, now - LEASE_GRACE_S):
                    self._fail(task, WORKER_GONE, now, report)
        if self.pool is None:
            self._fail_pending(lambda: own.messages, own.retention_s, now, report)
        elif self.master_queue_url:
            master = holding_of(self.sqs, self.master_queue_url)
            self._fail_pending(lambda: own.messages + master.messages + self._peer_messages(),
                               master.retention_s + own.retention_s, now, report)
        if report.failed:
            log.warning("tasks that could no longer run failed", extra={"queue_url": self.queue_url,
                                                                        "failed": report.failed})
        return report

    def _fail_pending(self, held: Callable[[], int], lifetime_s: int, now: int, report: SweepReport) -> None:
        """Every queue empty (`held()` 0): pending tasks past the idle window have no message. Otherwise only
        those older than a message can live (`lifetime_s`). The queues are read only when some pending
        task is past the window: the other pools' are in other regions."""
        stale = self.store.list_oldest(TaskStatus.PENDING, now - self.idle_window_s, None, MAX_READ)
        if not stale:
            return
        if held() == 0:
            window_min = self.idle_window_s // 60
            for task in stale:
                self._fail(task, no_message(window_min), now, report)
        else:
            for task in stale:
                if task.created_at < now - lifetime_s:
                    self._fail(task, expired(lifetime_s), now, report)

    def _peer_messages(self) -> int:
        """What the other pools' queues hold together; an unreadable one counts as holding a message."""
        total = 0
        for pool, url in sorted(self.peer_queues.items()):
            sqs = self.sqs_for(pool) if self.sqs_for else self.sqs
            try:
                total += holding_of(sqs, url).messages
            except (ClientError, BotoCoreError) as exc:
                log.warning("pool queue unreadable; pending tasks wait for a run that reads it",
                            extra={"pool": pool, "error": str(exc)})
                total += 1
        return total

    def _fail(self, task: Task, reason: str, now: int, report: SweepReport) -> None:
        # It stopped when its lease lapsed, or (pending) never ran: no fresh activity to keep the GPU on.
        ended_at = task.lease_expires_at if task.status == TaskStatus.PROCESSING else task.created_at
        try:
            self.store.fail(task.task_id, reason, now, lease=Lease.LAPSED, ended_at=ended_at)
        except TransitionRejected as exc:
            log.info("task moved on before the sweep could fail it (now %s)", exc.current,
                     extra={"job_id": task.task_id})
            return
        report.failed.append(task.task_id)
        log.warning("task failed: %s", reason, extra={"job_id": task.task_id, "was": task.status.value})
        self.counter.count(JOBS_FAILED, job_id=task.task_id)
