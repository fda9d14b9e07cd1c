"""`python -m local.power_timer`: the power Lambda's logic on a timer, for `make up`.

Runs the same run as the Lambda (settle the dead letters, decide, act) every POWER_CHECK_INTERVAL_S
seconds (default 15) against whatever AWS_ENDPOINT_URL names (the emulator), from `power_environment`
of the outputs file, with a short idle window (IDLE_MINUTES, default 2 here) so a person watching
sees the instance stop. One JSON log line per decision. SIGTERM/SIGINT only set a flag; every wait
is on that flag, so it exits within a moment.
"""

import signal
import sys
import threading
import time

from botocore.exceptions import BotoCoreError, ClientError

from gpujobs.errors import ConfigError
from gpujobs.settings import Settings, load_settings
from services.shutdown_lambda.handler import build_run, logger, metrics
from services.shutdown_lambda.power_config import PowerRunConfig

LOCAL_IDLE_MINUTES = 2


class PowerTimer:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.interval_s = settings.number("POWER_CHECK_INTERVAL_S", 15.0, minimum=0.1, maximum=3600)
        self.stopping = threading.Event()

    def stop(self) -> None:
        self.stopping.set()

    def run(self) -> int:
        settings = self.settings
        config = PowerRunConfig.from_settings(settings, idle_minutes_default=LOCAL_IDLE_MINUTES)
        run = build_run(settings, config, time.time, dry_run=config.dry_run, sleep=self.stopping.wait,
                        restart_wait_s=min(40.0, 4 * self.interval_s))
        logger.info("power timer started", extra={"interval_s": self.interval_s,
                                                  "idle_window_s": config.policy.idle_window_s,
                                                  "instance_id": settings.gpu_instance_id, "pool": settings.pool,
                                                  "dry_run": config.dry_run})
        while not self.stopping.is_set():
            try:
                run.run("local-timer")
            except (ClientError, BotoCoreError) as exc:
                logger.warning("power check failed; retrying next tick",
                               extra={"error": type(exc).__name__, "detail": str(exc)[:300]})
            metrics.clear_metrics()  # EMF goes to CloudWatch Logs in Lambda; locally there is nothing to ship to
            self.stopping.wait(self.interval_s)
        logger.info("power timer stopped")
        return 0


def main() -> int:
    try:
        timer = PowerTimer(load_settings("power"))
        signal.signal(signal.SIGTERM, lambda _s, _f: timer.stop())
        signal.signal(signal.SIGINT, lambda _s, _f: timer.stop())
        return timer.run()
    except ConfigError as exc:
        logger.error("power timer cannot start", extra={"error": str(exc)})
        return 2


if __name__ == "__main__":
    sys.exit(main())
