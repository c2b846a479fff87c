"""The real `aufruf desk` process: kill -9 in the middle of a burst loses and doubles nothing."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def start_desk(site, *extra):
    env = dict(os.environ, PYTHONPATH=str(REPO))
    log = open(site.root / "desk.log", "ab")
    return subprocess.Popen([sys.executable, "-m", "aufruf", "desk", "--config", str(site.config_path),
                             "--data", str(site.data), "--no-keypads", *extra],
                            cwd=REPO, env=env, stdout=log, stderr=log)


def test_kill_9_mid_burst_loses_and_doubles_nothing(site):
    p = site.probe()
    proc = start_desk(site)
    try:
        p.wait_for("status/controller/main", lambda b: b.get("online"), timeout=15)
        ids = [f"burst-{i}" for i in range(200)]
        for i, rid in enumerate(ids):
            p.publish("kiosk/entrance/request", {"v": 1, "id": rid, "service": "K" if i % 3 else "N"})
            if i == 60:
                p.publish("desk/3/command", {"v": 1, "id": "d3", "action": "next"})
            if i == 100:
                proc.send_signal(signal.SIGKILL)     # mid-burst, no goodbye
                proc.wait()
        proc = start_desk(site)
        # like a kiosk: retry every request under its own id until it has an answer
        answers = {}
        deadline = time.monotonic() + 30
        while len(answers) < len(ids) and time.monotonic() < deadline:
            for body in p.all("kiosk/entrance/ticket"):
                if body.get("ok"):
                    answers.setdefault(body["id"], body["ticket"]["number"])
            missing = [r for r in ids if r not in answers]
            for rid in missing[:50]:
                i = ids.index(rid)
                p.publish("kiosk/entrance/request", {"v": 1, "id": rid, "service": "K" if i % 3 else "N"})
            if missing:
                time.sleep(0.2)
        assert len(answers) == len(ids), f"{len(ids) - len(answers)} requests never answered"
        # every request has exactly one number, each number belongs to exactly one request
        for body in p.all("kiosk/entrance/ticket"):
            assert answers[body["id"]] == body["ticket"]["number"], "a repeated id got a different answer"
        assert len(set(answers.values())) == len(ids)
        con = sqlite3.connect(site.data / "ledger.db")
        db = con.execute("SELECT request_id, number FROM tickets").fetchall()
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        con.close()
        assert dict(db) == answers
        # the call made before the kill is on the board after it
        board = p.wait_for("board", lambda b: b["calls"], timeout=10)
        assert board["calls"][0]["desk"] == "3"
    finally:
        proc.kill()
        proc.wait()


def test_sigterm_stops_cleanly_and_marks_offline(site):
    p = site.probe()
    proc = start_desk(site)
    p.wait_for("status/controller/main", lambda b: b.get("online"), timeout=15)
    proc.terminate()
    assert proc.wait(15) == 0
    p.wait_for("status/controller/main", lambda b: b.get("online") is False, timeout=5)


def test_bad_config_exits_1_naming_file_and_key(site):
    bad = site.root / "bad.toml"
    bad.write_text(site.config_path.read_text().replace('services = ["K"]', 'services = ["X"]', 1))
    r = subprocess.run([sys.executable, "-m", "aufruf", "desk", "--config", str(bad), "--data", str(site.data)],
                       cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 1
    assert str(bad) in r.stderr and "desks[2].services[0]: unknown service 'X'" in r.stderr
