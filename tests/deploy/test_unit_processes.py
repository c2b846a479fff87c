"""Each unit's contract with the real process, the way systemd runs it: its ExecStart
command line (instance = the model site's kiosk/display id), Type=notify (READY=1),
watchdog pings well within WatchdogSec, the device online on the broker, ExecReload
(SIGHUP) survived by the desk with pings going on, and a clean stop on SIGTERM within
TimeoutStopSec."""

from __future__ import annotations

import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_systemd_units import UNITS, one, parse, seconds

REPO = Path(__file__).resolve().parents[2]


class NotifySocket:
    """What systemd listens on: an AF_UNIX datagram socket named by NOTIFY_SOCKET."""

    def __init__(self, path: Path, log: Path):
        self.path = str(path)
        self.log = log
        self.proc: subprocess.Popen | None = None
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.got: list[tuple[float, str]] = []

    def wait_for(self, word: str, timeout: float) -> float:
        """Receive until a message containing ``word`` arrives; return its arrival time."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            assert left > 0, f"no {word} within {timeout}s; got {[m for _, m in self.got]}"
            if self.proc is not None and self.proc.poll() is not None and word != "STOPPING=1":
                tail = self.log.read_text(errors="replace")[-2000:]
                raise AssertionError(f"the process exited ({self.proc.returncode}) before {word}:\n{tail}")
            self.sock.settimeout(min(left, 0.5))
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            now = time.monotonic()
            self.got.append((now, data))
            if word in data.split("\n"):
                return now

    def close(self):
        self.sock.close()


@pytest.fixture
def web_site(tmp_path):
    """The model site with a [[webs]] (id lobby) on a free port, for the web unit."""
    from sites import EXAMPLE, Site, free_port
    port = free_port()
    s = Site(tmp_path / "site", EXAMPLE.read_text(encoding="utf-8") + (
        f'\n[[webs]]\nid = "lobby"\nlisten = "127.0.0.1:{port}"\npublic_url = "http://127.0.0.1:{port}"\n'))
    yield s
    s.stop()


def test_web_process_under_its_units_contract(web_site, tmp_path):
    test_process_under_the_units_contract(web_site, tmp_path, "aufruf-web@.service", "lobby", "status/web/lobby")


@pytest.mark.parametrize("name,instance,status", [
    ("aufruf-desk.service", None, "status/controller/main"),
    ("aufruf-kiosk@.service", "entrance", "status/kiosk/entrance"),
    ("aufruf-display@.service", "hall", "status/display/hall"),
])
def test_process_under_the_units_contract(site, tmp_path, name, instance, status):
    unit = parse(UNITS / name)
    argv = shlex.split(one(unit, "Service", "ExecStart").replace("%i", instance or "%i"))
    # the unit's command line, pointed at this test's site file and data directory
    argv = [sys.executable, "-m", "aufrufcli"] + [
        {"/etc/aufruf/site.toml": str(site.config_path), "/var/lib/aufruf": str(site.data)}.get(a, a)
        for a in argv[1:]]
    watchdog = seconds(one(unit, "Service", "WatchdogSec"))
    notify = NotifySocket(tmp_path / "notify", tmp_path / "process.log")
    env = {**os.environ, "PYTHONPATH": str(REPO), "NOTIFY_SOCKET": notify.path}
    cache = None
    if "CacheDirectory" in unit["Service"]:  # systemd makes /var/cache/<name> and names it in $CACHE_DIRECTORY
        cache = tmp_path / "cache" / one(unit, "Service", "CacheDirectory")
        cache.mkdir(parents=True)
        env["CACHE_DIRECTORY"] = str(cache)
    log = open(tmp_path / "process.log", "wb")
    proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    notify.proc = proc
    try:
        notify.wait_for("READY=1", seconds(one(unit, "Service", "TimeoutStartSec")))
        t1 = notify.wait_for("WATCHDOG=1", watchdog / 2)
        t2 = notify.wait_for("WATCHDOG=1", watchdog / 2)
        assert t2 - t1 < watchdog / 2
        site.probe().wait_for(status, lambda b: b.get("online") is True, timeout=10)
        if "ExecReload" in unit["Service"]:
            # systemctl reload: /bin/kill -HUP $MAINPID
            assert one(unit, "Service", "ExecReload") == "/bin/kill -HUP $MAINPID"
            proc.send_signal(signal.SIGHUP)
            t3 = notify.wait_for("WATCHDOG=1", watchdog / 2)
            notify.wait_for("WATCHDOG=1", watchdog / 2)
            assert proc.poll() is None and t3 > t2
        # systemctl stop: SIGTERM, then the process must be gone before TimeoutStopSec
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(seconds(one(unit, "Service", "TimeoutStopSec"))) == 0
        notify.wait_for("STOPPING=1", 1)  # sent before it exited: already queued on the socket
        if name == "aufruf-kiosk@.service":  # the printer database is kept for the next start
            assert list(cache.glob("*.capabilities.pickle"))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        notify.close()
        log.close()
