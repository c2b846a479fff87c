"""kill -9 of the desk controller in the middle of a burst: nothing lost, nothing doubled."""

import signal
import subprocess
import sys

from audit import audit
from processes import REPO, retry_until_answered, start_desk


def test_kill_9_mid_burst_loses_and_doubles_nothing(site, processes):
    p = site.probe()
    proc = start_desk(site)
    processes.append(proc)
    p.wait_for("status/controller/main", lambda b: b.get("online"), timeout=15)
    bodies = [{"v": 1, "id": f"burst-{i}", "service": "K" if i % 3 else "N"} for i in range(200)]
    calls = [{"v": 1, "id": f"d{d}-{i}", "action": "next"} for i in range(5) for d in ("1", "3")]
    for i, body in enumerate(bodies):
        p.publish("kiosk/entrance/request", body)
        if i % 20 == 10 and calls:
            c = calls.pop()
            p.publish(f"desk/{c['id'][1]}/command", c)
        if i == 100:
            proc.send_signal(signal.SIGKILL)         # mid-burst, no goodbye
            proc.wait()
    proc = start_desk(site)
    processes.append(proc)
    answers = retry_until_answered(p, "kiosk/entrance/request", "kiosk/entrance/ticket", bodies)
    numbers = {rid: a["ticket"]["number"] for rid, a in answers.items()}
    # every repeat of an id got the same number; every number belongs to one request
    for body in p.all("kiosk/entrance/ticket"):
        assert numbers[body["id"]] == body["ticket"]["number"], "a repeated id got a different answer"
    assert len(set(numbers.values())) == len(bodies)
    board = p.wait_for("board", lambda b: b["calls"], timeout=10)
    result = audit(site.data, board, numbers)
    assert result["today"] == len(bodies)


def test_sigterm_stops_cleanly_and_marks_offline(site, processes):
    p = site.probe()
    proc = start_desk(site)
    processes.append(proc)
    p.wait_for("status/controller/main", lambda b: b.get("online"), timeout=15)
    proc.terminate()
    assert proc.wait(15) == 0
    p.wait_for("status/controller/main", lambda b: b.get("online") is False, timeout=5)


def test_bad_config_exits_1_naming_file_and_key(site):
    bad = site.root / "bad.toml"
    bad.write_text(site.config_path.read_text().replace('services = ["K"]', 'services = ["X"]', 1))
    r = subprocess.run([sys.executable, "-m", "aufrufcli", "desk", "--config", str(bad), "--data", str(site.data)],
                       cwd=REPO, capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert str(bad) in r.stderr and "desks[2].services[0]: unknown service 'X'" in r.stderr
