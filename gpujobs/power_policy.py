"""Whether the GPU instance should be stopped, started or left alone: a pure function of live facts.

The same `decide()` runs in the Lambda, in the local power timer and in the cost simulator, so the
simulated figures are those of the code that is deployed.

Rules (docs/flows/power.md tells the story):
- Only an instance tagged `Purpose=GPU-ComfyUI` is ever touched; an instance that is `pending`,
  `stopping` or in any other state than `running`/`stopped` is left alone.
- Work waiting = a visible or delayed message, or a pending task created within the idle window
  (an older pending task with an empty queue has lost its message, or its message is in the
  dead-letter queue, where the power run fails its task; either way it must not hold the GPU on for
  ever).
- Work running = a processing task within its own time limit, or an in-flight message not explained
  by a task past its limit (rule B: a job past its limit does not hold the GPU on; the worker fails it).
- STOP (rule A, the idle rule): `running`, tagged, no work waiting or running, and no activity for
  the idle window.
- START: `stopped`, tagged, work waiting or running (a message left in flight by a stopped worker
  comes back visible; starting now saves the visibility timeout).

Activity is the newest of: the last-activity row (the worker writes it when a job ends), the newest
pending task's `created_at` (a submit), the newest finish among recent finished tasks, the instance
launch time (a fresh boot is not idle), and the deadline of an overdue job (the idle rule applies
from the moment rule B releases it).
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

GPU_TAG_KEY = "Purpose"
GPU_TAG_VALUE = "GPU-ComfyUI"


class Action(StrEnum):
    STOP = "stop"
    START = "start"
    NONE = "none"


@dataclass(frozen=True)
class ProcessingTask:
    """A task in `processing`: when its current attempt started (rule B measures from there)."""

    task_id: str
    started_at: int | None
    updated_at: int


@dataclass(frozen=True)
class PowerFacts:
    """Everything `decide()` looks at, read live just before deciding. Times are epoch seconds."""

    now: int
    instance_id: str
    instance_state: str | None  # None: no such instance
    tags: Mapping[str, str] = field(default_factory=dict)
    launch_time: int | None = None
    queue_visible: int = 0
    queue_in_flight: int = 0
    queue_delayed: int = 0
    pending_count: int = 0
    newest_pending_created_at: int | None = None
    processing: tuple[ProcessingTask, ...] = ()
    last_activity_at: int | None = None
    last_finished_at: int | None = None


@dataclass(frozen=True)
class PowerConfig:
    idle_window_s: int = 30 * 60
    job_timeout_s: int = 30 * 60
    tag_key: str = GPU_TAG_KEY
    tag_value: str = GPU_TAG_VALUE


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str
    idle_s: int | None = None  # seconds since the last activity, when the instance is idle
    work_waiting: bool = False
    work_running: bool = False
    overdue_jobs: int = 0


def is_overdue(task: ProcessingTask, now: int, config: PowerConfig) -> bool:
    started = task.started_at if task.started_at is not None else task.updated_at
    return now >= started + config.job_timeout_s


def last_activity(facts: PowerFacts, config: PowerConfig) -> int | None:
    """The newest activity time among the facts (see the module docstring), or None if none."""
    candidates = [facts.last_activity_at, facts.newest_pending_created_at, facts.last_finished_at,
                  facts.launch_time]
    for task in facts.processing:
        started = task.started_at if task.started_at is not None else task.updated_at
        candidates.append(started + config.job_timeout_s if is_overdue(task, facts.now, config) else facts.now)
    known = [t for t in candidates if t is not None]
    return max(known) if known else None


def decide(facts: PowerFacts, config: PowerConfig) -> Decision:
    if facts.instance_state is None:
        return Decision(Action.NONE, "instance not found")
    if facts.tags.get(config.tag_key) != config.tag_value:
        return Decision(Action.NONE, f"instance not tagged {config.tag_key}={config.tag_value}: never touched")

    overdue = sum(1 for t in facts.processing if is_overdue(t, facts.now, config))
    live_processing = len(facts.processing) - overdue
    fresh_pending = facts.pending_count > 0 and (
        facts.newest_pending_created_at is None
        or facts.now - facts.newest_pending_created_at < config.idle_window_s
    )
    waiting = facts.queue_visible > 0 or facts.queue_delayed > 0 or fresh_pending
    running = live_processing > 0 or facts.queue_in_flight - overdue > 0
    busy = {"work_waiting": waiting, "work_running": running, "overdue_jobs": overdue}

    state = facts.instance_state
    if state == "stopped":
        if waiting or running:
            return Decision(Action.START, "stopped with work waiting", **busy)
        return Decision(Action.NONE, "stopped and no work", **busy)
    if state != "running":
        return Decision(Action.NONE, f"instance is {state}: left alone", **busy)
    if waiting:
        return Decision(Action.NONE, "work waiting", **busy)
    if running:
        return Decision(Action.NONE, "job running", **busy)
    since = last_activity(facts, config)
    idle_s = None if since is None else max(0, facts.now - since)
    if idle_s is not None and idle_s < config.idle_window_s:
        return Decision(Action.NONE, f"idle {idle_s} s, below the {config.idle_window_s} s window",
                        idle_s=idle_s, **busy)
    reason = "idle past the window" if idle_s is not None else "no activity ever recorded"
    if overdue:
        reason += f" ({overdue} job(s) past their time limit do not hold it on)"
    return Decision(Action.STOP, reason, idle_s=idle_s, **busy)
