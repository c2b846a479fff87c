"""The screen on a Pi: ``aufruf display`` waits for a monitor without exiting (the watchdog fed),
comes up when one is connected, survives it going away and back, and refuses SDL's invisible
fallback drivers. The kernel's connector state is a directory laid out like /sys/class/drm."""

import os
import socket
import subprocess
import sys

from sites import REPO
from display.screen import connectors, monitor_present


def drm(root, **states):
    for name, state in states.items():
        (root / name).mkdir(parents=True, exist_ok=True)
        (root / name / "status").write_text(state + "\n")
    return root


def test_connector_states_as_the_kernel_shows_them(tmp_path):
    root = drm(tmp_path / "drm", **{"card1-HDMI-A-1": "disconnected", "card1-HDMI-A-2": "disconnected",
                                    "card1-Writeback-1": "unknown"})
    (root / "card1").mkdir()           # the card itself has no status
    (root / "version").write_text("drm 1.1.0\n")
    assert connectors(root) == {"card1-HDMI-A-1": "disconnected", "card1-HDMI-A-2": "disconnected"}
    assert monitor_present(connectors(root)) is False
    drm(root, **{"card1-HDMI-A-2": "connected"})
    assert monitor_present(connectors(root)) is True
    assert monitor_present(connectors(tmp_path / "none")) is None      # no DRM: only opening tells


def start(site, tmp_path, sysfs, *, driver="dummy", extra=()):
    env = dict(os.environ, PYTHONPATH=str(REPO), SDL_AUDIODRIVER="dummy", AUFRUF_DRM_SYSFS=str(sysfs),
               NOTIFY_SOCKET=str(tmp_path / "notify"))
    env.pop("SDL_VIDEODRIVER", None)
    if driver:
        env["SDL_VIDEODRIVER"] = driver
    for k in ("DISPLAY", "WAYLAND_DISPLAY"):
        env.pop(k, None)
    return subprocess.Popen([sys.executable, "-m", "aufrufcli", "display", "--config", str(site.config_path),
                             "--id", "hall", "--size", "640x360", *extra], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def notify_socket(tmp_path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(tmp_path / "notify"))
    s.settimeout(15)
    return s


def stop(p):
    p.terminate()
    try:
        _, err = p.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    return p.returncode, err


def test_display_waits_for_a_monitor_and_survives_it_going_away_and_back(site, tmp_path):
    sysfs = drm(tmp_path / "drm", **{"card1-HDMI-A-1": "disconnected"})
    probe = site.probe()
    notify = notify_socket(tmp_path)
    p = start(site, tmp_path, sysfs)
    try:
        st = probe.wait_for("status/display/hall", lambda b: b.get("online") is True, timeout=15)
        assert st["screen"] == "waiting"
        said = []
        while sum("WATCHDOG=1" in m for m in said) < 3:     # alive and fed while no monitor is there
            said.append(notify.recv(4096).decode())
        assert said[0].startswith("READY=1") and "waiting for a screen" in said[0]
        assert p.poll() is None

        mark = probe.mark()
        drm(sysfs, **{"card1-HDMI-A-1": "connected"})       # the TV is switched on
        probe.wait_for("status/display/hall", lambda b: b.get("screen") == "ok", start=mark, timeout=15)

        mark = probe.mark()
        drm(sysfs, **{"card1-HDMI-A-1": "disconnected"})    # ... off for lunch
        probe.wait_for("status/display/hall", lambda b: b.get("screen") == "disconnected", start=mark, timeout=15)
        mark = probe.mark()
        drm(sysfs, **{"card1-HDMI-A-1": "connected"})       # ... and on again
        probe.wait_for("status/display/hall", lambda b: b.get("screen") == "ok", start=mark, timeout=15)
        assert p.poll() is None
    finally:
        notify.close()
        code, err = stop(p)
    assert code == 0, err
    assert "waiting for a screen: no monitor connected (card1-HDMI-A-1 disconnected)" in err
    assert "screen open: video driver dummy, " in err      # full screen: the dummy driver picks the size
    assert "the monitor went away" in err
    assert "screen back: video driver dummy, " in err
    assert err.count("display hall up: ") == 2


def test_sdl_fallback_to_an_invisible_driver_is_refused(site, tmp_path):
    # SDL_VIDEODRIVER unset, no desktop and no DRM here: SDL falls back to 'offscreen'
    notify = notify_socket(tmp_path)
    probe = site.probe()
    p = start(site, tmp_path, tmp_path / "no-drm", driver=None)
    try:
        st = probe.wait_for("status/display/hall", lambda b: b.get("online") is True, timeout=15)
        assert st["screen"] == "waiting"
        said = []
        while sum("WATCHDOG=1" in m for m in said) < 2:
            said.append(notify.recv(4096).decode())
    finally:
        notify.close()
        code, err = stop(p)
    assert code == 0, err
    assert "display hall up" not in err
    assert ("SDL fell back to its 'offscreen' video driver, which shows nothing" in err
            or "No available video device" in err), err


def test_kmsdrm_without_a_screen_keeps_the_service_alive(site, tmp_path):
    """SDL's real KMSDRM driver with no DRM device (as on a Pi with the TV off): no exit, the
    watchdog fed, the reason in the log, and it goes on trying."""
    notify = notify_socket(tmp_path)
    probe = site.probe()
    p = start(site, tmp_path, tmp_path / "no-drm", driver="kmsdrm")
    try:
        st = probe.wait_for("status/display/hall", lambda b: b.get("online") is True, timeout=15)
        assert st["screen"] == "waiting"
        said = []
        while sum("WATCHDOG=1" in m for m in said) < 3:
            said.append(notify.recv(4096).decode())
        assert p.poll() is None
    finally:
        notify.close()
        code, err = stop(p)
    assert code == 0, err
    assert "waiting for a screen: kmsdrm not available; trying again every 5 s" in err
    assert "display hall up" not in err


def test_windowed_accepts_any_driver(site, tmp_path):
    notify = notify_socket(tmp_path)
    probe = site.probe()
    p = start(site, tmp_path, tmp_path / "no-drm", driver="offscreen", extra=("--windowed",))
    try:
        probe.wait_for("status/display/hall", lambda b: b.get("screen") == "ok", timeout=15)
    finally:
        notify.close()
        code, err = stop(p)
    assert code == 0, err
    assert "screen open: video driver offscreen, 640x360" in err


def test_staff_status_shows_a_display_waiting_for_its_screen():
    from aufrufcli.staff import device_health
    now = 1_795_600_300_000
    assert device_health({"online": True, "at": now, "screen": "waiting", "sound": "silent"}, now) == \
        "online, screen waiting, sound silent"
    assert device_health({"online": True, "at": now, "screen": "ok", "sound": "ok"}, now) == "online"
