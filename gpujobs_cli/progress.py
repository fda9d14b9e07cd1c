"""What a person waiting for a job sees: a state (queued, GPU starting, processing, done), the time and,
while processing, a bar of the job's `progress` (0-1, as the worker last copied it from the GPU).

The API's status says `pending` both while the job waits behind others on a running GPU and while
the GPU is still booting. A field naming the instance's state is used when the API sends one;
otherwise a job pending for more than QUEUED_FOR_S is shown as waiting for the GPU to start, since
a running worker picks a job up within a couple of seconds.
"""

import sys
import time
from typing import Any, TextIO

QUEUED_FOR_S = 5.0
BAR_WIDTH = 20
# Off a terminal a new line is written when the progress moved this much (besides each change of phase).
LINE_STEP = 0.25
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


def job_progress(job: dict[str, Any]) -> float | None:
    """The status document's `progress`, 0-1, or None when it has none."""
    value = job.get("progress")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return min(1.0, max(0.0, float(value)))


def progress_bar(fraction: float, width: int = BAR_WIDTH) -> str:
    done = int(fraction * width + 1e-9)
    return f"[{'#' * done}{'.' * (width - done)}] {int(fraction * 100 + 1e-9):3d}%"


def format_elapsed(seconds: float) -> str:
    seconds = max(0, int(seconds))
    minutes, secs = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressLine:
    """One line rewritten in place on a terminal; elsewhere (logs, CI) a line per change of state and
    per quarter of progress."""

    def __init__(self, job_id: str, stream: TextIO | None = None) -> None:
        self.job_id = job_id
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty()
        self._last_phase: str | None = None
        self._last_fraction: float | None = None
        self._width = 0

    def show(self, phase: str, elapsed_s: float, note: str = "", fraction: float | None = None) -> None:
        text = f"job {self.job_id}  {LABELS.get(phase, phase):<13} {format_elapsed(elapsed_s):>7}"
        drawn = fraction if phase == "processing" else None
        if drawn is not None:
            text += f"  {progress_bar(drawn)}"
        if note:
            text += f"  ({note})"
        if self.interactive:
            padding = " " * max(0, self._width - len(text))
            self.stream.write("\r" + text + padding)
            self._width = len(text)
            self.stream.flush()
        elif phase != self._last_phase or note or self._moved(drawn):
            self.stream.write(text + "\n")
            self.stream.flush()
            self._last_fraction = drawn
        self._last_phase = phase

    def _moved(self, fraction: float | None) -> bool:
        if fraction is None:
            return False
        return self._last_fraction is None or fraction - self._last_fraction >= LINE_STEP

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
