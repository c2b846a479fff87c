"""Simulate busy service days through the real queue rules and ledger, then time ``aufruf report``.

    python benchmarks/report_day.py [--days 30] [--seed 7] [--png report.png] [--keep DIR]

Prints how many tickets were simulated, how long the report took (rows and
aggregates), and the size of the ledger. With --png it also draws the chart
of the last day (used for docs/img/report.png).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from aufruf import config  # noqa: E402
from desk import chart, history, report, retention  # noqa: E402
from desk.dispatch import Office, Refused  # noqa: E402
from desk.ledger import Ledger  # noqa: E402

# arrivals per hour (K, N) from 08:00 to 17:00: a morning peak, a lull at lunch
PROFILE = {8: (24, 5), 9: (34, 6), 10: (36, 6), 11: (28, 5), 12: (16, 3), 13: (20, 4), 14: (26, 5),
           15: (22, 4), 16: (12, 3), 17: (5, 1)}
MEAN_SERVICE = {"K": 4.5, "N": 15.0}


def simulate_day(cfg, ledger: Ledger, office: Office, day: dt.date, rng: random.Random) -> int:
    """One office day: arrivals by PROFILE, four desks working through the queue."""
    tz = cfg.tz
    start = dt.datetime.combine(day, dt.time(8, 0), tz)
    ms = lambda t: int(t.timestamp() * 1000)  # noqa: E731
    arrivals = []
    for hour, rates in PROFILE.items():
        for svc, rate in zip("KN", rates):
            n = rng.randint(int(rate * 0.8), int(rate * 1.2))
            arrivals += [(start.replace(hour=hour) + dt.timedelta(seconds=rng.uniform(0, 3600)), svc) for _ in range(n)]
    arrivals.sort()
    busy_until = {d.id: start for d in cfg.desks}
    serving = {d.id: None for d in cfg.desks}
    t = start
    end = start.replace(hour=18, minute=30)
    issued = 0
    step = dt.timedelta(seconds=20)
    while t < end:
        while arrivals and arrivals[0][0] <= t:
            at, svc = arrivals.pop(0)
            out = office.issue(svc, ms(at), kiosk="entrance")
            ledger.commit(office.day, ms(at), out)
            issued += 1
            if rng.random() < 0.01:
                ledger.commit(office.day, ms(at) + 2000, office.printed(out.ticket.number, False, ms(at) + 2000))
        for desk in cfg.desks:
            if busy_until[desk.id] > t:
                continue
            cur = serving[desk.id]
            if cur is not None:
                action, r = "done", rng.random()
                if r < 0.05:
                    action = "noshow"
                elif r < 0.08 and "N" in office.cfg.desk(desk.id).services and office.tickets[cur].queue == "K":
                    action = "transfer"
                out = office.command(desk.id, action, ms(t), service="N" if action == "transfer" else None)
                ledger.commit(office.day, ms(t), out)
                serving[desk.id] = None
            try:
                out = office.command(desk.id, "next", ms(t))
            except Refused:
                busy_until[desk.id] = t + step
                continue
            ledger.commit(office.day, ms(t), out)
            serving[desk.id] = out.ticket.number
            busy_until[desk.id] = t + dt.timedelta(minutes=rng.expovariate(1 / MEAN_SERVICE[out.ticket.queue]))
        t += step
    for desk in cfg.desks:
        if serving[desk.id]:
            ledger.commit(office.day, ms(t), office.command(desk.id, "done", ms(t)))
    return issued


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--png")
    ap.add_argument("--keep", help="write the ledger into this directory (else a temporary one)")
    a = ap.parse_args()
    cfg = config.load(config.EXAMPLE_SITE)
    rng = random.Random(a.seed)
    data = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="aufruf-bench-"))
    ledger = Ledger(data)
    first = dt.date(2026, 11, 25) - dt.timedelta(days=a.days - 1)
    total = 0
    t0 = time.perf_counter()
    office = Office(cfg, first.isoformat())
    for i in range(a.days):
        day = first + dt.timedelta(days=i)
        if i:
            boundary = int(dt.datetime.combine(day, cfg.day_starts, cfg.tz).timestamp() * 1000)
            ledger.commit(office.day, boundary, office.roll_over(day.isoformat(), boundary))
            retention.close_day(ledger.db, cfg, (day - dt.timedelta(days=1)).isoformat(), boundary)
        total += simulate_day(cfg, ledger, office, day, rng)
    sim = time.perf_counter() - t0
    last = (first + dt.timedelta(days=a.days - 1)).isoformat()
    days = [(first + dt.timedelta(days=i)).isoformat() for i in range(a.days)]
    db = history.open_readonly(data)
    t0 = time.perf_counter()
    one = report.load_figures(db, cfg, [last])
    text = report.format_report(cfg, one, report.period([last]))
    t_day = time.perf_counter() - t0
    t0 = time.perf_counter()
    report.load_figures(db, cfg, days)
    t_rows = time.perf_counter() - t0
    db.close()
    t0 = time.perf_counter()
    p = retention.erase_before(ledger.db, cfg, last, int(time.time() * 1000))
    t_erase = time.perf_counter() - t0
    db = history.open_readonly(data)
    t0 = time.perf_counter()
    agg = report.load_figures(db, cfg, days)
    t_aggs = time.perf_counter() - t0
    db.close()
    print(f"simulated {a.days} days, {total} tickets ({total / a.days:.0f} a day) in {sim:.1f} s")
    print(f"report of one day (rows):            {t_day * 1000:7.1f} ms")
    print(f"report of {a.days} days (rows):          {t_rows * 1000:7.1f} ms")
    print(f"erase rows of {len(p.days)} days:              {t_erase * 1000:7.1f} ms ({p.tickets} tickets, {p.events} events)")
    print(f"report of {a.days} days (aggregates):    {t_aggs * 1000:7.1f} ms, {agg.total()['issued']} tickets")
    print(f"ledger file: {(data / 'ledger.db').stat().st_size / 1024:.0f} KiB")
    if a.png:
        t0 = time.perf_counter()
        chart.render(cfg, one, report.period([last]), a.png)
        print(f"chart {a.png}: {(time.perf_counter() - t0) * 1000:.0f} ms")
    print()
    print(text)
    ledger.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
