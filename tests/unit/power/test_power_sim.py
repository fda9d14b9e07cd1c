"""The cost simulator: the ideal formula, our policy never interrupts, the design's flaws reproduced."""

import random
from pathlib import Path

import pytest

from gpujobs import power_policy
from services.power_sim import simulation
from services.power_sim.__main__ import main as simulator_main
from services.power_sim.design_alarm import AlarmSpec
from services.power_sim.simulation import DESIGN, OURS, SimParams, ideal_billed_s, simulate
from services.power_sim.traces import Job, read_csv, synthetic_day, write_csv

WINDOW = 1800
BOOT = 120


def test_simulator_runs_the_lambdas_decide_not_a_copy() -> None:
    assert simulation.decide is power_policy.decide


@pytest.mark.parametrize(("jobs", "expected"), [
    ([Job(0, 60)], BOOT + 60 + WINDOW),
    # second job within the window of the first: one period, the gap is billed
    ([Job(0, 100), Job(1000, 50)], 1050 + WINDOW),
    # second job after the window: two periods, each with its boot and its window
    ([Job(0, 100), Job(3000, 50)], (BOOT + 100 + WINDOW) + (BOOT + 50 + WINDOW)),
    # arriving exactly one window after the work ended finds the instance off
    ([Job(0, 100), Job(BOOT + 100 + WINDOW, 10)], (BOOT + 100 + WINDOW) + (BOOT + 10 + WINDOW)),
    # a job arriving during the boot waits for it and for the job ahead
    ([Job(0, 10), Job(60, 10)], BOOT + 20 + WINDOW),
    ([], 0),
])
def test_ideal_formula(jobs: list[Job], expected: int) -> None:
    assert ideal_billed_s(jobs, BOOT, WINDOW) == expected


def test_synthetic_day_targets() -> None:
    params = SimParams()
    jobs = synthetic_day()
    ours, design = simulate(jobs, params, OURS), simulate(jobs, params, DESIGN)
    ideal = ideal_billed_s(jobs, params.boot_s, params.idle_window_s)
    assert ours.interrupted == 0
    assert ours.billed_s <= 1.05 * ideal
    assert ours.over_window == 0
    assert design.interrupted >= 1
    assert design.stuck_since is not None
    assert design.billed_s > ours.billed_s


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_ours_never_interrupts_and_stays_near_ideal_on_random_traces(seed: int) -> None:
    rng = random.Random(seed)
    jobs, t = [], 0
    for _ in range(60):
        t += rng.choice([rng.randint(1, 300), rng.randint(600, 2400), rng.randint(3000, 9000)])
        jobs.append(Job(t, rng.choice([rng.randint(20, 300), rng.randint(1800, 4000)])))
    params = SimParams()
    ours = simulate(jobs, params, OURS)
    assert ours.interrupted == 0
    assert ours.over_window == 0
    assert ours.billed_s <= 1.05 * ideal_billed_s(jobs, params.boot_s, params.idle_window_s)


def test_design_stuck_when_the_boot_falls_between_two_samples() -> None:
    """Alarm already in ALARM, instance stopped: a job's visible time (the boot) is never sampled,
    so the alarm never leaves ALARM and never fires again; the GPU runs to the end."""
    jobs = [Job(3600 + 30, 180)]
    params = SimParams(horizon_s=4 * 3600)
    design, ours = simulate(jobs, params, DESIGN), simulate(jobs, params, OURS)
    assert design.alarm_fired_at == []
    assert design.stuck_since == 3600 + 30 + BOOT + 180
    assert design.on[-1] == 1
    assert ours.on[-1] == 0
    assert ours.stops == 1


def test_design_not_stuck_when_the_queue_is_sampled_every_minute() -> None:
    jobs = [Job(3600 + 30, 180)]
    params = SimParams(horizon_s=4 * 3600, alarm=AlarmSpec(sample_s=60))
    design = simulate(jobs, params, DESIGN)
    assert design.stuck_since is None
    assert len(design.alarm_fired_at) == 1
    assert design.on[-1] == 0


def test_design_stops_a_long_job_the_queue_does_not_show() -> None:
    """The job is picked at once, so the visible count stays 0 while it runs: the alarm stops it."""
    jobs = [Job(600, 60), Job(1200, 90 * 60)]
    params = SimParams(horizon_s=6 * 3600, alarm=AlarmSpec(sample_s=60))
    design, ours = simulate(jobs, params, DESIGN), simulate(jobs, params, OURS)
    assert design.interrupted == 1
    assert ours.interrupted == 0
    assert ours.max_wait_s <= BOOT
    assert (design.timed_out, ours.timed_out) == (0, 0)


def test_job_past_its_limit_is_failed_by_the_worker_and_the_gpu_then_stops() -> None:
    jobs = [Job(0, 5 * 3600)]
    params = SimParams(horizon_s=6 * 3600, job_timeout_s=3600)
    ours = simulate(jobs, params, OURS)
    assert (ours.timed_out, ours.interrupted, ours.on[-1]) == (1, 0, 0)


def test_csv_round_trip_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "trace.csv"
    write_csv([Job(30, 90, "qwen-image-edit"), Job(0, 45)], path)
    assert read_csv(path) == [Job(0, 45, "camera-angle"), Job(30, 90, "qwen-image-edit")]
    path.write_text("0,60\n# comment\n100.4,20.6\n")
    assert read_csv(path) == [Job(0, 60), Job(100, 21)]
    path.write_text("arrival_s,duration_s\n10,abc\n")
    with pytest.raises(ValueError, match="expected arrival_s,duration_s"):
        read_csv(path)


def test_command_writes_report_and_png(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    trace = tmp_path / "jobs.csv"
    trace.write_text("arrival_s,duration_s,workflow\n3630,180,camera-angle\n7200,60,camera-angle\n")
    png = tmp_path / "timeline.png"
    assert simulator_main(["--trace", str(trace), "--png", str(png), "--horizon-s", "21600"]) == 0
    out = capsys.readouterr().out
    assert "GPU hours billed" in out
    assert "jobs interrupted by a stop" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_command_rejects_a_bad_trace(tmp_path: Path) -> None:
    assert simulator_main(["--trace", str(tmp_path / "missing.csv"), "--png", str(tmp_path / "x.png")]) == 2
