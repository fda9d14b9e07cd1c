"""`shutdown-gpu-lambda`: entry point. Parses the trigger, decides from live facts, acts.

Module scope holds only the Powertools logger and metrics; clients come from the shared cached
factory when the first invocation needs them. `build_handler()` lets tests inject the clock and the
race seams; the deployed handler is `services.shutdown_lambda.handler.lambda_handler`.
"""

import os
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

from gpujobs import aws_clients
from services.shutdown_lambda.power_actions import PowerController
from services.shutdown_lambda.power_config import PowerSettings, load_power_settings
from services.shutdown_lambda.power_events import Trigger, parse_trigger
from services.shutdown_lambda.power_facts import FactsReader

logger = Logger(service="power")
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "GpuJobs", service="power")

# Leave this much of the invocation's time for logging and the metrics flush after a restart wait.
RESERVE_S = 10.0


def build_controller(settings: PowerSettings, clock: Callable[[], float], dry_run: bool,
                     sleep: Callable[[float], None] = time.sleep, restart_wait_s: float = 40.0,
                     **seams: Any) -> PowerController:
    # The instance and queue are this pool's, in its own region; the task table may be in the home region.
    ec2 = aws_clients.client("ec2", settings.aws_region)
    reader = FactsReader(
        instance_id=settings.instance_id, queue_url=settings.queue_url, table_name=settings.table_name,
        ec2=ec2, sqs=aws_clients.client("sqs", settings.aws_region),
        dynamodb=aws_clients.task_table_client(settings), clock=clock, pool=settings.pool,
    )
    return PowerController(read_facts=reader.read, ec2=ec2, config=settings.policy,
                           logger=logger, metrics=metrics, dry_run=dry_run, sleep=sleep,
                           restart_wait_s=restart_wait_s, **seams)


def handle(event: Any, remaining_s: float, clock: Callable[[], float], sleep: Callable[[float], None],
           **seams: Any) -> dict[str, Any]:
    trigger: Trigger = parse_trigger(event)
    if not trigger.known:
        logger.warning("event ignored", extra={"detail": trigger.detail})
        metrics.add_metric(name="EventsIgnored", unit=MetricUnit.Count, value=1)
        return {"trigger": "unknown", "acted": "ignored", "reason": trigger.detail}
    settings = load_power_settings()
    controller = build_controller(settings, clock, dry_run=settings.dry_run or trigger.dry_run, sleep=sleep,
                                  restart_wait_s=max(0.0, min(40.0, remaining_s - RESERVE_S)), **seams)
    response = controller.run(trigger.kind).to_response()
    response["detail"] = trigger.detail
    return response


def build_handler(clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
                  **seams: Any) -> Callable[[Any, Any], dict[str, Any]]:
    """A Lambda handler with its clock (and, for tests, the before_stop/after_stop seams) bound."""

    @metrics.log_metrics
    @logger.inject_lambda_context
    def lambda_handler(event: Any, context: Any) -> dict[str, Any]:
        return handle(event, context.get_remaining_time_in_millis() / 1000, clock, sleep, **seams)

    return lambda_handler


lambda_handler = build_handler()
