"""`aufruf kiosk` as its own process: status online with the printer state, systemd ready/watchdog, clean stop."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def kiosk_cmd(site, kiosk_id="entrance"):
    return [sys.executable, "-m", "aufrufcli", "kiosk", "--config", str(site.config_path), "--id", kiosk_id]


def test_kiosk_process_reports_ready_pings_watchdog_and_stops_cleanly(site, tmp_path):
    probe = site.probe()
    sock_path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    sock.settimeout(15)
    env = dict(os.environ, PYTHONPATH=str(REPO), GPIOZERO_PIN_FACTORY="mock", NOTIFY_SOCKET=sock_path)
    proc = subprocess.Popen(kiosk_cmd(site), cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        got = []
        while not any(m.startswith("WATCHDOG=1") for m in got):
            got.append(sock.recv(1024).decode())
        assert got[0].startswith("READY=1") and "printer ok" in got[0]
        st = probe.wait_for("status/kiosk/entrance", lambda b: b.get("online"), timeout=10)
        assert st["printer"] == "ok"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
        probe.wait_for("status/kiosk/entrance", lambda b: b.get("online") is False, timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
        sock.close()


def test_unknown_kiosk_id_exits_1_naming_the_configured_ones(site):
    r = subprocess.run(kiosk_cmd(site, "side-door"), cwd=REPO, capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, PYTHONPATH=str(REPO), GPIOZERO_PIN_FACTORY="mock"))
    assert r.returncode == 1 and "no kiosk 'side-door'" in r.stderr and "entrance" in r.stderr
