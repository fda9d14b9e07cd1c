"""AWS Lambda entry point of the distributor: master-queue batches in, regional queues out.

Module scope holds only cheap objects (logger, metrics, batch processor); configuration and clients are
built on the first invocation of an instance and kept, so the depth cache lives as long as the instance.
A bad setting fails that first invocation with a ConfigError naming it. Only failed records are returned
(`batchItemFailures`); when every record fails the response lists them all rather than raising, since
"all regional queues overloaded" is back-pressure, not a fault (the AllQueuesOverloaded metric shows it).
"""

import random
import threading
import time
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from gpujobs.aws_clients import Credentials, client
from gpujobs.settings import Settings, load_settings
from gpujobs.task_queue import queue_client_region
from services.distributor_lambda.distribution import BatchOutcome, Distributor, Verdict
from services.distributor_lambda.distributor_config import DistributorConfig
from services.distributor_lambda.forward_ledger import ForwardLedger
from services.distributor_lambda.queue_selection import QueueDepths, QueueSelector, read_queue_depth

logger = Logger(service="distributor")
metrics = Metrics(service="distributor")
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

_lock = threading.Lock()
_distributor: Distributor | None = None

def build_distributor(settings: Settings, config: DistributorConfig | None = None, *,
                      clock: Callable[[], float] = time.monotonic, rng: random.Random | None = None,
                      sqs_for: Callable[[str], Any] | None = None,
                      credentials: Credentials | None = None) -> Distributor:
    """Wire the distributor to boto3 clients from the shared factory (endpoint from AWS_ENDPOINT_URL).

    `clock` (monotonic seconds) drives the depth cache and `rng` the weighted draw; tests pass their own,
    and their `credentials` to run it as the distributor's role (None: the default chain).
    """
    config = config or DistributorConfig.from_settings(settings)
    region_queues = settings.region_queues
    metrics.namespace = settings.metrics_namespace

    def regional_client(region: str) -> Any:
        return client("sqs", queue_client_region(region, region_queues[region]), credentials=credentials)

    sqs_for = sqs_for or regional_client

    def on_read_error(region: str, exc: Exception) -> None:
        logger.warning("queue depth unreadable; region skipped until the next refresh",
                       extra={"region": region, "error": str(exc)})

    depths = QueueDepths(
        sorted(region_queues),
        lambda region: read_queue_depth(sqs_for(region), region_queues[region]),
        config.depth_cache_ttl_s, clock, on_read_error,
    )
    return Distributor(
        region_queues, settings.master_dlq_url or "", sqs_for, client("sqs", credentials=credentials),
        ForwardLedger(settings.idempotency_table or "", config.idempotency_ttl_s,
                      client("dynamodb", credentials=credentials)),
        depths, QueueSelector(depths, config.overload_threshold, rng or random.Random()),
    )


def _instance_distributor() -> Distributor:
    global _distributor
    if _distributor is None:
        with _lock:
            if _distributor is None:
                _distributor = build_distributor(load_settings("distributor"))
    return _distributor


def install_instance(distributor: Distributor | None) -> None:
    """Use this distributor for the following invocations (None: build from the environment on the next one)."""
    global _distributor
    _distributor = distributor


@metrics.log_metrics
@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    outcome = _instance_distributor().distribute(event.get("Records", []), context.get_remaining_time_in_millis())
    _record_metrics(outcome)
    return process_partial_response(event=event, record_handler=outcome.settle, processor=processor, context=context)


def _record_metrics(outcome: BatchOutcome) -> None:
    counts = outcome.counts()
    metrics.add_metric(name="Forwarded", unit=MetricUnit.Count, value=counts[Verdict.FORWARDED])
    metrics.add_metric(name="Duplicates", unit=MetricUnit.Count, value=counts[Verdict.DUPLICATE])
    metrics.add_metric(name="InvalidMessages", unit=MetricUnit.Count, value=counts[Verdict.REJECTED])
    metrics.add_metric(name="ForwardFailures", unit=MetricUnit.Count, value=counts[Verdict.FAILED])
    metrics.add_metric(name="AllQueuesOverloaded", unit=MetricUnit.Count, value=outcome.overloaded())
    if counts[Verdict.FAILED] or counts[Verdict.REJECTED]:
        logger.info("batch distributed", extra={"counts": {v.value: n for v, n in counts.items()},
                                                 "regions": outcome.regions()})
