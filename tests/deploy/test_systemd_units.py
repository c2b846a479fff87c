"""The systemd units: what an admin and the processes depend on (user, groups, notify and
watchdog, restart policy, ordering, state directory, hardening that still reaches the
hardware), and ``systemd-analyze verify`` without a single complaint."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from aufrufcli.cli import COMMANDS

REPO = Path(__file__).resolve().parents[2]
UNITS = REPO / "systemd"
NAMES = ("aufruf-desk.service", "aufruf-kiosk@.service", "aufruf-display@.service", "aufruf-web@.service")


def parse(path: Path) -> dict[str, dict[str, list[str]]]:
    """A unit file as section -> key -> values (keys may repeat, e.g. DeviceAllow)."""
    out: dict[str, dict[str, list[str]]] = {}
    section = None
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line.strip("[]")
            out.setdefault(section, {})
            continue
        key, _, value = line.partition("=")
        assert section, f"{path.name}: {line} outside a section"
        out[section].setdefault(key.strip(), []).append(value.strip())
    return out


def one(unit, section, key) -> str:
    values = unit[section].get(key)
    assert values and len(values) == 1, f"{key} in [{section}]: {values}"
    return values[0]


def seconds(v: str) -> float:
    units = {"ms": 0.001, "s": 1, "sec": 1, "min": 60, "m": 60, "h": 3600}
    for suffix in sorted(units, key=len, reverse=True):
        if v.endswith(suffix):
            return float(v[: -len(suffix)]) * units[suffix]
    return float(v)


@pytest.fixture(scope="module")
def units():
    return {n: parse(UNITS / n) for n in NAMES}


@pytest.mark.parametrize("name", NAMES)
def test_common_service_settings(units, name):
    u = units[name]
    s = u["Service"]
    assert one(u, "Service", "Type") == "notify"
    assert 10 <= seconds(one(u, "Service", "WatchdogSec")) <= 120
    assert one(u, "Service", "Restart") == "always"
    assert 1 <= seconds(one(u, "Service", "RestartSec")) <= 30
    # the back-off lets a crash loop end (StartLimitBurst starts within the interval)
    assert seconds(one(u, "Unit", "StartLimitIntervalSec")) >= 60
    assert int(one(u, "Unit", "StartLimitBurst")) >= 5
    assert one(u, "Service", "User") == "aufruf"
    assert "mosquitto.service" in one(u, "Unit", "After").split()
    assert "network-online.target" in one(u, "Unit", "After").split()
    assert "network-online.target" in one(u, "Unit", "Wants").split()
    assert one(u, "Service", "StateDirectory") == "aufruf"
    devices = "yes" if name == "aufruf-web@.service" else "no"  # the web pages need no device
    for key, value in {"ProtectSystem": "strict", "NoNewPrivileges": "yes", "PrivateTmp": "yes",
                       "ProtectHome": "yes", "PrivateDevices": devices, "DevicePolicy": "closed"}.items():
        assert one(u, "Service", key) == value, key
    assert s["CapabilityBoundingSet"] == [""]
    assert one(u, "Service", "StandardError") == "journal"
    assert one(u, "Install", "WantedBy") == "multi-user.target"


@pytest.mark.parametrize("name,role,extra", [
    ("aufruf-desk.service", "desk", ["--id", "main", "--data", "/var/lib/aufruf"]),
    ("aufruf-kiosk@.service", "kiosk", ["--id", "%i"]),
    ("aufruf-display@.service", "display", ["--id", "%i"]),
    ("aufruf-web@.service", "web", ["--id", "%i"]),
])
def test_command_line(units, name, role, extra):
    argv = shlex.split(one(units[name], "Service", "ExecStart"))
    assert argv[:2] == ["/opt/aufruf/venv/bin/aufruf", role]
    assert role in COMMANDS
    assert argv[2:4] == ["--config", "/etc/aufruf/site.toml"]
    assert argv[4:] == extra


def test_desk_reloads_with_sighup_and_reaches_keypads(units):
    u = units["aufruf-desk.service"]
    assert one(u, "Service", "ExecReload") == "/bin/kill -HUP $MAINPID"
    assert one(u, "Service", "SupplementaryGroups").split() == ["input"]
    assert u["Service"]["DeviceAllow"] == ["char-input rw"]


def test_kiosk_reaches_gpio_printer_and_serial(units):
    u = units["aufruf-kiosk@.service"]
    assert set(one(u, "Service", "SupplementaryGroups").split()) == {"gpio", "lp", "dialout", "audio"}
    allowed = {v.split()[0] for v in u["Service"]["DeviceAllow"]}
    assert {"char-gpiochip", "char-usb_device", "char-usb", "char-ttyUSB", "char-ttyACM", "char-alsa"} <= allowed
    # lgpio writes its notification pipes into the working directory: a writable one
    wd = one(u, "Service", "WorkingDirectory")
    assert wd == "%t/" + one(u, "Service", "RuntimeDirectory")
    assert f"LG_WD={wd}" in u["Service"]["Environment"]


def test_display_runs_on_the_console_with_kmsdrm(units):
    u = units["aufruf-display@.service"]
    s = u["Service"]
    assert {"video", "render", "input", "audio"} <= set(one(u, "Service", "SupplementaryGroups").split())
    assert "SDL_VIDEODRIVER=kmsdrm" in s["Environment"]
    assert one(u, "Service", "TTYPath") == "/dev/tty1"
    assert "getty@tty1.service" in one(u, "Unit", "Conflicts").split()
    # stdin is the tty, but the log still goes to the journal
    assert one(u, "Service", "StandardOutput") == "journal"
    allowed = {v.split()[0] for v in s["DeviceAllow"]}
    assert {"char-drm", "char-input", "char-alsa", "/dev/tty1"} <= allowed
    assert "MemoryDenyWriteExecute" not in s  # Mesa needs executable memory


def test_units_pass_systemd_analyze_verify(tmp_path):
    exe = shutil.which("systemd-analyze")
    if not exe:
        pytest.skip("systemd-analyze is not installed (apt-get install -y systemd)")
    # a root with the distribution's units (targets the units refer to), the aufruf units,
    # and a stand-in for every program they start (verify checks that they exist)
    root = tmp_path / "root"
    (root / "usr/lib/systemd").mkdir(parents=True)
    for d in ("/usr/lib/systemd/system", "/lib/systemd/system"):
        if Path(d).is_dir():
            shutil.copytree(d, root / "usr/lib/systemd/system", symlinks=True, dirs_exist_ok=True)
            break
    unitdir = root / "etc/systemd/system"
    unitdir.mkdir(parents=True)
    for n in NAMES:
        shutil.copy(UNITS / n, unitdir / n)
        for key in ("ExecStart", "ExecReload"):
            for v in parse(UNITS / n)["Service"].get(key, []):
                prog = root / shlex.split(v)[0].lstrip("/-@")
                prog.parent.mkdir(parents=True, exist_ok=True)
                prog.write_text("#!/bin/sh\n")
                prog.chmod(0o755)
    instances = ["aufruf-desk.service", "aufruf-kiosk@entrance.service", "aufruf-display@hall.service",
                 "aufruf-web@lobby.service"]
    r = subprocess.run([exe, "verify", f"--root={root}", "--man=no", *instances],
                       capture_output=True, text=True, timeout=60)
    assert (r.returncode, r.stdout + r.stderr) == (0, "")


# Each printer connection of docs/kiosk.md, the device node python-escpos opens, and how
# Linux numbers it: (connection, node, major, the driver's name in /proc/devices, the module
# that registers that name, or None when it is built in). From the kernel's devices.txt.
PRINTER_NODES = [
    ("usb", "/dev/bus/usb/001/004", 189, "usb_device", None),        # libusb
    ("file", "/dev/usb/lp0", 180, "usb", None),                        # usblp
    ("serial", "/dev/ttyUSB0", 188, "ttyUSB", "usbserial"),            # FTDI/CH340/PL2303 adapters
    ("serial", "/dev/ttyACM0", 166, "ttyACM", "cdc_acm"),              # printers with a CDC serial port
    ("serial", "/dev/ttyAMA0", 204, "ttyAMA", None),                   # the header UART (PL011)
    ("serial", "/dev/ttyS0", 4, "ttyS", None),                         # the mini UART (Pi 3/4)
    ("serial", "/dev/serial0", 204, "ttyAMA", None),                   # Raspberry Pi OS's alias
]


def allows(unit, node: str, name: str) -> bool:
    """Whether the unit's DeviceAllow= lets the service read and write ``node``."""
    for v in unit["Service"]["DeviceAllow"]:
        what, _, mode = v.partition(" ")
        if set("rw") <= set(mode) and (what == node or what == f"char-{name}"):
            return True
    return False


@pytest.mark.parametrize("connection,node,major,name,module", PRINTER_NODES)
def test_kiosk_unit_reaches_every_printer_connection(units, connection, node, major, name, module):
    u = units["aufruf-kiosk@.service"]
    assert allows(u, node, name), f"{connection} printer at {node} (char-{name}) is not in DeviceAllow"
    if module is not None and not node.startswith("/dev/serial"):
        # char-NAME is resolved from /proc/devices when the unit starts: the driver must be loaded
        # by then (modules-load.d at boot), or a printer plugged in later is denied until a restart
        from aufrufcli.install import SERIAL_MODULES
        assert module in SERIAL_MODULES


def test_kiosk_unit_lists_only_gpio_printer_and_sound_devices(units):
    allowed = {v.split()[0] for v in units["aufruf-kiosk@.service"]["Service"]["DeviceAllow"]}
    assert allowed == {"char-gpiochip", "char-usb_device", "char-usb", "char-ttyUSB", "char-ttyACM",
                       "char-ttyAMA", "/dev/ttyS0", "/dev/serial0", "char-alsa"}   # alsa: the optional speaker
    # not char-ttyS: that major (4) is also the virtual consoles tty1..tty63


@pytest.mark.parametrize("name", NAMES)
def test_services_start_after_the_clock(units, name):
    u = units[name]
    assert "time-sync.target" in one(u, "Unit", "After").split()
    assert "time-sync.target" in one(u, "Unit", "Wants").split()
