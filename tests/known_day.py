"""A service day with known answers, driven through the real queue rules and the real ledger.

The model site (desks 1 and 2 serve K and N, desks 3 and 4 serve K only),
2026-11-25, Europe/Berlin (UTC+1). Local times:

    08:00 K001 issued                      08:05 desk 3 calls K001 (wait 5)
    08:02 K002 issued                      08:06 desk 4 calls K002 (wait 4)
    08:03 N001 issued                      08:08 desk 4: K002 no-show
    08:10 K003 issued                      08:09 desk 3: K001 done (service 4)
    08:12 K004 issued, print fails (void)  08:15 desk 1 calls N001 (wait 12)
                                           08:20 desk 1 transfers N001 to K (keeps its place: issued 08:03)
                                           08:25 desk 3 calls N001 again (its wait stays 12, not 22)
                                           08:31 desk 3: N001 done (service 6, counted for K)
    09:00 K005 issued, priority            09:01 desk 4 calls K005 before K003 (wait 1)
                                           09:04 desk 2 calls K003 (wait 54)
                                           09:10 desk 4: K005 done (service 9)
                                           09:12 desk 2: K003 done (service 8)
    09:30 N002 issued, never called        (expires at the next day's boundary, 2026-11-26 03:00)
    09:40 K006 issued                      09:45 desk 3 calls K006 (wait 5), 09:46 recall, 09:50 done (service 5)

The expected figures are worked out by hand in the tests from this table.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from desk.dispatch import Office
from desk.ledger import Ledger

DAY = "2026-11-25"
TZ = ZoneInfo("Europe/Berlin")


def at(hhmm: str, day: str = DAY, seconds: int = 0) -> int:
    h, m = map(int, hhmm.split(":"))
    local = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(h, m, seconds), TZ)
    return int(local.timestamp() * 1000)


def play(cfg, ledger: Ledger, day: str = DAY, roll_over: bool = True) -> dict[str, int | None]:
    """Play the day into ``ledger``; returns the eta_min printed on each ticket."""
    office = Office(cfg, day)
    office.load(ledger.tickets(day), ledger.desks(), [], {})
    etas: dict[str, int | None] = {}

    def issue(hhmm: str, service: str, priority: bool = False) -> str:
        now = at(hhmm, day)
        out = office.issue(service, now, kiosk="info" if priority else "entrance", request_id=f"r-{hhmm}",
                           priority=priority)
        ledger.commit(day, now, out)
        etas[out.ticket.number] = out.ticket.eta_min
        return out.ticket.number

    def desk(hhmm: str, d: str, action: str, **kw) -> str | None:
        now = at(hhmm, day)
        out = office.command(d, action, now, **kw)
        ledger.commit(day, now, out)
        return out.ticket.number if out.ticket else None

    issue("08:00", "K")
    issue("08:02", "K")
    issue("08:03", "N")
    assert desk("08:05", "3", "next") == "K001"
    assert desk("08:06", "4", "next") == "K002"
    desk("08:08", "4", "noshow")
    desk("08:09", "3", "done")
    issue("08:10", "K")
    k4 = issue("08:12", "K")
    now = at("08:12", day, 30)
    ledger.commit(day, now, office.printed(k4, False, now))
    assert desk("08:15", "1", "next") == "N001"
    desk("08:20", "1", "transfer", service="K")
    assert desk("08:25", "3", "next") == "N001"
    desk("08:31", "3", "done")
    issue("09:00", "K", priority=True)
    assert desk("09:01", "4", "next") == "K005"
    assert desk("09:04", "2", "next") == "K003"
    desk("09:10", "4", "done")
    desk("09:12", "2", "done")
    issue("09:30", "N")
    issue("09:40", "K")
    assert desk("09:45", "3", "next") == "K006"
    desk("09:46", "3", "recall")
    desk("09:50", "3", "done")
    if roll_over:
        nxt = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
        now = at("03:00", nxt)
        ledger.commit(day, now, office.roll_over(nxt, now))
    return etas
