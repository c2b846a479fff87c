"""The service-day boundary passing in the middle of a burst, and the clock jumping back an hour."""

import datetime as dt
import sqlite3

from audit import audit
from processes import retry_until_answered



def test_day_boundary_and_clock_jump_mid_burst(site, desk_service):
    tz = site.cfg.tz
    clock = [int(dt.datetime(2026, 11, 25, 2, 58, tzinfo=tz).timestamp() * 1000)]   # 2 min before 03:00
    svc = desk_service(site, clock=lambda: clock[0])
    try:
        p = site.probe()
        before = [{"v": 1, "id": f"old-{i}", "service": "K"} for i in range(30)]
        after = [{"v": 1, "id": f"new-{i}", "service": "K"} for i in range(30)]
        answers = {}
        for i, b in enumerate(before + after):
            if i == 30:
                clock[0] += 5 * 60_000                    # 03:03: the new service day has begun
            if i == 45:
                clock[0] -= 60 * 60_000                   # the system clock jumps back an hour (02:03)
            answers[b["id"]] = p.request("kiosk/entrance/request", "kiosk/entrance/ticket", b)
            if i % 10 == 5:
                p.request("desk/3/command", "desk/3/reply", {"v": 1, "id": f"c{i}", "action": "next"})
        # every request answered once; repeats (QoS 1) still get the same answers
        again = retry_until_answered(p, "kiosk/entrance/request", "kiosk/entrance/ticket", before[:5] + after[:5])
        for rid, reply in again.items():
            assert reply == answers[rid]
        old = [answers[b["id"]]["ticket"]["number"] for b in before]
        new = [answers[b["id"]]["ticket"]["number"] for b in after]
        assert old == [f"K{i:03d}" for i in range(1, 31)]
        assert new == [f"K{i:03d}" for i in range(1, 31)]       # numbers restarted once, never twice
        con = sqlite3.connect(site.data / "ledger.db")
        days = dict(con.execute("SELECT day, COUNT(*) FROM tickets GROUP BY day").fetchall())
        left = con.execute("SELECT COUNT(*) FROM tickets WHERE day='2026-11-24' AND state IN "
                           "('waiting', 'called')").fetchone()[0]
        con.close()
        assert days == {"2026-11-24": 30, "2026-11-25": 30}     # the jump back did not reopen the old day
        assert left == 0                                         # yesterday's open tickets expired
        board = p.wait_for("board", lambda b: all(c["number"] in new for c in b["calls"]), timeout=5)
        audit(site.data, board, {b["id"]: answers[b["id"]]["ticket"]["number"] for b in after})
    finally:
        svc.stop()
