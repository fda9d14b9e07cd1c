"""Tasks that can no longer run end `failed`, saying why: the power run's sweep.

A task waits on its message: `pending` until a worker receives it, `processing` while a worker holds
its lease. When the message is gone (deleted or purged by hand, expired past the queue's retention, or
never sent because a submit's write landed after its call had timed out), nothing will move the task
again, and it would stay as it is until the row's TTL. Each pool's power run looks, on its schedule:

- `pending` tasks created more than the idle window ago while the queue holds nothing (visible, in
  flight or delayed), where that queue is the only one a pending task's message can be in (one pool, no
  distributor). Behind the distributor a pending task's message may wait in any region's queue, which
  no single run sees, so there only the next rule applies.
- `pending` tasks older than a message can live: the queue's retention; behind the distributor, the
  master queue's and the pool queue's together (a forward starts the message's retention anew), looked
  at by the run that owns the master queue (the home pool's, given MASTER_QUEUE_URL).
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
    """One pool's sweep: its queue, its pool (None: one pool, no distributor), and the master queue when
    this run owns it."""

    store: TaskStore
    sqs: Any
    counter: JobCounter
    clock: Callable[[], float]
    idle_window_s: int
    queue_url: str
    pool: str | None = None
    master_queue_url: str | None = None

    def sweep(self) -> SweepReport:
        now = int(self.clock())
        report = SweepReport()
        own = holding_of(self.sqs, self.queue_url)
        if own.messages == 0:
            for task in self.store.list_oldest(TaskStatus.PROCESSING, now, self.pool, MAX_READ):
                if lease_lapsed(task.lease_expires_at, now - LEASE_GRACE_S):
                    self._fail(task, WORKER_GONE, now, report)
        if self.pool is None:
            if own.messages == 0:
                window_min = self.idle_window_s // 60
                for task in self.store.list_oldest(TaskStatus.PENDING, now - self.idle_window_s, None, MAX_READ):
                    self._fail(task, no_message(window_min), now, report)
            else:
                for task in self.store.list_oldest(TaskStatus.PENDING, now - own.retention_s, None, MAX_READ):
                    self._fail(task, expired(own.retention_s), now, report)
        elif self.master_queue_url:
            lifetime = holding_of(self.sqs, self.master_queue_url).retention_s + own.retention_s
            for task in self.store.list_oldest(TaskStatus.PENDING, now - lifetime, None, MAX_READ):
                self._fail(task, expired(lifetime), now, report)
        if report.failed:
            log.warning("tasks that could no longer run failed", extra={"queue_url": self.queue_url,
                                                                        "failed": report.failed})
        return report

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
