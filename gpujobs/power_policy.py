"""Whether the GPU instance should be stopped, started or left alone: a pure function of live facts.

The same `decide()` runs in the Lambda, in the local power timer and in the cost simulator, so the
simulated figures are those of the code that is deployed.

Rules (docs/flows/power.md tells the story):
- Only an instance tagged `Purpose=GPU-ComfyUI` is ever touched; an instance that is `pending`,
  `stopping` or in any other state than `running`/`stopped` is left alone.
- Work waiting = a visible or delayed message that some open task can use (a cancelled job's message
  waits for a worker to drop it, and wakes nothing), or a pending task created within the idle window
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

A pool can be a fleet (an Auto Scaling group): `desired_capacity()` is then the decision, and
`decide()` above is that same decision for a pool of one instance (docs/flows/fleet.md):
- backlog = jobs waiting + jobs running (rule B: overdue jobs excluded); wanted instances =
  ceil(backlog / jobs_per_instance), at most `max_size`;
- scale out at once when the wanted count exceeds the instances in service (running or starting);
- scale in only by instances that are unprotected and idle for the whole window, so to zero when
  there is nothing; never below the in-service instances protected from scale-in (a worker holds
  a job on each).
"""

import math
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
    open_tasks: int | None = None
    """Tasks a queued message can still run: pending ones (of every pool) and this pool's processing ones.
    Visible or delayed messages beyond them are a cancelled job's or a finished job's duplicate, which a
    worker only drops, so they wake no GPU. None: not read (every message counts)."""


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


@dataclass(frozen=True)
class FleetInstance:
    """One instance of a pool as the capacity decision sees it (epoch seconds)."""

    instance_id: str
    state: str  # "pending" or "running" count as in service; any other state is ignored
    protected: bool = False  # scale-in protection: its worker holds a job
    idle_since: int | None = None  # its last job's end or its launch, the newer; None: never active

    @property
    def in_service(self) -> bool:
        return self.state in ("pending", "running")


@dataclass(frozen=True)
class FleetConfig:
    """A pool's size limit and how many queued or running jobs one instance is meant to carry."""

    max_size: int = 1
    jobs_per_instance: int = 1

    def __post_init__(self) -> None:
        if self.max_size < 0 or self.jobs_per_instance < 1:
            raise ValueError(f"max_size must be >= 0 and jobs_per_instance >= 1, got {self}")


@dataclass(frozen=True)
class CapacityDecision:
    desired: int
    in_service: int
    reason: str
    backlog: int = 0
    idle_s: int | None = None  # seconds the longest-idle removable instance has been idle
    work_waiting: bool = False
    work_running: bool = False
    overdue_jobs: int = 0

    @property
    def change(self) -> int:
        return self.desired - self.in_service


def desired_capacity(facts: PowerFacts, instances: tuple[FleetInstance, ...], config: PowerConfig,
                     fleet: FleetConfig) -> CapacityDecision:
    """The pool's desired capacity from its backlog; `facts`' instance fields are not read here."""
    overdue = sum(1 for t in facts.processing if is_overdue(t, facts.now, config))
    fresh_pending = facts.pending_count > 0 and (
        facts.newest_pending_created_at is None
        or facts.now - facts.newest_pending_created_at < config.idle_window_s
    )
    queued = facts.queue_visible + facts.queue_delayed
    if facts.open_tasks is not None:
        queued = min(queued, facts.open_tasks)
    waiting = max(queued, facts.pending_count if fresh_pending else 0)
    running = max(len(facts.processing) - overdue, facts.queue_in_flight - overdue, 0)
    backlog = waiting + running
    busy = {"backlog": backlog, "work_waiting": waiting > 0, "work_running": running > 0, "overdue_jobs": overdue}

    serving = [i for i in instances if i.in_service]
    in_service = len(serving)
    protected = sum(1 for i in serving if i.protected)
    wanted = min(fleet.max_size, math.ceil(backlog / fleet.jobs_per_instance))
    if wanted > in_service:
        return CapacityDecision(max(wanted, protected), in_service, "stopped with work waiting" if not in_service
                                else f"backlog {backlog} wants {wanted} instance(s)", **busy)
    idle = [facts.now - i.idle_since if i.idle_since is not None else None
            for i in serving if i.state == "running" and not i.protected]
    expired = [s for s in idle if s is None or s >= config.idle_window_s]
    desired = max(wanted, protected, in_service - len(expired), 0)
    if desired < in_service:
        longest = max(expired, key=lambda s: -1 if s is None else s)
        idle_s = None if longest is None else max(0, longest)
        reason = "idle past the window" if idle_s is not None else "no activity ever recorded"
        if overdue:
            reason += f" ({overdue} job(s) past their time limit do not hold it on)"
        return CapacityDecision(desired, in_service, reason, idle_s=idle_s, **busy)
    if not in_service:
        return CapacityDecision(0, 0, "stopped and no work", **busy)
    if waiting:
        return CapacityDecision(desired, in_service, "work waiting", **busy)
    if running:
        return CapacityDecision(desired, in_service, "job running", **busy)
    shortest = min((s for s in idle if s is not None), default=None)
    if shortest is None:
        return CapacityDecision(desired, in_service, "instances starting or protected", **busy)
    return CapacityDecision(desired, in_service, f"idle {max(0, shortest)} s, below the {config.idle_window_s} s "
                            "window", idle_s=max(0, shortest), **busy)


def decide(facts: PowerFacts, config: PowerConfig) -> Decision:
    """The power decision for a pool of one instance: `desired_capacity()` with a maximum of 1."""
    if facts.instance_state is None:
        return Decision(Action.NONE, "instance not found")
    if facts.tags.get(config.tag_key) != config.tag_value:
        return Decision(Action.NONE, f"instance not tagged {config.tag_key}={config.tag_value}: never touched")
    state = facts.instance_state
    instances = ()
    if state == "running":
        instances = (FleetInstance(facts.instance_id, state, idle_since=last_activity(facts, config)),)
    capacity = desired_capacity(facts, instances, config, FleetConfig(max_size=1))
    busy = {"work_waiting": capacity.work_waiting, "work_running": capacity.work_running,
            "overdue_jobs": capacity.overdue_jobs}
    if state not in ("running", "stopped"):
        return Decision(Action.NONE, f"instance is {state}: left alone", **busy)
    action = Action.START if capacity.change > 0 else Action.STOP if capacity.change < 0 else Action.NONE
    return Decision(action, capacity.reason, idle_s=capacity.idle_s, **busy)
