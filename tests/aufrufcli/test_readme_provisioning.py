"""The README's broker provisioning, run line by line as written (as root, under a temporary prefix).

Only two things differ from a real machine: ``/etc/aufruf`` and ``/var/lib/aufruf``
live under a temporary prefix, and the broker listens on a free port instead of
1883 (``systemctl`` lines, which would touch this machine's own Mosquitto, are skipped).
"""

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from aufruf import config
from sites import MOSQUITTO, REPO, free_port, wait_port

README = (REPO / "README.md").read_text(encoding="utf-8")


def block_after(heading: str, nth: int = 0) -> list[str]:
    """The command lines of the nth ```sh block under a README heading (comments stripped)."""
    section = README.split(heading, 1)[1]
    block = re.findall(r"```sh\n(.*?)```", section, re.S)[nth]
    lines = [ln.split("  #")[0].strip() for ln in block.splitlines()]
    return [ln for ln in lines if ln and not ln.startswith("#")]


def as_here(line: str, prefix: Path) -> str:
    """The README line with the prefix in front of /etc/aufruf and /var/lib/aufruf, and the programs' full paths."""
    line = line.replace("/etc/aufruf", f"{prefix}/etc/aufruf").replace("/var/lib/aufruf", f"{prefix}/var/lib/aufruf")
    if line.startswith("aufruf "):
        line = f"{shlex.quote(sys.executable)} -m aufrufcli {line[len('aufruf '):]}"
    if line.startswith("mosquitto "):
        line = f"exec {MOSQUITTO} {line[len('mosquitto '):]}"
    return line


@pytest.fixture
def prefix():
    d = Path(tempfile.mkdtemp(prefix="aufruf-readme-"))
    os.chmod(d, 0o755)              # the broker's own user must be able to walk in, as into /etc
    yield d
    shutil.rmtree(d, ignore_errors=True)


def test_the_readme_provisioning_sequence_works_as_written(prefix):
    steps = block_after("## Broker provisioning")
    assert steps[1] == "mkdir -p /etc/aufruf && cp examples/site.toml /etc/aufruf/site.toml"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    procs: list[subprocess.Popen] = []
    port = free_port()
    site = prefix / "etc/aufruf/site.toml"
    try:
        for line in steps:
            if line.startswith("systemctl"):
                continue
            if line.startswith("mosquitto "):        # the broker stays in the foreground, as in the README
                procs.append(subprocess.Popen(["sh", "-c", as_here(line, prefix)], stdout=subprocess.PIPE,
                                              stderr=subprocess.STDOUT, text=True))
                try:
                    wait_port(port, 10)
                except TimeoutError:
                    procs[-1].kill()
                    pytest.fail(f"mosquitto did not start: {procs[-1].communicate()[0]}")
                continue
            r = subprocess.run(["sh", "-c", as_here(line, prefix)], cwd=REPO, env=env, capture_output=True,
                               text=True, timeout=60)
            assert r.returncode == 0, (line, r.stdout, r.stderr)
            if "cp examples/site.toml" in line:
                # the example's credentials_dir is where provision writes by default: only the prefix moves
                example = config.load(site).broker.credentials_dir
                assert example == "/etc/aufruf/credentials"
                site.write_text(config.replace_table(site.read_text(), "broker", {
                    "host": "127.0.0.1", "port": port, "credentials_dir": f"{prefix}{example}"}))
        if os.geteuid() == 0:
            assert "\nuser " not in (prefix / "etc/aufruf/broker/mosquitto.conf").read_text()   # it drops privileges
        assert (prefix / "etc/aufruf/credentials/controller-main").exists()
        # then the devices, as the README runs them, find their passwords
        desk = block_after("## Running the devices")[0]
        procs.append(subprocess.Popen(["sh", "-c", "exec " + as_here(desk, prefix)], cwd=REPO, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        status = [sys.executable, "-m", "aufrufcli", "status", "--config", str(site)]
        for _ in range(30):
            r = subprocess.run(status, cwd=REPO, env=env, capture_output=True, text=True, timeout=30)
            if r.returncode == 0:
                break
            assert procs[-1].poll() is None, procs[-1].communicate()[0]
        assert r.returncode == 0, r.stderr
        assert "controller main: online" in r.stdout
    finally:
        for p in reversed(procs):
            p.terminate()
            try:
                p.communicate(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.communicate()
