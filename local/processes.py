"""Stopping the processes a tool or a test started, by PID (or by the process group it gave them), always bounded."""

import os
import signal
import subprocess
from collections.abc import Iterable


def stop(processes: Iterable[subprocess.Popen], timeout_s: float = 30.0, group: bool = False) -> None:
    """SIGTERM every one still running, then wait for each; SIGKILL one that outlives `timeout_s`. With
    `group`, the signals go to the process group the process leads (started with start_new_session)."""
    started = list(processes)

    def send(process: subprocess.Popen, signum: int) -> None:
        if process.poll() is None:
            if group:
                os.killpg(process.pid, signum)
            else:
                process.send_signal(signum)

    for process in started:
        send(process, signal.SIGTERM)
    for process in started:
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            send(process, signal.SIGKILL)
            process.wait(timeout=10)
