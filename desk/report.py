"""``aufruf report``: statistics of service days from the ledger, as text, CSV and a PNG chart.

Reads the controller's ledger read-only (it may run meanwhile). Days whose
per-ticket rows were deleted by the retention come from their daily aggregate.
``--central`` instead reads the retained ``stats/today`` summaries of many
sites from a central broker. ``--erase-before DAY`` deletes per-ticket rows by
hand (docs/privacy.md).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
from pathlib import Path
from typing import Any

from aufruf.config import DEFAULT_PATH, load_or_exit
from aufruf.config import SiteConfig
from aufruf.errors import AufrufError

from . import history, stats
from .stats import Figures, Group

DEFAULT_DATA = "/var/lib/aufruf"
MAX_DAYS = 3660


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="FILE", help=f"the site config (default {DEFAULT_PATH}; not used with --central)")
    p.add_argument("--data", default=DEFAULT_DATA, metavar="DIR", help=f"the controller's ledger directory (default {DEFAULT_DATA})")
    p.add_argument("--date", type=_day, metavar="DAY", help="one service day, YYYY-MM-DD (default: today)")
    p.add_argument("--from", dest="date_from", type=_day, metavar="DAY", help="first day of a range (with --to)")
    p.add_argument("--to", dest="date_to", type=_day, metavar="DAY", help="last day of a range, included (default: today)")
    p.add_argument("--csv", metavar="FILE", help="also write the figures as CSV ('-': the CSV alone on standard output)")
    p.add_argument("--png", metavar="FILE", help="also draw a chart of arrivals and median waits per hour")
    g = p.add_argument_group("central statistics (many sites)")
    g.add_argument("--central", action="store_true", help="read the stats/today summaries of all sites from a broker")
    g.add_argument("--broker", metavar="HOST:PORT", help="the central broker (port default 1883)")
    g.add_argument("--user", help="MQTT user at the central broker")
    g.add_argument("--password-file", metavar="FILE", help="file holding that user's password (preferred)")
    g.add_argument("--password", help="the password itself (visible to other local users: prefer --password-file)")
    g.add_argument("--tls", action="store_true", help="connect with TLS")
    g.add_argument("--ca-file", metavar="FILE", help="CA certificate for --tls")
    g.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the broker (default 5)")
    e = p.add_argument_group("erasing (data protection)")
    e.add_argument("--erase-before", type=_day, metavar="DAY",
                   help="delete the per-ticket rows of every day before DAY (daily aggregates stay)")
    e.add_argument("--with-aggregates", action="store_true", help="with --erase-before: delete the aggregates too")
    e.add_argument("--yes", action="store_true", help="with --erase-before: really delete (else only count)")


def _day(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day like 2026-11-25") from None


def main(args: argparse.Namespace) -> int:
    if args.central:
        from . import central
        return central.main(args)
    cfg = load_or_exit(args.config or DEFAULT_PATH)
    if args.erase_before:
        return _erase(cfg, args)
    try:
        days = _days(cfg, args)
    except ValueError as e:
        print(f"aufruf report: {e}", file=sys.stderr)
        return 2
    try:
        db = history.open_readonly(args.data)
        try:
            figures = load_figures(db, cfg, days)
        finally:
            db.close()
    except AufrufError as e:
        print(f"aufruf report: {e}", file=sys.stderr)
        return 1
    title = period(days)
    if args.csv != "-":
        print(format_report(cfg, figures, title))
    if args.csv:
        text = to_csv(cfg, figures)
        if args.csv == "-":
            sys.stdout.write(text)
        else:
            Path(args.csv).write_text(text, encoding="utf-8")
    if args.png:
        from . import chart
        now = dt.datetime.now(cfg.tz)
        today = cfg.service_day(int(now.timestamp() * 1000))
        chart.render(cfg, figures, title, args.png, until_hour=now.hour if days == [today] else None)
        print(f"chart written to {args.png}", file=sys.stderr)
    return 0


def _days(cfg: SiteConfig, args: argparse.Namespace) -> list[str]:
    today = cfg.service_day(int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000))
    if args.date and (args.date_from or args.date_to):
        raise ValueError("give either --date or --from/--to")
    if args.date_from or args.date_to:
        first = dt.date.fromisoformat(args.date_from or args.date_to)
        last = dt.date.fromisoformat(args.date_to or today)
        if last < first:
            raise ValueError(f"--to {last} is before --from {first}")
        n = (last - first).days + 1
        if n > MAX_DAYS:
            raise ValueError(f"at most {MAX_DAYS} days at once")
        return [(first + dt.timedelta(days=i)).isoformat() for i in range(n)]
    return [args.date or today]


def period(days: list[str]) -> str:
    """'2026-11-25 (Wed)' or '2026-11-01 to 2026-11-25'."""
    if len(days) == 1:
        return f"{days[0]} ({dt.date.fromisoformat(days[0]):%a})"
    return f"{days[0]} to {days[-1]}"


def load_figures(db: Any, cfg: SiteConfig, days: list[str]) -> Figures:
    """The figures of some days: from the rows where they exist, else from the daily aggregate."""
    out = Figures()
    for d in days:
        if history.has_rows(db, d):
            out.merge(stats.day_figures(d, *history.day_rows(db, d), cfg.tz))
        else:
            agg = history.aggregate(db, d)
            out.merge(stats.Figures.from_aggregate(agg) if agg else Figures(days=[d]))
    out.days = list(days)
    return out


# ---------------------------------------------------------------- text

def _m(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f}"


def service_name(cfg: SiteConfig, key: str) -> str:
    s = cfg.service(key)
    return f"{key} {s.name(cfg.languages[0])}" if s else f"{key} (retired)"


def desk_name(cfg: SiteConfig, key: str) -> str:
    d = cfg.desk(key)
    return d.label(cfg.languages[0]) if d else f"desk {key} (retired)"


def _service_keys(cfg: SiteConfig, figures: Figures) -> list[str]:
    keys = [s.key for s in cfg.services]
    return keys + sorted(k for k in figures.services if k not in keys)


def _desk_keys(cfg: SiteConfig, figures: Figures) -> list[str]:
    keys = [d.id for d in cfg.desks]
    return keys + sorted(k for k in figures.desks if k not in keys)


def format_report(cfg: SiteConfig, figures: Figures, title: str) -> str:
    """The readable text report."""
    w = max([len(service_name(cfg, k)) for k in _service_keys(cfg, figures)] +
            [len(desk_name(cfg, k)) for k in _desk_keys(cfg, figures)] + [12])
    lines = [f"{cfg.name} ({cfg.site_id}): {title}", ""]
    if figures.from_aggregates:
        lines += [f"from daily aggregates (per-ticket rows deleted, waits to the minute): "
                  f"{_ranges(figures.from_aggregates)}", ""]
    head = (f"{'service':<{w}} {'issued':>6} {'served':>6} {'no-show':>7} {'void':>4} {'expired':>7} "
            f"{'transf.':>7} {'open':>4} | {'wait med':>8} {'p90':>5} {'max':>5} | {'service med':>11} "
            f"| {'estimate err':>12}")
    lines += [head, "-" * len(head)]

    def srow(name: str, g: Group) -> str:
        return (f"{name:<{w}} {g['issued']:>6} {g['served']:>6} {g['noshow']:>7} {g['void']:>4} {g['expired']:>7} "
                f"{g['transferred']:>7} {g['open']:>4} | {_m(g.wait.median()):>8} {_m(g.wait.percentile(90)):>5} "
                f"{_m(g.wait.max()):>5} | {_m(g.service.median()):>11} | {_m(g.eta_error.median()):>12}")
    for k in _service_keys(cfg, figures):
        lines.append(srow(service_name(cfg, k), figures.services.get(k, Group())))
    lines.append(srow("all", figures.total()))
    lines.append("")
    head = f"{'counter':<{w}} {'called':>6} {'served':>6} {'no-show':>7} {'transf.':>7} | {'service med':>11}"
    lines += [head, "-" * len(head)]
    for k in _desk_keys(cfg, figures):
        g = figures.desks.get(k, Group())
        lines.append(f"{desk_name(cfg, k):<{w}} {g['called']:>6} {g['served']:>6} {g['noshow']:>7} "
                     f"{g['transferred']:>7} | {_m(g.service.median()):>11}")
    lines.append("")
    keys = _service_keys(cfg, figures)
    if figures.hours:
        head = f"{'hour':<11}" + "".join(f" | {k + ' arrivals':>10} {'wait med':>8}" for k in keys) + f" | {'all':>5}"
        lines += ["per hour of arrival (" + cfg.timezone + ")", head, "-" * len(head)]
        for h, per in sorted(figures.hours.items()):
            cells = "".join(f" | {per.get(k, Group())['issued']:>10} {_m(per.get(k, Group()).wait.median()):>8}"
                            for k in keys)
            lines.append(f"{h:02d}:00-{(h + 1) % 24:02d}:00" + cells + f" | {sum(g['issued'] for g in per.values()):>5}")
        lines.append("")
    busiest = figures.busiest_hour()
    if busiest:
        lines.append(f"busiest hour: {busiest[0]:02d}:00-{(busiest[0] + 1) % 24:02d}:00 with {busiest[1]} arrivals")
    else:
        lines.append("no tickets in this period")
    lines += ["", "minutes; wait = issue to first call; service = call to done; "
                  "estimate err = median |minutes printed on the ticket - real wait|"]
    return "\n".join(lines)


def _ranges(days: list[str]) -> str:
    if len(days) <= 3:
        return ", ".join(days)
    return f"{days[0]} .. {days[-1]} ({len(days)} days)"


# ---------------------------------------------------------------- CSV

CSV_FIELDS = ("section", "key", "name", "hour", "issued", "called", "served", "noshow", "void", "expired",
              "transferred", "open", "wait_median_min", "wait_p90_min", "wait_max_min", "service_median_min",
              "estimate_error_median_min")


def to_csv(cfg: SiteConfig, figures: Figures) -> str:
    """One row per service, 'all', counter, and (hour, service); counts that do not apply are empty."""
    buf = io.StringIO()
    wr = csv.writer(buf, lineterminator="\n")
    wr.writerow(("from", "to") + CSV_FIELDS)
    span = (figures.days[0], figures.days[-1]) if figures.days else ("", "")

    def row(section: str, key: str, name: str, hour: str, g: Group) -> None:
        def r(x: float | None) -> str:
            return "" if x is None else f"{x:.2f}"
        shown = {"counter": stats.DESK_COUNTS, "hour": ("issued",)}.get(section, stats.COUNTS)
        wr.writerow(span + (section, key, name, hour) + tuple(g[c] if c in shown else "" for c in stats.COUNTS) +
                    (r(g.wait.median()), r(g.wait.percentile(90)), r(g.wait.max()), r(g.service.median()),
                     r(g.eta_error.median())))
    for k in _service_keys(cfg, figures):
        row("service", k, service_name(cfg, k), "", figures.services.get(k, Group()))
    row("all", "", "all", "", figures.total())
    for k in _desk_keys(cfg, figures):
        row("counter", k, desk_name(cfg, k), "", figures.desks.get(k, Group()))
    for h, groups in sorted(figures.hours.items()):
        for k, g in sorted(groups.items()):
            row("hour", k, service_name(cfg, k), f"{h:02d}", g)
    return buf.getvalue()


# ---------------------------------------------------------------- erasing

def _erase(cfg: SiteConfig, args: argparse.Namespace) -> int:
    from . import retention
    from .ledger import Ledger
    today = cfg.service_day(int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000))
    if args.erase_before > today:
        print(f"aufruf report: --erase-before {args.erase_before} is after today ({today}); the running day "
              "belongs to the controller", file=sys.stderr)
        return 2
    try:
        db = history.open_readonly(args.data)
        try:
            days = history.days_with_rows(db, before=args.erase_before)
            naggs = db.execute("SELECT count(*) FROM daily WHERE day < ?", [args.erase_before]).fetchone()[0] \
                if history.has_daily(db) else 0
        finally:
            db.close()
        what = f"per-ticket rows of {len(days)} days" + (f" ({_ranges(days)})" if days else "")
        if args.with_aggregates:
            what += f" and {naggs} daily aggregates"
        if not args.yes:
            print(f"would delete the {what} before {args.erase_before}; add --yes to delete")
            return 0
        ledger = Ledger(args.data)  # migrates an old ledger; waits for the controller's transactions
        try:
            now = int(dt.datetime.now(dt.timezone.utc).timestamp() * 1000)
            p = retention.erase_before(ledger.db, cfg, args.erase_before, now, aggregates=args.with_aggregates)
            ledger.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            ledger.close()
    except AufrufError as e:
        print(f"aufruf report: {e}", file=sys.stderr)
        return 1
    print(f"deleted {p.tickets} tickets, {p.events} events, {p.requests} request records"
          + (f", {p.aggregates} daily aggregates" if args.with_aggregates else "")
          + f" before {args.erase_before}" + (" (daily aggregates kept)" if not args.with_aggregates else ""))
    return 0
