"""`python -m services.power_sim [--trace jobs.csv] [--fleet N] [--png out/idle-cost.png] ...`

Replays a job trace (the built-in bursty synthetic day unless --trace names a CSV of
`arrival_s,duration_s[,workflow]`) through the design's alarm and through our power policy, then
through one GPU and a fleet of N under the same capacity decision; prints the figures and writes
the PNG timeline.
"""

import argparse
import sys

from services.power_sim.cost_report import compare, format_report
from services.power_sim.design_alarm import AlarmSpec
from services.power_sim.fleet_report import compare_fleet, format_fleet_report
from services.power_sim.simulation import SimParams
from services.power_sim.timeline_plot import write_timeline
from services.power_sim.traces import bursty_day, read_csv, synthetic_day, write_csv


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m services.power_sim", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--trace", help="CSV of arrival_s,duration_s[,workflow]; default: the synthetic day")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic day (default 7)")
    parser.add_argument("--day", choices=("bursty", "quiet"), default="bursty",
                        help="built-in day: with three large bursts (default) or without them")
    parser.add_argument("--fleet", type=int, default=3, help="the fleet's maximum size to compare with one GPU "
                        "(default 3)")
    parser.add_argument("--jobs-per-instance", type=int, default=1,
                        help="the fleet's target of queued plus running jobs per instance (default 1)")
    parser.add_argument("--write-trace", help="also write the trace used to this CSV path")
    parser.add_argument("--png", default="out/idle-cost.png", help="timeline PNG path (default out/idle-cost.png)")
    parser.add_argument("--boot-s", type=int, default=120, help="boot time until jobs run, billed (default 120)")
    parser.add_argument("--price", type=float, default=1.21, help="on-demand price per hour in $ (default 1.21)")
    parser.add_argument("--idle-minutes", type=int, default=30, help="idle window (default 30)")
    parser.add_argument("--check-interval-s", type=int, default=60, help="our scheduled re-check (default 60)")
    parser.add_argument("--job-timeout-minutes", type=int, default=120, help="rule B limit (default 120)")
    parser.add_argument("--metric-delay-s", type=int, default=600,
                        help="how late SQS datapoints reach the alarm (default 600)")
    parser.add_argument("--sample-s", type=int, default=300,
                        help="how often SQS samples the visible count for CloudWatch (default 300)")
    parser.add_argument("--inactive-after-s", type=int, default=6 * 3600,
                        help="an SQS queue without API calls this long publishes no metrics (default 21600)")
    parser.add_argument("--horizon-s", type=int, help="simulated time (default: to the end of the trace's last day)")
    args = parser.parse_args(argv)
    for name in ("boot_s", "idle_minutes", "check_interval_s", "job_timeout_minutes", "sample_s", "fleet",
                 "jobs_per_instance"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive")
    if args.price < 0 or args.metric_delay_s < 0:
        parser.error("--price and --metric-delay-s must not be negative")
    return args


def params_from(args: argparse.Namespace) -> SimParams:
    return SimParams(
        boot_s=args.boot_s, price_per_hour=args.price, idle_window_s=args.idle_minutes * 60,
        check_interval_s=args.check_interval_s, job_timeout_s=args.job_timeout_minutes * 60,
        horizon_s=args.horizon_s,
        alarm=AlarmSpec(sample_s=args.sample_s, metric_delay_s=args.metric_delay_s,
                        inactive_after_s=args.inactive_after_s),
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    params = params_from(args)
    if args.trace:
        try:
            jobs = read_csv(args.trace)
        except (OSError, ValueError) as exc:
            print(f"cannot read the trace: {exc}", file=sys.stderr)
            return 2
        name = args.trace
    else:
        day = bursty_day if args.day == "bursty" else synthetic_day
        jobs = day(seed=args.seed, idle_window_s=params.idle_window_s)
        name = f"{args.day} synthetic day (seed {args.seed})"
    if not jobs:
        print("the trace has no jobs", file=sys.stderr)
        return 2
    if args.write_trace:
        write_csv(jobs, args.write_trace)
    comparison = compare(jobs, params)
    print(format_report(comparison, name))
    fleet = compare_fleet(jobs, params, args.fleet, args.jobs_per_instance)
    print()
    print(format_fleet_report(fleet, args.jobs_per_instance))
    png = write_timeline(comparison.design, comparison.ours, jobs, args.png,
                         f"GPU power over {name}: design alarm vs our policy, one GPU vs a fleet of {args.fleet} "
                         f"(boot {params.boot_s} s, idle window {params.idle_window_s // 60} min)", fleet)
    print(f"timeline: {png}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
