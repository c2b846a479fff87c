"""``aufruf install``: set a Raspberry Pi up as one or more aufruf devices (desk, kiosk, display).

What it does, in order (``--dry-run`` prints each step and changes nothing):

1. Debian packages for the roles (mosquitto where the broker lives,
   espeak-ng for speech, libusb for USB printers, ...).
2. The system user ``aufruf`` and the device groups it joins.
3. A virtual environment in ``/opt/aufruf/venv`` with aufruf installed.
4. ``/etc/aufruf/site.toml`` (kept when it exists: edit it there, then
   ``systemctl reload aufruf-desk``; ``--replace-config`` overwrites it).
5. The broker, where it lives (``--broker``, default on the desk role):
   users, passwords and ACL in ``/etc/aufruf/broker`` (``aufruf provision``,
   passwords kept), each device's password in ``broker.credentials_dir``,
   and ``/etc/mosquitto/conf.d/aufruf.conf``; ``--tls`` adds a site CA and
   a TLS listener (kept on later runs).
6. udev rules so the service user reaches printers and GPIO.
7. The systemd units, enabled and (re)started.

Running it again upgrades in place: the ledger (``/var/lib/aufruf``), the
site file and every password stay. ``--root DIR`` lays the files under DIR
instead of ``/`` and only prints the package, user and systemctl steps (for
building an image, and for the tests).
"""

from __future__ import annotations

import argparse
import difflib
import grp
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from aufruf import config, provision, ticketkey
from aufruf.errors import AufrufError, ConfigError

ROLES = ("desk", "kiosk", "display", "web")
SERVICE_USER = "aufruf"
PREFIX = Path("/opt/aufruf")
VENV = PREFIX / "venv"
ETC = Path("/etc/aufruf")
SITE_FILE = ETC / "site.toml"
BROKER_DIR = ETC / "broker"
CONFD = Path("/etc/mosquitto/conf.d/aufruf.conf")
UDEV_RULES = Path("/etc/udev/rules.d/60-aufruf.rules")
UNIT_DIR = Path("/etc/systemd/system")
# USB-serial printers: load the drivers at boot, so their device numbers exist when the kiosk
# unit starts (systemd resolves DeviceAllow=char-ttyUSB/char-ttyACM then, from /proc/devices)
MODULES_LOAD = Path("/etc/modules-load.d/aufruf-kiosk.conf")
SERIAL_MODULES = ("usbserial", "cdc_acm")
# a Pi has no clock battery: time-sync.target waits for NTP, but not forever (an office LAN
# without a time server still starts, after this long)
TIME_WAIT_DROPIN = Path("/etc/systemd/system/systemd-time-wait-sync.service.d/aufruf.conf")
TIME_WAIT_S = 90
SOURCE = Path(__file__).resolve().parent.parent  # the source tree (install.sh sits here)

# Debian packages per role; "broker" where Mosquitto runs. gcc/python3-dev build evdev for the
# desk controller's USB keypads (the 'keypad' extra; PyPI ships evdev as source only).
PACKAGES: dict[str, tuple[str, ...]] = {
    "common": ("python3-venv", "mosquitto-clients", "openssl", "ca-certificates"),
    "broker": ("mosquitto",),
    "desk": ("sqlite3", "python3-dev", "gcc"),
    "kiosk": ("libusb-1.0-0", "fonts-dejavu-core", "libfribidi0", "espeak-ng"),    # fribidi: Arabic ticket lines
    "display": ("espeak-ng", "fonts-dejavu-core", "alsa-utils",
                # what SDL's KMSDRM driver loads at run time (Raspberry Pi OS Lite has none of it);
                # 'aufruf display --check' names what is missing
                "libdrm2", "libgbm1", "libegl1", "libegl-mesa0", "libgles2", "libgl1-mesa-dri"),
    "web": (),
}
# Raspberry Pi OS ships lgpio (gpiozero's backend on the Pi 5 and newer kernels) as a
# Debian package; the venv sees it (--system-site-packages). Elsewhere pip installs it.
OPTIONAL_PACKAGES = {"kiosk": ("python3-lgpio",)}
# groups each role's unit joins (SupplementaryGroups=); missing ones are created
ROLE_GROUPS = {"desk": ("input",), "kiosk": ("gpio", "lp", "dialout", "audio"),
               "display": ("video", "render", "input", "audio"), "web": ()}
# USB vendors of common ESC/POS receipt printers: Epson, Star, Bixolon, Citizen, and the
# chips in most unbranded 58/80 mm printers (Winbond, ICS, GD32)
PRINTER_VENDORS = (0x04B8, 0x0519, 0x1504, 0x1D90, 0x0416, 0x0FE6, 0x28E9)


@dataclass
class Installer:
    """Carries out (or prints) the install steps below a root directory."""

    root: Path
    dry_run: bool = False
    out: Callable[[str], None] = print
    notes: list[str] = field(default_factory=list)

    @property
    def staged(self) -> bool:
        """True when laying files under a root other than ``/``: system commands are only printed."""
        return self.root.resolve() != Path("/")

    @property
    def systemd_running(self) -> bool:
        """Booted with systemd (sd_booted(3)): not so in a chroot or an image being built."""
        return Path("/run/systemd/system").is_dir()

    def at(self, path: Path | str) -> Path:
        """The real location of a system path below the root."""
        return self.root / str(path).lstrip("/")

    def step(self, text: str) -> None:
        self.out(f"==> {text}")

    def command(self, argv: list[str], check: bool = True) -> int:
        """Run a system command (printed; skipped under --dry-run or a staging root)."""
        line = " ".join(argv)
        if self.dry_run:
            self.out(f"    would run: {line}")
            return 0
        if self.staged:
            self.out(f"    skipped (--root): {line}")
            return 0
        if argv[:2] in (["systemctl", "restart"], ["systemctl", "daemon-reload"]) and not self.systemd_running:
            # a chroot or an image being built: the enabled units start at the next boot
            self.out(f"    skipped (systemd is not running here; the units start at the next boot): {line}")
            return 0
        self.out(f"    run: {line}")
        r = subprocess.run(argv)
        if check and r.returncode != 0:
            raise InstallError(f"'{line}' failed with exit code {r.returncode}")
        return r.returncode

    def mkdir(self, path: Path, mode: int = 0o755) -> None:
        real = self.at(path)
        if real.is_dir():
            return
        if self.dry_run:
            self.out(f"    would create {path}/")
            return
        real.mkdir(parents=True, exist_ok=True)
        os.chmod(real, mode)
        self.out(f"    created {path}/")

    def write(self, path: Path, content: str | bytes, mode: int = 0o644) -> bool:
        """Write a file if its content differs; True when it was (or would be) written."""
        real = self.at(path)
        data = content.encode("utf-8") if isinstance(content, str) else content
        if real.exists() and real.read_bytes() == data:
            self.out(f"    unchanged {path}")
            if not self.dry_run:
                os.chmod(real, mode)
            return False
        verb = "update" if real.exists() else "write"
        if self.dry_run:
            self.out(f"    would {verb} {path} (mode {mode:o})")
            return True
        real.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=real.parent, prefix=f".{real.name}.")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, real)
        self.out(f"    {verb}d {path}" if verb == "update" else f"    wrote {path}")
        return True

    def chown(self, path: Path, user: str, group: str) -> None:
        """Set owner and group (only on a real install, where the user and group exist)."""
        if self.dry_run or self.staged:
            self.out(f"    {'would set' if self.dry_run else 'skipped (--root): set'} owner {user}:{group} of {path}")
            return
        try:
            uid = pwd.getpwnam(user).pw_uid
            gid = grp.getgrnam(group).gr_gid
        except KeyError as e:
            raise InstallError(f"cannot set owner of {path}: no user/group {e}") from None
        os.chown(self.at(path), uid, gid)


class InstallError(AufrufError, RuntimeError):
    """A step failed; the message says which and why."""


def packages_for(roles: tuple[str, ...], broker: bool) -> list[str]:
    """The Debian packages the given roles need, in a stable order, without duplicates."""
    want: list[str] = []
    for key in ("common", *(("broker",) if broker else ()), *roles):
        for p in PACKAGES.get(key, ()):
            if p not in want:
                want.append(p)
    return want


def udev_rules(cfg: config.SiteConfig) -> str:
    """udev rules: USB printers to group lp, GPIO chips to group gpio (keypads are input already)."""
    lines = ["# aufruf: let the service user reach the hardware. Written by 'aufruf install';",
             "# re-run it after changing printers in site.toml.",
             "",
             "# USB receipt printers (python-escpos opens them through libusb: /dev/bus/usb/...)"]
    printers = [k.printer for k in cfg.kiosks]
    if cfg.info_desk.printer is not None:
        printers.append(cfg.info_desk.printer)
    seen = set()
    for p in printers:
        if p.connection == "usb" and p.vendor_id is not None and p.product_id is not None:
            key = (p.vendor_id, p.product_id)
            if key not in seen:
                seen.add(key)
                lines.append(f'SUBSYSTEM=="usb", ENV{{DEVTYPE}}=="usb_device", ATTR{{idVendor}}=="{p.vendor_id:04x}", '
                             f'ATTR{{idProduct}}=="{p.product_id:04x}", MODE="0660", GROUP="lp"')
    lines.append("# common ESC/POS printer makers (Epson, Star, Bixolon, Citizen, generic 58/80 mm)")
    for v in PRINTER_VENDORS:
        lines.append(f'SUBSYSTEM=="usb", ENV{{DEVTYPE}}=="usb_device", ATTR{{idVendor}}=="{v:04x}", '
                     f'MODE="0660", GROUP="lp"')
    lines += ["",
              "# GPIO character devices (buttons, LED, buzzer through lgpio); Raspberry Pi OS has this already",
              'SUBSYSTEM=="gpio", KERNEL=="gpiochip*", GROUP="gpio", MODE="0660"',
              "",
              "# USB keypads: /dev/input/event* belong to group input (the desk unit joins it);",
              "# site.toml names them by their stable /dev/input/by-id/ path.",
              ""]
    return "\n".join(lines)


def device_users(cfg: config.SiteConfig, roles: tuple[str, ...], kiosk: str | None,
                 display: str | None, web: str | None = None) -> list[str]:
    """The MQTT users whose passwords this Pi's services read."""
    out = []
    if "desk" in roles:
        out.append("controller-main")
    if "kiosk" in roles and kiosk:
        out.append(f"kiosk-{kiosk}")
    if "display" in roles and display:
        out.append(f"display-{display}")
    if "web" in roles and web:
        out.append(f"web-{web}")
    if ("web" in roles or "desk" in roles) and cfg.webs:
        out.append(ticketkey.SECRET_FILE)  # the ticket pages' keys: the controller and aufruf web
    return out


def pick(kind: str, wanted: str | None, ids: list[str]) -> str:
    """The kiosk/display id this Pi runs: the one named, or the only one in the site file."""
    if wanted:
        if wanted not in ids:
            raise InstallError(f"--{kind} {wanted}: the site file has no {kind} '{wanted}' "
                               f"(it has: {', '.join(ids) or 'none'})")
        return wanted
    if len(ids) == 1:
        return ids[0]
    raise InstallError(f"the site file has {len(ids)} {kind}s ({', '.join(ids) or 'none'}): "
                       f"say which this Pi runs with --{kind} ID")


def install(args: argparse.Namespace, out: Callable[[str], None] = print) -> int:
    """Carry out the install; return the exit code."""
    roles = tuple(r.strip() for r in args.role.split(",") if r.strip())
    bad = [r for r in roles if r not in ROLES]
    if not roles or bad:
        raise InstallError(f"--role {args.role}: each role must be one of {', '.join(ROLES)}")
    inst = Installer(Path(args.root), dry_run=args.dry_run, out=out)
    if not inst.staged and not inst.dry_run and os.geteuid() != 0:
        raise InstallError("installing system services needs root: run it with sudo (or use --root DIR / --dry-run)")
    source = Path(args.source).resolve()
    units_src = source / "systemd"
    if not units_src.is_dir():
        raise InstallError(f"--source {source}: no systemd/ directory there (run install.sh from the source tree)")

    # the site file: the given one for a first install, else the installed one (kept)
    installed = inst.at(SITE_FILE)
    given = Path(args.config) if args.config else None
    if given is None and not installed.exists():
        raise InstallError("first install: give the site file with --config site.toml")
    site_text: str | None = None
    if given is not None:
        site_text = given.read_text(encoding="utf-8")
    keep_config = installed.exists() and not args.replace_config
    cfg_source = installed if keep_config or given is None else given
    try:
        cfg = config.load(cfg_source)
    except ConfigError as e:
        raise InstallError(f"{cfg_source} has problems; nothing was changed:\n{e}") from None
    broker_here = args.broker if args.broker is not None else "desk" in roles
    kiosk = pick("kiosk", args.kiosk, [k.id for k in cfg.kiosks]) if "kiosk" in roles else None
    display = pick("display", args.display, [d.id for d in cfg.displays]) if "display" in roles else None
    web = pick("web", args.web, [w.id for w in cfg.webs if not w.central]) if "web" in roles else None
    out(f"aufruf install: roles {', '.join(roles)}"
        f"{f', kiosk {kiosk}' if kiosk else ''}{f', display {display}' if display else ''}"
        f"{f', web {web}' if web else ''}"
        f"{', broker on this Pi' if broker_here else ''}; root {inst.root}{' (dry run)' if inst.dry_run else ''}")

    # 1. packages
    inst.step("Debian packages")
    pkgs = packages_for(roles, broker_here)
    inst.command(["apt-get", "update"])
    inst.command(["apt-get", "install", "-y", "--no-install-recommends", *pkgs])
    for role in roles:
        for p in OPTIONAL_PACKAGES.get(role, ()):
            if not (inst.dry_run or inst.staged) and subprocess.run(
                    ["apt-cache", "show", p], capture_output=True).returncode != 0:
                out(f"    {p} is not in this system's archive; pip installs it into the venv instead")
                continue
            inst.command(["apt-get", "install", "-y", "--no-install-recommends", p], check=False)

    # 2. user and groups
    inst.step(f"system user {SERVICE_USER}")
    groups: list[str] = []
    for role in roles:
        for g in ROLE_GROUPS[role]:
            if g not in groups:
                groups.append(g)
    for g in groups:
        if inst.dry_run or inst.staged or not _group_exists(g):
            inst.command(["groupadd", "--system", "-f", g])
    if inst.dry_run or inst.staged or not _user_exists(SERVICE_USER):
        inst.command(["useradd", "--system", "--user-group", "--home-dir", "/var/lib/aufruf", "--no-create-home",
                      "--shell", "/usr/sbin/nologin", SERVICE_USER])
    inst.command(["usermod", "--append", "--groups", ",".join(groups), SERVICE_USER])

    # 3. program
    inst.step(f"program in {VENV}")
    if inst.dry_run or inst.staged or not (VENV / "bin" / "python").exists():
        inst.command(["python3", "-m", "venv", "--system-site-packages", str(VENV)])
    # the desk controller reads the USB keypads: the 'keypad' extra (evdev) only there
    _pip_install(inst, source, "[keypad]" if "desk" in roles else "")
    if "kiosk" in roles:
        if inst.dry_run or inst.staged:
            out("    (kiosk: pip installs lgpio into the venv unless the system's python3-lgpio is there)")
        elif subprocess.run([str(VENV / "bin" / "python"), "-c", "import lgpio"], capture_output=True).returncode:
            inst.command([str(VENV / "bin" / "pip"), "install", "lgpio"], check=False)
    inst.mkdir(PREFIX / "docs")
    for doc in ("deploy.md",):
        src = source / "docs" / doc
        if src.exists():
            inst.write(PREFIX / "docs" / doc, src.read_bytes())

    # 4. site file
    inst.step(f"site file {SITE_FILE}")
    inst.mkdir(ETC)
    if keep_config:
        out(f"    kept {SITE_FILE} (edit it there; --replace-config installs the given file instead)")
        if site_text is not None and installed.read_text(encoding="utf-8") != site_text:
            diff = difflib.unified_diff(installed.read_text(encoding="utf-8").splitlines(),
                                        site_text.splitlines(), str(SITE_FILE), str(given), lineterm="", n=0)
            out("    note: the given --config differs from the installed file:")
            for line in list(diff)[:40]:
                out(f"      {line}")
    else:
        assert site_text is not None
        if installed.exists() and not inst.dry_run:
            backup = installed.with_name("site.toml.previous")
            shutil.copy2(installed, backup)
            out(f"    saved the old file as {SITE_FILE.with_name('site.toml.previous')}")
        inst.write(SITE_FILE, site_text, 0o644)

    # 5. broker and credentials
    creds_dir = Path(cfg.broker.credentials_dir)
    if broker_here:
        inst.step(f"broker users, passwords and ACL in {BROKER_DIR}")
        tls = args.tls or inst.at(BROKER_DIR / "tls" / "ca.crt").exists()
        if inst.dry_run:
            names = [u.name for u in provision.users(cfg)]
            out(f"    would provision {len(names)} users (existing passwords kept): {', '.join(names)}")
            if tls:
                out(f"    would make or keep the site CA and server certificate in {BROKER_DIR / 'tls'}")
        else:
            inst.at(BROKER_DIR).mkdir(parents=True, exist_ok=True)
            os.chmod(inst.at(BROKER_DIR), 0o755)
            new: dict[str, str] = {}
            names = provision.provision(cfg, inst.at(BROKER_DIR), credentials_dir=inst.at(creds_dir),
                                        conf_dir=BROKER_DIR, persistence_dir="/var/lib/mosquitto",
                                        tls=tls, tls_port=args.tls_port, tls_hosts=tuple(args.tls_host),
                                        run_as="mosquitto", new_passwords=new)
            out(f"    provisioned {len(names)} users (existing passwords kept): {', '.join(names)}")
            out(f"    device passwords in {creds_dir}/")
            staff = {u: pw for u, pw in new.items() if provision.is_staff_login(u)}
            if staff:  # people type these at aufruf web's counter panel and office view: shown this once
                out("    new staff sign-in passwords for aufruf web (shown this once; hand each to its counter):")
                for u, pw in staff.items():
                    out(f"      {u:<12} {pw}")
        inst.chown(BROKER_DIR / "passwd", "root", "mosquitto")
        inst.chown(creds_dir, "root", SERVICE_USER)
        for n in (provision.users(cfg)):
            inst.chown(creds_dir / n.name, "root", SERVICE_USER)
        inst.chown(creds_dir / ticketkey.SECRET_FILE, "root", SERVICE_USER)
        if tls:
            inst.chown(BROKER_DIR / "tls" / "server.key", "root", "mosquitto")
        conf = provision.mosquitto_conf(BROKER_DIR, port=cfg.broker.port, bind=None, run_as=None,
                                        persistence_dir=None, tls_port=(args.tls_port or 8883) if tls else None,
                                        include=True)
        inst.write(CONFD, conf, 0o644)
        inst.command(["systemctl", "enable", "mosquitto.service"])
        inst.command(["systemctl", "restart", "mosquitto.service"])
    else:
        inst.step(f"device passwords in {creds_dir}")
        inst.mkdir(creds_dir, 0o750)
        inst.chown(creds_dir, "root", SERVICE_USER)
        for user in device_users(cfg, roles, kiosk, display, web):
            if not inst.at(creds_dir / user).exists():
                msg = (f"{creds_dir / user} is missing: copy it from the broker Pi "
                       f"(scp root@BROKER:{creds_dir / user} {creds_dir}/; chown root:{SERVICE_USER}; chmod 640)")
                out(f"    WARNING: {msg}")
                inst.notes.append(msg)
            else:
                inst.chown(creds_dir / user, "root", SERVICE_USER)

    # 6. udev
    inst.step("udev rules for printers and GPIO")
    if inst.write(UDEV_RULES, udev_rules(cfg), 0o644):
        # udev is not running in a chroot (an image being built): the rules apply at the next boot
        if inst.command(["udevadm", "control", "--reload-rules"], check=False) == 0:
            inst.command(["udevadm", "trigger"], check=False)
        else:
            out("    udev is not running here: the rules apply at the next boot")
    if "kiosk" in roles:
        inst.write(MODULES_LOAD, "# aufruf: USB-serial printers (written by 'aufruf install')\n"
                   + "".join(f"{m}\n" for m in SERIAL_MODULES), 0o644)
        inst.command(["modprobe", "-a", *SERIAL_MODULES], check=False)

    # the clock: services start after time-sync.target, which waits for NTP up to TIME_WAIT_S
    inst.step("wait for the clock at boot (systemd-time-wait-sync)")
    inst.write(TIME_WAIT_DROPIN, "# aufruf: wait for NTP at boot, but start anyway after this long\n"
               f"[Service]\nTimeoutStartSec={TIME_WAIT_S}s\n", 0o644)
    inst.command(["systemctl", "enable", "systemd-time-wait-sync.service"], check=False)

    # 7. units
    inst.step("systemd units")
    units = {"desk": "aufruf-desk.service", "kiosk": "aufruf-kiosk@.service", "display": "aufruf-display@.service",
             "web": "aufruf-web@.service"}
    for role in roles:
        inst.write(UNIT_DIR / units[role], (units_src / units[role]).read_bytes(), 0o644)
    inst.command(["systemctl", "daemon-reload"])
    enable = []
    if "desk" in roles:
        enable.append("aufruf-desk.service")
    if kiosk:
        enable.append(f"aufruf-kiosk@{kiosk}.service")
    if web:
        enable.append(f"aufruf-web@{web}.service")
    if display:
        enable.append(f"aufruf-display@{display}.service")
        # the board takes over tty1: no login prompt there to fight over the screen
        inst.command(["systemctl", "disable", "getty@tty1.service"], check=False)
    inst.command(["systemctl", "enable", *enable])
    inst.command(["systemctl", "restart", *enable])

    if display and not (inst.dry_run or inst.staged):
        inst.step("what the display needs (aufruf display --check)")
        subprocess.run([str(VENV / "bin" / "aufruf"), "display", "--check", "--config", str(SITE_FILE),
                        "--id", display], env=_clean_env())

    out("")
    out("done." if not inst.dry_run else "dry run: nothing was changed.")
    for n in inst.notes:
        out(f"TODO: {n}")
    out("check with:  systemctl status 'aufruf-*'   journalctl -u aufruf-desk -f")
    out(f"             sudo {VENV}/bin/aufruf status --config {SITE_FILE}")
    return 0


def _clean_env() -> dict[str, str]:
    """The environment without install.sh's PYTHONPATH (it points into the source tree)."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return env


def clean_copy(source: Path, dest: Path) -> Path:
    """A copy of the source tree without build leftovers (build/, *.egg-info, venvs, caches, .git).

    Building from the tree itself would put a stale ``build/lib`` (files since removed) back into
    the wheel; a copy also keeps root's build files out of the tree.
    """
    skip = shutil.ignore_patterns("build", "dist", "*.egg-info", ".venv", "venv", ".git", "__pycache__",
                                  "*.pyc", ".pytest_cache", ".ruff_cache")
    shutil.copytree(source, dest, ignore=skip, symlinks=True)
    return dest


def _pip_install(inst: Installer, source: Path, extras: str = "") -> None:
    """Install (or upgrade) aufruf into the venv from a clean copy, without PYTHONPATH.

    With install.sh's PYTHONPATH pip saw the source tree's aufruf as the installed one and did not
    remove the venv's old copy: modules dropped in the new version stayed importable.
    """
    pip = [str(VENV / "bin" / "pip"), "install", "--upgrade"]
    if inst.dry_run or inst.staged:
        inst.command([*pip, f"{source}{extras} (a clean copy, PYTHONPATH unset)"])
        return
    with tempfile.TemporaryDirectory(prefix="aufruf-src-") as tmp:
        copy = clean_copy(source, Path(tmp) / "aufruf")
        line = " ".join([*pip, f"{copy}{extras}"])
        inst.out(f"    run: {line}")
        r = subprocess.run([*pip, f"{copy}{extras}"], env=_clean_env())
        if r.returncode != 0:
            raise InstallError(f"'{line}' failed with exit code {r.returncode}")


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--role", required=True, help="comma-separated: desk, kiosk, display, web (what this Pi runs)")
    p.add_argument("--config", help="the site file (required on the first install; later runs keep "
                                    f"{SITE_FILE} unless --replace-config)")
    p.add_argument("--replace-config", action="store_true",
                   help=f"install --config over an existing {SITE_FILE} (the old one is kept as site.toml.previous)")
    p.add_argument("--kiosk", help="the kiosk id this Pi runs (default: the only kiosk of the site file)")
    p.add_argument("--display", help="the display id this Pi runs (default: the only display of the site file)")
    p.add_argument("--web", help="the [[webs]] id this host runs (default: the only one of the site file)")
    p.add_argument("--broker", dest="broker", action="store_true", default=None,
                   help="run the site's Mosquitto on this Pi (default: on the desk role)")
    p.add_argument("--no-broker", dest="broker", action="store_false", help="the broker runs elsewhere")
    p.add_argument("--tls", action="store_true", help="also a TLS listener with a site CA (kept on later runs)")
    p.add_argument("--tls-port", type=int, help="port of the TLS listener (default 8883)")
    p.add_argument("--tls-host", action="append", default=[],
                   help="an extra name or address of the broker for its certificate (repeatable)")
    p.add_argument("--root", default="/", help="lay the files under this directory; package, user and "
                                               "systemctl steps are only printed")
    p.add_argument("--dry-run", action="store_true", help="print every step, change nothing")
    p.add_argument("--source", default=str(SOURCE), help="the aufruf source tree to install (default: this one)")


def main(args: argparse.Namespace) -> int:
    try:
        return install(args)
    except InstallError as e:
        print(f"aufruf install: {e}", file=sys.stderr)
        return 1
