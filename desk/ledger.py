"""The ledger: the desk controller's SQLite file, the only truth about tickets.

WAL with ``synchronous=FULL``: a change that returned from :meth:`Ledger.commit`
survives a power cut. Every change is written together with the messages it
causes (the transactional outbox) and the answer to the request that caused it
(idempotency), in one transaction, before anything is published.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import sqlite_utils

from aufruf.errors import AufrufError, LedgerError
from aufruf.protocol import Message

from .alarms import Alarm
from .dispatch import CALLED, DONE, Call, DeskState, Outcome, Ticket
from .issuing import Override

SCHEMA_VERSION = 4
FILENAME = "ledger.db"

# 3: staff's close/reopen of a service for a day, and the silent alarms (docs/rules.md)
RULES_SCHEMA = """
CREATE TABLE IF NOT EXISTS overrides (day TEXT NOT NULL, service TEXT NOT NULL, state TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '', at INTEGER NOT NULL, PRIMARY KEY (day, service));
CREATE TABLE IF NOT EXISTS alarms (id TEXT PRIMARY KEY, day TEXT NOT NULL, desk TEXT NOT NULL, source TEXT NOT NULL,
    raised_at INTEGER NOT NULL, cleared_at INTEGER, cleared_by TEXT);
CREATE INDEX IF NOT EXISTS alarms_day ON alarms (day);
"""
# the day's appointments (desk/appointments.py); never a name, the code is the invitation's
APPOINTMENTS_DDL = (
    "CREATE TABLE IF NOT EXISTS appointments (day TEXT NOT NULL, code TEXT NOT NULL, time TEXT NOT NULL, "
    "at INTEGER NOT NULL, desk TEXT NOT NULL, service TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', "
    "state TEXT NOT NULL DEFAULT 'expected', number TEXT, checked_in_at INTEGER, source TEXT NOT NULL, "
    "changed_at INTEGER NOT NULL, PRIMARY KEY (day, code))")
APPOINTMENTS_INDEX = "CREATE INDEX IF NOT EXISTS appointments_desk ON appointments (day, desk, state)"

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
""" + RULES_SCHEMA + APPOINTMENTS_DDL + ";\n" + APPOINTMENTS_INDEX + ";\n"

# schema version -> statements that bring a ledger of that version to the next one
MIGRATIONS = {
    # 2: daily aggregates (desk/retention.py), kept when the per-ticket rows of a day are deleted
    1: ("CREATE TABLE IF NOT EXISTS daily (day TEXT PRIMARY KEY, figures TEXT NOT NULL, "
        "computed_at INTEGER NOT NULL)",),
    # 3: staff's close/reopen of a service for a day, and the silent alarms (docs/rules.md)
    2: tuple(stmt for stmt in RULES_SCHEMA.split(";") if stmt.strip()),
    # 4: appointments (desk/appointment_book.py): the day's list, check-ins and their numbers
    3: (APPOINTMENTS_DDL, APPOINTMENTS_INDEX),
}

TICKET_COLUMNS = ("day", "number", "service", "queue", "seq", "issued_at", "state", "desk", "called_at",
                  "finished_at", "priority", "kiosk", "request_id", "ahead", "eta_min", "recalls", "transfers")
# what makes a ticket the ticket it is; a row with the same (day, number) but another identity is never overwritten
_IDENTITY = ("service", "seq", "issued_at", "kiosk", "request_id")
_UPSERT_TICKET = (f"INSERT INTO tickets ({', '.join(TICKET_COLUMNS)}) "
                  f"VALUES ({', '.join('?' for _ in TICKET_COLUMNS)}) ON CONFLICT (day, number) DO UPDATE SET "
                  + ", ".join(f"{c}=excluded.{c}" for c in TICKET_COLUMNS if c not in ("day", "number") + _IDENTITY)
                  + " WHERE " + " AND ".join(f"tickets.{c} IS excluded.{c}" for c in _IDENTITY))
REQUIRED_TABLES = ("meta", "tickets", "desks", "requests", "outbox", "events")
WHAT_TO_DO = ("if the ledger was lost, restore it from the backup (docs/deploy.md, 'Back up the ledger'); "
              "to start a new, empty ledger on purpose, start once with 'aufruf desk --new-ledger'")


class RowChanged(AufrufError, RuntimeError):
    """A statement of :meth:`Ledger.commit_many` found its row changed by another process (an appointment
    cancelled while it was checked in): nothing was committed; the request is decided again on its retry."""


class LedgerConflict(LedgerError):
    """A write would replace an issued ticket by another one: someone else writes to this ledger."""


@dataclass(frozen=True)
class Change:
    """An outcome with the moment it was decided and the line of each of its tickets at that moment.

    The ticket objects of an outcome are the live ones of the queue state: by the time a
    batch is committed, a later command of the same batch may have moved a ticket to
    another line. The events are written with these values, not with the commit's.
    """

    outcome: Outcome
    at: int
    lines: dict[str, str]


def change(outcome: Outcome, at: int) -> Change:
    """Stamp ``outcome`` right after the rule made it (see :class:`Change`)."""
    return Change(outcome, at, {t.number: t.queue for t in outcome.tickets})


class Ledger:
    """One SQLite file per site; used from one thread only (the controller's worker)."""

    def __init__(self, data_dir: str | Path, new: bool = False):
        """Open the ledger of ``data_dir``, creating it when the directory has none.

        A ledger file that exists but is empty or has no aufruf schema is refused
        (LedgerError saying what to do): it is never taken for a new one, which
        would issue today's numbers again. ``new=True`` (``aufruf desk --new-ledger``)
        moves such a file aside and starts an empty ledger; a valid ledger is never replaced.
        """
        self.dir = Path(data_dir)
        try:
            self.dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise LedgerError(f"cannot create the ledger directory {self.dir}: {e.strerror or e}") from None
        self.path = self.dir / FILENAME
        if self.path.exists():
            unusable = unusable_reason(self.path)
            if unusable and not new:
                raise LedgerError(f"{self.path} {unusable}: {WHAT_TO_DO}")
            if unusable:
                _move_aside(self.path)
            elif new:
                raise LedgerError(f"--new-ledger: {self.path} is a valid ledger; it is never replaced (move it "
                                  "away yourself if you really mean to start over)")
        if not self.path.exists():
            _create(self.path)
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
        except Exception as e:  # sqlite3.DatabaseError: not a database, disk I/O error, disk full, ...
            raise LedgerError(f"cannot open the ledger {self.path}: {problem(e, self.dir)}") from None

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

    def numbers_after(self, day: str) -> dict[str, int]:
        """Per service, the last number issued on ``day`` before the ledger was restored (``--numbers-after``)."""
        value = self.get_meta(f"numbers_after/{day}")
        return {k: int(v) for k, v in json.loads(value).items()} if value else {}

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

    def overrides(self, day: str) -> dict[str, Override]:
        """Staff's close/reopen decisions of a service day, per service."""
        return {r[0]: Override(r[1], r[2], r[3]) for r in
                self.db.execute("SELECT service, state, reason, at FROM overrides WHERE day=?", [day])}

    def alarms(self, day: str | None = None, active: bool = False) -> list[Alarm]:
        """Alarms of a service day (or all), oldest first; ``active``: only those not cleared."""
        where, args = [], []
        if day is not None:
            where.append("day=?")
            args.append(day)
        if active:
            where.append("cleared_at IS NULL")
        sql = ("SELECT id, desk, source, raised_at, cleared_at, cleared_by FROM alarms"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY raised_at, desk")
        return [Alarm(*r) for r in self.db.execute(sql, args)]

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

    def commit_many(self, day: str, now: int, outcomes: Iterable[Outcome | Change],
                    messages: Iterable[tuple[str, Message, bool]] = (),
                    requests: Iterable[tuple[str, str, Message]] = (),
                    acked: Iterable[int] = (), statements: Iterable[tuple[str, list]] = ()
                    ) -> list[tuple[int, str, str, bool]]:
        """Write outcomes, their outgoing messages and the requests' replies in ONE transaction.

        Returns the outbox rows (seq, topic, payload, retain) to publish now. ``acked``
        outbox rows (delivered earlier) are deleted in the same transaction. An outcome
        stamped with :func:`change` writes its events with its own time and lines; a
        plain one with ``now``. A ticket that would replace another one with the same
        number raises :class:`LedgerConflict` and nothing is written.
        ``statements`` (SQL, parameters) of other tables (appointments) run in the same
        transaction, each changing exactly one row: one that changes none (the row was
        changed meanwhile by another process) rolls everything back.
        """
        rows = []
        with self.db.atomic():
            c = self.db.conn
            for sql, params in statements:
                if c.execute(sql, params).rowcount != 1:
                    raise RowChanged(f"changed meanwhile, nothing committed: {sql.split(' WHERE')[0][:60]}")
            for item in outcomes:
                outcome, at, lines = (item.outcome, item.at, item.lines) if isinstance(item, Change) else \
                    (item, now, {t.number: t.queue for t in item.tickets})
                if outcome.new_day:
                    c.execute("INSERT OR REPLACE INTO meta VALUES ('day', ?)", [outcome.new_day])
                for t in outcome.tickets:
                    if c.execute(_UPSERT_TICKET, _ticket_row(day, t)).rowcount != 1:
                        raise LedgerConflict(
                            f"ticket {t.number} of {day} is already in the ledger as another ticket (another "
                            f"controller writing to {self.dir}?); nothing of this change was written")
                for d in outcome.desks:
                    c.execute("INSERT OR REPLACE INTO desks VALUES (?, ?, ?, ?)", [d.id, d.status, d.ticket, d.since])
                for service, ov in outcome.overrides:
                    if ov is None:
                        c.execute("DELETE FROM overrides WHERE day=? AND service=?", [day, service])
                    else:
                        c.execute("INSERT OR REPLACE INTO overrides VALUES (?, ?, ?, ?, ?)",
                                  [day, service, ov.state, ov.reason, ov.at])
                for a in outcome.alarms:
                    c.execute("INSERT INTO alarms VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                              "cleared_at=excluded.cleared_at, cleared_by=excluded.cleared_by",
                              [a.id, day, a.desk, a.source, a.raised_at, a.cleared_at, a.cleared_by])
                call_ids = {(cl.number, cl.desk): cl.id for cl in outcome.calls}
                for kind, number, desk in outcome.events:
                    c.execute("INSERT INTO events (at, day, kind, number, desk, service, call_id) VALUES (?,?,?,?,?,?,?)",
                              [at, day, kind, number or None, desk, lines.get(number) if number else None,
                               call_ids.get((number, desk)) if kind in ("call", "recall") else None])
            encoded: dict[int, str] = {}  # a reply is stored and sent: encoded once

            def text(m: Message) -> str:
                if id(m) not in encoded:
                    encoded[id(m)] = m.to_json().decode("utf-8")
                return encoded[id(m)]
            for scope, req_id, reply in requests:
                c.execute("INSERT OR REPLACE INTO requests VALUES (?, ?, ?, ?)", [scope, req_id, text(reply), now])
            for topic, payload, retain in messages:
                data = text(payload)
                cur = c.execute("INSERT INTO outbox (topic, payload, retain) VALUES (?, ?, ?)", [topic, data, int(retain)])
                rows.append((cur.lastrowid, topic, data, retain))
            acked = list(acked)
            if acked:
                c.executemany("DELETE FROM outbox WHERE seq=?", [(s,) for s in acked])
        return rows

    def set_numbers_after(self, day: str, last: dict[str, int]) -> None:
        """Numbers of ``day`` up to these were issued before a restore: they are never issued again."""
        merged = self.numbers_after(day)
        for k, v in last.items():
            merged[k] = max(merged.get(k, 0), v)
        with self.db.atomic():
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)",
                            [f"numbers_after/{day}", json.dumps(merged, sort_keys=True)])

    def set_day(self, day: str) -> None:
        with self.db.atomic():
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('day', ?)", [day])

    def delete_acked(self, seqs: Iterable[int]) -> None:
        seqs = list(seqs)
        if seqs:
            with self.db.atomic():
                self.db.conn.executemany("DELETE FROM outbox WHERE seq=?", [(s,) for s in seqs])

    def check_writable(self, now: int) -> None:
        """A small real write (raises like any write when the ledger cannot be written)."""
        with self.db.atomic():
            self.db.execute("INSERT OR REPLACE INTO meta VALUES ('write_checked_at', ?)", [str(now)])

    def forget_requests(self, before_ms: int) -> int:
        """Drop idempotency records older than a moment (a retry never comes days later)."""
        with self.db.atomic():
            return self.db.execute("DELETE FROM requests WHERE at < ?", [before_ms]).rowcount

    def checkpoint(self) -> None:
        """Copy the WAL's committed pages into the database file now (the controller does it when idle).

        Every commit is durable in the WAL already; this only moves the copying SQLite would
        otherwise do inside the commit that fills the WAL to 1,000 pages out of a command's path.
        """
        self.db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    def integrity_ok(self) -> bool:
        return self.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


_TICKET_FIELDS = TICKET_COLUMNS[1:]  # every column but the day is a field of the Ticket


def _ticket_row(day: str, t: Ticket) -> list[Any]:
    """The row of a ticket (plain attribute reads: ``dataclasses.asdict`` deep-copies, on every write)."""
    row: list[Any] = [day, *(getattr(t, k) for k in _TICKET_FIELDS)]
    row[TICKET_COLUMNS.index("priority")] = int(t.priority)
    return row


def unusable_reason(path: Path) -> str | None:
    """Why an existing file cannot be this site's ledger (empty, no schema, not SQLite), or None."""
    try:
        size = path.stat().st_size
    except OSError as e:
        return f"cannot be read ({e.strerror or e})"
    if size == 0:
        return "is empty (0 bytes), it holds no tickets"
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            con.execute("PRAGMA busy_timeout=5000")
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            missing = [t for t in REQUIRED_TABLES if t not in tables]
            version = None if "meta" in missing else \
                con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as e:
        if getattr(e, "sqlite_errorname", "") in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
            return f"is not an aufruf ledger ({e})"
        return None  # busy, I/O: the open itself reports it
    if missing or version is None:
        return f"has no aufruf ledger schema (missing: {', '.join(missing) or 'its schema version'})"
    return None


def _create(path: Path) -> None:
    """A new ledger appears whole or not at all: its schema is written beside it, then renamed into place.

    (A power cut while SQLite creates the file in place would leave an empty
    ``ledger.db``, which the next start refuses.)
    """
    tmp = path.with_name(path.name + ".creating")
    try:
        for stale in (tmp, tmp.with_name(tmp.name + "-journal")):
            stale.unlink(missing_ok=True)
        con = sqlite3.connect(tmp)
        try:
            con.execute("PRAGMA synchronous=FULL")
            with con:
                for stmt in SCHEMA.split(";"):
                    if stmt.strip():
                        con.execute(stmt)
                con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        finally:
            con.close()
        os.replace(tmp, path)
        fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except (sqlite3.Error, OSError) as e:
        raise LedgerError(f"cannot create the ledger {path}: {problem(e, path.parent)}") from None


def _move_aside(path: Path) -> Path:
    """Keep an unusable ledger file (and its -wal/-shm) under a new name: nothing is ever deleted."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.unusable-{stamp}")
    try:
        for suffix in ("-wal", "-shm"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                side.rename(target.with_name(target.name + suffix))
        path.rename(target)
    except OSError as e:
        raise LedgerError(f"cannot move the unusable ledger {path} aside: {e.strerror or e}") from None
    return target


def problem(e: BaseException, data_dir: str | Path) -> str:
    """What a failed ledger operation means, in words an admin acts on ("disk full", "locked", ...)."""
    name = getattr(e, "sqlite_errorname", "") or ""
    if isinstance(e, LedgerError) or not isinstance(e, (sqlite3.Error, OSError)):
        return str(e)
    free = _free_bytes(data_dir)
    if name.startswith("SQLITE_FULL") and free is not None and free >= 1 << 20:
        return f"the ledger is full although {free >> 20} MiB are free (a size limit on the file?): {e}"
    if name.startswith("SQLITE_FULL") or (isinstance(e, OSError) and e.errno == 28) or \
            (name.startswith("SQLITE_IOERR") and free is not None and free < 64 * 1024):
        left = f", {free // 1024} KiB free" if free is not None else ""
        return f"disk full (no space left on the file system of {data_dir}{left})"
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return (f"the ledger is locked by another process for longer than 5 s (an open sqlite3 shell, "
                f"'aufruf report --erase-before'?): {e}")
    if name.startswith("SQLITE_READONLY"):
        return f"the ledger or its directory {data_dir} is read-only: {e}"
    if name.startswith("SQLITE_IOERR"):
        return f"disk I/O error (is the SD card failing? see docs/reliability.md): {e}"
    return str(e)


def _free_bytes(data_dir: str | Path) -> int | None:
    try:
        st = os.statvfs(data_dir)
    except OSError:
        return None
    return st.f_bavail * st.f_frsize


def ledger_path(data_dir: str | Path) -> Path:
    return Path(data_dir) / FILENAME


def exists(data_dir: str | Path) -> bool:
    return os.path.exists(ledger_path(data_dir))


__all__ = ["Ledger", "LedgerConflict", "Change", "change", "problem", "SCHEMA_VERSION", "CALLED", "ledger_path",
           "exists"]
