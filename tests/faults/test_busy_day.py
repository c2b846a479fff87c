"""Load: a simulated busy day (200 arrivals an hour, two services, four counters), time-accelerated,
up to the last ticket number.

The controller runs in-process on a virtual clock against the real broker and
ledger; the script presses what staff and customers would. The run ends with
the ledger audit and reports the waiting-time figures. The site's services
number from 800 to 999, so two hours at the busy day's rate (402 arrivals)
reach the three-digit limit that a full day of 2,000 reaches: the same rate,
the same last number, a fifth of the time.
"""

import dataclasses
import datetime as dt
import sqlite3
import statistics
import uuid

from audit import audit

from aufrufcli.scenario import PLANS, Simulation
from sites import EXAMPLE


class MqttDriver:
    def __init__(self, site, clock):
        self.clock = clock
        self.kiosk = site.probe("kiosk-entrance", ("kiosk/entrance/ticket",))
        self.staff = site.probe("staff-info", ("desk/+/reply",))
        self.answers = {}
        self.refusals = []

    def set_time(self, at_ms):
        self.clock[0] = at_ms

    def ticket(self, service):
        rid = uuid.uuid4().hex[:12]
        r = self.kiosk.request("kiosk/entrance/request", "kiosk/entrance/ticket",
                               {"v": 1, "id": rid, "service": service})
        if r["ok"]:
            self.answers[rid] = r["ticket"]["number"]
            return r["ticket"]["number"]
        self.refusals.append(r["error"])
        return None

    def command(self, desk, action, **extra):
        return self.staff.request(f"desk/{desk}/command", f"desk/{desk}/reply",
                                  {"v": 1, "id": uuid.uuid4().hex[:12], "action": action, **extra})

    def snapshot(self, label):
        pass


def test_busy_day_to_the_last_number(site_factory, desk_service):
    site = site_factory(EXAMPLE.read_text().replace("range = [1, 999]", "range = [800, 999]"), "busy")
    assert [(s.first, s.last) for s in site.cfg.services] == [(800, 999), (800, 999)]
    # the busy day's rate (2,000 in 10 h) for 2 h: 201 per service, one more than K800..K999 holds
    plan = dataclasses.replace(PLANS["busy-day"], tickets=402, hours=2.0, pause=("4", 0.8, 30.0))
    day = dt.date(2026, 11, 25)
    sim = Simulation(site.cfg, plan, day, seed=42)
    clock = [sim.t0]
    svc = desk_service(site, clock=lambda: clock[0])
    try:
        driver = MqttDriver(site, clock)
        report = sim.run(driver)
    finally:
        svc.stop()
    # three-digit numbers: K999 is the last of the day, the customer after it is told so
    assert report.tickets == {"K": 200, "N": 200}
    assert "K999" in driver.answers.values() and "N999" in driver.answers.values()
    assert sorted(driver.refusals) == ["no numbers left today for service K", "no numbers left today for service N"]
    assert report.noshows > 0 and report.transfers > 0 and report.pauses == 1
    result = audit(site.data, None, driver.answers)
    assert result["today"] == 400
    con = sqlite3.connect(site.data / "ledger.db")
    states = dict(con.execute("SELECT state, COUNT(*) FROM tickets GROUP BY state").fetchall())
    assert states.get("waiting", 0) == 0 and states.get("called", 0) == 0   # everyone was served by closing
    assert states["done"] + states["noshow"] == 400
    waits = {}
    for svc_key, issued, first_call in con.execute(
            "SELECT t.service, t.issued_at, MIN(e.at) FROM tickets t JOIN events e "
            "ON e.day = t.day AND e.number = t.number AND e.kind = 'call' GROUP BY t.day, t.number"):
        waits.setdefault(svc_key, []).append((first_call - issued) / 60000)
    con.close()
    for k, w in sorted(waits.items()):
        w.sort()
        print(f"busy day, service {k}: {len(w)} tickets, wait median {statistics.median(w):.1f} min, "
              f"p90 {w[int(0.9 * len(w))]:.1f} min, max {w[-1]:.1f} min")
        assert all(x >= 0 for x in w)
    assert len(waits["K"]) + len(waits["N"]) == 400
