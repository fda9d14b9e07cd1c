"""Keeps running jobs' messages hidden and their task leases alive (after dramatiq_sqs's heartbeat).

Every interval one thread renews each running task's lease (the same write records the job's
progress as the Unified API last reported it, so progress costs no write of its own), then extends
the visibility of all the worker's in-flight messages in batches of ten, by the full visibility
timeout (well more than the interval). Leases are renewed first so that, should the worker die, a
lease lapses before its message reappears. A message SQS no longer holds in flight is dropped from
the beat; a lease another worker or a cancel has taken is flagged so the job stops, and so is a cancel a
client asked for (the renewal returns the row, whose `cancel_requested` the API set).
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from gpujobs.errors import TransitionRejected
from gpujobs.task_model import Task
from gpujobs.task_store import TaskStore

log = logging.getLogger(__name__)

# What SQS answers for a message that is no longer in flight (deleted, or received again elsewhere).
GONE_CODES = frozenset({"ReceiptHandleIsInvalid", "MessageNotInflight", "AWS.SimpleQueueService.MessageNotInflight"})


@dataclass
class InFlightJob:
    """One message whose job is running here."""

    receipt_handle: str
    message_id: str
    task_id: str
    message_lost: bool = False
    lease_lost: bool = False
    lost_to: Task | None = None  # the row as the refused write found it, once the lease is lost
    comfy_job_id: str | None = None  # the Unified API's job, once submitted
    progress: float | None = None    # 0-1 as the Unified API last reported it
    cancel_requested: bool = False   # a client asked to cancel it (seen on the row by a beat or the claim)
    started_at: int | None = None    # when this attempt's claim was written (the row's started_at)

    def held_s(self, now: int) -> int | None:
        """How long this attempt has held the job: what its ending write adds to the job's gpu_seconds."""
        return None if self.started_at is None else max(0, now - self.started_at)

    def lose_lease(self, task: Task | None) -> None:
        self.lost_to = task
        self.lease_lost = True


class InFlight:
    """The messages and tasks this worker holds; shared by the job threads and the heartbeat."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # Held for a whole beat: once remove() returns, no beat can still extend that message.
        self.beat_lock = threading.RLock()
        self._jobs: dict[str, InFlightJob] = {}
        self._tasks: set[str] = set()

    def reserve_task(self, task_id: str) -> bool:
        """Claim the task for one thread of this worker; False if another thread here runs it."""
        with self._lock:
            if task_id in self._tasks:
                return False
            self._tasks.add(task_id)
            return True

    def release_task(self, task_id: str) -> bool:
        """Let the task go; True when no other task is reserved here any more."""
        with self._lock:
            self._tasks.discard(task_id)
            return not self._tasks

    def add(self, job: InFlightJob) -> InFlightJob:
        with self._lock:
            self._jobs[job.receipt_handle] = job
        return job

    def remove(self, receipt_handle: str) -> None:
        with self.beat_lock, self._lock:
            self._jobs.pop(receipt_handle, None)

    def snapshot(self) -> list[InFlightJob]:
        with self._lock:
            return list(self._jobs.values())


class Heartbeat:
    """The beat itself (`beat()`, testable alone) and the thread that repeats it."""

    def __init__(self, inflight: InFlight, sqs: Any, queue_url: str, store: TaskStore, worker_id: str,
                 visibility_timeout_s: int, lease_s: int, interval_s: float,
                 clock: Callable[[], float] = time.time) -> None:
        self.inflight = inflight
        self.sqs = sqs
        self.queue_url = queue_url
        self.store = store
        self.worker_id = worker_id
        self.visibility_timeout_s = visibility_timeout_s
        self.lease_s = lease_s
        self.interval_s = interval_s
        self.clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout_s)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.beat()
            except Exception:  # the beat must outlive any one fault; the next beat retries
                log.exception("heartbeat failed")

    def beat(self) -> None:
        with self.inflight.beat_lock:
            jobs = self.inflight.snapshot()
            if not jobs:
                return
            self._renew_leases(jobs)
            self._extend_visibility([j for j in jobs if not j.message_lost])

    def _renew_leases(self, jobs: list[InFlightJob]) -> None:
        now = int(self.clock())
        for job in jobs:
            if job.lease_lost:
                continue
            try:
                row = self.store.renew_lease(job.task_id, self.worker_id, now, self.lease_s, progress=job.progress)
                if row.cancel_requested and not job.cancel_requested:
                    job.cancel_requested = True
                    log.info("a client asked to cancel the job; stopping it", extra={"job_id": job.task_id})
            except TransitionRejected as exc:
                job.lose_lease(exc.task)
                log.warning("task lease lost (now %s); stopping the job", exc.current,
                            extra={"job_id": job.task_id})
            except Exception as exc:
                log.warning("lease renewal failed: %s", exc, extra={"job_id": job.task_id})

    def _extend_visibility(self, jobs: list[InFlightJob]) -> None:
        for start in range(0, len(jobs), 10):
            chunk = jobs[start:start + 10]
            entries = [{"Id": str(i), "ReceiptHandle": j.receipt_handle,
                        "VisibilityTimeout": self.visibility_timeout_s} for i, j in enumerate(chunk)]
            try:
                response = self.sqs.change_message_visibility_batch(QueueUrl=self.queue_url, Entries=entries)
            except ClientError as exc:
                log.warning("visibility heartbeat failed: %s", exc)
                continue
            for failure in response.get("Failed", []):
                job = chunk[int(failure["Id"])]
                if failure.get("Code") in GONE_CODES:
                    job.message_lost = True
                    self.inflight.remove(job.receipt_handle)
                    log.warning("message no longer in flight (%s); dropped from the heartbeat",
                                failure.get("Code"), extra={"job_id": job.task_id, "message_id": job.message_id})
                else:
                    log.warning("visibility heartbeat refused: %s %s", failure.get("Code"),
                                failure.get("Message"), extra={"job_id": job.task_id})
