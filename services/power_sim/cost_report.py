"""Run both policies on one trace and put the figures side by side."""

from dataclasses import dataclass

from services.power_sim.simulation import DESIGN, OURS, SimParams, SimResult, ideal_billed_s, simulate
from services.power_sim.traces import Job


@dataclass(frozen=True)
class Comparison:
    jobs: list[Job]
    params: SimParams
    design: SimResult
    ours: SimResult
    ideal_s: int

    @property
    def ideal_gpu_hours(self) -> float:
        return self.ideal_s / 3600

    @property
    def ours_over_ideal(self) -> float:
        return self.ours.billed_s / self.ideal_s if self.ideal_s else float("nan")


def compare(jobs: list[Job], params: SimParams) -> Comparison:
    return Comparison(jobs, params, simulate(jobs, params, DESIGN), simulate(jobs, params, OURS),
                      ideal_billed_s(jobs, params.boot_s, params.idle_window_s))


def duration(seconds: int) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def clock(seconds: int) -> str:
    day, rest = divmod(int(seconds), 86400)
    text = f"{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"
    return f"day {day + 1} {text}" if day else text


def format_report(c: Comparison, trace_name: str) -> str:
    p, d, o = c.params, c.design, c.ours
    busy_h = sum(j.duration_s for j in c.jobs) / 3600
    rows = [
        ("GPU hours billed", f"{d.gpu_hours:.3f}", f"{o.gpu_hours:.3f}", f"{c.ideal_gpu_hours:.3f}"),
        (f"cost at ${p.price_per_hour:.2f}/h", f"${d.cost:.2f}", f"${o.cost:.2f}",
         f"${c.ideal_gpu_hours * p.price_per_hour:.2f}"),
        ("jobs interrupted by a stop", str(d.interrupted), str(o.interrupted), "0"),
        ("longest idle tail", duration(d.longest_idle_s), duration(o.longest_idle_s), duration(p.idle_window_s)),
        (f"times on past the window (+{p.over_window_grace_s} s)", str(d.over_window), str(o.over_window), "0"),
        ("starts / stops", f"{d.starts} / {d.stops}", f"{o.starts} / {o.stops}", ""),
        ("longest wait for a job to start", duration(d.max_wait_s), duration(o.max_wait_s), ""),
    ]
    lines = [
        f"trace: {trace_name}: {len(c.jobs)} jobs, {busy_h:.2f} busy GPU hours, simulated {duration(d.horizon_s)}",
        f"boot {p.boot_s} s, idle window {p.idle_window_s // 60} min, our check every {p.check_interval_s} s, "
        f"alarm metric delay {p.alarm.metric_delay_s} s, SQS sample every {p.alarm.sample_s} s",
        "",
        f"{'':38} {'design alarm':>14} {'ours':>14} {'ideal':>14}",
        *[f"{name:38} {a:>14} {b:>14} {e:>14}" for name, a, b, e in rows],
        "",
        f"ours / ideal = {c.ours_over_ideal:.4f}",
        "design alarm: fired at " + (", ".join(clock(t) for t in d.alarm_fired_at) or "never"),
    ]
    if d.interrupted_at:
        lines.append("design alarm: stopped mid-job at " + ", ".join(clock(t) for t in d.interrupted_at))
    if d.stuck_since is not None:
        stuck_s = d.horizon_s - d.stuck_since
        lines.append(f"design alarm: STUCK in ALARM with the GPU on and idle since {clock(d.stuck_since)}: "
                     f"{duration(stuck_s)} (${stuck_s / 3600 * p.price_per_hour:.2f}) to the end of the trace, "
                     "and nothing will fire again until a job is seen waiting")
    return "\n".join(lines)
