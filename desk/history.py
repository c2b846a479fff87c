"""What the ledger holds about service days: per-ticket rows and daily aggregates (reading only).

Used by ``aufruf report`` on a read-only connection beside the running
controller, and by the controller's worker (``stats/today``, retention) on its
own connection. Every function takes a :class:`sqlite_utils.Database`.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import sqlite_utils

from aufruf.errors import LedgerError

from .ledger import FILENAME, TICKET_COLUMNS, WHAT_TO_DO, unusable_reason

EVENT_COLUMNS = ("seq", "at", "day", "kind", "number", "desk", "service")


def open_readonly(data_dir: str | Path) -> sqlite_utils.Database:
    """The ledger opened read-only (``mode=ro``): a report never writes and never blocks the controller."""
    path = Path(data_dir) / FILENAME
    if not path.exists():
        raise LedgerError(f"no ledger at {path} (is --data the directory 'aufruf desk' uses?)")
    unusable = unusable_reason(path)
    if unusable:
        raise LedgerError(f"{path} {unusable}: {WHAT_TO_DO}")
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as e:
        raise LedgerError(f"cannot read the ledger {path}: {e}") from None
    return sqlite_utils.Database(conn)


def day_rows(db: sqlite_utils.Database, day: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The ``tickets`` rows and the ``events`` rows (in order) of one service day."""
    tickets = [dict(zip(TICKET_COLUMNS, r)) for r in db.execute(
        f"SELECT {', '.join(TICKET_COLUMNS)} FROM tickets WHERE day=? ORDER BY issued_at, seq", [day])]
    events = [dict(zip(EVENT_COLUMNS, r)) for r in db.execute(
        f"SELECT {', '.join(EVENT_COLUMNS)} FROM events WHERE day=? ORDER BY seq", [day])]
    return tickets, events


def today_rows(db: sqlite_utils.Database, day: str) -> tuple[list[tuple[str, str, str, int]], dict[str, int]]:
    """What ``stats/today`` needs of a day, and no more: ``(number, service, state, issued_at)`` per
    ticket, and each ticket number's first ``call`` moment (the controller's worker runs this every
    10 s of a busy day: the whole rows of a 1,000-ticket day cost it 20 ms, these 2 ms)."""
    tickets = db.execute("SELECT number, service, state, issued_at FROM tickets WHERE day=?", [day]).fetchall()
    first = dict(db.execute("SELECT number, min(at) FROM events WHERE day=? AND kind='call' AND number IS NOT NULL "
                            "GROUP BY number", [day]).fetchall())
    return tickets, first


def has_rows(db: sqlite_utils.Database, day: str) -> bool:
    return db.execute("SELECT 1 FROM tickets WHERE day=? LIMIT 1", [day]).fetchone() is not None \
        or db.execute("SELECT 1 FROM events WHERE day=? LIMIT 1", [day]).fetchone() is not None


def days_with_rows(db: sqlite_utils.Database, before: str | None = None) -> list[str]:
    """Service days that still have per-ticket rows (optionally only those before a day)."""
    sql = "SELECT day FROM tickets {w} UNION SELECT day FROM events {w} ORDER BY day"
    if before is None:
        return [r[0] for r in db.execute(sql.format(w=""))]
    return [r[0] for r in db.execute(sql.format(w="WHERE day < ?"), [before, before])]


def has_daily(db: sqlite_utils.Database) -> bool:
    return "daily" in db.table_names()


def aggregate(db: sqlite_utils.Database, day: str) -> dict[str, Any] | None:
    """The stored daily aggregate of a day, or None."""
    if not has_daily(db):
        return None
    row = db.execute("SELECT figures FROM daily WHERE day=?", [day]).fetchone()
    return json.loads(row[0]) if row else None
