"""What a person waiting for a job sees: a state (queued, GPU starting, processing, done) and the time.

The API's status says `pending` both while the job waits behind others on a running GPU and while
the GPU is still booting. A field naming the instance's state is used when the API sends one;
otherwise a job pending for more than QUEUED_FOR_S is shown as waiting for the GPU to start, since
a running worker picks a job up within a couple of seconds.
"""

import sys
import time
from typing import Any, TextIO

QUEUED_FOR_S = 5.0
_GPU_STATE_FIELDS = ("gpu_state", "instance_state")
_GPU_NOT_UP = {"stopped", "stopping", "pending", "starting", "booting"}

LABELS = {
    "queued": "queued",
    "gpu_starting": "GPU starting",
    "processing": "processing",
    "done": "done",
    "failed": "failed",
    "cancelled": "cancelled",
}


def job_phase(job: dict[str, Any], waited_s: float) -> str:
    """One of LABELS' keys for a status document, `waited_s` being how long the job has existed."""
    status = job.get("status")
    if status == "completed":
        return "done"
    if status in ("failed", "cancelled"):
        return str(status)
    if status == "processing":
        return "processing"
    gpu = next((job[f] for f in _GPU_STATE_FIELDS if isinstance(job.get(f), str)), None)
    if gpu is not None:
        return "gpu_starting" if gpu.lower() in _GPU_NOT_UP else "queued"
    return "gpu_starting" if waited_s > QUEUED_FOR_S else "queued"


def format_elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressLine:
    """One line rewritten in place on a terminal; elsewhere (logs, CI) a line per change of state."""

    def __init__(self, job_id: str, stream: TextIO | None = None) -> None:
        self.job_id = job_id
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty()
        self._last_phase: str | None = None
        self._width = 0

    def show(self, phase: str, elapsed_s: float, note: str = "") -> None:
        text = f"job {self.job_id}  {LABELS.get(phase, phase):<13} {format_elapsed(elapsed_s):>7}"
        if note:
            text += f"  ({note})"
        if self.interactive:
            padding = " " * max(0, self._width - len(text))
            self.stream.write("\r" + text + padding)
            self._width = len(text)
            self.stream.flush()
        elif phase != self._last_phase or note:
            self.stream.write(text + "\n")
            self.stream.flush()
        self._last_phase = phase

    def finish(self) -> None:
        if self.interactive and self._width:
            self.stream.write("\n")
            self.stream.flush()


def job_age(job: dict[str, Any], started: float, now: float | None = None) -> float:
    """Seconds since the job was created (server clock) or, without that field, since waiting began."""
    now = time.time() if now is None else now
    created = job.get("created_at")
    if isinstance(created, int | float) and 0 < created <= now + 60:
        return max(0.0, now - float(created))
    return max(0.0, now - started)
