"""What happens to one message: read it, claim its task, run the task on the Unified API, record the outcome.

`JobRunner.handle` never touches the message itself; it returns a Verdict that says what the worker
must do with it, and only returns DELETE once the outcome is durably in the task table.

What runs is the task row's stored request (the API validated it when it wrote the row), never the
message's copy. A message sent by hand for an id no row has is validated exactly as a submit is
(gpujobs.workflows, the address check included) before its row is created; an
invalid one leaves its row `failed` with the reason.

Running a task is POSTing it to the Unified API with its task id (and the row's workflow hash) and
reading its status until it ends. Nothing is written to the row meanwhile: the Unified API derives
ComfyUI's prompt id from the task id, so a resumed attempt (its predecessor died) or a duplicate
delivery just POSTs again and is answered the job that exists. The job id and the last progress ride
in writes the worker makes anyway (the heartbeat's lease renewal, the outcome).
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import Enum
from typing import Any

from gpujobs.errors import TransitionRejected
from gpujobs.job_metrics import JOBS_COMPLETED, JOBS_FAILED, JobCounter
from gpujobs.settings import Settings
from gpujobs.task_message import MessageInvalid, TaskMessage, parse_message
from gpujobs.task_model import CANCELLED_BY_CLIENT, TERMINAL, Task, TaskStatus
from gpujobs.task_store import TaskStore
from gpujobs.url_guard import Resolver, system_resolver
from gpujobs.workflows import RequestInvalid, Workflows, load_registry, stored_body
from services.adapter.heartbeat import InFlight, InFlightJob
from services.adapter.readiness import Readiness
from services.adapter.retry_policy import Abandoned, GaveUp, Retrier, backoff_delay, is_transient_aws
from services.adapter.unified_api import (
    ApiRejected,
    ApiUnavailable,
    JobStatus,
    JobUnknown,
    UnifiedApi,
    is_transient_api,
)
from services.adapter.worker_config import WorkerConfig

log = logging.getLogger(__name__)


class Action(Enum):
    DELETE = "delete"            # outcome recorded (or nothing left to do): remove the message
    RETRY_LATER = "retry_later"  # transient fault outlived the retries: hide it, the DLQ limit ends it
    DEFER = "defer"              # another worker runs this task: look again when its lease would lapse
    RELEASE = "release"          # shutting down: make it visible again at once
    LEAVE = "leave"              # someone else now owns the message's fate: do not touch it


@dataclass(frozen=True)
class Verdict:
    action: Action
    delay_s: int = 0
    task_id: str | None = None   # the task the message names, for the worker's log lines


@dataclass(frozen=True)
class Completed:
    result_s3_uri: str


@dataclass(frozen=True)
class Failed:
    error: str


@dataclass(frozen=True)
class Cancelled:
    reason: str


Outcome = Completed | Failed | Cancelled


class LeaseLost(RuntimeError):
    """The task is no longer this worker's (cancelled, or taken over after a lapsed lease)."""


class JobRunner:
    """Decides one message's fate. Time comes from `clock` (epoch seconds, for the rows) and from the
    retrier's `monotonic` and `wait` (deadlines and pauses), so tests drive it with a fake clock."""

    def __init__(self, settings: Settings, config: WorkerConfig, store: TaskStore, api: UnifiedApi,
                 inflight: InFlight, retrier: Retrier, counter: JobCounter, *,
                 clock: Callable[[], float] = time.time, resolver: Resolver = system_resolver,
                 workflows: Workflows | None = None, readiness: Readiness | None = None) -> None:
        self.pool = settings.pool
        self.workflows = workflows or load_registry(settings)
        self.config = config
        self.store = store
        self.api = api
        self.inflight = inflight
        self.retrier = retrier
        self.counter = counter
        self.clock = clock
        self.resolver = resolver
        self.readiness = readiness
        self._activity_lock = threading.Lock()
        self._activity_owed: int | None = None

    def _now(self) -> int:
        return int(self.clock())

    def _aws(self, fn: Callable[[], Any], what: str) -> Any:
        return self.retrier.call(fn, is_transient_aws, what)

    # -- the message ----------------------------------------------------------------------

    def handle(self, message: dict[str, Any]) -> Verdict:
        message_id = message.get("MessageId", "?")
        receive_count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
        body = message.get("Body", "")
        try:
            task_message = parse_message(body)
        except MessageInvalid as exc:
            log.error("invalid message, removed from the queue: %s", exc,
                      extra={"message_id": message_id, "body": body[:1000]})
            return Verdict(Action.DELETE)
        job_id = task_message.task_id
        extra = {"job_id": job_id, "message_id": message_id}
        if not self.inflight.reserve_task(job_id):
            log.info("duplicate message of a job running here; hidden until it ends", extra=extra)
            return Verdict(Action.DEFER, self.config.visibility_timeout_s, job_id)
        try:
            return replace(self._claim_and_run(task_message, message, receive_count, extra), task_id=job_id)
        except (GaveUp, Abandoned) as exc:
            # Before this worker held the task: there is nothing to note on it.
            log.warning("could not claim the task (%s); message handed back", exc, extra=extra)
            return self._hand_back_verdict(exc, receive_count, job_id)
        finally:
            if self.inflight.release_task(job_id):
                self._flush_activity(extra)

    def _hand_back_verdict(self, exc: Exception, receive_count: int, job_id: str) -> Verdict:
        if isinstance(exc, Abandoned):
            return Verdict(Action.RELEASE, 0, job_id)
        return Verdict(Action.RETRY_LATER, self.retrier.policy.hand_back_delay(receive_count, self.retrier.rng),
                       job_id)

    def _claim_and_run(self, task_message: TaskMessage, message: dict[str, Any], receive_count: int,
                       extra: dict[str, Any]) -> Verdict:
        claimed = self._claim(task_message, message["ReceiptHandle"], extra)
        if isinstance(claimed, Verdict):
            return claimed
        task = claimed
        job = self.inflight.add(InFlightJob(message["ReceiptHandle"], extra["message_id"], task.task_id,
                                            cancel_requested=task.cancel_requested, started_at=task.started_at))
        try:
            log.info("job started (attempt %d)", task.attempts, extra=extra)
            try:
                outcome = self._execute(task, job, extra)
            except LeaseLost:
                return self._after_lease_lost(job, extra)
            return self._record(task.task_id, job, outcome, extra)
        except GaveUp as exc:
            log.warning("transient fault outlasted the retries, message handed back: %s", exc, extra=extra)
            self._note_retry(job, f"{exc.what}: {exc.cause}", extra)
            return self._hand_back_verdict(exc, receive_count, task.task_id)
        except Abandoned as exc:
            log.warning("worker stopping before the job finished; message made visible again", extra=extra)
            self._note_retry(job, "the worker stopped before the job finished", extra)
            return self._hand_back_verdict(exc, receive_count, task.task_id)
        finally:
            self.inflight.remove(job.receipt_handle)

    def _note_retry(self, job: InFlightJob, error: str, extra: dict[str, Any]) -> None:
        """Note why and let the lease lapse now, adding the attempt's time to gpu_seconds; one try, since the
        table may be what is failing."""
        now = self._now()
        try:
            self.store.note_retry(job.task_id, self.config.worker_id, error, now, job.held_s(now))
        except Exception as exc:
            log.warning("could not note the error on the task: %s", exc, extra=extra)

    # -- claim ----------------------------------------------------------------------------

    def _claim(self, task_message: TaskMessage, receipt: str, extra: dict[str, Any]) -> Task | Verdict:
        try:
            return self._aws(lambda: self._claim_once(task_message.task_id, receipt), "claim the task")
        except TransitionRejected as exc:
            if exc.task is not None:
                return self._claim_refused(exc.task, extra)
        return self._adopt(task_message, receipt, extra)

    def _claim_once(self, task_id: str, receipt: str) -> Task:
        """The claim records the message's receipt handle: this worker, restarted, hands it back at once."""
        return self.store.claim(task_id, self.config.worker_id, self._now(), self.config.lease_s, pool=self.pool,
                                receipt_handle=receipt)

    def _claim_refused(self, task: Task, extra: dict[str, Any]) -> Verdict:
        if task.status in TERMINAL:
            log.info("task already %s; message deleted, no work done", task.status, extra=extra)
            return Verdict(Action.DELETE)
        lease_left = (task.lease_expires_at or 0) - self._now()
        delay = self.retrier.policy.defer_delay(lease_left, self.retrier.rng)
        log.info("task held by worker %s; message hidden for %d s", task.worker_id, delay, extra=extra)
        return Verdict(Action.DEFER, delay)

    def _adopt(self, task_message: TaskMessage, receipt: str, extra: dict[str, Any]) -> Task | Verdict:
        """A message sent by hand for a task no row has: check it as a submit is checked, then create the
        row (pending, or failed with the reason) and claim it."""
        task_id = task_message.task_id
        now = self._now()
        try:
            workflow, request = self.workflows.validate_request(task_message.api_path, task_message.request_body,
                                                                self.resolver)
        except RequestInvalid as exc:
            log.error("invalid message, its task failed: %s", exc, extra=extra)
            failed = task_message.failed_task(f"rejected the queue message: {exc}", now)
            try:
                self._aws(lambda: self.store.create(failed), "create the task row")
            except TransitionRejected as rejected:
                log.warning("task is %s; left as it is", rejected.current, extra=extra)
                return Verdict(Action.DELETE)
            self.counter.count(JOBS_FAILED, job_id=task_id)
            self._owe_activity(now)
            return Verdict(Action.DELETE)
        try:
            row = Task.new(task_id, workflow.api_path, stored_body(workflow, request), now)
            self._aws(lambda: self.store.create(row), "create the task row")
            log.info("task row created from the message", extra=extra)
        except TransitionRejected:
            pass  # another delivery created it meanwhile; the claim decides
        try:
            return self._aws(lambda: self._claim_once(task_id, receipt), "claim the task")
        except TransitionRejected as exc:
            if exc.task is None:
                return Verdict(Action.DELETE)  # created and removed meanwhile: nothing to run
            return self._claim_refused(exc.task, extra)

    # -- run --------------------------------------------------------------------------------

    def _execute(self, task: Task, job: InFlightJob, extra: dict[str, Any]) -> Outcome:
        try:
            api_path = self.workflows.for_path(task.job_type).api_path
        except RequestInvalid as exc:
            return Failed(f"cannot run the task: {exc}")
        if job.cancel_requested:  # asked before this attempt began (a lapsed lease taken over)
            return Cancelled(CANCELLED_BY_CLIENT)
        deadline = self.retrier.monotonic() + self.config.job_timeout_s
        status = self._submit(task, api_path, deadline, extra)
        if isinstance(status, Failed):
            return status
        job.comfy_job_id = status.job_id
        resubmits = 0
        interval = self.config.poll_interval_s
        unavailable_since: float | None = None
        unavailable_tries = 0
        while True:
            if status.finished:
                return self._outcome_of(status)
            if status.progress is not None:
                job.progress = status.progress
            if job.lease_lost:
                raise LeaseLost(task.task_id)
            if job.cancel_requested:
                return self._cancel_for_client(job, extra)
            left = deadline - self.retrier.monotonic()
            if left <= 0:
                return self._timed_out(job, extra)
            asked = self.retrier.monotonic()
            try:
                status = self.api.status(status.job_id, min(self.config.status_wait_s, left))
            except JobUnknown:
                resubmits += 1
                if resubmits > self.config.max_resubmits:
                    return Failed(f"the Unified API lost the job {resubmits} times; giving up")
                log.warning("Unified API no longer knows job %s (ComfyUI restarted?); resubmitting (%d of %d)",
                            status.job_id, resubmits, self.config.max_resubmits, extra=extra)
                submitted = self._submit(task, api_path, deadline, extra)
                if isinstance(submitted, Failed):
                    return submitted
                status, interval = submitted, self.config.poll_interval_s
                continue
            except ApiUnavailable as exc:
                self._unavailable(exc)
                unavailable_since = unavailable_since or self.retrier.monotonic()
                if self.retrier.monotonic() - unavailable_since > self.config.retry_budget_s:
                    raise GaveUp("poll the Unified API", exc) from exc
                log.warning("Unified API unavailable, retrying: %s", exc, extra=extra)
                self._wait(backoff_delay(unavailable_tries, 0.5, 10, self.retrier.rng), deadline)
                unavailable_tries += 1
                continue
            unavailable_since, unavailable_tries = None, 0
            if not status.finished:
                # A status held by `?wait=` took its time already; an API that answers at once is polled
                # at a growing interval.
                self._wait(interval - (self.retrier.monotonic() - asked), deadline)
                interval = min(self.config.max_poll_interval_s, interval * 1.5)

    @staticmethod
    def _outcome_of(status: JobStatus) -> Outcome:
        if status.state == "completed":
            if status.result_s3_uri:
                return Completed(status.result_s3_uri)
            return Failed("the Unified API reported completed without a result_s3_uri")
        if status.state == "cancelled":
            return Cancelled(status.error or "cancelled on the GPU")
        return Failed(status.error or "the Unified API reported failed without an error message")

    def _unavailable(self, exc: BaseException) -> None:
        if self.readiness is not None:
            self.readiness.lost(str(exc))

    def _timed_out(self, job: InFlightJob, extra: dict[str, Any]) -> Failed:
        self._stop_on_gpu(job, "the job ran past its time limit", extra)
        return Failed(f"exceeded time limit of {self.config.job_timeout_s:g} s")

    def _stop_on_gpu(self, job: InFlightJob, why: str, extra: dict[str, Any]) -> None:
        """Cancel the job on the Unified API (off ComfyUI's queue, or interrupted), so the GPU stops working
        on something nobody will record. One try: the outcome does not depend on it."""
        if not job.comfy_job_id:
            return
        try:
            self.api.cancel(job.comfy_job_id)
            log.info("%s: cancelled Unified API job %s", why, job.comfy_job_id, extra=extra)
        except JobUnknown:
            pass
        except ApiUnavailable as exc:
            log.warning("%s, but cancelling Unified API job %s failed: %s", why, job.comfy_job_id, exc, extra=extra)

    def _cancel_for_client(self, job: InFlightJob, extra: dict[str, Any]) -> Outcome:
        """A client asked to cancel: cancel on the Unified API and end the job cancelled, unless the GPU had
        finished it already (then that outcome is the one recorded). Either way one conditional write."""
        try:
            status = self.api.cancel(job.comfy_job_id) if job.comfy_job_id else None
        except (JobUnknown, ApiUnavailable) as exc:
            log.warning("cancel on the Unified API failed (%s); the job is recorded cancelled", exc, extra=extra)
            status = None
        if status is not None and status.finished and status.state != "cancelled":
            return self._outcome_of(status)
        log.info("cancelled at the client's request", extra=extra)
        return Cancelled(CANCELLED_BY_CLIENT)

    def _wait(self, seconds: float, deadline: float) -> None:
        if self.retrier.wait(max(0.0, min(seconds, deadline - self.retrier.monotonic()))):
            raise Abandoned("wait for the Unified API")

    def _submit(self, task: Task, api_path: str, deadline: float, extra: dict[str, Any]) -> JobStatus | Failed:
        started = self.retrier.monotonic()

        def on_retry(exc: BaseException, delay: float) -> None:
            self._unavailable(exc)
            log.warning("Unified API unavailable, retrying in %.1f s: %s", delay, exc, extra=extra)

        try:
            status = self.retrier.call(
                lambda: self.api.submit(api_path, task.request_body, task.task_id, task.workflow_hash),
                is_transient_api, "submit to the Unified API", deadline=deadline, on_retry=on_retry)
        except ApiRejected as exc:
            return Failed(f"the Unified API rejected the job: {exc}")
        except GaveUp:
            if deadline <= started + self.retrier.policy.budget_s:
                return Failed(f"exceeded time limit of {self.config.job_timeout_s:g} s")
            raise
        log.info("submitted to the Unified API as job %s (%s)", status.job_id, status.state,
                 extra={**extra, "comfy_job_id": status.job_id})
        return status

    # -- outcome ----------------------------------------------------------------------------

    def _record(self, task_id: str, job: InFlightJob, outcome: Outcome, extra: dict[str, Any]) -> Verdict:
        now = self._now()
        worker_id = self.config.worker_id
        comfy_id = job.comfy_job_id
        held = job.held_s(now)
        try:
            if isinstance(outcome, Completed):
                self._aws(lambda: self.store.complete(task_id, worker_id, outcome.result_s3_uri, now, comfy_id, held),
                          "record completion")
                log.info("job completed: %s", outcome.result_s3_uri, extra=extra)
                self.counter.count(JOBS_COMPLETED, job_id=task_id)
            elif isinstance(outcome, Cancelled):
                self._aws(lambda: self.store.cancel(task_id, now, worker_id, outcome.reason, comfy_id, held),
                          "record cancellation")
                log.info("job cancelled on the GPU: %s", outcome.reason, extra=extra)
            else:
                self._aws(lambda: self.store.fail(task_id, outcome.error, now, worker_id, comfy_job_id=comfy_id,
                                                 held_s=held),
                          "record failure")
                log.warning("job failed: %s", outcome.error, extra=extra)
                self.counter.count(JOBS_FAILED, job_id=task_id)
        except TransitionRejected as exc:
            log.warning("outcome not recorded: the task is %s now", exc.current, extra=extra)
            return Verdict(Action.DELETE) if exc.current in TERMINAL or exc.current is None else Verdict(Action.LEAVE)
        self._owe_activity(now)
        return Verdict(Action.DELETE)

    def _after_lease_lost(self, job: InFlightJob, extra: dict[str, Any]) -> Verdict:
        """The row is no longer ours. Finished or gone (cancelled, failed by the power run): nobody wants the
        GPU's work, so the job is cancelled there. Taken over by another worker: that worker polls the
        same job (its id comes from the task id), so it is left running."""
        task = job.lost_to
        if task is None or task.status in TERMINAL:
            state = task.status if task else "absent"
            self._stop_on_gpu(job, f"the task became {state}", extra)
            log.info("task became %s while running; message deleted", state, extra=extra)
            return Verdict(Action.DELETE)
        if task.status == TaskStatus.PROCESSING:
            log.warning("task taken over by worker %s; this run stops", task.worker_id, extra=extra)
        return Verdict(Action.LEAVE)

    # -- last activity ------------------------------------------------------------------------

    def _owe_activity(self, now: int) -> None:
        """A job of this worker ended at `now`: the pool's last-activity row must say so."""
        with self._activity_lock:
            self._activity_owed = max(now, self._activity_owed or 0)

    def _flush_activity(self, extra: dict[str, Any]) -> None:
        """Write the owed time once no other job of this worker runs. While one runs, the power logic
        counts it as running work, and its own end is later: so under load one write covers many jobs."""
        with self._activity_lock:
            owed, self._activity_owed = self._activity_owed, None
        if owed is None:
            return
        try:
            self.store.record_activity(owed, pool=self.pool)
        except Exception as exc:
            log.warning("could not record activity: %s", exc, extra=extra)
