"""A one-second-step simulation of the GPU instance, the task queue and one worker, under a power policy.

Both policies share everything but the stopping rule: the API starts the instance on a submit
when it is `stopped` (not when `stopping`: that job waits), a boot takes `boot_s` (billed: most of
it is the OS and ComfyUI starting on a running instance), the worker takes one job at a time the
moment the instance is ready (and fails a job at `job_timeout_s`), and a stop interrupts the job
in progress, whose message comes back visible after the visibility timeout.

- "design": the `QueueEmptyFor30Min` alarm (design_alarm.py) -> SNS -> a Lambda that stops the
  instance if it is `running`.
- "ours": every `check_interval_s` the real `decide()` of the power Lambda on the facts the
  simulation holds (instance state, queue counts, pending/processing tasks, last activity), and
  its STOP or START applied.
"""

from array import array
from collections import deque
from dataclasses import dataclass, field

from gpujobs.power_policy import (
    GPU_TAG_KEY,
    GPU_TAG_VALUE,
    Action,
    PowerConfig,
    PowerFacts,
    ProcessingTask,
    decide,
)
from services.power_sim.design_alarm import ALARM, AlarmModel, AlarmSpec
from services.power_sim.traces import Job

DESIGN = "design"
OURS = "ours"
TAGS = {GPU_TAG_KEY: GPU_TAG_VALUE}


@dataclass(frozen=True)
class SimParams:
    boot_s: int = 120
    pending_s: int = 30  # the EC2 `pending` part of the boot; the design's Lambda stops only `running`
    stop_s: int = 30  # `stopping`: not billed, cannot be started
    price_per_hour: float = 1.21
    idle_window_s: int = 30 * 60
    check_interval_s: int = 60
    job_timeout_s: int = 2 * 3600  # rule B limit in the simulated decide(); above the trace's longest job
    visibility_timeout_s: int = 300
    over_window_grace_s: int = 120  # an idle stretch longer than window + this counts as "on past the window"
    horizon_s: int | None = None
    alarm: AlarmSpec = field(default_factory=AlarmSpec)


@dataclass
class SimResult:
    policy: str
    params: SimParams
    horizon_s: int
    billed_s: int
    interrupted_at: list[int]
    starts: int
    stops: int
    idle_stretches: list[tuple[int, int]]  # [start, end) of stretches on, ready and without work
    max_wait_s: int  # longest time a job waited from submit to start (a stranded job shows here)
    timed_out: int  # attempts the worker failed at the job time limit
    on: array  # per second: 1 while billed
    depth: array  # per second: visible + in-flight messages
    alarm_transitions: list[tuple[int, str]] = field(default_factory=list)
    alarm_fired_at: list[int] = field(default_factory=list)
    stuck_since: int | None = None  # on, idle and alarm in ALARM from here to the end of the trace

    @property
    def gpu_hours(self) -> float:
        return self.billed_s / 3600

    @property
    def cost(self) -> float:
        return self.gpu_hours * self.params.price_per_hour

    @property
    def interrupted(self) -> int:
        return len(self.interrupted_at)

    @property
    def longest_idle_s(self) -> int:
        return max((end - start for start, end in self.idle_stretches), default=0)

    @property
    def over_window(self) -> int:
        limit = self.params.idle_window_s + self.params.over_window_grace_s
        return sum(1 for start, end in self.idle_stretches if end - start > limit)


def default_horizon(jobs: list[Job], params: SimParams) -> int:
    """The end of the last day the trace touches, later if the work and two idle windows spill past it."""
    work_end = 0
    for job in sorted(jobs, key=lambda j: j.arrival_s):
        work_end = max(work_end, job.arrival_s + params.boot_s) + job.duration_s
    end_of_day = (max((j.arrival_s for j in jobs), default=0) // 86400 + 1) * 86400
    return max(end_of_day, work_end + 2 * params.idle_window_s + params.boot_s)


class Simulation:
    def __init__(self, jobs: list[Job], params: SimParams, policy: str) -> None:
        if policy not in (DESIGN, OURS):
            raise ValueError(f"unknown policy {policy!r}")
        self.jobs = sorted(jobs, key=lambda j: j.arrival_s)
        self.params = params
        self.policy = policy
        self.config = PowerConfig(idle_window_s=params.idle_window_s, job_timeout_s=params.job_timeout_s)
        self.alarm = AlarmModel(params.alarm)
        self.state = "stopped"  # stopped | booting | ready | stopping
        self.boot_started: int | None = None
        self.ready_at = self.stop_done_at = 0
        self.queue: deque[int] = deque()
        self.returning: list[tuple[int, int]] = []  # (visible again at, job index)
        self.started_at: dict[int, int] = {}
        self.current: tuple[int, int] | None = None  # (job index, ends at)
        self.last_finish: int | None = None
        self.interrupted_at: list[int] = []
        self.starts = self.stops = self.timed_out = 0
        self.max_wait = 0

    # -- the instance ------------------------------------------------------------------------

    def ec2_state(self, t: int) -> str:
        if self.state == "booting":
            assert self.boot_started is not None
            return "pending" if t < self.boot_started + self.params.pending_s else "running"
        return {"stopped": "stopped", "ready": "running", "stopping": "stopping"}[self.state]

    def start(self, t: int) -> None:
        self.state, self.boot_started, self.ready_at = "booting", t, t + self.params.boot_s
        self.starts += 1

    def stop(self, t: int) -> None:
        if self.current is not None:
            index, _ = self.current
            self.interrupted_at.append(t)
            self.returning.append((t + self.params.visibility_timeout_s, index))
            self.current = None
        self.state, self.stop_done_at = "stopping", t + self.params.stop_s
        self.stops += 1

    # -- the facts our policy reads -------------------------------------------------------------

    def facts(self, t: int) -> PowerFacts:
        pending = [i for i in self.queue if i not in self.started_at]
        claimed = [i for i in self.started_at if self.started_at[i] >= 0]
        return PowerFacts(
            now=t, instance_id="i-simulated", instance_state=self.ec2_state(t), tags=TAGS,
            launch_time=self.boot_started,
            queue_visible=len(self.queue),
            queue_in_flight=(1 if self.current else 0) + len(self.returning),
            pending_count=len(pending),
            newest_pending_created_at=max((self.jobs[i].arrival_s for i in pending), default=None),
            processing=tuple(ProcessingTask(str(i), self.started_at[i], t) for i in claimed),
            last_activity_at=self.last_finish,
            last_finished_at=self.last_finish,
        )

    # -- the run ----------------------------------------------------------------------------

    def run(self) -> SimResult:
        p = self.params
        horizon = p.horizon_s or default_horizon(self.jobs, p)
        on, depth = array("B", bytes(horizon)), array("H", [0]) * horizon
        billed = 0
        idle_stretches: list[tuple[int, int]] = []
        idle_start: int | None = None
        next_job = 0
        for t in range(horizon):
            if self.state == "booting" and t >= self.ready_at:
                self.state = "ready"
            elif self.state == "stopping" and t >= self.stop_done_at:
                self.state = "stopped"
            while self.returning and self.returning[0][0] <= t:
                self.queue.appendleft(self.returning.pop(0)[1])
            while next_job < len(self.jobs) and self.jobs[next_job].arrival_s <= t:
                self.queue.append(next_job)
                next_job += 1
                self.alarm.queue_called(t)
                if self.state == "stopped":
                    self.start(t)  # the API, on submit
            if self.current is not None and t >= self.current[1]:
                index, _ = self.current
                self.started_at[index] = -1  # finished: no longer processing
                self.current, self.last_finish = None, t
            if self.state == "ready":
                self.alarm.queue_called(t)  # the worker long-polls
                if self.current is None and self.queue:
                    index = self.queue.popleft()
                    self.max_wait = max(self.max_wait, t - self.jobs[index].arrival_s)
                    self.started_at[index] = t
                    if self.jobs[index].duration_s > p.job_timeout_s:
                        self.timed_out += 1  # the worker fails it at its limit (rule B)
                    self.current = (index, t + min(self.jobs[index].duration_s, p.job_timeout_s))
            self.alarm.sample(t, len(self.queue))
            fired = self.alarm.evaluate(t)
            if self.policy == DESIGN:
                if fired and self.ec2_state(t) == "running":
                    self.stop(t)
            elif t % p.check_interval_s == 0:
                decision = decide(self.facts(t), self.config)
                if decision.action is Action.STOP:
                    self.stop(t)
                elif decision.action is Action.START:
                    self.start(t)
            billed_now = self.state in ("booting", "ready")
            idle_now = self.state == "ready" and self.current is None and not self.queue and not self.returning
            if idle_now and idle_start is None:
                idle_start = t
            elif not idle_now and idle_start is not None:
                idle_stretches.append((idle_start, t))
                idle_start = None
            billed += billed_now
            on[t] = billed_now
            depth[t] = min(65535, len(self.queue) + (1 if self.current else 0) + len(self.returning))
        stuck_since = None
        if idle_start is not None:
            idle_stretches.append((idle_start, horizon))
            if self.alarm.state == ALARM and horizon - idle_start > p.idle_window_s:
                stuck_since = idle_start
        return SimResult(
            policy=self.policy, params=p, horizon_s=horizon, billed_s=billed, interrupted_at=self.interrupted_at,
            starts=self.starts, stops=self.stops, idle_stretches=idle_stretches, max_wait_s=self.max_wait,
            timed_out=self.timed_out,
            on=on, depth=depth,
            alarm_transitions=self.alarm.transitions if self.policy == DESIGN else [],
            alarm_fired_at=self.alarm.fired_at if self.policy == DESIGN else [],
            stuck_since=stuck_since if self.policy == DESIGN else None,
        )


def simulate(jobs: list[Job], params: SimParams, policy: str) -> SimResult:
    return Simulation(jobs, params, policy).run()


def ideal_billed_s(jobs: list[Job], boot_s: int, idle_window_s: int) -> int:
    """The billed seconds of a clairvoyant-free but instant policy: started by the submit that finds
    it off, stopped exactly `idle_window_s` after the last job ends unless a job arrives first.

    The instance is on in "on-periods". A period opens at the arrival of a job that finds it off
    (the first job, or one arriving `idle_window_s` or more after the previous work ended), boots for
    `boot_s`, runs jobs one at a time in arrival order (a job starts at max(arrival, ready, previous
    end)), and closes `idle_window_s` after its last job ends. So

        ideal = busy time (sum of durations)
              + boot_s per on-period
              + idle gaps shorter than the window (rule A keeps the instance on through them)
              + one idle_window_s per on-period (the idle gap that ends it).
    """
    billed = 0
    period_start: int | None = None
    busy_until = ready = 0
    for job in sorted(jobs, key=lambda j: j.arrival_s):
        if period_start is None or job.arrival_s >= busy_until + idle_window_s:
            if period_start is not None:
                billed += busy_until + idle_window_s - period_start
            period_start, ready = job.arrival_s, job.arrival_s + boot_s
            busy_until = ready
        start = max(job.arrival_s, ready, busy_until)
        busy_until = start + job.duration_s
    if period_start is not None:
        billed += busy_until + idle_window_s - period_start
    return billed
