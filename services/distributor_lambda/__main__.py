"""`python -m services.distributor_lambda`: the distributor on the emulator, fed by a local event source.

Reads the function's own settings (REGION_QUEUES, MASTER_DLQ_URL, IDEMPOTENCY_TABLE, ...) plus
MASTER_QUEUE_URL, and runs until SIGINT or SIGTERM.
"""

import os
import signal
import sys

from gpujobs.aws_clients import client
from gpujobs.errors import ConfigError
from local.distributor_source import LocalEventSource
from services.distributor_lambda.handler import lambda_handler


def main() -> int:
    queue_url = os.environ.get("MASTER_QUEUE_URL", "").strip()
    if not queue_url:
        print("MASTER_QUEUE_URL is not set", file=sys.stderr)
        return 2
    source = LocalEventSource(client("sqs"), queue_url, lambda_handler,
                              region=os.environ.get("AWS_REGION", "us-east-1"))
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
