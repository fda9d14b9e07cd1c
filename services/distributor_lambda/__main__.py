"""`python -m services.distributor_lambda`: the distributor on the emulator, fed by a local event source.

Reads the function's own settings (`distributor_environment` of the outputs file, or REGION_QUEUES,
MASTER_DLQ_URL, IDEMPOTENCY_TABLE, ...) plus MASTER_QUEUE_URL, the queue a Lambda's event source
mapping would read, and runs until SIGINT or SIGTERM.
"""

import signal
import sys

from gpujobs.aws_clients import client
from gpujobs.errors import ConfigError
from gpujobs.settings import load_settings
from local.distributor_source import LocalEventSource
from services.distributor_lambda.handler import lambda_handler


def main() -> int:
    try:
        settings = load_settings("distributor").require("MASTER_QUEUE_URL")
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    source = LocalEventSource(client("sqs"), settings.get("MASTER_QUEUE_URL") or "", lambda_handler,
                              region=settings.aws_region or "us-east-1")
    signal.signal(signal.SIGTERM, lambda *_: source.stop())
    signal.signal(signal.SIGINT, lambda *_: source.stop())
    try:
        source.run()
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
