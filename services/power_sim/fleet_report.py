"""One GPU against a fleet of N on the same trace, and the fleet's ideal, side by side."""

from dataclasses import dataclass

from services.power_sim.cost_report import duration
from services.power_sim.fleet_simulation import FleetResult, IdealFleet, fewest_ideal, simulate_fleet
from services.power_sim.simulation import SimParams
from services.power_sim.traces import Job

# Goals on the bursty day: the fleet's p95 wait at most this share of one GPU's, GPU hours at most
# this factor of the fleet's ideal, and no job interrupted.
WAIT_SHARE_GOAL = 1 / 3
IDEAL_FACTOR_GOAL = 1.05


@dataclass(frozen=True)
class FleetComparison:
    params: SimParams
    one: FleetResult
    fleet: FleetResult
    ideal: IdealFleet

    @property
    def ratio(self) -> float:
        return self.fleet.billed_s / self.ideal.billed_s if self.ideal.billed_s else float("nan")

    @property
    def meets_goals(self) -> bool:
        return (self.fleet.p95_wait_s <= WAIT_SHARE_GOAL * self.one.p95_wait_s and self.ratio <= IDEAL_FACTOR_GOAL
                and self.fleet.interrupted == 0 and self.one.interrupted == 0)


def compare_fleet(jobs: list[Job], params: SimParams, max_size: int, jobs_per_instance: int = 1) -> FleetComparison:
    one = simulate_fleet(jobs, params, 1)
    fleet = simulate_fleet(jobs, params, max_size, jobs_per_instance)
    return FleetComparison(params, one, fleet, fewest_ideal(jobs, params, max_size, fleet.p95_wait_s))


def format_fleet_report(c: FleetComparison, jobs_per_instance: int) -> str:
    one, fleet, ideal = c.one, c.fleet, c.ideal
    rows = [
        ("wait to start, median", duration(one.median_wait_s), duration(fleet.median_wait_s)),
        ("wait to start, p95", duration(one.p95_wait_s), duration(fleet.p95_wait_s)),
        ("GPU hours billed", f"{one.gpu_hours:.3f}", f"{fleet.gpu_hours:.3f}"),
        ("starts / stops", f"{one.starts} / {one.stops}", f"{fleet.starts} / {fleet.stops}"),
        ("jobs interrupted by a stop", str(one.interrupted), str(fleet.interrupted)),
        ("jobs failed at the time limit", str(one.timed_out), str(fleet.timed_out)),
    ]
    return "\n".join([
        f"fleet: up to {fleet.max_size} instance(s), {jobs_per_instance} job(s) per instance, warm-pool start "
        f"{c.params.boot_s} s",
        "",
        f"{'':38} {'one GPU':>14} {f'fleet of {fleet.max_size}':>14}",
        *[f"{name:38} {a:>14} {b:>14}" for name, a, b in rows],
        "",
        f"fleet ideal: {ideal.gpu_hours:.3f} GPU h with {ideal.instances} instance(s) (p95 wait "
        f"{duration(ideal.p95_wait_s)}); fleet / ideal = {c.ratio:.4f}",
        f"fleet p95 / one GPU's = {fleet.p95_wait_s / one.p95_wait_s if one.p95_wait_s else float('nan'):.3f}",
    ])
