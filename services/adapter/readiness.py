"""Whether the Unified API takes jobs now; the worker's slots receive messages only while it does.

While ComfyUI starts or loads models (minutes on a freshly booted instance) the Unified API's
/health answers 503. A worker that received messages then would only retry them and hand them back,
and every hand-back costs a receive the queue counts towards its dead-letter limit. So a slot asks
`wait_ready()` before each receive: at start, and after a job found the Unified API unavailable
(`lost()`), it waits, probing /health with capped exponential backoff, until /health says ready or
the worker stops. While the Unified API is known ready, asking costs nothing.
"""

import logging
import random
import threading
from collections.abc import Callable

from services.adapter.retry_policy import backoff_delay
from services.adapter.unified_api import Health

log = logging.getLogger(__name__)


class Readiness:
    def __init__(self, probe: Callable[[], Health], stopping: threading.Event, rng: random.Random,
                 base_s: float = 0.5, cap_s: float = 10.0) -> None:
        self.probe = probe
        self.stopping = stopping
        self.rng = rng
        self.base_s = base_s
        self.cap_s = cap_s
        self._ready = threading.Event()
        self._probing = threading.Lock()  # one slot probes; the others wait for its answer

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def lost(self, reason: str) -> None:
        """A call found the Unified API unavailable: no slot receives until /health says ready again."""
        if self._ready.is_set():
            self._ready.clear()
            log.warning("Unified API unavailable (%s); no new messages until its /health says ready", reason)

    def wait_ready(self) -> bool:
        """True once the Unified API is ready; False if the worker stops first."""
        if self._ready.is_set():
            return True
        with self._probing:
            attempt = 0
            last_reason = None
            while not self._ready.is_set():
                if self.stopping.is_set():
                    return False
                health = self.probe()
                if health.ready:
                    self._ready.set()
                    if last_reason is not None:
                        log.info("Unified API ready; receiving messages again")
                    break
                if health.reason != last_reason:
                    log.warning("Unified API not ready: %s; waiting before receiving messages", health.reason)
                    last_reason = health.reason
                self.stopping.wait(backoff_delay(attempt, self.base_s, self.cap_s, self.rng))
                attempt += 1
        return not self.stopping.is_set()
