"""`make bench`: run every benchmark, each in its own process, and print their summary lines.

Each benchmark measures its floor in the same run under the same load shape and prints one last
line `<name> key=value ...`; this runner repeats those lines at the end. BENCH=name1,name2 picks some.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORDER = ["api_submit", "adapter_throughput", "idle_cost", "fleet", "distributor", "unified_api"]


def main() -> int:
    available = {p.stem.removeprefix("bench_"): p for p in HERE.glob("bench_*.py")}
    wanted = [n.strip() for n in os.environ.get("BENCH", "").split(",") if n.strip()]
    names = wanted or sorted(available, key=lambda n: (ORDER.index(n) if n in ORDER else len(ORDER), n))
    summaries, failed = [], []
    for name in names:
        if name not in available:
            print(f"unknown benchmark {name!r}; have {sorted(available)}")
            return 2
        print(f"== {name}", flush=True)
        began = time.monotonic()
        result = subprocess.run([sys.executable, "-m", f"scripts.bench.bench_{name}"], stdout=subprocess.PIPE,
                                text=True, cwd=HERE.parent.parent)
        print(result.stdout, end="", flush=True)
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        if result.returncode != 0 or not lines:
            failed.append(name)
            continue
        summaries.append(f"{lines[-1]}  ({time.monotonic() - began:.0f} s)")
    print("\n== summary")
    for line in summaries:
        print(line)
    for name in failed:
        print(f"{name} FAILED")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
