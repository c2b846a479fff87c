"""The benchmarks' Pi-class mode: a command and its children run inside a cgroup with the asked CPU quota."""

import subprocess
import sys

import pytest

from sites import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
from cpu_budget import BudgetUnavailable, CpuBudget  # noqa: E402


def test_the_command_and_its_children_run_under_the_quota():
    try:
        budget = CpuBudget(25)
    except BudgetUnavailable as e:
        pytest.skip(f"no CPU quota on this machine: {e}")
    try:
        quota = (budget.dir / ("cpu.max" if budget.version == 2 else "cpu.cfs_quota_us")).read_text().split()[0]
        assert quota == "2500"
        child = "import subprocess; print(subprocess.run(['cat', '/proc/self/cgroup'], capture_output=True, text=True).stdout)"
        out = subprocess.run(budget.argv_prefix() + [sys.executable, "-c", child], capture_output=True, text=True,
                             timeout=60).stdout
        assert budget.dir.name in out            # the grandchild (cat) is in the group too
    finally:
        budget.close()
    assert not budget.dir.exists()


def test_a_budget_out_of_range_is_refused():
    with pytest.raises(ValueError, match="1 to 100"):
        CpuBudget(0)
