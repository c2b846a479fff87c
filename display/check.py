"""``aufruf display --check``: what this Pi lacks to show the board and play the sound.

SDL's KMSDRM driver (in pygame-ce's wheel) loads the system's libdrm, libgbm and
EGL/GLES at run time; Raspberry Pi OS Lite brings none of them, and without them
the display cannot open the screen ("kmsdrm not available"). The check names
each missing library with the Debian package that has it, shows the kernel's
screen connectors and the sound cards, and exits 1 when a library is missing.
It does not open the screen (the running service may hold it).
"""

from __future__ import annotations

import ctypes
import glob
from pathlib import Path
from typing import Callable

from .screen import DRM_SYSFS, connectors

# what SDL's KMSDRM driver opens, and the bookworm package that ships it
LIBRARIES: tuple[tuple[str, str], ...] = (
    ("libdrm.so.2", "libdrm2"),
    ("libgbm.so.1", "libgbm1"),
    ("libEGL.so.1", "libegl1"),
    ("libEGL_mesa.so.0", "libegl-mesa0"),
    ("libGLESv2.so.2", "libgles2"),
)
DRI_GLOBS = ("/usr/lib/*-linux-gnu/dri/*_dri.so", "/usr/lib/dri/*_dri.so")
DRI_PACKAGE = "libgl1-mesa-dri"


def _loads(soname: str) -> bool:
    try:
        ctypes.CDLL(soname)
        return True
    except OSError:
        return False


def missing_libraries(loads: Callable[[str], bool] = _loads,
                      dri: Callable[[], list[str]] | None = None) -> list[tuple[str, str]]:
    """(library, package) for each KMSDRM runtime library that cannot be loaded here."""
    out = [(lib, pkg) for lib, pkg in LIBRARIES if not loads(lib)]
    drivers = dri() if dri is not None else [p for g in DRI_GLOBS for p in glob.glob(g)]
    if not drivers:
        out.append(("Mesa DRI drivers (*_dri.so)", DRI_PACKAGE))
    return out


def sound_cards(path: Path = Path("/proc/asound/cards")) -> list[str]:
    """The ALSA cards as the kernel lists them ('0 [vc4hdmi0 ]: vc4-hdmi - vc4-hdmi-0', ...)."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return []
    return [" ".join(ln.split()) for ln in lines if ln[:3].strip().isdigit()]


def report(display, out: Callable[[str], None] = print, *, sysfs: Path = DRM_SYSFS) -> int:
    """Print the check; 0 when the screen's libraries are all there, else 1."""
    from .sound import alsa_device
    missing = missing_libraries()
    if missing:
        out("libraries: MISSING " + ", ".join(lib for lib, _ in missing))
        pkgs = " ".join(dict.fromkeys(pkg for _, pkg in missing))
        out(f"  install them: sudo apt-get install -y {pkgs}   (or re-run install.sh --role display)")
    else:
        out("libraries: all there (libdrm, libgbm, EGL, GLES, Mesa DRI drivers)")
    cards = sorted(glob.glob("/dev/dri/card*"))
    out(f"DRM devices: {', '.join(cards) or 'none (no KMS driver: dtoverlay=vc4-kms-v3d in config.txt)'}")
    states = connectors(sysfs)
    if states:
        for name, state in states.items():
            out(f"  {name}: {state}")
        if not any(s == "connected" for s in states.values()):
            out("  no monitor connected: the board waits for one (or force it: video=HDMI-A-1:1920x1080@60D)")
    device = alsa_device(display.audio_device)
    out(f"sound device: {device or 'ALSA default'}"
        + (f" (audio_device = {display.audio_device!r})" if display.audio_device else ""))
    cards_now = sound_cards()
    for c in cards_now:
        out(f"  card {c}")
    if not cards_now:
        out("  no sound card (HDMI sound needs a monitor that takes it; the jack needs dtparam=audio=on)")
    return 1 if missing else 0


def play_test(cfg, display, out: Callable[[str], None] = print, timeout_s: float = 60.0) -> int:
    """Play the chime and one spoken call on the configured device; 0 when it was played."""
    from .board import BoardEntry
    from .sound import SoundPlayer
    player = SoundPlayer(cfg, display, retry_s=3600)
    player.start()
    try:
        if player.state == "silent":
            out(f"sound: no audio device opened ({display.audio_device or 'ALSA default'}); see the warning above")
            return 1
        desk = cfg.desks[0].id if cfg.desks else "1"
        service = cfg.services[0].key if cfg.services else "K"
        out(f"sound: playing the chime and a call on {player.device or 'the default device'} ...")
        player.announce(BoardEntry(f"{service}017", desk))
        if not player.wait_idle(timeout_s):
            out("sound: still playing after a minute")
            return 1
        said = [e for e in player.log if e[0] == "speech"]
        out(f"sound: played the chime{' and ' + str(len(said)) + ' spoken call(s)' if said else ''} ({player.state})")
        return 0
    finally:
        player.close()
