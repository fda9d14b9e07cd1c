"""Job traces for the cost simulator: a built-in synthetic day and a CSV reader for real ones.

CSV format, one job a line, header optional: `arrival_s,duration_s[,workflow]` (seconds from the
start of the trace; arrival order does not matter).
"""

import csv
import random
from dataclasses import dataclass
from pathlib import Path

HOUR = 3600
MINUTE = 60


@dataclass(frozen=True)
class Job:
    arrival_s: int
    duration_s: int
    workflow: str = "camera-angle"


def read_csv(path: str | Path) -> list[Job]:
    jobs = []
    with open(path, newline="") as handle:
        for number, row in enumerate(csv.reader(handle), start=1):
            if not row or row[0].strip().startswith("#"):
                continue
            if number == 1 and not row[0].strip().lstrip("-").replace(".", "", 1).isdigit():
                continue  # header
            try:
                arrival, duration = float(row[0]), float(row[1])
            except (IndexError, ValueError):
                raise ValueError(f"{path}:{number}: expected arrival_s,duration_s[,workflow], got {row!r}") from None
            if arrival < 0 or duration <= 0:
                raise ValueError(f"{path}:{number}: arrival must be >= 0 and duration > 0")
            workflow = row[2].strip() if len(row) > 2 and row[2].strip() else "camera-angle"
            jobs.append(Job(round(arrival), max(1, round(duration)), workflow))
    return sorted(jobs, key=lambda j: j.arrival_s)


def write_csv(jobs: list[Job], path: str | Path) -> None:
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["arrival_s", "duration_s", "workflow"])
        for job in jobs:
            writer.writerow([job.arrival_s, job.duration_s, job.workflow])


def _random_job(rng: random.Random, t: int) -> Job:
    workflow = rng.choice(["camera-angle", "camera-angle", "qwen-image-edit"])
    return Job(t, rng.randint(40, 150) if workflow == "camera-angle" else rng.randint(90, 300), workflow)


def _burst(rng: random.Random, start: int, count: int, jobs: list[Job]) -> int:
    """`count` jobs a few seconds to a minute apart; returns the time of the last arrival."""
    t = start
    for _ in range(count):
        jobs.append(_random_job(rng, t))
        t += rng.randint(5, 60)
    return t


def synthetic_day(seed: int = 7, idle_window_s: int = 30 * MINUTE) -> list[Job]:
    """A working day built to exercise the power policies (times from midnight):

    - 03:00 one nightly batch job after hours of silence (the queue's metrics have stopped);
    - 08:30-12:00 bursty office traffic: bursts of 2-8 jobs, 4-25 min apart;
    - lunch: a gap just under the idle window, then one just over it;
    - afternoon bursts with long jobs (20 min) and one job longer than the idle window (45 min)
      running alone, which the design's alarm sees as an empty queue;
    - 18:00 the last bursts, then quiet;
    - 21:00:30 one late job on an instance the alarm already stopped: its boot falls between two
      samples of the queue metric, so the alarm never leaves ALARM (the stuck case).
    """
    rng = random.Random(seed)
    jobs: list[Job] = [Job(3 * HOUR, 4 * MINUTE, "qwen-image-edit")]
    t = 8 * HOUR + 30 * MINUTE
    while t < 11 * HOUR + 30 * MINUTE:
        last = _burst(rng, t, rng.randint(2, 8), jobs)
        t = last + rng.randint(4, 25) * MINUTE
    # lunch: a gap a minute under the window, then one two minutes over it
    t = 12 * HOUR
    jobs.append(Job(t, 90))
    jobs.append(Job(t + 90 + idle_window_s - MINUTE, 90))
    t = t + 2 * 90 + 2 * idle_window_s + MINUTE
    jobs.append(Job(t, 90))
    # afternoon
    t = 13 * HOUR + 30 * MINUTE
    while t < 15 * HOUR:
        last = _burst(rng, t, rng.randint(2, 6), jobs)
        t = last + rng.randint(5, 20) * MINUTE
    jobs.append(Job(15 * HOUR + 10 * MINUTE, 20 * MINUTE, "qwen-image-edit"))
    jobs.append(Job(15 * HOUR + 12 * MINUTE, 20 * MINUTE, "qwen-image-edit"))
    jobs.append(Job(16 * HOUR + 5 * MINUTE, 45 * MINUTE, "qwen-image-edit"))
    t = 17 * HOUR
    while t < 18 * HOUR + 15 * MINUTE:
        last = _burst(rng, t, rng.randint(2, 6), jobs)
        t = last + rng.randint(6, 22) * MINUTE
    jobs.append(Job(21 * HOUR + 30, 3 * MINUTE))
    return sorted(jobs, key=lambda j: j.arrival_s)


def bursty_day(seed: int = 7, idle_window_s: int = 30 * MINUTE) -> list[Job]:
    """The synthetic day plus three bursts of the kind one GPU cannot absorb: 24 jobs at 10:15,
    16 at 14:30 and 30 at 17:36, each job 0-8 s after the one before (a batch sent by a script)."""
    rng = random.Random(seed + 1000)
    jobs = synthetic_day(seed, idle_window_s)
    for start, count in ((10 * HOUR + 15 * MINUTE, 24), (14 * HOUR + 30 * MINUTE, 16), (17 * HOUR + 36 * MINUTE, 30)):
        t = start
        for _ in range(count):
            jobs.append(_random_job(rng, t))
            t += rng.randint(0, 8)
    return sorted(jobs, key=lambda j: j.arrival_s)
