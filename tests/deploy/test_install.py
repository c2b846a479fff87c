"""``aufruf install`` (and install.sh) against a temporary root: the files it lays down,
a second run that keeps passwords and config, --dry-run, a bad site file, and the
broker config it installs working inside a Debian-style Mosquitto setup."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "broker"))
from brokers import MOSQUITTO, free_port, try_connect, wait_port  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "site.toml"
ENV = {**os.environ, "PYTHONPATH": str(REPO)}


def install(*args: str, script: bool = False) -> subprocess.CompletedProcess:
    cmd = [str(REPO / "install.sh")] if script else [sys.executable, "-m", "aufrufcli", "install"]
    return subprocess.run([*cmd, *args], cwd=REPO, env=ENV, capture_output=True, text=True, timeout=60)


def files_under(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def first(tmp_path):
    root = tmp_path / "root"
    r = install("--role", "desk,kiosk,display", "--config", str(EXAMPLE), "--root", str(root), script=True)
    assert r.returncode == 0, r.stderr + r.stdout
    return root, r


def test_lays_down_config_broker_udev_and_units(first):
    root, r = first
    assert (root / "etc/aufruf/site.toml").read_text() == EXAMPLE.read_text()
    users = ["controller-main", "kiosk-entrance", "display-hall", "keypad-1", "keypad-2", "keypad-3",
             "keypad-4", "staff-info"]
    creds = root / "etc/aufruf/credentials"  # broker.credentials_dir of the model site
    for u in users:
        assert len((creds / u).read_text().strip()) >= 24, u
        assert (creds / u).stat().st_mode & 0o777 == 0o640
    assert [ln.split(":")[0] for ln in (root / "etc/aufruf/broker/passwd").read_text().splitlines()] == users
    assert "user kiosk-entrance\n" in (root / "etc/aufruf/broker/acl").read_text()
    confd = (root / "etc/mosquitto/conf.d/aufruf.conf").read_text()
    # paths as the broker sees them on the Pi, not below the staging root
    assert "password_file /etc/aufruf/broker/passwd\n" in confd and "acl_file /etc/aufruf/broker/acl\n" in confd
    assert str(root) not in confd
    assert "allow_anonymous false" in confd and "listener 1883\n" in confd
    # Debian's main mosquitto.conf sets these: a second persistence_location is a fatal error
    assert "persistence_location" not in confd and "log_dest" not in confd and "\nuser " not in confd
    for unit in ("aufruf-desk.service", "aufruf-kiosk@.service", "aufruf-display@.service"):
        assert (root / "etc/systemd/system" / unit).read_bytes() == (REPO / "systemd" / unit).read_bytes()
    rules = (root / "etc/udev/rules.d/60-aufruf.rules").read_text()
    assert 'ATTR{idVendor}=="04b8", MODE="0660", GROUP="lp"' in rules
    assert 'KERNEL=="gpiochip*", GROUP="gpio"' in rules
    # the system steps are shown, not done
    out = r.stdout
    for step in ("apt-get install -y --no-install-recommends", "mosquitto ", "espeak-ng", "libusb-1.0-0",
                 "useradd --system", "usermod --append --groups input,gpio,lp,dialout,audio,video,render aufruf",
                 "python3 -m venv --system-site-packages /opt/aufruf/venv",
                 "systemctl enable aufruf-desk.service aufruf-kiosk@entrance.service aufruf-display@hall.service",
                 "systemctl restart mosquitto.service"):
        assert step in out, step
    assert "skipped (--root): systemctl" in out


def test_second_run_keeps_passwords_and_config(first, tmp_path):
    root, _ = first
    before = files_under(root)
    changed = tmp_path / "changed.toml"
    changed.write_text(EXAMPLE.read_text().replace('name = "Jobcenter Mitte"', 'name = "Jobcenter Nord"'))
    r = install("--role", "desk,kiosk,display", "--config", str(changed), "--root", str(root))
    assert r.returncode == 0, r.stderr
    after = files_under(root)
    creds = {k: v for k, v in before.items() if "/credentials/" in k}
    assert creds and {k: after[k] for k in creds} == creds
    assert after["etc/aufruf/site.toml"] == before["etc/aufruf/site.toml"]
    assert "kept /etc/aufruf/site.toml" in r.stdout and '+name = "Jobcenter Nord"' in r.stdout
    assert set(after) == set(before)
    # passwd hashes are salted anew, but for the same passwords; everything else is identical
    assert {k: v for k, v in after.items() if not k.endswith("passwd")} == \
        {k: v for k, v in before.items() if not k.endswith("passwd")}
    # an explicit replacement installs the new file and keeps the old one beside it
    r = install("--role", "desk", "--config", str(changed), "--root", str(root), "--replace-config")
    assert r.returncode == 0, r.stderr
    assert "Jobcenter Nord" in (root / "etc/aufruf/site.toml").read_text()
    assert (root / "etc/aufruf/site.toml.previous").read_bytes() == before["etc/aufruf/site.toml"]
    assert {k: v for k, v in files_under(root).items() if "/credentials/" in k} == creds


def test_dry_run_prints_every_step_and_writes_nothing(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    r = install("--role", "desk,kiosk,display", "--config", str(EXAMPLE), "--root", str(root), "--dry-run")
    assert r.returncode == 0, r.stderr
    assert list(root.iterdir()) == []
    for line in ("would run: apt-get install", "would run: useradd", "would write /etc/aufruf/site.toml",
                 "would provision 8 users", "would write /etc/mosquitto/conf.d/aufruf.conf",
                 "would write /etc/udev/rules.d/60-aufruf.rules",
                 "would write /etc/systemd/system/aufruf-desk.service",
                 "would run: systemctl restart aufruf-desk.service", "dry run: nothing was changed"):
        assert line in r.stdout, line


def test_bad_site_file_changes_nothing(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace('services = ["K"]', 'services = ["X"]', 1))
    r = install("--role", "desk", "--config", str(bad), "--root", str(root))
    assert r.returncode == 1
    assert "nothing was changed" in r.stderr and "X" in r.stderr
    assert list(root.iterdir()) == []


def test_kiosk_only_pi_without_broker_asks_for_its_password(tmp_path):
    root = tmp_path / "root"
    r = install("--role", "kiosk", "--no-broker", "--config", str(EXAMPLE), "--root", str(root))
    assert r.returncode == 0, r.stderr
    assert not (root / "etc/mosquitto").exists() and not (root / "etc/aufruf/broker").exists()
    assert "kiosk-entrance is missing: copy it from the broker Pi" in r.stdout
    assert (root / "etc/systemd/system/aufruf-kiosk@.service").exists()
    assert not (root / "etc/systemd/system/aufruf-desk.service").exists()
    r = install("--role", "kiosk", "--kiosk", "nope", "--config", str(EXAMPLE), "--root", str(tmp_path / "r2"))
    assert r.returncode == 1 and "no kiosk 'nope'" in r.stderr


def test_installed_broker_config_works_in_a_debian_style_mosquitto(first, tmp_path):
    """Debian's /etc/mosquitto/mosquitto.conf (pid, persistence, log, include_dir) plus the
    installed conf.d file: the broker starts, devices log in, anonymous clients don't."""
    root, _ = first
    port = free_port()
    confd = tmp_path / "conf.d"
    confd.mkdir()
    text = (root / "etc/mosquitto/conf.d/aufruf.conf").read_text()
    # the staged files sit below the root instead of /
    text = text.replace("/etc/aufruf/", f"{root}/etc/aufruf/").replace("listener 1883\n", f"listener {port} 127.0.0.1\n")
    (confd / "aufruf.conf").write_text(text)
    (tmp_path / "data").mkdir()
    main = tmp_path / "mosquitto.conf"
    main.write_text(("user root\n" if os.geteuid() == 0 else "")
                    + f"pid_file {tmp_path}/mosquitto.pid\npersistence true\n"
                    f"persistence_location {tmp_path}/data/\nlog_dest stderr\ninclude_dir {confd}\n")
    log = open(tmp_path / "mosquitto.log", "wb")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(main)], stdout=log, stderr=log)
    try:
        wait_port(port)
        pw = (root / "etc/aufruf/credentials/kiosk-entrance").read_text().strip()
        assert try_connect(port, "kiosk-entrance", pw) == "Success"
        assert try_connect(port, None, None) == "Not authorized"
    finally:
        proc.terminate()
        proc.wait(10)


def test_display_gets_kmsdrm_libraries_kiosk_serial_drivers_and_boot_waits_for_the_clock(first):
    root, r = first
    apt = next(ln for ln in r.stdout.splitlines() if "apt-get install -y --no-install-recommends python3-venv" in ln)
    # what SDL's KMSDRM driver loads at run time (bookworm's package names)
    for pkg in ("libdrm2", "libgbm1", "libegl1", "libegl-mesa0", "libgles2", "libgl1-mesa-dri", "alsa-utils"):
        assert f" {pkg}" in apt, pkg
    # USB-serial drivers load at boot: char-ttyUSB/char-ttyACM resolve when the kiosk unit starts
    assert (root / "etc/modules-load.d/aufruf-kiosk.conf").read_text().split("\n")[1:3] == ["usbserial", "cdc_acm"]
    drop = (root / "etc/systemd/system/systemd-time-wait-sync.service.d/aufruf.conf").read_text()
    assert "[Service]\nTimeoutStartSec=90s\n" in drop
    assert "systemctl enable systemd-time-wait-sync.service" in r.stdout
    # pip installs from a clean copy, not with install.sh's PYTHONPATH into the source tree
    assert "pip install --upgrade" in r.stdout and "PYTHONPATH unset" in r.stdout


def test_the_package_is_built_from_a_clean_copy_without_stale_build_files(tmp_path):
    """A stale build/lib in the source tree (a module since removed) must not reach the venv:
    setuptools copies build/lib into the wheel as it finds it. (The whole upgrade, with pip,
    runs in tests/deploy/arm64_install.sh.)"""
    import shutil

    from aufrufcli.install import _clean_env, clean_copy
    src = tmp_path / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".venv", ".git", "build", "tests", "benchmarks"))
    (src / "build/lib/aufruf").mkdir(parents=True)
    (src / "build/lib/aufruf/removed_module.py").write_text("GONE = True\n")
    (src / "aufruf/__pycache__").mkdir(exist_ok=True)
    copy = clean_copy(src, tmp_path / "copy")
    assert not (copy / "build").exists() and not list(copy.glob("*.egg-info"))
    assert not list(copy.rglob("__pycache__"))
    assert (copy / "setup.py").exists() and (copy / "display/screen.py").exists()
    assert (copy / "systemd/aufruf-kiosk@.service").exists()
    assert "PYTHONPATH" not in _clean_env()


def test_keypad_support_is_an_extra_only_the_desk_controller_gets(tmp_path):
    """The demo installs without a C compiler: evdev (source only on PyPI) is the 'keypad' extra."""
    setup = (REPO / "setup.py").read_text()
    requires = setup.split("install_requires=[")[1].split("]")[0]
    assert "evdev" not in requires and "\"keypad\": [\"evdev" in setup
    root = tmp_path / "root"
    root.mkdir()
    desk = install("--role", "desk", "--config", str(EXAMPLE), "--root", str(root), "--dry-run")
    display = install("--role", "display", "--no-broker", "--display", "hall", "--config", str(EXAMPLE),
                      "--root", str(root), "--dry-run")
    assert desk.returncode == 0 and display.returncode == 0, (desk.stderr, display.stderr)
    assert "[keypad]" in desk.stdout and " gcc" in desk.stdout
    assert "[keypad]" not in display.stdout and " gcc" not in display.stdout
