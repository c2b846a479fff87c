"""What a started `aufruf kiosk` process has imported: nothing of the other roles, nothing it never needs.

The kiosk is the Pi with the tightest memory budget (< 40 MB); every module it
loads at start stays resident. The real process is started (mock pins), waits
until it told systemd it is ready, is stopped with SIGTERM, and writes its
``sys.modules`` on the way out through a small wrapper.
"""

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

WRAPPER = """
import atexit, json, runpy, sys
out = sys.argv.pop(1)
atexit.register(lambda: open(out, "w").write(json.dumps(sorted(sys.modules))))
sys.argv[0] = "aufrufcli"
runpy.run_module("aufrufcli", run_name="__main__")
"""

# the ledger and the other roles' libraries, and what only a misspelt site file needs
NEVER = ("sqlite3", "sqlite_utils", "desk", "display", "web", "aufrufcli.demo", "pygame", "evdev", "aiohttp",
         "numpy", "difflib")


def test_a_started_kiosk_has_not_imported_what_it_never_needs(site, tmp_path):
    sock_path = str(tmp_path / "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(sock_path)
    sock.settimeout(15)
    modules_file = tmp_path / "modules.json"
    env = dict(os.environ, PYTHONPATH=str(REPO), GPIOZERO_PIN_FACTORY="mock", NOTIFY_SOCKET=sock_path)
    proc = subprocess.Popen([sys.executable, "-c", WRAPPER, str(modules_file), "kiosk", "--config",
                             str(site.config_path), "--id", "entrance"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        assert sock.recv(1024).decode().startswith("READY=1")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        sock.close()
    loaded = set(json.loads(modules_file.read_text()))
    assert "kiosk.kiosk" in loaded and "paho.mqtt.client" in loaded   # it is the kiosk that ran
    assert not [m for m in loaded if m.split(".")[0] in NEVER or m in NEVER]
