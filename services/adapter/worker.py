"""The worker: one loop per slot (WORKER_CONCURRENCY), each receiving one message for itself, running it,
acting on its verdict, and stopping cleanly. Dead letters are not the worker's: the power run fails them.

Each slot receives only when it is free, so the worker never holds a message it is not running; and
as the slots receive for themselves, a receive is never the one step all jobs queue behind. A slot
also receives only while the Unified API says it is ready (readiness.py): while ComfyUI starts, the
messages stay in the queue instead of being received, retried and handed back.

Stopping (SIGTERM, SIGINT): no more receives; running jobs get `shutdown_grace_s` to finish; then
they are asked to let go, and their messages are made visible again at once so another worker
picks them up without waiting for the visibility timeout. A SIGKILL loses nothing either: the
message reappears after the visibility timeout, just after the task lease lapsed; sooner when the
worker comes back on the same instance: at start it takes back the jobs it held (takeback.py).

A fleet's worker also stops this way when its instance is leaving the group (a scale-in picked it), and
then completes the drain lifecycle hook, so the instance goes without waiting for the hook's timeout
(lifecycle_drain.py).
"""

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from botocore.exceptions import ClientError

from gpujobs import aws_clients
from gpujobs.errors import ConfigError
from gpujobs.job_metrics import JobCounter
from gpujobs.settings import Settings
from gpujobs.task_queue import max_receives_of
from gpujobs.task_store import TaskStore
from gpujobs.url_guard import Resolver, system_resolver
from gpujobs.workflows import Workflows, load_registry
from services.adapter.heartbeat import GONE_CODES, Heartbeat, InFlight
from services.adapter.job_runner import Action, JobRunner, Verdict
from services.adapter.lifecycle_drain import LifecycleDrain
from services.adapter.readiness import Readiness
from services.adapter.retry_policy import Retrier, RetryPolicy, is_transient_aws
from services.adapter.scale_in_protection import ScaleInProtection
from services.adapter.takeback import take_back
from services.adapter.unified_api import UnifiedApi
from services.adapter.worker_config import WorkerConfig

log = logging.getLogger(__name__)

# The most time a message action (delete, hide, release) is retried: the job's outcome is already recorded.
DISPOSAL_BUDGET_S = 30.0


class Worker:
    def __init__(self, settings: Settings, config: WorkerConfig, *, sqs: Any = None, dynamodb: Any = None,
                 api: UnifiedApi | None = None, clock: Callable[[], float] = time.time,
                 rng: random.Random | None = None, resolver: Resolver = system_resolver,
                 workflows: Workflows | None = None, credentials: aws_clients.Credentials | None = None) -> None:
        self.settings = settings
        self.config = config
        self.queue_url = settings.queue_url or ""
        pool = max(10, config.concurrency * 2 + 4)
        self.sqs = sqs if sqs is not None else aws_clients.client("sqs", settings.aws_region, max_pool=pool,
                                                                   credentials=credentials)
        if dynamodb is None:
            dynamodb = aws_clients.task_table_client(settings, max_pool=pool, credentials=credentials)
        self.store = TaskStore(settings.table_name or "", dynamodb)
        self.rng = rng or random.Random()
        self.abandon = threading.Event()
        self.inflight = InFlight()
        policy = RetryPolicy(budget_s=config.retry_budget_s, redelivery_base_s=config.redelivery_base_s)
        self.retrier = Retrier(policy, self.abandon, self.rng)
        self._stopping = threading.Event()
        # A status read may be held up to STATUS_WAIT_S by the API: the read timeout allows for it.
        api = api or UnifiedApi.at(config.api_url, read_timeout_s=30.0 + config.status_wait_s)
        self.readiness = Readiness(api.health, self._stopping, self.rng)
        self.runner = JobRunner(settings, config, self.store, api, self.inflight, self.retrier,
                                JobCounter.of("worker", settings), clock=clock, resolver=resolver,
                                workflows=workflows or load_registry(settings), readiness=self.readiness)
        self.heartbeat = Heartbeat(self.inflight, self.sqs, self.queue_url, self.store, config.worker_id,
                                   config.visibility_timeout_s, config.lease_s, config.heartbeat_interval_s, clock)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)  # notified whenever a job ends
        self._running = 0
        self._stop_requested_at: float | None = None
        # A fleet's worker protects its instance from scale-in while it holds a job (None: a single instance).
        self.protection = ScaleInProtection.of(settings, credentials)
        # ... and, when its instance is leaving the group, stops and then lets the drain hook go on at once.
        self.drain = LifecycleDrain.of(settings, self.protection)
        self._leaving = threading.Event()

    def stop(self) -> None:
        """Ask the loop to stop; safe from a signal handler (it only sets an event)."""
        self._stop_requested_at = time.monotonic()
        self._stopping.set()

    @property
    def running(self) -> int:
        with self._lock:
            return self._running

    # -- the slots ------------------------------------------------------------------------------

    def run(self) -> None:
        self._check_queue()
        take_back(self.store, self.sqs, self.queue_url, self.config.worker_id, int(self.runner.clock()))
        log.info("worker started", extra={"worker_id": self.config.worker_id, "queue_url": self.queue_url,
                                          "concurrency": self.config.concurrency, "api_url": self.config.api_url})
        self.heartbeat.start()
        if self.drain is not None:
            threading.Thread(target=self._watch_leaving, args=(self.drain,), name="lifecycle", daemon=True).start()
        slots = [threading.Thread(target=self._slot, name=f"job-{n}", daemon=True)
                 for n in range(self.config.concurrency)]
        for slot in slots:
            slot.start()
        try:
            self._stopping.wait()
        finally:
            self._shut_down(slots)
            if self._leaving.is_set() and self.drain is not None:
                self.drain.complete()

    def _watch_leaving(self, drain: LifecycleDrain) -> None:
        """Stop the worker once its instance is leaving the group (a scale-in picked it)."""
        while not self._stopping.is_set():
            if drain.is_leaving():
                log.info("this instance is leaving its group: no more jobs; the drain hook goes on once the "
                         "running ones ended or were handed back", extra={"instance_id": drain.instance_id})
                self._leave()
                return
            self._stopping.wait(drain.interval_s)

    def _leave(self) -> None:
        self._leaving.set()
        self.stop()

    def _check_queue(self) -> None:
        """Fail at start on a queue that does not exist; learn its redrive limit, after which the
        retry policy lets the queue dead-letter a message instead of hiding it."""
        try:
            max_receives = self.retrier.call(lambda: max_receives_of(self.sqs, self.queue_url), is_transient_aws,
                                             "read the task queue")
        except ClientError as exc:
            raise ConfigError(f"SQS_QUEUE_URL={self.queue_url}: {exc}") from None
        self.retrier.policy = replace(self.retrier.policy, max_receives=max_receives)

    def _slot(self) -> None:
        """Receive one message, run it, act on its verdict; again, until the worker stops."""
        failures = 0
        while not self._stopping.is_set():
            if not self.readiness.wait_ready():
                break
            try:
                response = self.sqs.receive_message(
                    QueueUrl=self.queue_url, MaxNumberOfMessages=1, WaitTimeSeconds=self.config.wait_time_s,
                    VisibilityTimeout=self.config.visibility_timeout_s, AttributeNames=["ApproximateReceiveCount"],
                )
            except Exception as exc:  # a receive fault must cost a wait, never the slot
                delay = self.retrier.policy.receive_delay(failures, self.rng)
                failures += 1
                level = logging.WARNING if is_transient_aws(exc) else logging.ERROR
                log.log(level, "receive failed, retrying in %.1f s: %s", delay, exc)
                self._stopping.wait(delay)
                continue
            failures = 0
            for message in response.get("Messages", []):
                if self._stopping.is_set():
                    self._dispose(message, Verdict(Action.RELEASE))
                else:
                    self._work(message)

    def _work(self, message: dict[str, Any]) -> None:
        if self.protection is not None and not self.protection.acquire():
            # The instance is leaving the fleet: hand the message back and take no more.
            self._dispose(message, Verdict(Action.RELEASE))
            self._leave()
            return
        with self._lock:
            self._running += 1
        try:
            try:
                verdict = self.runner.handle(message)
            except Exception:  # a bug must cost one message a delay, never the loop
                log.exception("handling the message failed", extra={"message_id": message.get("MessageId")})
                count = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
                verdict = Verdict(Action.RETRY_LATER, self.retrier.policy.hand_back_delay(count, self.rng))
            self._dispose(message, verdict)
        finally:
            if self.protection is not None:
                self.protection.release()
            with self._lock:
                self._running -= 1
                self._idle.notify_all()

    def _dispose(self, message: dict[str, Any], verdict: Verdict) -> None:
        """Do what the verdict says with the message; the job's outcome is already recorded."""
        receipt = message["ReceiptHandle"]
        extra = {"job_id": verdict.task_id, "message_id": message.get("MessageId"), "action": verdict.action.value}
        if verdict.action == Action.LEAVE:
            return
        try:
            if verdict.action == Action.DELETE:
                call = lambda: self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=receipt)  # noqa: E731
            else:
                delay = 0 if verdict.action == Action.RELEASE else verdict.delay_s
                extra["delay_s"] = delay
                call = lambda: self.sqs.change_message_visibility(  # noqa: E731
                    QueueUrl=self.queue_url, ReceiptHandle=receipt, VisibilityTimeout=delay)
            policy = replace(self.retrier.policy, budget_s=min(DISPOSAL_BUDGET_S, self.retrier.policy.budget_s))
            Retrier(policy, threading.Event(), self.rng).call(call, is_transient_aws, verdict.action.value)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            level = logging.INFO if code in GONE_CODES else logging.WARNING
            log.log(level, "message action failed: %s", exc, extra=extra)
        except Exception as exc:
            log.warning("message action failed: %s", exc, extra=extra)
        else:
            log.debug("message disposed", extra=extra)

    def _shut_down(self, slots: list[threading.Thread]) -> None:
        running = self.running
        if running:
            log.info("stopping: %d running job(s) get %g s to finish", running, self.config.shutdown_grace_s)
        # The grace period counts from the stop request, so a long poll in progress does not lengthen it.
        deadline = (self._stop_requested_at or time.monotonic()) + self.config.shutdown_grace_s
        with self._idle:
            self._idle.wait_for(lambda: self._running == 0, max(0.0, deadline - time.monotonic()))
        if self.running:
            log.warning("grace period over: handing back %d message(s)", self.running)
            self.abandon.set()
        # A slot returns once its job let go or its long poll (at most WAIT_TIME_S) ends.
        limit = time.monotonic() + self.config.wait_time_s + 30
        for slot in slots:
            slot.join(max(0.0, limit - time.monotonic()))
        self.heartbeat.stop()
        log.info("worker stopped")
