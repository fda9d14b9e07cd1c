"""What happens to one message: parse, claim the task, run it on the Unified API, record the outcome.

`JobRunner.handle` never touches the message itself; it returns a Verdict that says what the
worker must do with it, and only returns DELETE once the outcome is durably in the task table.
"""

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from gpujobs import activity, job_metrics
from gpujobs.errors import TransitionRejected
from gpujobs.task_message import MessageInvalid, TaskMessage, parse_message
from gpujobs.task_model import TERMINAL, Task, TaskStatus
from gpujobs.task_store import TaskStore
from services.adapter.dead_letters import note_retry_error
from services.adapter.heartbeat import InFlight, InFlightJob
from services.adapter.retry_policy import Abandoned, GaveUp, Retrier, backoff_delay, is_transient_aws, redelivery_delay
from services.adapter.unified_api import ApiRejected, ApiUnavailable, JobUnknown, UnifiedApi, is_transient_api
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


@dataclass(frozen=True)
class Completed:
    result_s3_uri: str


@dataclass(frozen=True)
class Failed:
    error: str


class LeaseLost(RuntimeError):
    """The task is no longer this worker's (cancelled, or taken over after a lapsed lease)."""


class JobRunner:
    def __init__(self, config: WorkerConfig, store: TaskStore, api: UnifiedApi, inflight: InFlight,
                 retrier: Retrier, *, clock: Callable[[], float] = time.time,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.store = store
        self.api = api
        self.inflight = inflight
        self.retrier = retrier
        self.abandon = retrier.abandon
        self.clock = clock
        self.monotonic = monotonic

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
            return self._reject(message_id, body, exc, receive_count)
        job_id = task_message.task_id
        extra = {"job_id": job_id, "message_id": message_id}
        if not self.inflight.reserve_task(job_id):
            log.info("duplicate message of a job running here; hidden until it ends", extra=extra)
            return Verdict(Action.DEFER, self.config.visibility_timeout_s)
        try:
            return self._claim_and_run(task_message, message, extra)
        except GaveUp as exc:
            log.warning("transient fault outlasted the retries, message handed back: %s", exc, extra=extra)
            self._hand_back(job_id, f"{exc.what}: {exc.cause}", extra)
            return Verdict(Action.RETRY_LATER, self._redelivery(receive_count))
        except Abandoned:
            log.warning("worker stopping before the job finished; message made visible again", extra=extra)
            self._hand_back(job_id, "the worker stopped before the job finished", extra)
            return Verdict(Action.RELEASE)
        finally:
            self.inflight.release_task(job_id)

    def _redelivery(self, receive_count: int) -> int:
        return redelivery_delay(receive_count, self.config.redelivery_base_s, rng=self.retrier.rng)

    def _hand_back(self, task_id: str, error: str, extra: dict[str, Any]) -> None:
        """Note why and let the lease lapse now; one try, since the table may be what is failing."""
        try:
            note_retry_error(self.config.table_name, task_id, self.config.worker_id, error, self._now(),
                             self.store.db)
        except Exception as exc:
            log.warning("could not note the error on the task: %s", exc, extra=extra)

    def _reject(self, message_id: str, body: str, exc: MessageInvalid, receive_count: int) -> Verdict:
        """A message that can never run: fail the task it names (if any), then drop it."""
        extra = {"job_id": exc.task_id, "message_id": message_id}
        log.error("invalid message, removed from the queue: %s", exc, extra={**extra, "body": body[:1000]})
        if exc.task_id is None:
            return Verdict(Action.DELETE)
        if not self.inflight.reserve_task(exc.task_id):
            log.warning("invalid message names a job running here; the job is left alone", extra=extra)
            return Verdict(Action.DELETE)
        try:
            raw = json.loads(body)
            api_path = raw.get("api_path") if isinstance(raw.get("api_path"), str) else ""
            request_body = raw.get("request_body") if isinstance(raw.get("request_body"), dict) else {}
            now = self._now()
            self._aws(lambda: self.store.create_if_absent(Task.new(exc.task_id, api_path, request_body, now)),
                      "create the task row")
            self._aws(lambda: self.store.fail(exc.task_id, f"rejected the queue message: {exc}", now,
                                              self.config.worker_id), "fail the task")
            job_metrics.count(job_metrics.JOBS_FAILED, "worker", job_id=exc.task_id)
            self._record_activity(extra)
        except TransitionRejected as rejected:
            log.warning("task is %s; left as it is", rejected.current, extra=extra)
        except (GaveUp, Abandoned) as fault:
            log.warning("could not fail the task (%s); message kept for later", fault, extra=extra)
            return Verdict(Action.RETRY_LATER, self._redelivery(receive_count))
        finally:
            self.inflight.release_task(exc.task_id)
        return Verdict(Action.DELETE)

    # -- claim ----------------------------------------------------------------------------

    def _claim_and_run(self, task_message: TaskMessage, message: dict[str, Any], extra: dict[str, Any]) -> Verdict:
        claimed = self._claim(task_message, extra)
        if isinstance(claimed, Verdict):
            return claimed
        task = claimed
        job = self.inflight.add(InFlightJob(message["ReceiptHandle"], extra["message_id"], task.task_id))
        try:
            log.info("job started (attempt %d)", task.attempts, extra=extra)
            try:
                outcome = self._execute(task, task_message, job, extra)
            except LeaseLost:
                return self._after_lease_lost(task.task_id, extra)
            return self._record(task.task_id, outcome, extra)
        finally:
            self.inflight.remove(job.receipt_handle)

    def _claim(self, task_message: TaskMessage, extra: dict[str, Any]) -> Task | Verdict:
        task_id = task_message.task_id

        def claim() -> Task:
            return self.store.claim(task_id, self.config.worker_id, self._now(), self.config.lease_s,
                                    pool=self.config.pool)

        try:
            return self._aws(claim, "claim the task")
        except TransitionRejected as exc:
            if exc.current is not None:
                return self._claim_refused(task_id, exc, extra)
        # A message sent by hand for a task nobody created: create the row, then run it.
        created = self._aws(lambda: self.store.create_if_absent(
            Task.new(task_id, task_message.api_path, task_message.request_body, self._now())), "create the task row")
        if created:
            log.info("task row created from the message", extra=extra)
        try:
            return self._aws(claim, "claim the task")
        except TransitionRejected as exc:
            return self._claim_refused(task_id, exc, extra)

    def _claim_refused(self, task_id: str, exc: TransitionRejected, extra: dict[str, Any]) -> Verdict:
        if exc.current in TERMINAL:
            log.info("task already %s; message deleted, no work done", exc.current, extra=extra)
            return Verdict(Action.DELETE)
        task = self._aws(lambda: self.store.find(task_id), "read the task")
        if task is not None and task.status in TERMINAL:
            return Verdict(Action.DELETE)
        lease_left = (task.lease_expires_at or 0) - self._now() if task else 0
        delay = max(1, min(43200, lease_left + 1 + int(backoff_delay(1, 1, 2, self.retrier.rng))))
        log.info("task held by worker %s; message hidden for %d s", task.worker_id if task else "?", delay,
                 extra=extra)
        return Verdict(Action.DEFER, delay)

    # -- run --------------------------------------------------------------------------------

    def _execute(self, task: Task, task_message: TaskMessage, job: InFlightJob,
                 extra: dict[str, Any]) -> Completed | Failed:
        deadline = self.monotonic() + self.config.job_timeout_s
        comfy_id = task.comfy_job_id
        if comfy_id:
            log.info("resuming Unified API job %s of an earlier attempt", comfy_id, extra=extra)
        else:
            submitted = self._submit(task_message, deadline, extra)
            if isinstance(submitted, Failed):
                return submitted
            comfy_id = submitted
        resubmits = 0
        interval = self.config.poll_interval_s
        unavailable_since: float | None = None
        unavailable_tries = 0
        while True:
            if job.lease_lost:
                raise LeaseLost(task.task_id)
            if self.monotonic() >= deadline:
                return self._timed_out()
            try:
                status = self.api.status(comfy_id)
            except JobUnknown:
                resubmits += 1
                if resubmits > self.config.max_resubmits:
                    return Failed(f"the Unified API lost the job {resubmits} times; giving up")
                log.warning("Unified API no longer knows job %s; resubmitting (%d of %d)", comfy_id, resubmits,
                            self.config.max_resubmits, extra=extra)
                submitted = self._submit(task_message, deadline, extra)
                if isinstance(submitted, Failed):
                    return submitted
                comfy_id, interval = submitted, self.config.poll_interval_s
                continue
            except ApiUnavailable as exc:
                unavailable_since = unavailable_since or self.monotonic()
                if self.monotonic() - unavailable_since > self.config.retry_budget_s:
                    raise GaveUp("poll the Unified API", exc) from exc
                log.warning("Unified API unavailable, retrying: %s", exc, extra=extra)
                self._wait(backoff_delay(unavailable_tries, 0.5, 10, self.retrier.rng), deadline)
                unavailable_tries += 1
                continue
            unavailable_since, unavailable_tries = None, 0
            if status.state == "completed":
                if status.result_s3_uri:
                    return Completed(status.result_s3_uri)
                return Failed("the Unified API reported completed without a result_s3_uri")
            if status.state == "failed":
                return Failed(status.error or "the Unified API reported failed without an error message")
            self._wait(interval, deadline)
            interval = min(self.config.max_poll_interval_s, interval * 1.5)

    def _timed_out(self) -> Failed:
        return Failed(f"exceeded time limit of {self.config.job_timeout_s:g} s")

    def _wait(self, seconds: float, deadline: float) -> None:
        if self.abandon.wait(max(0.0, min(seconds, deadline - self.monotonic()))):
            raise Abandoned("wait for the Unified API")

    def _submit(self, task_message: TaskMessage, deadline: float, extra: dict[str, Any]) -> str | Failed:
        started = self.monotonic()
        try:
            comfy_id = self.retrier.call(
                lambda: self.api.submit(task_message.api_path, task_message.request_body), is_transient_api,
                "submit to the Unified API", deadline=deadline,
                on_retry=lambda exc, delay: log.warning("Unified API unavailable, retrying in %.1f s: %s", delay,
                                                        exc, extra=extra))
        except ApiRejected as exc:
            return Failed(f"the Unified API rejected the request: {exc}")
        except GaveUp:
            if deadline <= started + self.retrier.budget_s:
                return self._timed_out()
            raise
        log.info("submitted to the Unified API as job %s", comfy_id, extra={**extra, "comfy_job_id": comfy_id})
        try:
            self._aws(lambda: self.store.set_comfy_job_id(task_message.task_id, self.config.worker_id, comfy_id,
                                                          self._now()), "store comfy_job_id")
        except TransitionRejected:
            raise LeaseLost(task_message.task_id) from None
        return comfy_id

    # -- outcome ----------------------------------------------------------------------------

    def _record(self, task_id: str, outcome: Completed | Failed, extra: dict[str, Any]) -> Verdict:
        now = self._now()
        worker_id = self.config.worker_id
        try:
            if isinstance(outcome, Completed):
                self._aws(lambda: self.store.complete(task_id, worker_id, outcome.result_s3_uri, now),
                          "record completion")
                log.info("job completed: %s", outcome.result_s3_uri, extra=extra)
                job_metrics.count(job_metrics.JOBS_COMPLETED, "worker", job_id=task_id)
            else:
                self._aws(lambda: self.store.fail(task_id, outcome.error, now, worker_id), "record failure")
                log.warning("job failed: %s", outcome.error, extra=extra)
                job_metrics.count(job_metrics.JOBS_FAILED, "worker", job_id=task_id)
        except TransitionRejected as exc:
            log.warning("outcome not recorded: the task is %s now", exc.current, extra=extra)
            return Verdict(Action.DELETE) if exc.current in TERMINAL or exc.current is None else Verdict(Action.LEAVE)
        self._record_activity(extra)
        return Verdict(Action.DELETE)

    def _record_activity(self, extra: dict[str, Any]) -> None:
        try:
            activity.record_activity(self.config.table_name, self._now(), self.store.db, pool=self.config.pool)
        except Exception as exc:
            log.warning("could not record activity: %s", exc, extra=extra)

    def _after_lease_lost(self, task_id: str, extra: dict[str, Any]) -> Verdict:
        task = self._aws(lambda: self.store.find(task_id), "read the task")
        if task is None or task.status in TERMINAL:
            log.info("task became %s while running; message deleted", task.status if task else "absent", extra=extra)
            return Verdict(Action.DELETE)
        if task.status == TaskStatus.PROCESSING:
            log.warning("task taken over by worker %s; this run stops", task.worker_id, extra=extra)
        return Verdict(Action.LEAVE)
