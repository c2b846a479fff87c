"""What the benchmarks share: a provisioned Mosquitto on a free port, device processes, figures.

Everything runs on loopback; each benchmark bounds its own counts and times.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from aufruf import config, provision  # noqa: E402
from cpu_budget import budget_percent, slow  # noqa: E402,F401  (the budget's timeouts, for every benchmark)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


PACKAGES = ("aufruf", "aufrufcli", "desk", "kiosk", "display", "web")


def as_installed() -> None:
    """Byte-compile the project's packages, as ``pip install`` (and so ``install.sh``) does on a Pi.

    With the project installed editable and ``PYTHONDONTWRITEBYTECODE`` set (as on some
    development machines), every process would compile its modules from source at start:
    slower, and about 1 MB more resident memory in each process than on a Pi.
    """
    import compileall
    for name in PACKAGES:
        compileall.compile_dir(str(REPO / name), quiet=2)


class BenchSite:
    """A temporary site: site file, provisioned broker config, running Mosquitto."""

    def __init__(self, text: str | None = None):
        as_installed()
        self.root = Path(tempfile.mkdtemp(prefix="aufruf-bench-"))
        self.port = free_port()
        self.creds = self.root / "broker" / "credentials"
        self.data = self.root / "data"
        text = text or (REPO / "examples" / "site.toml").read_text(encoding="utf-8")
        text = config.replace_table(text, "broker", {"host": "127.0.0.1", "port": self.port,
                                                     "credentials_dir": str(self.creds)})
        self.config_path = self.root / "site.toml"
        self.config_path.write_text(text, encoding="utf-8")
        self.cfg = config.load(self.config_path)
        provision.provision(self.cfg, self.root / "broker", port=self.port, bind="127.0.0.1",
                            run_as="root" if os.geteuid() == 0 else None)
        mosq = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.broker = subprocess.Popen([mosq, "-c", str(self.root / "broker" / "mosquitto.conf")],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs: list[subprocess.Popen] = []
        deadline = time.monotonic() + slow(10)
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                time.sleep(0.02)

    @staticmethod
    def example_text() -> str:
        return (REPO / "examples" / "site.toml").read_text(encoding="utf-8")

    def password(self, user: str) -> str:
        return (self.creds / user).read_text().strip()

    def start(self, *args: str) -> subprocess.Popen:
        """Start ``python -m aufrufcli <args> --config <site>`` as its own process."""
        env = dict(os.environ, PYTHONPATH=str(REPO))
        p = subprocess.Popen([sys.executable, "-m", "aufrufcli", *args, "--config", str(self.config_path)],
                             cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(p)
        return p

    def close(self) -> None:
        for p in self.procs + [self.broker]:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(slow(10))
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(self.root, ignore_errors=True)


def rss_mb(pid: int) -> float:
    """Resident set size of a process in MB (from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(values: list[float], p: float) -> float:
    """The p-th percentile (nearest rank) of a list of numbers."""
    s = sorted(values)
    if not s:
        return float("nan")
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def summary(name: str, ms: list[float], goal_p99: float | None = None) -> str:
    line = (f"{name}: n={len(ms)} p50={statistics.median(ms):.2f} ms p99={pct(ms, 99):.2f} ms "
            f"max={max(ms):.2f} ms")
    if goal_p99 is not None:
        line += f"  (goal p99 <= {goal_p99:g} ms: {'met' if pct(ms, 99) <= goal_p99 else 'MISSED'})"
    return line


def machine() -> str:
    """One line about the machine the figures came from."""
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mosq = subprocess.run([shutil.which("mosquitto") or "mosquitto", "-h"], capture_output=True, text=True).stdout
    mver = mosq.splitlines()[0] if mosq else "mosquitto ?"
    return f"{os.cpu_count()} cores, {cpu}; Python {sys.version.split()[0]}; {mver}"
