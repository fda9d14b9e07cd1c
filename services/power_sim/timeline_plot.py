"""The PNG timeline: instance on/off under each policy, the design alarm's state, queue depth, and
the instances in service of one GPU against a fleet."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display: chosen before pyplot is imported
import matplotlib.pyplot as plt
from matplotlib.patches import Patch

from services.power_sim.design_alarm import ALARM
from services.power_sim.fleet_report import FleetComparison
from services.power_sim.simulation import SimResult
from services.power_sim.traces import Job

STEP_S = 10


def _series(values, horizon: int, reducer=max) -> tuple[list[float], list[int]]:
    hours, points = [], []
    for start in range(0, horizon, STEP_S):
        hours.append(start / 3600)
        points.append(reducer(values[start:start + STEP_S]))
    return hours, points


def _hhmm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def write_timeline(design: SimResult, ours: SimResult, jobs: list[Job], path: str | Path, title: str,
                   fleet: FleetComparison | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    horizon = design.horizon_s
    ratios = [1.2, 1, 1.3] + ([1.3] if fleet else [])
    fig, axes = plt.subplots(len(ratios), 1, figsize=(15, 2.8 * len(ratios)), sharex=True,
                             gridspec_kw={"height_ratios": ratios})
    fig.suptitle(title, fontsize=12)

    ax = axes[0]
    alarm_on = None
    for t, state in [*design.alarm_transitions, (horizon, "END")]:
        if alarm_on is not None:
            ax.axvspan(alarm_on / 3600, t / 3600, color="#f4c7c3", zorder=0)
            alarm_on = None
        if state == ALARM:
            alarm_on = t
    hours, on = _series(design.on, horizon)
    ax.fill_between(hours, on, step="post", color="#c0392b", alpha=0.85, zorder=2)
    for t in design.alarm_fired_at:
        ax.plot(t / 3600, 1.08, marker="v", color="black", markersize=7, zorder=3)
    for t in design.interrupted_at:
        ax.plot(t / 3600, 0.5, marker="X", color="yellow", markeredgecolor="black", markersize=13, zorder=4)
        ax.annotate("job interrupted\nby the stop", (t / 3600, 0.5), xytext=(8, -28), textcoords="offset points",
                    fontsize=8)
    if design.stuck_since is not None:
        ax.annotate(f"stuck: alarm stays ALARM, nothing fires,\nGPU on and idle from {_hhmm(design.stuck_since)}"
                    " to the end of the trace",
                    (design.stuck_since / 3600, 1.0), xytext=(-260, -42), textcoords="offset points", fontsize=9,
                    arrowprops={"arrowstyle": "->"}, bbox={"boxstyle": "round", "fc": "white"})
    ax.set_ylim(0, 1.2)
    ax.set_yticks([0, 1], ["off", "on"])
    ax.set_title(f"design: CloudWatch alarm QueueEmptyFor30Min -> SNS -> stop  |  {design.gpu_hours:.2f} GPU h, "
                 f"${design.cost:.2f}, {design.interrupted} job(s) interrupted", fontsize=10, loc="left")
    ax.legend(handles=[Patch(color="#c0392b", label="instance on (billed)"),
                       Patch(color="#f4c7c3", label="alarm in ALARM"),
                       plt.Line2D([], [], marker="v", color="black", linestyle="", label="alarm action fires")],
              loc="center left", fontsize=8, framealpha=0.95)

    ax = axes[1]
    hours, on = _series(ours.on, horizon)
    ax.fill_between(hours, on, step="post", color="#27ae60", alpha=0.85)
    ax.set_ylim(0, 1.2)
    ax.set_yticks([0, 1], ["off", "on"])
    ax.set_title(f"ours: power Lambda decide() every {ours.params.check_interval_s} s on live facts  |  "
                 f"{ours.gpu_hours:.2f} GPU h, ${ours.cost:.2f}, {ours.interrupted} job(s) interrupted",
                 fontsize=10, loc="left")

    ax = axes[2]
    hours, depth_design = _series(design.depth, horizon)
    _, depth_ours = _series(ours.depth, horizon)
    ax.step(hours, depth_ours, where="post", color="#27ae60", label="queue depth, ours (visible + in flight)")
    ax.step(hours, depth_design, where="post", color="#c0392b", alpha=0.7, linestyle="--",
            label="queue depth, design")
    ax.plot([j.arrival_s / 3600 for j in jobs], [-0.4] * len(jobs), "|", color="black", markersize=8,
            label="job submitted")
    ax.set_ylabel("messages")
    ax.set_ylim(-0.9, max(max(depth_ours), max(depth_design)) + 1)
    ax.legend(loc="upper left", fontsize=8)
    if fleet:
        _fleet_panel(axes[3], fleet, horizon)
    ax = axes[-1]
    ax.set_xlabel("time of day (h)")
    ax.set_xlim(0, horizon / 3600)
    ax.set_xticks(range(0, horizon // 3600 + 1, 2))
    for a in axes:
        a.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _fleet_panel(ax, fleet: FleetComparison, horizon: int) -> None:
    one, many = fleet.one, fleet.fleet
    hours, serving = _series(many.in_service, horizon)
    _, serving_one = _series(one.in_service, horizon)
    ax.fill_between(hours, serving, step="post", color="#2e86c1", alpha=0.6,
                    label=f"fleet of {many.max_size}: instances in service (billed)")
    ax.step(hours, serving_one, where="post", color="black", linewidth=1, label="one GPU: in service")
    ax.set_ylabel("instances")
    ax.set_ylim(0, many.max_size + 0.5)
    ax.set_yticks(range(0, many.max_size + 1))
    ax.set_title(f"fleet of {many.max_size}: p95 wait {many.p95_wait_s:.0f} s (one GPU {one.p95_wait_s:.0f} s)  |  "
                 f"{many.gpu_hours:.2f} GPU h, ideal {fleet.ideal.gpu_hours:.2f}, "
                 f"{many.interrupted} job(s) interrupted",
                 fontsize=10, loc="left")
    ax.legend(loc="upper left", fontsize=8)
