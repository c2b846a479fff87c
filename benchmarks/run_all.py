"""Run every benchmark, one after the other, and print all their figures.

Each benchmark runs as its own process with this interpreter (so one cannot
warm up or slow down the next), under a heading; the exit status is non-zero
if any of them failed.

    python benchmarks/run_all.py [--quick]

--quick takes fewer samples (a smoke run, about a minute); the full run
takes about two minutes. Run it on an otherwise quiet machine: the figures are
latencies, and anything else on the cores shows in the p99.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import machine  # noqa: E402

# (script, arguments of a full run, arguments of a quick run)
BENCHMARKS: list[tuple[str, list[str], list[str]]] = [
    ("desk_bench.py", [], ["--quick"]),
    ("kiosk_latency.py", ["--presses", "300"], ["--presses", "60"]),
    ("display_latency.py", ["--calls", "300", "--idle-s", "30"], ["--calls", "60", "--idle-s", "5"]),
    ("broker_tls.py", ["--n", "300"], ["--n", "60"]),
    ("report_day.py", ["--days", "30"], ["--days", "3"]),
    ("speech_length.py", [], ["--calls", "1"]),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer samples (a smoke run)")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    print(f"date: {time.strftime('%Y-%m-%d %H:%M %Z')}   mode: {'quick' if args.quick else 'full'}")
    failed = []
    for script, full, quick in BENCHMARKS:
        argv = [sys.executable, str(HERE / script), *(quick if args.quick else full)]
        print(f"\n== {script} {' '.join(argv[2:])}", flush=True)
        t0 = time.monotonic()
        rc = subprocess.call(argv, cwd=HERE.parent)
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
