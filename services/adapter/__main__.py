"""`python -m services.adapter`: the worker as a service (systemd runs it on the GPU instance)."""

import logging
import os
import signal
import sys

from gpujobs.errors import ConfigError
from gpujobs.json_logging import configure_logging
from gpujobs.settings import load_settings
from gpujobs.workflow_spec import WorkflowSpecError
from services.adapter.worker import Worker
from services.adapter.worker_config import WorkerConfig

log = logging.getLogger("services.adapter")


def main() -> int:
    configure_logging("sqs-adapter", os.environ.get("LOG_LEVEL", "INFO"))
    try:
        settings = load_settings("worker")
        worker = Worker(settings, WorkerConfig.from_settings(settings))
    except (ConfigError, WorkflowSpecError) as exc:
        log.error("cannot start: %s", exc)
        return 2

    def request_stop(signum: int, _frame: object) -> None:
        worker.stop()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        worker.run()
    except ConfigError as exc:
        log.error("cannot start: %s", exc)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
