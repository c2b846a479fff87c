"""Run every benchmark, one after the other, and print all their figures.

Each benchmark runs as its own process with this interpreter (so one cannot
warm up or slow down the next), under a heading; the exit status is non-zero
if any of them failed.

    python benchmarks/run_all.py [--quick] [--cpu-budget 25]

--quick takes fewer samples (a smoke run, about a minute); the full run
takes about two minutes. Run it on an otherwise quiet machine: the figures are
latencies, and anything else on the cores shows in the p99.

--cpu-budget N runs each benchmark with all its processes in a fresh cgroup
limited to N % of one core (see cpu_budget.py: 25 is roughly a Raspberry Pi 4
for Python, 10 a Pi Zero 2 W). It needs root and a cgroup cpu controller;
where none can be set it says so and runs without a budget.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cpu_budget import BudgetUnavailable, CpuBudget  # noqa: E402
from harness import machine  # noqa: E402

# (script, arguments of a full run, arguments of a quick run)
BENCHMARKS: list[tuple[str, list[str], list[str]]] = [
    ("desk_bench.py", [], ["--quick"]),
    ("kiosk_latency.py", ["--presses", "300"], ["--presses", "60"]),
    ("display_latency.py", ["--calls", "300", "--idle-s", "30"], ["--calls", "60", "--idle-s", "5"]),
    ("broker_tls.py", ["--n", "300"], ["--n", "60"]),
    ("report_day.py", ["--days", "30"], ["--days", "3"]),
    ("web_bench.py", [], ["--clients", "100", "--calls", "20", "--idle-s", "5", "--presses", "20",
                          "--panel-sessions", "10"]),
    ("alarm_latency.py", ["--n", "200"], ["--n", "30"]),
    ("appointments_bench.py", [], ["--rows", "500", "--checkins", "50"]),
    ("speech_length.py", [], ["--calls", "1"]),
]


# benchmarks that put only the Pi's processes under the budget themselves (--server-budget)
OWN_BUDGET = {"web_bench.py"}
# under a budget, run once more with only the Pi's processes budgeted (--server-budget)
ALSO_OWN_BUDGET = [("desk_bench.py", [], ["--quick"])]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    ap.add_argument("--cpu-budget", type=float, metavar="PERCENT",
                    help="run every benchmark under a CPU quota of PERCENT %% of one core (root, cgroups)")
    ap.add_argument("--only", action="append", default=[], metavar="SCRIPT",
                    help="run only this benchmark (repeatable), e.g. desk_bench.py")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}   mode: {'quick' if args.quick else 'full'}")
    budget_pct = args.cpu_budget
    if budget_pct is not None:
        try:
            CpuBudget(budget_pct).close()
            print(f"cpu budget: {budget_pct:g} % of one core for every benchmark (a proxy for a slower core, "
                  "not the same thing)")
        except (BudgetUnavailable, ValueError) as e:
            print(f"cpu budget: {e}; running WITHOUT a budget (these are this machine's figures)")
            budget_pct = None
    failed = []
    runs = [(s, f, q, s in OWN_BUDGET) for s, f, q in BENCHMARKS]
    if budget_pct is not None:
        runs += [(s, f, q, True) for s, f, q in ALSO_OWN_BUDGET]
    for script, full, quick, own_budget in runs:
        if args.only and script not in args.only:
            continue
        argv = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        own = own_budget and budget_pct is not None
        if own:  # the browsers it simulates are the customers' phones: only the Pi's part is budgeted
            argv += ["--server-budget", f"{budget_pct:g}"]
        print(f"\n== {script} {' '.join(argv[2:])}", flush=True)
        t0 = time.monotonic()
        budget = CpuBudget(budget_pct) if budget_pct is not None and not own else None
        try:
            rc = subprocess.call((budget.argv_prefix() if budget else []) + argv, cwd=HERE.parent)
            if budget is not None:
                n, secs = budget.throttled()
                print(f"   (cpu budget {budget.describe()}: throttled {n} times, {secs:.1f} s)")
        finally:
            if budget is not None:
                budget.close()
        print(f"-- {script}: {'ok' if rc == 0 else f'FAILED (exit {rc})'} in {time.monotonic() - t0:.0f} s",
              flush=True)
        if rc != 0:
            failed.append(script)
    if failed:
        print(f"\nfailed: {', '.join(failed)}")
        return 1
    print("\nall benchmarks ran")
    return 0


if __name__ == "__main__":
    sys.exit(main())
