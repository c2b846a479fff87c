"""A site for tests: a real Mosquitto, provisioned with the project's own broker config.

:class:`Site` is a temporary copy of a site file whose ``[broker]`` points at
a fresh Mosquitto on a free port, started with the ``mosquitto.conf``, ``acl``
and ``passwd`` that ``aufruf provision`` writes (no anonymous access).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from aufruf import config, provision
from probe import Probe

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "examples" / "site.toml"
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listens on port {port}")


class MosquittoProcess:
    """One Mosquitto started with a config file, listening on ``port``; start, stop, kill -9."""

    def __init__(self, conf: Path, port: int, log: Path):
        self.conf, self.port, self.log = conf, port, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as logf:
            self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=logf, stderr=logf)
        wait_port(self.port)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
        self.proc = None


class Site:
    """A site file, its provisioned broker config and a running Mosquitto."""

    def __init__(self, root: Path, text: str | None = None):
        if not os.path.exists(MOSQUITTO):
            pytest.fail("mosquitto is not installed: apt-get install -y mosquitto (the tests need a real broker)")
        self.root = root
        self.port = free_port()
        self.brokerdir = root / "broker"
        self.creds = self.brokerdir / "credentials"
        self.data = root / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.config_path = root / "site.toml"
        self.log = root / "mosquitto.log"
        self.write_config(text or EXAMPLE.read_text(encoding="utf-8"))
        self.mosquitto = MosquittoProcess(self.brokerdir / "mosquitto.conf", self.port, self.log)
        self.start()

    def write_config(self, text: str) -> None:
        text = config.replace_table(text, "broker", {
            "host": "127.0.0.1", "port": self.port, "credentials_dir": str(self.creds)})
        self.config_path.write_text(text, encoding="utf-8")
        self.cfg = config.load(self.config_path)
        provision.provision(self.cfg, self.brokerdir, port=self.port, bind="127.0.0.1",
                            run_as="root" if os.geteuid() == 0 else None, **self.provision_options())

    def provision_options(self) -> dict:
        """More options for ``aufruf.provision.provision`` (TLS, a bridge) in subclasses."""
        return {}

    @property
    def site_id(self) -> str:
        return self.cfg.site_id

    def password(self, user: str) -> str:
        return (self.creds / user).read_text().strip()

    def start(self) -> None:
        self.mosquitto.start()

    def stop(self) -> None:
        self.mosquitto.stop()

    def kill(self) -> None:
        self.mosquitto.kill()

    def probe(self, user: str | None = "controller-main", subscriptions: tuple[str, ...] = ("#",),
              v5: bool = True) -> Probe:
        p = Probe(self.port, self.site_id, user, self.password(user) if user else None, subscriptions, v5)
        assert p.wait_connected(), f"probe as {user} could not connect: {p.connect_result}"
        return p


