"""A one-second-step simulation of a pool as an Auto Scaling group of up to N GPU instances.

What is modelled (the same shape as simulation.py, one worker per instance):
- The API wakes a pool at zero on a submit: desired capacity 0 -> 1.
- Every `check_interval_s` the power run calls the real `desired_capacity()` on the facts the
  simulation holds and sets the group's desired capacity. A scale-out starts instances from the warm
  pool (stopped, models on disk): `boot_s` until their worker takes jobs, billed from the start.
- A scale-in stops in-service instances that are not protected, oldest start first (the group's
  `OldestInstance` termination policy); they return to the warm pool. A worker protects its instance
  from scale-in when it takes a job and lifts the protection when the job ends, so Auto Scaling never
  picks a busy one. `protect=False` shows what that buys: a stop may then hit a running job, which
  counts as interrupted and comes back visible after the visibility timeout.
- A ready worker takes the oldest waiting job (the lowest-numbered free instance polls first), one
  job at a time, and fails a job at `job_timeout_s` (rule B).
"""

import math
from array import array
from collections import deque
from dataclasses import dataclass, field

from gpujobs.power_policy import (
    FleetConfig,
    FleetInstance,
    PowerConfig,
    PowerFacts,
    ProcessingTask,
    desired_capacity,
)
from services.power_sim.simulation import SimParams, default_horizon
from services.power_sim.traces import Job


@dataclass
class Instance:
    state: str = "warm"  # warm (stopped in the warm pool) | booting | ready | stopping
    started_at: int = 0
    ready_at: int = 0
    stop_done_at: int = 0
    job: tuple[int, int] | None = None  # (job index, ends at)
    idle_since: int | None = None

    @property
    def in_service(self) -> bool:
        return self.state in ("booting", "ready")


@dataclass
class FleetResult:
    max_size: int
    params: SimParams
    horizon_s: int
    billed_s: int
    waits_s: list[int]  # per started job: seconds from submit to start
    starts: int
    stops: int
    interrupted: int
    timed_out: int
    in_service: array = field(repr=False)  # per second: instances billed (booting or ready)
    depth: array = field(repr=False)  # per second: waiting + running jobs

    @property
    def gpu_hours(self) -> float:
        return self.billed_s / 3600

    @property
    def median_wait_s(self) -> float:
        return percentile(self.waits_s, 50)

    @property
    def p95_wait_s(self) -> float:
        return percentile(self.waits_s, 95)


def percentile(values: list[int], pct: float) -> float:
    """The nearest-rank percentile (0 for no values): the smallest value with pct % of values at or below it."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)])


class FleetSimulation:
    def __init__(self, jobs: list[Job], params: SimParams, max_size: int, jobs_per_instance: int = 1,
                 protect: bool = True) -> None:
        self.protect = protect
        self.jobs = sorted(jobs, key=lambda j: j.arrival_s)
        self.params = params
        self.config = PowerConfig(idle_window_s=params.idle_window_s, job_timeout_s=params.job_timeout_s)
        self.fleet = FleetConfig(max_size=max_size, jobs_per_instance=jobs_per_instance)
        self.instances = [Instance() for _ in range(max_size)]
        self.queue: deque[int] = deque()
        self.returning: list[tuple[int, int]] = []  # (visible again at, job index)
        self.started_at: dict[int, int] = {}
        self.waits: list[int] = []
        self.last_finish: int | None = None
        self.starts = self.stops = self.interrupted = self.timed_out = 0

    def serving(self) -> list[Instance]:
        return [i for i in self.instances if i.in_service]

    def start(self, count: int, t: int) -> None:
        for instance in [i for i in self.instances if i.state == "warm"][:count]:
            instance.state, instance.started_at, instance.ready_at = "booting", t, t + self.params.boot_s
            instance.idle_since = t
            self.starts += 1

    def protected(self, instance: Instance) -> bool:
        return self.protect and instance.job is not None

    def scale_in(self, count: int, t: int) -> None:
        unprotected = sorted((i for i in self.serving() if not self.protected(i)), key=lambda i: i.started_at)
        for instance in unprotected[:count]:
            if instance.job is not None:
                self.interrupted += 1
                self.returning.append((t + self.params.visibility_timeout_s, instance.job[0]))
                instance.job = None
            instance.state, instance.stop_done_at = "stopping", t + self.params.stop_s
            self.stops += 1

    def facts(self, t: int) -> tuple[PowerFacts, tuple[FleetInstance, ...]]:
        running = [i.job[0] for i in self.instances if i.job is not None]
        facts = PowerFacts(
            now=t, instance_id="", instance_state=None,
            queue_visible=len(self.queue), queue_in_flight=len(running) + len(self.returning),
            pending_count=len(self.queue),
            newest_pending_created_at=max((self.jobs[k].arrival_s for k in self.queue), default=None),
            processing=tuple(ProcessingTask(str(k), self.started_at[k], t) for k in running),
            last_activity_at=self.last_finish, last_finished_at=self.last_finish,
        )
        seen = tuple(FleetInstance(str(n), "running" if i.state == "ready" else "pending", protected=self.protected(i),
                                   idle_since=i.idle_since)
                     for n, i in enumerate(self.instances) if i.in_service)
        return facts, seen

    def run(self) -> FleetResult:
        p = self.params
        horizon = p.horizon_s or default_horizon(self.jobs, p)
        in_service, depth = array("B", bytes(horizon)), array("H", [0]) * horizon
        billed = next_job = 0
        for t in range(horizon):
            for instance in self.instances:
                if instance.state == "booting" and t >= instance.ready_at:
                    instance.state = "ready"
                elif instance.state == "stopping" and t >= instance.stop_done_at:
                    instance.state = "warm"
                if instance.job is not None and t >= instance.job[1]:
                    instance.job, instance.idle_since, self.last_finish = None, t, t
            while self.returning and self.returning[0][0] <= t:
                self.queue.appendleft(self.returning.pop(0)[1])
            while next_job < len(self.jobs) and self.jobs[next_job].arrival_s <= t:
                self.queue.append(next_job)
                next_job += 1
                if not self.serving() and self.fleet.max_size:
                    self.start(1, t)  # the API wakes a pool at zero
            for instance in self.instances:
                if instance.state == "ready" and instance.job is None and self.queue:
                    index = self.queue.popleft()
                    if index not in self.started_at:  # a job handed back waits once, from its submit
                        self.waits.append(t - self.jobs[index].arrival_s)
                    self.started_at[index] = t
                    if self.jobs[index].duration_s > p.job_timeout_s:
                        self.timed_out += 1
                    instance.job = (index, t + min(self.jobs[index].duration_s, p.job_timeout_s))
            if t % p.check_interval_s == 0:
                decision = desired_capacity(*self.facts(t), self.config, self.fleet)
                if decision.change > 0:
                    self.start(decision.change, t)
                elif decision.change < 0:
                    self.scale_in(-decision.change, t)
            serving = len(self.serving())
            billed += serving
            in_service[t] = serving
            running = sum(1 for i in self.instances if i.job is not None)
            depth[t] = min(65535, len(self.queue) + len(self.returning) + running)
        return FleetResult(max_size=self.fleet.max_size, params=p, horizon_s=horizon, billed_s=billed,
                           waits_s=self.waits, starts=self.starts, stops=self.stops, interrupted=self.interrupted,
                           timed_out=self.timed_out, in_service=in_service, depth=depth)


def simulate_fleet(jobs: list[Job], params: SimParams, max_size: int, jobs_per_instance: int = 1,
                   protect: bool = True) -> FleetResult:
    return FleetSimulation(jobs, params, max_size, jobs_per_instance, protect).run()


@dataclass(frozen=True)
class IdealFleet:
    instances: int
    billed_s: int
    waits_s: list[int]

    @property
    def gpu_hours(self) -> float:
        return self.billed_s / 3600

    @property
    def p95_wait_s(self) -> float:
        return percentile(self.waits_s, 95)


def ideal_fleet(jobs: list[Job], instances: int, boot_s: int, idle_window_s: int, job_timeout_s: int) -> IdealFleet:
    """The same rules with no delay and a free choice of instance (docs/flows/fleet.md).

    A job starts at once on a free instance that is on (the one that finished last, so the others
    reach the end of their window first); with none free, it waits for the first instance to free up
    when that comes sooner than a boot, else (fewer than `instances` on) it starts an instance and runs
    `boot_s` later: each job starts as early as it can, and no instance is started that a wait as
    short as a boot would have spared. Each
    instance stops exactly `idle_window_s` after its last job ends unless a job reaches it first.
    Billed = for every on-period of every instance: its boot, its jobs, its idle gaps shorter than the
    window, and one idle window. With one instance this is `simulation.ideal_billed_s()`.
    """
    on: list[list[int]] = []  # [on since, free at]
    billed, waits = 0, []
    for job in sorted(jobs, key=lambda j: j.arrival_s):
        arrival = job.arrival_s
        for period in [p for p in on if p[1] + idle_window_s <= arrival]:
            billed += period[1] + idle_window_s - period[0]
            on.remove(period)
        free = [p for p in on if p[1] <= arrival]
        if free:
            period, start = max(free, key=lambda p: p[1]), arrival
        elif len(on) < instances and min((p[1] for p in on), default=arrival + boot_s + 1) > arrival + boot_s:
            period, start = [arrival, arrival + boot_s], arrival + boot_s
            on.append(period)
        else:
            period = min(on, key=lambda p: p[1])
            start = period[1]
        period[1] = start + min(job.duration_s, job_timeout_s)
        waits.append(start - arrival)
    billed += sum(p[1] + idle_window_s - p[0] for p in on)
    return IdealFleet(instances, billed, waits)


def fewest_ideal(jobs: list[Job], params: SimParams, max_size: int, p95_wait_s: float) -> IdealFleet:
    """The ideal of the fewest instances (at most `max_size`) that start jobs within the given p95 wait."""
    best = None
    for count in range(1, max(1, max_size) + 1):
        best = ideal_fleet(jobs, count, params.boot_s, params.idle_window_s, params.job_timeout_s)
        if best.p95_wait_s <= p95_wait_s:
            break
    assert best is not None
    return best
