"""AWS Lambda entry point of the webhook delivery: task-table stream batches in, signed POSTs out.

The event source mapping hands over batches of the task table's stream (new and old images); the
answer lists the records to hand over again (`batchItemFailures`, by sequence number). Configuration
and clients are built on an instance's first invocation and kept; a bad setting fails that invocation
with a ConfigError naming it. Locally `local.webhook_stream` calls the same handler with the records
it reads from the emulator's stream.

Settings (`webhook_environment`): API_KEYS_TABLE and WEBHOOK_SECRET_KEY_ARN (the tenants' secrets),
WEBHOOK_ALLOW_LOOPBACK (local only), WEBHOOK_ATTEMPTS (per invocation, default 3), WEBHOOK_TIMEOUT_S
(per attempt, default 10), WEBHOOK_MAX_EVENT_AGE_S (after which a failing event is dropped, default
3600), POWERTOOLS_*.
"""

import threading
from typing import Any

from aws_lambda_powertools import Logger

from gpujobs.aws_clients import Credentials, client
from gpujobs.job_metrics import JobCounter
from gpujobs.settings import Settings, load_settings
from gpujobs.webhook_events import WEBHOOK_LOOPBACK_SETTING
from gpujobs.webhook_secrets import TenantSecrets
from services.webhook_lambda.delivery import Deliverer
from services.webhook_lambda.dispatch import WebhookDispatcher

logger = Logger(service="webhook")
# The time kept back from the invocation's limit to answer with the batch item failures.
ANSWER_MARGIN_S = 2.0

_lock = threading.Lock()
_dispatcher: WebhookDispatcher | None = None


def build_dispatcher(settings: Settings, credentials: Credentials | None = None) -> WebhookDispatcher:
    """Wire the dispatcher to boto3 clients from the shared factory (tests pass the role's `credentials`)."""
    settings = settings.require("API_KEYS_TABLE", "WEBHOOK_SECRET_KEY_ARN")
    secrets = TenantSecrets(settings.get("API_KEYS_TABLE") or "", client("dynamodb", credentials=credentials),
                            client("kms", credentials=credentials), settings.get("WEBHOOK_SECRET_KEY_ARN") or "")
    deliverer = Deliverer(
        allow_loopback=settings.flag(WEBHOOK_LOOPBACK_SETTING, False),
        attempts=settings.integer("WEBHOOK_ATTEMPTS", 3, minimum=1, maximum=10),
        timeout_s=settings.number("WEBHOOK_TIMEOUT_S", 10.0, minimum=0.1, maximum=60.0),
        backoff_s=settings.number("WEBHOOK_BACKOFF_S", 1.0, minimum=0.0, maximum=60.0),
    )
    return WebhookDispatcher(secrets, deliverer, JobCounter.of("webhook", settings),
                             max_event_age_s=settings.number("WEBHOOK_MAX_EVENT_AGE_S", 3600.0, minimum=1.0))


def _instance_dispatcher() -> WebhookDispatcher:
    global _dispatcher
    if _dispatcher is None:
        with _lock:
            if _dispatcher is None:
                _dispatcher = build_dispatcher(load_settings("webhook"))
    return _dispatcher


def install_instance(dispatcher: WebhookDispatcher | None) -> None:
    """Use this dispatcher for the following invocations (None: build from the environment on the next one)."""
    global _dispatcher
    _dispatcher = dispatcher


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    dispatcher = _instance_dispatcher()
    deadline = dispatcher.deliverer.clock() + context.get_remaining_time_in_millis() / 1000 - ANSWER_MARGIN_S
    failed = dispatcher.handle(event.get("Records", []), deadline)
    if failed:
        logger.info("records handed back to the stream", extra={"records": len(failed)})
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failed]}
