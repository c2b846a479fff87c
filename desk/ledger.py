"""The ledger: the desk controller's SQLite file, the only truth about tickets.

WAL with ``synchronous=FULL``: a change that returned from :meth:`Ledger.commit`
survives a power cut. Every change is written together with the messages it
causes (the transactional outbox) and the answer to the request that caused it
(idempotency), in one transaction, before anything is published.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import asdict
from pathlib import Path
from typing import Any, Iterable

import sqlite_utils

from aufruf.errors import LedgerError
from aufruf.protocol import Message

from .dispatch import CALLED, DONE, Call, DeskState, Outcome, Ticket

SCHEMA_VERSION = 2
FILENAME = "ledger.db"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tickets (
    day TEXT NOT NULL, number TEXT NOT NULL, service TEXT NOT NULL, queue TEXT NOT NULL,
    seq INTEGER NOT NULL, issued_at INTEGER NOT NULL, state TEXT NOT NULL, desk TEXT,
    called_at INTEGER, finished_at INTEGER, priority INTEGER NOT NULL DEFAULT 0, kiosk TEXT,
    request_id TEXT, ahead INTEGER, eta_min INTEGER, recalls INTEGER NOT NULL DEFAULT 0,
    transfers INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, number));
CREATE INDEX IF NOT EXISTS tickets_state ON tickets (day, state);
CREATE TABLE IF NOT EXISTS desks (id TEXT PRIMARY KEY, status TEXT NOT NULL, ticket TEXT, since INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS requests (scope TEXT NOT NULL, id TEXT NOT NULL, reply TEXT NOT NULL, at INTEGER NOT NULL,
    PRIMARY KEY (scope, id));
CREATE INDEX IF NOT EXISTS requests_at ON requests (at);
CREATE TABLE IF NOT EXISTS outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL,
    payload TEXT NOT NULL, retain INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, day TEXT NOT NULL,
    kind TEXT NOT NULL, number TEXT, desk TEXT, service TEXT, call_id TEXT);
CREATE INDEX IF NOT EXISTS events_day ON events (day, kind);
CREATE TABLE IF NOT EXISTS daily (day TEXT PRIMARY KEY, figures TEXT NOT NULL, computed_at INTEGER NOT NULL);
"""

# schema version -> statements that bring a ledger of that version to the next one
MIGRATIONS = {
    # 2: daily aggregates (desk/retention.py), kept when the per-ticket rows of a day are deleted
    1: ("CREATE TABLE IF NOT EXISTS daily (day TEXT PRIMARY KEY, figures TEXT NOT NULL, "
        "computed_at INTEGER NOT NULL)",),
}

TICKET_COLUMNS = ("day", "number", "service", "queue", "seq", "issued_at", "state", "desk", "called_at",
                  "finished_at", "priority", "kiosk", "request_id", "ahead", "eta_min", "recalls", "transfers")
_UPSERT_TICKET = (f"INSERT OR REPLACE INTO tickets ({', '.join(TICKET_COLUMNS)}) "
                  f"VALUES ({', '.join('?' for _ in TICKET_COLUMNS)})")


class Ledger:
    """One SQLite file per site; used from one thread only (the controller's worker)."""

    def __init__(self, data_dir: str | Path):
        self.dir = Path(data_dir)
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise LedgerError(f"cannot create the ledger directory {self.dir}: {e.strerror or e}") from None
        self.path = self.dir / FILENAME
        try:
            # opened here, then used by the controller's worker thread only
            self.db = sqlite_utils.Database(sqlite3.connect(self.path, check_same_thread=False))
            self.db.enable_wal()
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA busy_timeout=5000")
            version = self._schema_version()
            if version > SCHEMA_VERSION:
                raise LedgerError(f"{self.path} has schema version {version}; this aufruf knows up to "
                                  f"{SCHEMA_VERSION}: upgrade aufruf")
            with self.db.atomic():
                for old in range(version or SCHEMA_VERSION, SCHEMA_VERSION):
                    for stmt in MIGRATIONS[old]:
                        self.db.execute(stmt)
                for stmt in SCHEMA.split(";"):
                    if stmt.strip():
                        self.db.execute(stmt)
                self.db.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        except LedgerError:
            raise
        except Exception as e:  # sqlite3.DatabaseError: not a database, disk I/O error, ...
            raise LedgerError(f"cannot open the ledger {self.path}: {e}") from None

    def _schema_version(self) -> int:
        if "meta" not in self.db.table_names():
            return 0
        row = self.db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        return int(row[0]) if row else 0

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------ reading

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", [key]).fetchone()
        return row[0] if row else None

    def tickets(self, day: str) -> list[Ticket]:
        rows = self.db.execute(f"SELECT {', '.join(TICKET_COLUMNS)} FROM tickets WHERE day=? ORDER BY issued_at, seq",
                               [day]).fetchall()
        out = []
        for r in rows:
            d = dict(zip(TICKET_COLUMNS, r))
            d.pop("day")
            d["priority"] = bool(d["priority"])
            out.append(Ticket(**d))
        return out

    def desks(self) -> list[DeskState]:
        return [DeskState(*r) for r in self.db.execute("SELECT id, status, ticket, since FROM desks")]

    def recent_calls(self, day: str, limit: int) -> list[Call]:
        rows = self.db.execute(
            "SELECT e.call_id, e.number, e.desk, e.service, e.at, e.kind, t.priority FROM events e "
            "LEFT JOIN tickets t ON t.day=e.day AND t.number=e.number "
            "WHERE e.day=? AND e.kind IN ('call','recall') ORDER BY e.seq DESC LIMIT ?", [day, limit]).fetchall()
        return [Call(r[0] or "", r[1], r[2], r[3], r[4], r[5] == "recall", bool(r[6])) for r in reversed(rows)]

    def durations(self, limit: int) -> dict[str, list[int]]:
        """Recent service times (ms) per service: called until done, newest last."""
        out: dict[str, list[int]] = {}
        rows = self.db.execute(
            "SELECT queue, finished_at - called_at FROM tickets WHERE state=? AND called_at IS NOT NULL "
            "AND finished_at IS NOT NULL ORDER BY finished_at DESC LIMIT ?", [DONE, limit * 20]).fetchall()
        for svc, ms in reversed(rows):
            lst = out.setdefault(svc, [])
            lst.append(max(0, ms))
        return {k: v[-limit:] for k, v in out.items()}

    def reply_for(self, scope: str, req_id: str) -> bytes | None:
        """The answer already given to a request id (idempotency), as published, or None."""
        row = self.db.execute("SELECT reply FROM requests WHERE scope=? AND id=?", [scope, req_id]).fetchone()
        return row[0].encode("utf-8") if row else None

    def pending_outbox(self) -> list[tuple[int, str, str, bool]]:
        return [(r[0], r[1], r[2], bool(r[3])) for r in
                self.db.execute("SELECT seq, topic, payload, retain FROM outbox ORDER BY seq")]

    # ------------------------------------------------------------ writing

    def commit(self, day: str, now: int, outcome: Outcome | None,
               messages: Iterable[tuple[str, Message, bool]] = (), request: tuple[str, str, Message] | None = None, acked: Iterable[int] = ()) -> list[tuple[int, str, str, bool]]:
        """Write one outcome, its messages and its reply in one transaction (see :meth:`commit_many`)."""
        return self.commit_many(day, now, [outcome] if outcome else [], messages, [request] if request else [], acked)

    def commit_many(self, day: str, now: int, outcomes: Iterable[Outcome],
                    messages: Iterable[tuple[str, Message, bool]] = (),
                    requests: Iterable[tuple[str, str, Message]] = (),
                    acked: Iterable[int] = ()) -> list[tuple[int, str, str, bool]]:
        """Write outcomes, their outgoing messages and the requests' replies in ONE transaction.

        Returns the outbox rows (seq, topic, payload, retain) to publish now. ``acked``
        outbox rows (delivered earlier) are deleted in the same transaction.
        """
        rows = []
        with self.db.atomic():
            c = self.db.conn
            for outcome in outcomes:
                if outcome.new_day:
                    c.execute("INSERT OR REPLACE INTO meta VALUES ('day', ?)", [outcome.new_day])
                for t in outcome.tickets:
                    c.execute(_UPSERT_TICKET, _ticket_row(day, t))
                for d in outcome.desks:
                    c.execute("INSERT OR REPLACE INTO desks VALUES (?, ?, ?, ?)", [d.id, d.status, d.ticket, d.since])
                call_ids = {(cl.number, cl.desk): cl.id for cl in outcome.calls}
                for kind, number, desk in outcome.events:
                    t = None if not number else next((x for x in outcome.tickets if x.number == number), None)
                    c.execute("INSERT INTO events (at, day, kind, number, desk, service, call_id) VALUES (?,?,?,?,?,?,?)",
                              [now, day, kind, number or None, desk, t.queue if t else None,
                               call_ids.get((number, desk)) if kind in ("call", "recall") else None])
            for scope, req_id, reply in requests:
                c.execute("INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?)",
                          [scope, req_id, reply.to_json().decode("utf-8"), now])
            for topic, payload, retain in messages:
                data = payload.to_json().decode("utf-8")
                cur = c.execute("INSERT INTO outbox (topic, payload, retain) VALUES (?, ?, ?)", [topic, data, int(retain)])
                rows.append((cur.lastrowid, topic, data, retain))
            acked = list(acked)
            if acked:
                c.executemany("DELETE FROM outbox WHERE seq=?", [(s,) for s in acked])
        return rows

    def set_day(self, day: str) -> None:
        with self.db.atomic():
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('day', ?)", [day])

    def delete_acked(self, seqs: Iterable[int]) -> None:
        seqs = list(seqs)
        if seqs:
            with self.db.atomic():
                self.db.conn.executemany("DELETE FROM outbox WHERE seq=?", [(s,) for s in seqs])

    def forget_requests(self, before_ms: int) -> int:
        """Drop idempotency records older than a moment (a retry never comes days later)."""
        with self.db.atomic():
            return self.db.execute("DELETE FROM requests WHERE at < ?", [before_ms]).rowcount

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _ticket_row(day: str, t: Ticket) -> list[Any]:
    d = asdict(t)
    d["day"] = day
    d["priority"] = int(t.priority)
    return [d[k] for k in TICKET_COLUMNS]


def ledger_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / FILENAME


def exists(data_dir: str | Path) -> bool:
    return os.path.exists(ledger_path(data_dir))


__all__ = ["Ledger", "SCHEMA_VERSION", "CALLED", "ledger_path", "exists"]
