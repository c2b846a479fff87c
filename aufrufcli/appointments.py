"""``aufruf appointments``: the day's appointments for reception.

``import``, ``add``, ``cancel`` and ``list`` work on the controller's ledger
(run them on the controller's box, ``--data`` as for ``aufruf desk``; each
change is one SQLite transaction, safe while the controller runs).
``checkin`` goes to the running controller over MQTT as the info desk, exactly
like a kiosk's scanner: the controller decides and answers.

Exit codes: 0 done, 1 refused (the reason is printed; nothing changed),
2 bad usage, 3 the broker or the controller could not be reached.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import sys
import uuid
from pathlib import Path

from aufruf import protocol
from aufruf.config import SiteConfig, load_or_exit
from aufruf.errors import AufrufError
from aufruf.link import now_ms

DEFAULT_CONFIG = "/etc/aufruf/site.toml"
DEFAULT_DATA = "/var/lib/aufruf"


def _day(text: str) -> str:
    try:
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day like 2026-12-02") from None


def configure(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="appt_command", metavar="ACTION", required=True)

    def common(q: argparse.ArgumentParser, ledger: bool = True) -> None:
        q.add_argument("--config", default=DEFAULT_CONFIG, help=f"the site config (default {DEFAULT_CONFIG})")
        if ledger:
            q.add_argument("--data", default=DEFAULT_DATA, metavar="DIR",
                           help=f"the controller's ledger directory (default {DEFAULT_DATA})")
            q.add_argument("--date", type=_day, metavar="YYYY-MM-DD", help="the service day (default: today)")

    q = sub.add_parser("import", help="import a CSV file time,code,desk,service,note (all rows or none)")
    common(q)
    q.add_argument("file", help="the CSV file ('-': standard input)")
    q = sub.add_parser("add", help="add one appointment by hand")
    common(q)
    q.add_argument("--time", required=True, help="local time HH:MM")
    q.add_argument("--code", required=True, help="the code on the invitation letter")
    q.add_argument("--desk", required=True, help="the desk or room id of the site file")
    q.add_argument("--service", required=True, help="the service key, e.g. N")
    q.add_argument("--note", default="", help="a note for staff (never a name)")
    q = sub.add_parser("cancel", help="cancel an appointment (its code is then refused at check-in)")
    common(q)
    q.add_argument("code")
    q = sub.add_parser("list", help="the day's list: expected, checked in (when), called, served, no-show")
    common(q)
    q.add_argument("--csv", action="store_true", help="print the list as CSV")
    q = sub.add_parser("checkin", help="check a customer in at the info desk (through the controller)")
    common(q, ledger=False)
    q.add_argument("code")
    q.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the controller (default 5)")
    q.add_argument("--print", action="store_true", dest="print_slip",
                   help="print the slip (or the ticket) on [info_desk.printer]")


def main(args: argparse.Namespace) -> int:
    cfg = load_or_exit(args.config)
    if cfg.appointments is None:
        print(f"aufruf appointments: {cfg.path} has no [appointments] table; add one (docs/appointments.md)",
              file=sys.stderr)
        return 2
    if args.appt_command == "checkin":
        return _checkin(cfg, args)
    from desk import appointment_book as book
    from desk import appointments as ap
    from desk.ledger import Ledger
    now = now_ms()
    day = args.date or cfg.service_day(now)
    try:
        ledger = Ledger(args.data)
    except AufrufError as e:
        print(f"aufruf appointments: {e}", file=sys.stderr)
        return 1
    try:
        if args.appt_command == "import":
            try:
                data = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
            except OSError as e:
                print(f"aufruf appointments: cannot read {args.file}: {e.strerror or e}", file=sys.stderr)
                return 1
            name = "stdin" if args.file == "-" else Path(args.file).name
            try:
                plan = book.parse_and_import(ledger.db, cfg, data, day, now, name)
            except ap.ImportRefused as e:
                print(str(e), file=sys.stderr)
                return 1
            print(f"{name} for {day}: {len(plan.added)} added, {len(plan.updated)} changed, "
                  f"{len(plan.unchanged)} unchanged")
            return 0
        if args.appt_command == "add":
            try:
                a = ap.make(cfg, day, args.time, args.code, args.desk, args.service, args.note)
                book.add(ledger.db, a, now)
            except ValueError as e:
                print(f"refused: {e}", file=sys.stderr)
                return 1
            print(f"added {a.code} on {day} at {a.time}, desk {a.desk}, service {a.service}")
            return 0
        if args.appt_command == "cancel":
            try:
                a = book.cancel(ledger.db, day, ap.normalize_code(args.code), now)
            except ValueError as e:
                print(f"refused: {e}", file=sys.stderr)
                return 1
            print(f"cancelled {a.code} on {day} at {a.time}")
            return 0
        if args.appt_command == "list":
            rows = book.day_list(ledger.db, day)
            sys.stdout.write(format_list(cfg, day, rows, as_csv=args.csv))
            return 0
    finally:
        ledger.close()
    return 2


def format_list(cfg: SiteConfig, day: str, rows: list, as_csv: bool = False) -> str:
    """The day's list for reception (text or CSV): never a name."""
    def hhmm(ms: int | None) -> str:
        return dt.datetime.fromtimestamp(ms / 1000, cfg.tz).strftime("%H:%M") if ms else ""
    table = [("time", "code", "desk", "service", "status", "number", "checked_in", "called", "finished", "note")]
    for r in rows:
        a = r.appt
        table.append((a.time, a.code, a.desk, a.service, r.status, a.number or "", hhmm(a.checked_in_at),
                      hhmm(r.called_at), hhmm(r.finished_at), a.note))
    if as_csv:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(table)
        return out.getvalue()
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.status] = counts.get(r.status, 0) + 1
    widths = [max(len(str(row[i])) for row in table) for i in range(len(table[0]))]
    lines = [f"appointments {day}: {len(rows)} ("
             + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(counts.items())) + ")"]
    for row in table:
        lines.append("  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip())
    return "\n".join(lines) + "\n"


def _checkin(cfg: SiteConfig, args: argparse.Namespace) -> int:
    from .staff import StaffSession  # the info desk's MQTT user
    topics = protocol.Topics(cfg.site_id)
    req = protocol.CheckinRequest(f"info-{uuid.uuid4().hex[:12]}", args.code[:64])
    printer = None
    if args.print_slip:
        if cfg.info_desk.printer is None:
            print("aufruf appointments checkin: --print needs [info_desk.printer] in the site config", file=sys.stderr)
            return 2
        from kiosk.printer import open_printer  # lazy: only the info desk with a printer needs escpos
        printer = open_printer(cfg.info_desk.printer)
    try:
        with StaffSession(cfg, (topics.ticket("info"),)) as s:
            s.connect(args.timeout)
            reply = s.request(topics.request("info"), topics.ticket("info"), req, protocol.CheckinReply, args.timeout)
            print(describe_checkin(reply))
            if printer is not None and (reply.ok or reply.refusal != "invalid"):
                failed = _print(cfg, s, topics, printer, req.id, reply, args.timeout)
                if failed:
                    print(failed, file=sys.stderr)
                    return 1
    except (ConnectionError, TimeoutError, AufrufError) as e:
        print(f"aufruf: {e}", file=sys.stderr)
        return 3
    return 0 if reply.ok and reply.result == "checked_in" else 1


def _print(cfg: SiteConfig, s, topics: protocol.Topics, printer, rid: str, reply: protocol.CheckinReply,
           timeout: float) -> str | None:
    """Print the slip (or a late customer's ticket); a number that could not be printed is voided."""
    import threading

    from kiosk.slip import print_slip
    from kiosk.ticket_layout import print_ticket
    number = reply.ticket.number if reply.ticket else (reply.number if reply.result == "checked_in" else None)
    try:
        if reply.ticket is not None:
            print_ticket(printer, cfg, reply.ticket)
        else:
            print_slip(printer, cfg, reply, now_ms())
        why = ""
    except Exception as e:  # noqa: BLE001 - any printer failure voids the number
        why = str(e) or type(e).__name__
    if number is None:
        return f"printing failed ({why})" if why else None
    delivered = threading.Event()
    s.link.publish(topics.printed("info"), protocol.PrintReport(rid, number, not why, why or None),
                   on_delivered=lambda ok, reason: delivered.set())
    delivered.wait(timeout)
    return f"printing failed ({why}); {number} was voided, the code can check in again" if why else None


def describe_checkin(reply: protocol.CheckinReply) -> str:
    """One line for the info desk about a check-in answer."""
    if not reply.ok:
        return f"refused ({reply.refusal}): {reply.error}"
    if reply.result == "early":
        return f"too early for {reply.time}: check-in from {reply.opens}"
    if reply.result == "late":
        return f"too late for {reply.time}" + (f": normal ticket {reply.ticket.number}" if reply.ticket else
                                               ": no ticket")
    where = f"room {reply.room}" if reply.room else f"desk {reply.desk}"
    floor = f", floor {reply.floor}" if reply.floor else ""
    return f"checked in: {reply.number} for {reply.time}, {where}{floor}"
