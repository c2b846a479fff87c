#!/usr/bin/env bash
# The arm64 install test: what a Raspberry Pi (Raspberry Pi OS bookworm, 64-bit) gets from
# install.sh, checked on any Debian machine through qemu.
#
#   sudo tests/deploy/arm64_install.sh            # builds (once) or reuses the arm64 root
#
# It builds or reuses an arm64 Debian bookworm root (debootstrap + qemu-user-static through
# binfmt_misc), copies it, and inside the copy: runs install.sh for every role (desk, kiosk,
# display, with the broker), imports every aufruf package with the installed venv, renders a
# ticket (PNG + ESC/POS bytes) and a board (PNG, SDL dummy driver), runs 'aufruf display --check',
# verifies the installed units, and upgrades once to see a removed module leave the venv.
#
# Needs root, debootstrap, qemu-user-static and binfmt-support (apt-get install -y debootstrap
# qemu-user-static binfmt-support), about 2.5 GB of disk and the package archives. Where they
# are missing it says so and exits 0 (skipped) or, with ARM64_REQUIRED=1, 1.
# ARM64_ROOT: where the reusable base root lives (default: $TMPDIR or /tmp).
# ARM64_KEEP=1: keep the work copy for a look afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")/../.." && pwd)
base=${ARM64_ROOT:-${TMPDIR:-/tmp}/aufruf-arm64-bookworm}
mirror=${ARM64_MIRROR:-http://deb.debian.org/debian}
t0=$(date +%s)
say() { printf '[arm64 %4ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }
skip() {
    echo "SKIPPED: arm64 install test: $*"
    [ "${ARM64_REQUIRED:-0}" = 1 ] && exit 1
    exit 0
}

[ "$(id -u)" = 0 ] || skip "needs root (debootstrap, chroot)"
command -v debootstrap >/dev/null || skip "debootstrap is not installed (apt-get install -y debootstrap qemu-user-static binfmt-support)"
if [ "$(uname -m)" != aarch64 ]; then
    [ -d /proc/sys/fs/binfmt_misc ] || skip "no binfmt_misc on this machine"
    [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null \
        || skip "binfmt_misc cannot be mounted here (a container without privileges?)"
    if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
        command -v update-binfmts >/dev/null || skip "qemu-user-static/binfmt-support are not installed"
        update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
    fi
    grep -q '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null \
        || skip "no enabled qemu-aarch64 binfmt handler (apt-get install -y qemu-user-static binfmt-support)"
fi

# 1. the base root: what Raspberry Pi OS Lite has before aufruf (python3, systemd, udev, sudo)
if [ ! -e "$base/.aufruf-base-ok" ]; then
    say "building the arm64 bookworm root in $base (debootstrap, a few minutes)"
    rm -rf "$base"
    debootstrap --arch=arm64 --variant=minbase \
        --include=python3,systemd,udev,ca-certificates,sudo,procps bookworm "$base" "$mirror" >"$base.log" 2>&1 \
        || { tail -20 "$base.log"; echo "debootstrap failed (log: $base.log)"; exit 1; }
    touch "$base/.aufruf-base-ok"
    say "base root ready ($(du -sh "$base" | cut -f1))"
else
    say "reusing the base root $base"
fi

# 2. a throw-away copy with the source tree in it
work=$(mktemp -d "${TMPDIR:-/tmp}/aufruf-arm64-run.XXXXXX")
root="$work/root"
cleanup() {
    for m in dev/pts dev proc sys; do umount -l "$root/$m" 2>/dev/null || true; done
    if [ "${ARM64_KEEP:-0}" = 1 ]; then echo "kept $root"; else rm -rf "$work"; fi
}
trap cleanup EXIT
cp -a "$base" "$root"
mount --bind /dev "$root/dev"; mount --bind /dev/pts "$root/dev/pts"
mount -t proc proc "$root/proc"; mount -t sysfs sys "$root/sys"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# dpkg's fsync per file is what makes apt slow under qemu; a throw-away root needs none
echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/aufruf-test-unsafe-io"
# this machine's way to the package index (a proxy's CA, an index URL), if it has one
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt" 2>/dev/null || true
[ -f /etc/pip.conf ] && cp /etc/pip.conf "$root/etc/pip.conf"
pip_env=()
for v in PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_TRUSTED_HOST PIP_DEFAULT_TIMEOUT HTTP_PROXY HTTPS_PROXY http_proxy https_proxy NO_PROXY no_proxy; do
    [ -n "${!v:-}" ] && pip_env+=("$v=${!v}")
done
mkdir -p "$root/src"
# the tracked files, as a clone would have them (no venv, no build/ leftovers of this machine)
git -C "$here" ls-files -z --cached --others --exclude-standard | (cd "$here" && xargs -0 cp --parents -t "$root/src")
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 ${pip_env[@]+"${pip_env[@]}"} "$@"; }

# 3. the installer, every role, the broker on this "Pi"
say "install.sh --role desk,kiosk,display (apt, venv, pip under qemu)"
in_root /src/install.sh --role desk,kiosk,display --config /src/examples/site.toml >"$work/install.log" 2>&1 \
    || { tail -40 "$work/install.log"; echo "FAILED: install.sh"; exit 1; }
say "installed"

# 4. inside: every package imports, a ticket and a board render, the display's check
cat >"$root/tmp/inside.py" <<'EOF'
import importlib, os, pkgutil, platform, sys
os.environ.update(SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", PYGAME_HIDE_SUPPORT_PROMPT="1")
assert platform.machine() == "aarch64", platform.machine()
names = []
for pkg in ("aufruf", "desk", "kiosk", "display", "aufrufcli"):
    mod = importlib.import_module(pkg)
    names.append(pkg)
    for info in pkgutil.iter_modules(mod.__path__, pkg + "."):
        if info.name == "aufrufcli.__main__":
            continue
        importlib.import_module(info.name)
        names.append(info.name)
assert not any(os.path.abspath(p).startswith("/src") for p in sys.path if p), sys.path
import evdev, escpos, gpiozero, paho.mqtt, pygame, sdnotify, sqlite_utils  # noqa: F401
print(f"imported {len(names)} modules from {importlib.import_module('aufruf').__file__}")
print("pygame", pygame.version.ver, "SDL", pygame.get_sdl_version())

from aufruf import config
from display.app import DisplayApp
cfg = config.load("/etc/aufruf/site.toml")
surface = pygame.Surface((1280, 720))
app = DisplayApp(cfg, cfg.displays[0].id, surface=surface)
app.model.set_connected(True, 0)
assert app.draw(), "the board drew nothing"
pygame.image.save(surface, "/tmp/board.png")
print("board rendered: /tmp/board.png", surface.get_size())
EOF
say "importing every package and rendering a board"
in_root /opt/aufruf/venv/bin/python /tmp/inside.py
in_root /opt/aufruf/venv/bin/aufruf render-ticket --config /etc/aufruf/site.toml --service K \
    --png /tmp/ticket.png --escpos /tmp/ticket.bin
[ -s "$root/tmp/ticket.png" ] && [ -s "$root/tmp/ticket.bin" ] && [ -s "$root/tmp/board.png" ]
say "display --check (what the screen needs)"
in_root /opt/aufruf/venv/bin/aufruf display --check --config /etc/aufruf/site.toml --id hall \
    | tee "$work/check.log" || true
grep -q "libraries: all there" "$work/check.log" || { echo "FAILED: KMSDRM libraries missing"; exit 1; }

# 5. the installed units verify clean on this systemd
say "systemd-analyze verify of the installed units"
out=$(in_root systemd-analyze verify --man=no aufruf-desk.service aufruf-kiosk@entrance.service \
    aufruf-display@hall.service 2>&1 || true)
[ -z "$out" ] || { echo "$out"; echo "FAILED: systemd-analyze verify"; exit 1; }

# 6. an upgrade removes a module the new version no longer has, even with a stale build/ dir
say "upgrade: a removed module leaves the venv"
echo "GONE = True" >"$root/src/aufruf/removed_in_next.py"
in_root /src/install.sh --role desk,kiosk,display >"$work/upgrade1.log" 2>&1 || { tail -20 "$work/upgrade1.log"; exit 1; }
site=$(in_root /opt/aufruf/venv/bin/python -c "import aufruf, os; print(os.path.dirname(aufruf.__file__))")
[ -e "$root$site/removed_in_next.py" ] || { echo "FAILED: the module was not installed at all"; exit 1; }
rm "$root/src/aufruf/removed_in_next.py"
mkdir -p "$root/src/build/lib/aufruf" && echo "GONE = True" >"$root/src/build/lib/aufruf/removed_in_next.py"
in_root /src/install.sh --role desk,kiosk,display >"$work/upgrade2.log" 2>&1 || { tail -20 "$work/upgrade2.log"; exit 1; }
if [ -e "$root$site/removed_in_next.py" ]; then echo "FAILED: the removed module is still in the venv"; exit 1; fi

say "PASSED: install (every role), imports, ticket, board, unit verify, upgrade on arm64"
