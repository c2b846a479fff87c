"""The appointments table of the ledger: import, add, cancel, look up, the day's list.

Used by the controller's worker (check-in, the drop directory) and by
``aufruf appointments`` on the controller's box (the ledger is SQLite in WAL
mode: a second process may write while the controller runs; each change is
one transaction). The rules themselves are in :mod:`desk.appointments`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Iterable

import sqlite_utils

from aufruf.config import SiteConfig

from . import appointments as ap
from .appointments import Appointment, ImportPlan, ImportRefused

COLUMNS = ("day", "code", "time", "at", "desk", "service", "note", "state", "number", "checked_in_at", "source")
_SELECT = f"SELECT {', '.join(COLUMNS)} FROM appointments"


class BookError(ap.AufrufError, ValueError):
    """A change by hand that is refused (unknown code, already checked in, ...)."""


def _appt(row: Iterable) -> Appointment:
    return Appointment(**dict(zip(COLUMNS, row)))


def day(db: sqlite_utils.Database, day_: str) -> list[Appointment]:
    return [_appt(r) for r in db.execute(f"{_SELECT} WHERE day=? ORDER BY at, code", [day_]).fetchall()]


def find(db: sqlite_utils.Database, code: str, today: str) -> Appointment | None:
    """The appointment with ``code`` today, else the nearest other day's (to say when it is)."""
    row = db.execute(f"{_SELECT} WHERE day=? AND code=?", [today, code]).fetchone()
    if row is None:
        row = db.execute(f"{_SELECT} WHERE code=? ORDER BY abs(julianday(day) - julianday(?)) LIMIT 1",
                         [code, today]).fetchone()
    return _appt(row) if row else None


def import_rows(db: sqlite_utils.Database, rows: list[Appointment], day_: str, now: int,
                source: str) -> ImportPlan:
    """Import a parsed file for ``day_`` in one transaction: new codes added, changed ones updated,
    the same again changes nothing. Raises ImportRefused (nothing written) on a conflict."""
    with db.atomic():
        existing = {a.code: a for a in day(db, day_)}
        plan = ap.plan_import(rows, existing, source)
        c = db.conn
        for a in plan.added:
            c.execute(f"INSERT INTO appointments ({', '.join(COLUMNS)}, changed_at) VALUES "
                      f"({', '.join('?' for _ in COLUMNS)}, ?)", [*_values(a), now])
        for a in plan.updated:
            c.execute("UPDATE appointments SET time=?, at=?, desk=?, service=?, note=?, source=?, changed_at=? "
                      "WHERE day=? AND code=? AND state=?",
                      [a.time, a.at, a.desk, a.service, a.note, a.source, now, a.day, a.code, ap.EXPECTED])
    return plan


def add(db: sqlite_utils.Database, a: Appointment, now: int) -> None:
    try:
        with db.atomic():
            db.conn.execute(f"INSERT INTO appointments ({', '.join(COLUMNS)}, changed_at) VALUES "
                            f"({', '.join('?' for _ in COLUMNS)}, ?)", [*_values(a), now])
    except sqlite3.IntegrityError:
        raise BookError(f"code {a.code} is already an appointment on {a.day}") from None


def cancel(db: sqlite_utils.Database, day_: str, code: str, now: int) -> Appointment:
    with db.atomic():
        row = db.execute(f"{_SELECT} WHERE day=? AND code=?", [day_, code]).fetchone()
        if row is None:
            raise BookError(f"no appointment {code} on {day_}")
        a = _appt(row)
        if a.state == ap.CANCELLED:
            return a                              # cancelling twice: the same result
        if a.state != ap.EXPECTED:
            raise BookError(f"appointment {code} is already {a.state.replace('_', ' ')} as {a.number}: "
                            "the desk ends it (done or noshow)")
        db.conn.execute("UPDATE appointments SET state=?, changed_at=? WHERE day=? AND code=?",
                        [ap.CANCELLED, now, day_, code])
    return Appointment(**{**a.__dict__, "state": ap.CANCELLED})


def checkin_statement(a: Appointment, state: str, number: str | None, now: int) -> tuple[str, list]:
    """The UPDATE that records a check-in; the controller runs it in the transaction that issues the ticket."""
    # only an appointment still expected (or checked in with a voided slip): a cancel by another
    # process between the check and the commit makes the statement change nothing, and the commit fails
    return ("UPDATE appointments SET state=?, number=?, checked_in_at=?, changed_at=? WHERE day=? AND code=? "
            "AND state IN (?, ?)", [state, number, now, now, a.day, a.code, ap.EXPECTED, ap.CHECKED_IN])


def checked_in_at_desk(db: sqlite_utils.Database, day_: str, desk: str) -> list[Appointment]:
    """The desk's checked-in appointments (the caller keeps those whose tickets still wait)."""
    return [_appt(r) for r in db.execute(
        f"{_SELECT} WHERE day=? AND desk=? AND state=? AND number IS NOT NULL ORDER BY at, number",
        [day_, desk, ap.CHECKED_IN]).fetchall()]


def by_number(db: sqlite_utils.Database, day_: str, number: str) -> Appointment | None:
    row = db.execute(f"{_SELECT} WHERE day=? AND number=?", [day_, number]).fetchone()
    return _appt(row) if row else None


@dataclass(frozen=True)
class ListRow:
    """One line of the day's list for reception."""

    appt: Appointment
    ticket_state: str | None
    called_at: int | None
    finished_at: int | None
    desk_called: str | None

    @property
    def status(self) -> str:
        a = self.appt
        if a.state in (ap.CANCELLED, ap.LATE) or self.ticket_state is None:
            return a.state
        return {"waiting": "checked_in", "called": "called", "done": "served", "noshow": "noshow",
                "void": "void", "expired": "noshow"}.get(self.ticket_state, self.ticket_state)


def day_list(db: sqlite_utils.Database, day_: str) -> list[ListRow]:
    """The day's appointments with what became of them (checked in, called, served, no-show)."""
    rows = db.execute(
        f"SELECT {', '.join('a.' + c for c in COLUMNS)}, t.state, t.called_at, t.finished_at, t.desk "
        "FROM appointments a LEFT JOIN tickets t ON t.day=a.day AND t.number=a.number AND a.state=? "
        "WHERE a.day=? ORDER BY a.at, a.code", [ap.CHECKED_IN, day_]).fetchall()
    n = len(COLUMNS)
    return [ListRow(_appt(r[:n]), r[n], r[n + 1], r[n + 2], r[n + 3]) for r in rows]


def _values(a: Appointment) -> list:
    return [getattr(a, c) for c in COLUMNS]


def parse_and_import(db: sqlite_utils.Database, cfg: SiteConfig, data: bytes, day_: str, now: int,
                     source: str) -> ImportPlan:
    """Check a CSV file and import it (ImportRefused: nothing changed)."""
    rows = ap.parse_csv(cfg, data, day_, source)
    return import_rows(db, rows, day_, now, source)


__all__ = ["BookError", "ImportRefused", "ListRow", "add", "cancel", "day", "day_list", "find", "import_rows",
           "parse_and_import", "checked_in_at_desk", "by_number", "checkin_statement"]
