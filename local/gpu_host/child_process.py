"""One supervised child: started in its own process group, stopped with SIGTERM, then SIGKILL.

Its own process group lets a terminal's Ctrl-C reach only the host, which then stops the children
in order; on Linux the child also gets SIGTERM if the host dies, so nothing is left holding a port.
"""

import contextlib
import ctypes
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping

from local.gpu_host.host_config import ChildSpec

log = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


class Child:
    def __init__(self, spec: ChildSpec, env: Mapping[str, str]) -> None:
        self.spec = spec
        self.env = dict(env)
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at: float | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def exit_code(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def start(self, now: float) -> None:
        """Start the command; `now` is the supervisor's clock reading, kept for its restart delay."""
        self.process = subprocess.Popen(
            list(self.spec.command), env=self.env, start_new_session=True, preexec_fn=_die_with_parent,
        )
        self.started_at = now
        log.info("child started", extra={"event": "child_started", "child": self.spec.name, "pid": self.pid,
                                         "command": " ".join(self.spec.command)})

    def stop(self) -> str:
        """SIGTERM, wait up to the spec's bound, then SIGKILL; returns how it ended."""
        if self.process is None:
            return "not started"
        if self.process.poll() is not None:
            return f"had exited ({self.process.returncode})"
        began = time.monotonic()
        self._signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=self.spec.stop_timeout_s)
            outcome = f"terminated ({code})"
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            code = self.process.wait(timeout=10)
            outcome = f"killed after {self.spec.stop_timeout_s:g} s ({code})"
        log.info("child stopped", extra={"event": "child_stopped", "child": self.spec.name, "pid": self.pid,
                                         "outcome": outcome, "took_s": round(time.monotonic() - began, 3)})
        return outcome

    def _signal(self, signum: int) -> None:
        assert self.process is not None
        try:
            os.killpg(self.process.pid, signum)
        except ProcessLookupError:
            pass
        except PermissionError:
            self.process.send_signal(signum)
