"""kill -9 of the display mid-burst: the board and ledger do not notice, the will says offline, a restart returns."""

import signal

from audit import audit
from probe import wait_until
from processes import retry_until_answered, start_desk, start_process


def test_kill_9_of_the_display_mid_burst(site, processes):
    # a short keepalive bounds how long the broker may take to notice a dead client (the closed
    # socket of a killed process usually tells it at once)
    site.config_path.write_text(site.config_path.read_text() + "keepalive_s = 5\n")
    p = site.probe()
    processes.append(start_desk(site))
    display = start_process(site, "display", "--id", "hall", "--windowed", "--size", "640x360", name="display")
    processes.append(display)
    p.wait_for("status/controller/main", lambda b: b.get("online"), timeout=15)
    p.wait_for("status/display/hall", lambda b: b.get("online"), timeout=20)
    log = site.root / "display.log"

    bodies = [{"v": 1, "id": f"t-{i}", "service": "KN"[i % 3 == 0]} for i in range(60)]
    commands, killed_at = [], None
    for i, b in enumerate(bodies):
        p.publish("kiosk/entrance/request", b)
        if i % 7 == 2:
            c = {"v": 1, "id": f"c{i}", "action": "next"}
            commands.append(("1234"[len(commands) % 4], c))
            p.publish(f"desk/{commands[-1][0]}/command", c)
        if i == 30:
            # the display is in the middle of the calls: it has received some, more are coming
            wait_until(lambda: " received" in log.read_text(), 10, "the display receiving a call")
            killed_at = p.mark()
            display.send_signal(signal.SIGKILL)
            display.wait(10)
    p.wait_for("status/display/hall", lambda b: b.get("online") is False, timeout=10, start=killed_at)
    answers = retry_until_answered(p, "kiosk/entrance/request", "kiosk/entrance/ticket", bodies)
    numbers = {rid: a["ticket"]["number"] for rid, a in answers.items()}
    assert len(set(numbers.values())) == len(bodies)
    replies = {}
    for desk in "1234":
        replies.update(retry_until_answered(p, f"desk/{desk}/command", f"desk/{desk}/reply",
                                            [c for d, c in commands if d == desk], timeout=10))
    called = {r["ticket"] for r in replies.values()}
    assert all(r["ok"] for r in replies.values()) and len(called) == len(commands) == 9
    # calls went on while the display was dead
    assert sum(1 for t, b, _ in p.messages[killed_at:] if t == "call") >= 4

    # the retained board a (re)starting display reads holds every call, as the ledger does
    p.wait_for("board", lambda b: {c["number"] for c in b["calls"]} == called, timeout=10)
    fresh = site.probe(subscriptions=("board",))
    retained = fresh.wait_for("board", timeout=5)
    assert retained == p.all("board")[-1]
    assert {c["number"] for c in retained["calls"]} == called

    # a restarted display comes back online
    mark = p.mark()
    processes.append(start_process(site, "display", "--id", "hall", "--windowed", "--size", "640x360",
                                   name="display"))
    p.wait_for("status/display/hall", lambda b: b.get("online") is True, timeout=20, start=mark)
    assert display.returncode == -signal.SIGKILL
    audit(site.data, retained, numbers)
