"""`idle-cost`: GPU hours billed over the synthetic day, the design's alarm vs our power policy,
against the ideal measured on the same trace.

ideal_gpu_h (services.power_sim.simulation.ideal_billed_s): the instance is started by the submit
that finds it off and stopped exactly one idle window after its last job ends, with nothing late
and no check interval. Its on-periods each cost boot_s + the work + the idle gaps shorter than the
window (rule A keeps it on through them) + one idle window; i.e. ideal = busy time + boot time per
start + short gaps + one idle window per idle gap. ours_over_ideal is the ratio of billed seconds
(target <= 1.05), interrupted_* count jobs running when a stop hit them (target 0 for ours).

Last line: `idle-cost design_gpu_h=<a> ours_gpu_h=<b> ideal_gpu_h=<c> ours_over_ideal=<b/c>
interrupted_design=<n> interrupted_ours=<m>`. The PNG goes to out/idle-cost.png (IDLE_COST_PNG).
"""

import os
import sys

from services.power_sim.cost_report import compare, format_report
from services.power_sim.simulation import SimParams
from services.power_sim.timeline_plot import write_timeline
from services.power_sim.traces import synthetic_day


def main() -> int:
    params = SimParams()
    jobs = synthetic_day(idle_window_s=params.idle_window_s)
    comparison = compare(jobs, params)
    print(format_report(comparison, "synthetic day (seed 7)"))
    png = write_timeline(comparison.design, comparison.ours, jobs, os.environ.get("IDLE_COST_PNG", "out/idle-cost.png"),
                         "GPU power over the synthetic day: design alarm vs our policy")
    print(f"timeline: {png}")
    print(f"idle-cost design_gpu_h={comparison.design.gpu_hours:.3f} ours_gpu_h={comparison.ours.gpu_hours:.3f} "
          f"ideal_gpu_h={comparison.ideal_gpu_hours:.3f} ours_over_ideal={comparison.ours_over_ideal:.4f} "
          f"interrupted_design={comparison.design.interrupted} interrupted_ours={comparison.ours.interrupted}")
    return 0 if comparison.ours_over_ideal <= 1.05 and comparison.ours.interrupted == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
