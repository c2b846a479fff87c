"""``aufruf display --check`` names what the screen needs and is missing; ``--test-sound`` plays
the chime and a call on the configured device (SDL's dummy audio driver here)."""

import os
import subprocess
import sys

from sites import REPO
from display.check import LIBRARIES, missing_libraries


def test_missing_kmsdrm_libraries_are_named_with_their_debian_packages():
    have = {"libdrm.so.2", "libEGL.so.1"}
    missing = missing_libraries(loads=lambda lib: lib in have, dri=lambda: [])
    assert missing == [("libgbm.so.1", "libgbm1"), ("libEGL_mesa.so.0", "libegl-mesa0"),
                       ("libGLESv2.so.2", "libgles2"), ("Mesa DRI drivers (*_dri.so)", "libgl1-mesa-dri")]
    assert missing_libraries(loads=lambda lib: True, dri=lambda: ["/usr/lib/aarch64-linux-gnu/dri/v3d_dri.so"]) == []
    # every package named here is one the installer installs for the display
    from aufrufcli.install import PACKAGES
    assert {pkg for _, pkg in LIBRARIES} | {"libgl1-mesa-dri"} <= set(PACKAGES["display"])


def run(site_path, *args, **env):
    e = {**os.environ, "PYTHONPATH": str(REPO), "SDL_AUDIODRIVER": "dummy", "SDL_VIDEODRIVER": "dummy", **env}
    return subprocess.run([sys.executable, "-m", "aufrufcli", "display", "--config", str(site_path), "--id", "hall",
                           *args], cwd=REPO, env=e, capture_output=True, text=True, timeout=90)


def test_check_reports_libraries_screen_and_sound(tmp_path):
    from sites import EXAMPLE
    sysfs = tmp_path / "drm"
    (sysfs / "card1-HDMI-A-1").mkdir(parents=True)
    (sysfs / "card1-HDMI-A-1/status").write_text("disconnected\n")
    r = run(EXAMPLE, "--check", AUFRUF_DRM_SYSFS=str(sysfs))
    assert r.returncode == (1 if "libraries: MISSING" in r.stdout else 0), r.stdout + r.stderr
    assert "card1-HDMI-A-1: disconnected" in r.stdout
    assert "no monitor connected: the board waits for one (or force it: video=HDMI-A-1:1920x1080@60D)" in r.stdout
    assert "sound device: ALSA default" in r.stdout


def test_test_sound_plays_the_chime_and_a_spoken_call(tmp_path):
    from sites import EXAMPLE
    r = run(EXAMPLE, "--test-sound")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "sound: played the chime and 2 spoken call(s) (ok)" in r.stdout
    r = run(EXAMPLE, "--test-sound", SDL_AUDIODRIVER="no-such-driver")
    assert r.returncode == 1 and "no audio device opened" in r.stdout
