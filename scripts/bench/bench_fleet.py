"""`fleet`: one GPU against a fleet of N on the bursty synthetic day, under the same capacity decision.

p95_wait_s_*: the 95th percentile (nearest rank) of the jobs' waits from submit to start.
ideal_gpu_h_fleet (services.power_sim.fleet_simulation.ideal_fleet, docs/flows/fleet.md): the GPU
hours of the same rules run with no delay and a free choice of instance, for the fewest instances
(at most N) that start the jobs within the fleet's p95 wait. ratio = gpu_h_fleet / ideal_gpu_h_fleet.
Goals: p95_wait_s_fleet <= p95_wait_s_one / 3, ratio <= 1.05, interrupted = 0 (exit status 1 otherwise).

Last line: `fleet n=<N> p95_wait_s_one=<a> p95_wait_s_fleet=<b> gpu_h_fleet=<c> ideal_gpu_h_fleet=<d>
ratio=<c/d> interrupted=<n>`. FLEET_SIZE sets N (default 3), FLEET_PNG the timeline's path.
"""

import os
import sys

from services.power_sim.cost_report import compare
from services.power_sim.fleet_report import compare_fleet, format_fleet_report
from services.power_sim.simulation import SimParams
from services.power_sim.timeline_plot import write_timeline
from services.power_sim.traces import bursty_day


def main() -> int:
    size = int(os.environ.get("FLEET_SIZE", "3"))
    params = SimParams()
    jobs = bursty_day(idle_window_s=params.idle_window_s)
    fleet = compare_fleet(jobs, params, size)
    print(format_fleet_report(fleet, 1))
    single = compare(jobs, params)
    png = write_timeline(single.design, single.ours, jobs, os.environ.get("FLEET_PNG", "out/fleet.png"),
                         f"the bursty synthetic day: one GPU vs a fleet of {size}", fleet)
    print(f"timeline: {png}")
    print(f"fleet n={size} p95_wait_s_one={fleet.one.p95_wait_s:.0f} p95_wait_s_fleet={fleet.fleet.p95_wait_s:.0f} "
          f"gpu_h_fleet={fleet.fleet.gpu_hours:.3f} ideal_gpu_h_fleet={fleet.ideal.gpu_hours:.3f} "
          f"ratio={fleet.ratio:.4f} interrupted={fleet.fleet.interrupted}")
    return 0 if fleet.meets_goals else 1


if __name__ == "__main__":
    sys.exit(main())
