"""The display with the real desk controller process: a ticket is called, shown, chimed and spoken."""

import os
import subprocess
import sys

from sites import REPO
from test_display_app import Running, chimes


def start_desk(site):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    log = open(site.root / "desk.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "aufrufcli", "desk", "--config", str(site.config_path), "--id", "main",
                             "--data", str(site.data), "--no-keypads"], cwd=REPO, env=env, stdout=log, stderr=log)


def test_desk_call_reaches_the_board_and_a_restarted_display_stays_quiet(site):
    p = site.probe()
    desk = start_desk(site)
    made = []
    try:
        p.wait_for("status/controller/main", lambda b: b.get("online"), timeout=15)
        for rid, service in (("r1", "K"), ("r2", "N")):
            p.request("kiosk/entrance/request", "kiosk/entrance/ticket", {"v": 1, "id": rid, "service": service})
        r = Running(site)
        made.append(r)
        r.until(r.link.is_connected, what="connection")
        reply = p.request("desk/3/command", "desk/3/reply", {"v": 1, "id": "c1", "action": "next"})
        assert reply["ok"] and reply["ticket"] == "K001"
        r.until(lambda: chimes(r) == ["K001"] and len(r.sound.log) == 3, timeout=10, what="call K001")
        r.until(lambda: r.app.model.services()[1].waiting == 1, what="queue update")
        assert r.app.model.current_call().desk == "3" and r.app.model.highlighted(r.clock())
        assert r.app.renderer.spots["current.number"].width > 0
        p.request("desk/3/command", "desk/3/reply", {"v": 1, "id": "c2", "action": "recall"})
        r.until(lambda: chimes(r) == ["K001", "K001"], timeout=10, what="recall")
        assert r.app.model.current_call().recall
        r.close()
        made.remove(r)
        # a display (re)started now shows K001 from the retained board, without a chime
        again = Running(site)
        made.append(again)
        again.until(lambda: again.app.model.calls and again.app.model.queue, what="retained state")
        again.app.step(0)
        assert again.app.model.current_call().number == "K001" and again.sound.log == []
    finally:
        for r in made:
            r.close()
        desk.terminate()
        desk.wait(10)
