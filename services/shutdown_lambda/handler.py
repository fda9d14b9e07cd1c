"""`shutdown-gpu-lambda`: entry point. Parses the trigger, settles the dead letters and the tasks that can no
longer run, decides from live facts, acts.

Module scope holds only the Powertools logger and metrics; settings and clients are read when an
invocation needs them (the metrics namespace too, from POWERTOOLS_METRICS_NAMESPACE). `build_handler()`
lets tests inject the clock and the race seams; the deployed handler is
`services.shutdown_lambda.handler.lambda_handler`. local/power_timer.py runs the same `PowerRun`. The
clients sign with the default chain (the Lambda's role) unless `credentials` are given (a test running
the logic as the power role in its own process).
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from botocore.exceptions import BotoCoreError, ClientError

from gpujobs import aws_clients
from gpujobs.job_metrics import JobCounter
from gpujobs.settings import Settings, load_settings
from gpujobs.task_queue import queue_client_region
from gpujobs.task_store import TaskStore
from services.shutdown_lambda.capacity_start import CapacityStarter
from services.shutdown_lambda.dead_letters import (
    DeadLetterDrain,
    DeadLetterQueue,
    DrainReport,
    distributor_dlq,
    pool_dlq,
)
from services.shutdown_lambda.fleet_actions import FleetController, FleetOutcome
from services.shutdown_lambda.fleet_capacity import FleetCapacityWatch
from services.shutdown_lambda.power_actions import Outcome, PowerController
from services.shutdown_lambda.power_config import PowerRunConfig
from services.shutdown_lambda.power_events import Trigger, parse_trigger
from services.shutdown_lambda.power_facts import FactsReader
from services.shutdown_lambda.stranded_tasks import StrandedTaskSweep

logger = Logger(service="power")
metrics = Metrics(service="power")

# Leave this much of the invocation's time for logging and the metrics flush after a restart wait.
RESERVE_S = 10.0


@dataclass
class PowerRun:
    """One run of a pool's power schedule: settle its dead letters, end the tasks that can no longer run,
    then decide and act on the instance."""

    controller: PowerController | FleetController
    drain: DeadLetterDrain
    dead_letter_queues: list[DeadLetterQueue]
    sweep: StrandedTaskSweep | None = None

    def run(self, trigger: str) -> tuple[Outcome | FleetOutcome, DrainReport]:
        report = DrainReport()
        if not self.controller.dry_run:
            for queue in self.dead_letter_queues:
                try:
                    report.add(self.drain.drain(queue))
                except (ClientError, BotoCoreError) as exc:  # the power decision must still be made
                    logger.warning("dead letters not settled; next run", extra={"queue_url": queue.url,
                                                                                 "error": str(exc)[:300]})
        outcome = self.controller.run(trigger)
        # After the decision, which weighs every task as it stands (a job past its time limit, say); the
        # tasks failed here count from when they stopped, so the next run sees no fresh activity in them.
        if self.sweep is not None and not self.controller.dry_run:
            try:
                report.stranded += self.sweep.sweep().failed
            except (ClientError, BotoCoreError) as exc:
                logger.warning("stranded tasks not swept; next run", extra={"error": str(exc)[:300]})
        return outcome, report


def dead_letter_queues(settings: Settings) -> list[DeadLetterQueue]:
    queues = []
    if settings.dlq_url:
        queues.append(pool_dlq(settings.dlq_url, settings.queue_url or ""))
    if settings.master_dlq_url:
        queues.append(distributor_dlq(settings.master_dlq_url))
    return queues


def build_run(settings: Settings, config: PowerRunConfig, clock: Callable[[], float], dry_run: bool,
              sleep: Callable[[float], None] = time.sleep, restart_wait_s: float = 40.0,
              credentials: aws_clients.Credentials | None = None, **seams: Any) -> PowerRun:
    # The instance and queues are this pool's, in its own region; the task table may be in the home region.
    ec2 = aws_clients.client("ec2", settings.aws_region, credentials=credentials)
    sqs = aws_clients.client("sqs", settings.aws_region, credentials=credentials)
    store = TaskStore(settings.table_name or "", aws_clients.task_table_client(settings, credentials=credentials))
    reader = FactsReader(instance_id=settings.gpu_instance_id or "", queue_url=settings.queue_url or "", store=store,
                         ec2=ec2, sqs=sqs, clock=clock, pool=settings.pool)
    # Starts go through the pool's capacity row: fallback types, and a backoff after a shortfall.
    starter = CapacityStarter(ec2=ec2, load=lambda: store.capacity(settings.pool),
                              save=lambda state: store.record_capacity(state, int(clock()), settings.pool),
                              clock=clock, logger=logger, metrics=metrics, instance_types=config.instance_types)
    controller: PowerController | FleetController = PowerController(
        read_facts=reader.read, ec2=ec2, config=config.policy, logger=logger, metrics=metrics, dry_run=dry_run,
        sleep=sleep, restart_wait_s=restart_wait_s, starter=starter, **seams)
    if config.fleet_group and config.fleet:
        # A fleet: the group's desired capacity, not one instance's start and stop.
        autoscaling = aws_clients.client("autoscaling", settings.aws_region, credentials=credentials)
        watch = FleetCapacityWatch(autoscaling, config.fleet_group, load=lambda: store.capacity(settings.pool),
                                   save=lambda state: store.record_capacity(state, int(clock()), settings.pool),
                                   types=config.instance_types, metrics=metrics)
        controller = FleetController(read_facts=reader.read, autoscaling=autoscaling, ec2=ec2,
                                     group=config.fleet_group, config=config.policy, fleet=config.fleet,
                                     logger=logger, metrics=metrics, dry_run=dry_run, capacity=watch)
    counter = JobCounter.of("power", settings)
    drain = DeadLetterDrain(store, sqs, counter, clock)
    peers = settings.peer_queues

    def peer_sqs(pool: str) -> Any:
        return aws_clients.client("sqs", queue_client_region(pool, peers[pool]), credentials=credentials)

    sweep = StrandedTaskSweep(store, sqs, counter, clock, config.policy.idle_window_s, settings.queue_url or "",
                              settings.pool, settings.master_queue_url, peers, peer_sqs)
    return PowerRun(controller, drain, dead_letter_queues(settings), sweep)


def handle(event: Any, remaining_s: float, clock: Callable[[], float], sleep: Callable[[float], None],
           credentials: aws_clients.Credentials | None = None, **seams: Any) -> dict[str, Any]:
    settings = load_settings("power")
    metrics.namespace = settings.metrics_namespace
    trigger: Trigger = parse_trigger(event)
    if not trigger.known:
        logger.warning("event ignored", extra={"detail": trigger.detail})
        metrics.add_metric(name="EventsIgnored", unit=MetricUnit.Count, value=1)
        return {"trigger": "unknown", "acted": "ignored", "reason": trigger.detail}
    config = PowerRunConfig.from_settings(settings)
    run = build_run(settings, config, clock, dry_run=config.dry_run or trigger.dry_run, sleep=sleep,
                    restart_wait_s=max(0.0, min(40.0, remaining_s - RESERVE_S)), credentials=credentials, **seams)
    outcome, report = run.run(trigger.kind)
    response = outcome.to_response()
    response["detail"] = trigger.detail
    if report.failed:
        response["dead_letters_failed"] = report.failed
    if report.stranded:
        response["stranded_failed"] = report.stranded
    return response


def build_handler(clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
                  credentials: aws_clients.Credentials | None = None,
                  **seams: Any) -> Callable[[Any, Any], dict[str, Any]]:
    """A Lambda handler with its clock (and, for tests, the credentials and the before_stop/after_stop
    seams) bound."""

    @metrics.log_metrics
    @logger.inject_lambda_context
    def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
        return handle(event, context.get_remaining_time_in_millis() / 1000, clock, sleep, credentials, **seams)

    return lambda_handler


lambda_handler = build_handler()
