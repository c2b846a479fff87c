"""The commands: ``aufruf display`` as a process, ``aufruf screenshot`` against retained state."""

import json
import os
import signal
import socket
import subprocess
import sys

import pygame
from display_payloads import OPEN, TEN, board, queue

from sites import REPO
from display.app import DisplayApp


def aufruf(*args, env_extra=None, **kw):
    env = dict(os.environ, PYTHONPATH=str(REPO), SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy", **(env_extra or {}))
    return subprocess.Popen([sys.executable, "-m", "aufrufcli", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_display_process_comes_up_reports_status_and_stops_cleanly(site, tmp_path):
    probe = site.probe()
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.settimeout(15)
    p = aufruf("display", "--config", str(site.config_path), "--id", "hall", "--windowed", "--size", "640x360",
               env_extra={"NOTIFY_SOCKET": str(tmp_path / "notify")})
    try:
        st = probe.wait_for("status/display/hall", lambda b: b.get("online") is True, timeout=15)
        assert st["sound"] in ("ok", "no-speech", "silent")
        said = []
        while not any("WATCHDOG=1" in m for m in said):       # systemd: ready after the first frame, then pings
            said.append(notify.recv(4096).decode())
        assert said[0].startswith("READY=1")
        start = probe.mark()
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=10)
        assert p.returncode == 0, err
        probe.wait_for("status/display/hall", lambda b: b.get("online") is False, start=start)
        assert "display hall up: 640x360" in err
    finally:
        notify.close()
        if p.poll() is None:
            p.kill()


def test_display_refuses_an_unknown_id(site):
    p = aufruf("display", "--config", str(site.config_path), "--id", "lobby", "--windowed")
    out, err = p.communicate(timeout=20)
    assert p.returncode == 1 and "no display 'lobby'" in err and "hall" in err


def test_screenshot_renders_the_retained_board(site, tmp_path):
    probe = site.probe()
    probe.wait_ack(probe.publish("board", board(TEN), retain=True))
    probe.wait_ack(probe.publish("queue", queue(), retain=True))
    out = tmp_path / "board.png"
    p = aufruf("screenshot", "--config", str(site.config_path), "--out", str(out), "--size", "1280x720",
               "--at", OPEN.isoformat())
    stdout, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert f"wrote {out}" in stdout
    shot = pygame.image.load(str(out))
    assert shot.get_size() == (1280, 720)
    # the same state rendered in-process at the same moment: the same picture
    when = OPEN.replace(tzinfo=site.cfg.tz).timestamp()
    expect = pygame.Surface((1280, 720))
    app = DisplayApp(site.cfg, "hall", surface=expect, clock=lambda: when)
    app.model.set_connected(True, when)
    app.handle(f"aufruf/{site.site_id}/board", json.dumps(board(TEN)).encode(), retained=True)
    app.handle(f"aufruf/{site.site_id}/queue", json.dumps(queue()).encode(), retained=True)
    app.draw(when)
    assert pygame.image.tobytes(shot, "RGB") == pygame.image.tobytes(expect, "RGB")


def test_screenshot_without_a_broker_says_so(site, tmp_path):
    site.stop()
    p = aufruf("screenshot", "--config", str(site.config_path), "--out", str(tmp_path / "x.png"), "--timeout", "1")
    _, err = p.communicate(timeout=30)
    assert p.returncode == 1 and "no connection to the broker" in err
    assert not (tmp_path / "x.png").exists()
