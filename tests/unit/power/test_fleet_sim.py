"""The fleet simulation: a pool of one is today's power policy, protection keeps busy GPUs, the ideal's rules."""

import random
from pathlib import Path

import pytest

from services.power_sim.__main__ import main as simulator_main
from services.power_sim.fleet_report import compare_fleet
from services.power_sim.fleet_simulation import ideal_fleet, percentile, simulate_fleet
from services.power_sim.simulation import OURS, SimParams, ideal_billed_s, simulate
from services.power_sim.traces import Job, bursty_day, synthetic_day

WINDOW = 1800
BOOT = 120
LIMIT = 7200


def random_trace(seed: int) -> list[Job]:
    rng = random.Random(seed)
    jobs, t = [], 0
    for _ in range(60):
        t += rng.choice([rng.randint(1, 300), rng.randint(600, 2400), rng.randint(3000, 9000)])
        jobs.append(Job(t, rng.choice([rng.randint(20, 300), rng.randint(1800, 4000)])))
    return jobs


@pytest.mark.parametrize("seed", [1, 2])
def test_a_pool_of_one_bills_as_the_single_instance_policy(seed: int) -> None:
    jobs, params = random_trace(seed), SimParams()
    one, single = simulate_fleet(jobs, params, 1), simulate(jobs, params, OURS)
    assert (one.billed_s, one.starts, one.stops, max(one.waits_s)) == (single.billed_s, single.starts, single.stops,
                                                                         single.max_wait_s)


@pytest.mark.parametrize("jobs", [synthetic_day(), random_trace(3)])
def test_ideal_of_one_instance_is_the_single_ideal(jobs: list[Job]) -> None:
    assert ideal_fleet(jobs, 1, BOOT, WINDOW, LIMIT).billed_s == ideal_billed_s(jobs, BOOT, WINDOW)


@pytest.mark.parametrize(("jobs", "instances", "billed", "waits"), [
    # two at once: each starts its own instance, each pays a boot and a window
    ([Job(0, 100), Job(0, 100)], 2, 2 * (BOOT + 100 + WINDOW), [BOOT, BOOT]),
    # the same with one instance: the second waits for the first
    ([Job(0, 100), Job(0, 100)], 1, BOOT + 200 + WINDOW, [BOOT, BOOT + 100]),
    # the busy instance frees sooner than a boot: the job waits for it, no second instance
    ([Job(0, 100), Job(BOOT + 50, 100)], 2, BOOT + 200 + WINDOW, [BOOT, 50]),
    # the free instance that finished last takes the job, so the other one stops after its window
    ([Job(0, 100), Job(0, 400), Job(BOOT + 500, 10)], 2,
     (BOOT + 100 + WINDOW) + (BOOT + 400 + 100 + 10 + WINDOW), [BOOT, BOOT, 0]),
])
def test_ideal_fleet_rules(jobs, instances, billed, waits) -> None:
    ideal = ideal_fleet(jobs, instances, BOOT, WINDOW, LIMIT)
    assert (ideal.billed_s, ideal.waits_s) == (billed, waits)


def test_protection_is_what_keeps_busy_gpus_running() -> None:
    jobs, params = bursty_day(), SimParams()
    assert simulate_fleet(jobs, params, 4).interrupted == 0
    assert simulate_fleet(jobs, params, 4, protect=False).interrupted > 0


def test_burst_scales_out_and_the_fleet_returns_to_zero() -> None:
    jobs = [Job(600 + k, 300) for k in range(6)]
    fleet = simulate_fleet(jobs, SimParams(horizon_s=3 * 3600), 4)
    assert max(fleet.in_service) == 4
    assert fleet.in_service[-1] == 0
    assert (fleet.starts, fleet.stops, fleet.interrupted) == (4, 4, 0)
    assert len(fleet.waits_s) == 6


def test_bursty_day_meets_the_fleet_goals_with_three() -> None:
    comparison = compare_fleet(bursty_day(), SimParams(), 3)
    assert comparison.meets_goals
    assert comparison.fleet.p95_wait_s < comparison.one.p95_wait_s


@pytest.mark.parametrize(("values", "pct", "expected"), [([], 95, 0.0), ([5], 95, 5.0), (list(range(1, 101)), 95, 95.0),
                                                         ([1, 2, 3, 4], 50, 2.0)])
def test_percentile_is_nearest_rank(values, pct, expected) -> None:
    assert percentile(values, pct) == expected


def test_command_prints_one_gpu_against_the_fleet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "timeline.png"
    assert simulator_main(["--fleet", "4", "--png", str(png)]) == 0
    out = capsys.readouterr().out
    assert "fleet of 4" in out and "wait to start, p95" in out and "fleet / ideal" in out
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_command_rejects_a_fleet_of_zero(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        simulator_main(["--fleet", "0", "--png", str(tmp_path / "x.png")])
