"""Run a command with all its processes under a CPU quota: a stand-in for a Raspberry Pi's slower core.

    python benchmarks/cpu_budget.py 25 -- python benchmarks/desk_bench.py --quick

puts the command, and everything it starts (Mosquitto, the controller, the
display, the load clients), into one cgroup limited to 25 % of one core
(CFS quota 2.5 ms per 10 ms period): roughly a Raspberry Pi 4 for Python; 10 %
is nearer a Pi Zero 2 W. A quota is a proxy for a slower core, not the same
thing: the work runs at full speed in bursts and then waits for the next
period, so latencies come in steps of the period, caches and memory bandwidth
are the x86 machine's, and the process is not slower while it has quota left.

It needs root and a cgroup file system: cgroup v2 (``cpu.max``) or v1
(``cpu.cfs_quota_us``), whichever the machine has. Where neither can be set it
says why and exits 3 (``run_all.py`` then reports the unlimited figures only).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import uuid
from pathlib import Path

PERIOD_US = 10_000
ROOT = Path("/sys/fs/cgroup")
# set for the command run under a budget: the percentage, so that its timeouts can grow with it
# (slow() below): a slow core needs longer for the same work, its samples stay the same
BUDGET_ENV = "AUFRUF_BENCH_CPU_BUDGET"


def budget_percent() -> float | None:
    """The CPU budget this benchmark runs under (``cpu_budget.py`` / ``run_all.py --cpu-budget``), or None."""
    value = os.environ.get(BUDGET_ENV)
    try:
        return float(value) if value else None
    except ValueError:
        return None


def slow(seconds: float) -> float:
    """A timeout for ``seconds`` of work on the x86 core, grown with the CPU budget (x4 at 25 %, x10 at 10 %).

    Under a budget the same work takes longer; the timeouts grow with it, the number of
    samples does not (a benchmark takes the same samples on every machine).
    """
    pct_ = budget_percent()
    return seconds * (100 / pct_ if pct_ else 1)



class BudgetUnavailable(RuntimeError):
    """No CPU quota can be set on this machine (not root, no cgroup cpu controller)."""


class CpuBudget:
    """A fresh cgroup with ``percent`` % of one core; ``argv_prefix`` runs a command inside it."""

    def __init__(self, percent: float, root: Path = ROOT):
        if not 1 <= percent <= 100:
            raise ValueError("the CPU budget is a percentage of one core, 1 to 100")
        self.percent = percent
        self.quota_us = int(PERIOD_US * percent / 100)
        name = f"aufruf-bench-{uuid.uuid4().hex[:8]}"
        if os.geteuid() != 0:
            raise BudgetUnavailable("setting a CPU quota needs root (cgroups)")
        if (root / "cgroup.controllers").exists() and "cpu" in (root / "cgroup.controllers").read_text().split():
            self.version = 2
            self.dir = root / name
            self._make(lambda: self._v2())
        elif (root / "cpu" / "cpu.cfs_quota_us").exists():
            self.version = 1
            self.dir = root / "cpu" / name
            self._make(lambda: self._v1())
        else:
            raise BudgetUnavailable(f"no cgroup cpu controller under {root} (neither v2 cpu.max nor v1 cfs quota)")

    def _make(self, configure) -> None:
        try:
            self.dir.mkdir()
            configure()
        except OSError as e:
            self.close()
            raise BudgetUnavailable(f"cannot set a CPU quota in {self.dir}: {e.strerror or e}") from None

    def _v2(self) -> None:
        subtree = self.dir.parent / "cgroup.subtree_control"
        if "cpu" not in subtree.read_text().split():
            subtree.write_text("+cpu")
        (self.dir / "cpu.max").write_text(f"{self.quota_us} {PERIOD_US}")

    def _v1(self) -> None:
        (self.dir / "cpu.cfs_period_us").write_text(str(PERIOD_US))
        (self.dir / "cpu.cfs_quota_us").write_text(str(self.quota_us))

    def describe(self) -> str:
        return (f"{self.percent:g} % of one core (CFS quota {self.quota_us / 1000:g} ms per {PERIOD_US / 1000:g} ms, "
                f"cgroup v{self.version})")

    def argv_prefix(self) -> list[str]:
        """``[python, this file, --enter DIR PERCENT, --]``: moves itself into the cgroup, sets
        ``AUFRUF_BENCH_CPU_BUDGET=PERCENT`` for the command, then execs it."""
        return [sys.executable, str(Path(__file__).resolve()), "--enter", str(self.dir), f"{self.percent:g}", "--"]

    @staticmethod
    def unavailable(percent: float) -> str | None:
        """Why a budget of ``percent`` cannot be set here, or None when it can."""
        try:
            CpuBudget(percent).close()
        except (BudgetUnavailable, ValueError) as e:
            return str(e)
        return None

    def add(self, pid: int) -> None:
        """Move a running process (and the threads it has) into the group."""
        (self.dir / "cgroup.procs").write_text(str(pid))

    def throttled(self) -> tuple[int, float]:
        """How often the group was throttled and for how long in total (s), from ``cpu.stat``."""
        stat = dict(line.split() for line in (self.dir / "cpu.stat").read_text().splitlines() if " " in line)
        if self.version == 2:
            return int(stat.get("nr_throttled", 0)), int(stat.get("throttled_usec", 0)) / 1e6
        return int(stat.get("nr_throttled", 0)), int(stat.get("throttled_time", 0)) / 1e9

    def close(self) -> None:
        try:
            self.dir.rmdir()
        except OSError:
            pass


def _enter_and_exec(cgroup_dir: str, percent: str, argv: list[str]) -> None:
    Path(cgroup_dir, "cgroup.procs").write_text(str(os.getpid()))
    os.environ[BUDGET_ENV] = percent
    os.execvp(argv[0], argv)


def main() -> int:
    if len(sys.argv) > 2 and sys.argv[1] == "--enter":
        _enter_and_exec(sys.argv[2], sys.argv[3], sys.argv[sys.argv.index("--") + 1:])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("percent", type=float, help="percent of one core, e.g. 25 (a Pi 4) or 10 (a Pi Zero 2 W)")
    ap.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    args = ap.parse_args()
    cmd = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not cmd:
        ap.error("give the command after --")
    try:
        budget = CpuBudget(args.percent)
    except BudgetUnavailable as e:
        print(f"cpu budget: {e}", file=sys.stderr)
        return 3
    try:
        print(f"cpu budget: {budget.describe()}", flush=True)
        rc = subprocess.call(budget.argv_prefix() + cmd)
        n, secs = budget.throttled()
        print(f"cpu budget: throttled {n} times, {secs:.1f} s in all", flush=True)
        return rc
    finally:
        budget.close()


if __name__ == "__main__":
    sys.exit(main())
