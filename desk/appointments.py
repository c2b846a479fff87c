"""Appointments: the pure rules (CSV rows, codes, check-in windows, which ticket a desk calls).

No SQLite, no MQTT, no clock of its own: every decision takes ``now`` (ms).
An appointment is one row of the day's list: a local time, the code printed
on the invitation letter, the desk or room, the service and an optional note
for staff; never a name. At check-in it gets a number of the site's own
series (``T017``) and waits for its desk like any ticket.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field, replace
from typing import Iterable

from aufruf.config import Appointments as Rules
from aufruf.config import SiteConfig
from aufruf.errors import AufrufError

EXPECTED, CHECKED_IN, LATE, CANCELLED = "expected", "checked_in", "late", "cancelled"
STATES = (EXPECTED, CHECKED_IN, LATE, CANCELLED)

# outcomes of a check-in
EARLY, REFUSED = "early", "refused"
# reasons of a refusal (the kiosk prints nothing; the same code again gets the same answer)
UNKNOWN, USED, OTHER_DAY, INVALID = "unknown", "used", "other_day", "invalid"

COLUMNS = ("time", "code", "desk", "service", "note")
REQUIRED_COLUMNS = ("time", "code", "desk", "service")
CODE_RE = re.compile(r"^[A-Z0-9-]{4,32}$")
CODE_ALLOWED = "4 to 32 letters A-Z, digits and '-'"
HHMM_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
MAX_NOTE = 200
MAX_ROWS = 5000
MAX_FILE_BYTES = 1_000_000
MINUTE_MS = 60_000


class BadCode(AufrufError, ValueError):
    """A code that can't be an appointment code; ``str(e)`` says why and what is allowed."""


class ImportRefused(AufrufError, ValueError):
    """A CSV file with bad rows: nothing was imported. ``problems`` holds one line per bad row."""

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: nothing imported, {len(problems)} problem(s):\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Appointment:
    """One appointment of a day (``at``: the appointment time in ms since the epoch)."""

    day: str
    code: str
    time: str
    at: int
    desk: str
    service: str
    note: str = ""
    state: str = EXPECTED
    number: str | None = None
    checked_in_at: int | None = None
    source: str = "hand"

    def same_plan(self, other: "Appointment") -> bool:
        """Whether two rows describe the same appointment (time, desk, service, note)."""
        return (self.time, self.desk, self.service, self.note) == (other.time, other.desk, other.service, other.note)


@dataclass(frozen=True)
class Decision:
    """What a check-in attempt gives: ``kind`` is CHECKED_IN, EARLY, LATE or REFUSED."""

    kind: str
    reason: str = ""             # for REFUSED: UNKNOWN, CANCELLED, USED, OTHER_DAY, INVALID
    message: str = ""            # the answer in words (English; the kiosk prints its own texts)
    from_ms: int | None = None   # EARLY: check-in opens then
    ticket: bool = False         # LATE: the site gives a normal ticket instead


# ---------------------------------------------------------------- codes and times

def normalize_code(raw: object) -> str:
    """The canonical form of a code typed, scanned or imported: trimmed, upper-case; else BadCode."""
    if not isinstance(raw, str):
        raise BadCode("the code must be text")
    if len(raw) > 64:
        raise BadCode(f"the code is {len(raw)} characters long; allowed: {CODE_ALLOWED}")
    if any(not ch.isprintable() for ch in raw):
        raise BadCode(f"the code contains control characters; allowed: {CODE_ALLOWED}")
    code = raw.strip().upper()
    if not code:
        raise BadCode(f"the code is empty; allowed: {CODE_ALLOWED}")
    if not CODE_RE.match(code):
        raise BadCode(f"{code[:40]!r} is not a code; allowed: {CODE_ALLOWED}")
    return code


def at_ms(cfg: SiteConfig, day: str, hhmm: str) -> int:
    """The moment of ``HH:MM`` local time on ``day`` (ms since the epoch)."""
    h, m = hhmm.split(":")
    local = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(int(h), int(m)), cfg.tz)
    return int(local.timestamp() * 1000)


def local_hhmm(cfg: SiteConfig, ms: int) -> str:
    return dt.datetime.fromtimestamp(ms / 1000, cfg.tz).strftime("%H:%M")


def check_note(note: str) -> str | None:
    """The problem with a staff note, or None."""
    if len(note) > MAX_NOTE:
        return f"the note is {len(note)} characters; allowed: at most {MAX_NOTE}"
    if any(not ch.isprintable() for ch in note):
        return "the note contains control characters; allowed: plain text on one line"
    return None


def make(cfg: SiteConfig, day: str, time: str, code: str, desk: str, service: str, note: str = "",
         source: str = "hand") -> Appointment:
    """One appointment from its fields, checked like a CSV row; raises ValueError with every problem."""
    problems = _row_problems(cfg, {"time": time, "code": code, "desk": desk, "service": service, "note": note})
    if problems:
        raise ValueError("; ".join(problems))
    return Appointment(day=day, code=normalize_code(code), time=time, at=at_ms(cfg, day, time), desk=desk,
                       service=service, note=note.strip(), source=source)


def _row_problems(cfg: SiteConfig, row: dict[str, str]) -> list[str]:
    out = []
    t = row.get("time", "").strip()
    if not HHMM_RE.match(t):
        out.append(f"time {t[:20]!r} is not a time; allowed: HH:MM local time, 00:00 to 23:59")
    try:
        normalize_code(row.get("code", ""))
    except BadCode as e:
        out.append(str(e))
    desk = row.get("desk", "").strip()
    if cfg.desk(desk) is None:
        out.append(f"unknown desk {desk[:40]!r}; allowed: {', '.join(d.id for d in cfg.desks)}")
    svc = row.get("service", "").strip()
    if cfg.service(svc) is None:
        out.append(f"unknown service {svc[:20]!r}; allowed: {', '.join(s.key for s in cfg.services)}")
    problem = check_note(row.get("note", "") or "")
    if problem:
        out.append(problem)
    return out


# ---------------------------------------------------------------- CSV

def parse_csv(cfg: SiteConfig, data: bytes, day: str, source: str = "csv") -> list[Appointment]:
    """The appointments of a CSV file for ``day``; every bad row makes it ImportRefused (nothing kept).

    The header is ``time,code,desk,service,note`` (``note`` may be left out); other
    columns are refused, not ignored (a calendar export must never bring names in).
    """
    if len(data) > MAX_FILE_BYTES:
        raise ImportRefused(source, [f"the file has {len(data)} bytes; allowed: at most {MAX_FILE_BYTES}"])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ImportRefused(source, [f"the file is not UTF-8 text (byte {e.start}); allowed: UTF-8 CSV"]) from None
    if "\x00" in text:
        raise ImportRefused(source, ["the file contains NUL bytes; allowed: UTF-8 CSV text"])
    reader = csv.reader(io.StringIO(text, newline=""))
    problems: list[str] = []
    try:
        header = next(reader)
    except StopIteration:
        raise ImportRefused(source, ["line 1: the file is empty; allowed: the header time,code,desk,service,note"]) \
            from None
    except csv.Error as e:
        raise ImportRefused(source, [f"line 1: not CSV ({e})"]) from None
    names = [h.strip().lower() for h in header]
    for h in names:
        if h not in COLUMNS:
            problems.append(f"line 1: column {h[:40]!r} is not allowed (no names or other personal data); "
                            f"allowed: {','.join(COLUMNS)}")
    for h in REQUIRED_COLUMNS:
        if h not in names:
            problems.append(f"line 1: column '{h}' is missing; allowed header: {','.join(COLUMNS)}")
    dupes = {h for h in names if names.count(h) > 1}
    for h in sorted(dupes):
        problems.append(f"line 1: column '{h}' appears twice")
    if problems:
        raise ImportRefused(source, problems)
    out: list[Appointment] = []
    first_line: dict[str, int] = {}
    try:
        for fields in reader:
            line = reader.line_num
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(out) >= MAX_ROWS:
                problems.append(f"line {line}: more than {MAX_ROWS} appointments; allowed: at most {MAX_ROWS} a file")
                break
            if len(fields) != len(names):
                problems.append(f"line {line}: {len(fields)} fields; allowed: {len(names)} ({','.join(names)})")
                continue
            row = {k: v.strip() for k, v in zip(names, fields)}
            row_problems = _row_problems(cfg, row)
            if row_problems:
                problems.extend(f"line {line}: {p}" for p in row_problems)
                continue
            code = normalize_code(row["code"])
            if code in first_line:
                problems.append(f"line {line}: code {code} is already on line {first_line[code]}; "
                                "allowed: each code once")
                continue
            first_line[code] = line
            out.append(Appointment(day=day, code=code, time=row["time"], at=at_ms(cfg, day, row["time"]),
                                   desk=row["desk"], service=row["service"], note=row.get("note", ""),
                                   source=source))
    except csv.Error as e:
        problems.append(f"line {reader.line_num}: not CSV ({e})")
    if problems:
        raise ImportRefused(source, problems)
    return out


@dataclass
class ImportPlan:
    """What importing a list changes: new rows, changed rows, rows already there as they are."""

    added: list[Appointment]
    updated: list[Appointment]
    unchanged: list[Appointment]


def plan_import(rows: Iterable[Appointment], existing: dict[str, Appointment], source: str = "csv") -> ImportPlan:
    """Compare a file's rows with the day's stored ones (by code); a row that would change an
    appointment already checked in or cancelled is a problem (ImportRefused)."""
    plan = ImportPlan([], [], [])
    problems = []
    for a in rows:
        old = existing.get(a.code)
        if old is None:
            plan.added.append(a)
        elif old.same_plan(a):
            plan.unchanged.append(old)
        elif old.state != EXPECTED:
            problems.append(f"code {a.code}: is already {old.state.replace('_', ' ')}; it can't be changed by an "
                            "import (cancel it or change it by hand)")
        else:
            plan.updated.append(replace(old, time=a.time, at=a.at, desk=a.desk, service=a.service, note=a.note,
                                        source=a.source))
    if problems:
        raise ImportRefused(source, problems)
    return plan


# ---------------------------------------------------------------- check-in

def decide(appt: Appointment | None, today: str, now: int, rules: Rules, cfg: SiteConfig) -> Decision:
    """What a check-in with this appointment's code gives at ``now`` (the same inputs, the same answer)."""
    if appt is None:
        return Decision(REFUSED, UNKNOWN, "unknown appointment code")
    if appt.day != today:
        return Decision(REFUSED, OTHER_DAY, f"this appointment is on {appt.day} at {appt.time}")
    if appt.state == CANCELLED:
        return Decision(REFUSED, CANCELLED, "this appointment was cancelled")
    if appt.state in (CHECKED_IN, LATE) and appt.number:
        when = local_hhmm(cfg, appt.checked_in_at) if appt.checked_in_at else "?"
        return Decision(REFUSED, USED, f"this code was already used at {when} (number {appt.number})")
    opens = appt.at - rules.early_min * MINUTE_MS
    closes = appt.at + rules.late_min * MINUTE_MS
    if now < opens:
        return Decision(EARLY, message=f"check-in opens at {local_hhmm(cfg, opens)}", from_ms=opens)
    if now > closes:
        if rules.late_service:
            return Decision(LATE, message=f"too late for the appointment at {appt.time}: a {rules.late_service} "
                                          "ticket instead", ticket=True)
        return Decision(LATE, message=f"too late for the appointment at {appt.time}: please ask at the info desk")
    return Decision(CHECKED_IN, message=f"checked in for {appt.time}")


def pick_next(candidates: Iterable[tuple[int, str]], now: int, walkins_waiting: bool, prefer: bool) -> str | None:
    """The appointment number a desk's ``next`` calls, or None for a walk-in.

    ``candidates``: (appointment time, number) of the desk's checked-in appointments
    still waiting. With ``prefer``, one that is due (its time has come) goes before
    walk-ins; an early one is called only when no walk-in waits. Without ``prefer``,
    appointments are called only when no walk-in waits.
    """
    ordered = sorted(candidates)
    if not ordered:
        return None
    if prefer and ordered[0][0] <= now:
        return ordered[0][1]
    if not walkins_waiting:
        return ordered[0][1]
    return None


def where_to_go(cfg: SiteConfig, desk_id: str) -> dict:
    """The place of an appointment's desk, for the slip and the board: desk, floor and room."""
    d = cfg.desk(desk_id)
    out: dict = {"desk": desk_id}
    if d is not None and d.floor:
        out["floor"] = d.floor
    if d is not None and d.room:
        out["room"] = d.room
    return out


# ---------------------------------------------------------------- figures (aufruf report)

@dataclass
class Figures:
    """Appointment figures of one or more days (for ``aufruf report``); never a name, never a code."""

    booked: int = 0            # not cancelled
    cancelled: int = 0
    checked_in: int = 0        # in the window (on time)
    late: int = 0              # came after the window
    noshow: int = 0            # never came (window closed), or called and not there
    pending: int = 0           # window still open or in the future
    served: int = 0
    offsets_min: list[float] = field(default_factory=list)   # check-in minus appointment time (negative: early)
    waits_min: list[float] = field(default_factory=list)     # check-in to first call

    def add(self, a: Appointment, ticket_state: str | None, called_at: int | None, now: int, rules: Rules) -> None:
        if a.state == CANCELLED:
            self.cancelled += 1
            return
        self.booked += 1
        if a.state == LATE:
            self.late += 1
        elif a.state == CHECKED_IN:
            self.checked_in += 1
            if a.checked_in_at is not None:
                self.offsets_min.append((a.checked_in_at - a.at) / MINUTE_MS)
                if called_at is not None:
                    self.waits_min.append(max(0, called_at - a.checked_in_at) / MINUTE_MS)
            if ticket_state in ("noshow", "expired"):
                self.noshow += 1
            elif ticket_state == "done":
                self.served += 1
        elif now > a.at + rules.late_min * MINUTE_MS:
            self.noshow += 1
        else:
            self.pending += 1

    def rows(self) -> list[tuple[str, str, str]]:
        """(key, description, value) for the text report and the CSV."""
        def med(xs: list[float]) -> str:
            if not xs:
                return ""
            s = sorted(xs)
            m = s[len(s) // 2] if len(s) % 2 else (s[len(s) // 2 - 1] + s[len(s) // 2]) / 2
            return f"{m:.1f}"
        decided = self.booked - self.pending
        rate = f"{100 * self.noshow / decided:.1f}" if decided else ""
        on_time = f"{100 * self.checked_in / (self.checked_in + self.late):.1f}" if self.checked_in + self.late else ""
        return [("booked", "appointments booked (not cancelled)", str(self.booked)),
                ("cancelled", "cancelled", str(self.cancelled)),
                ("checked_in", "checked in on time", str(self.checked_in)),
                ("late", "came too late", str(self.late)),
                ("noshow", "no-show (never came, or not there when called)", str(self.noshow)),
                ("pending", "still to come", str(self.pending)),
                ("served", "served", str(self.served)),
                ("on_time_pct", "punctuality: % of arrivals on time", on_time),
                ("checkin_offset_median_min", "punctuality: median minutes check-in minus appointment", med(
                    self.offsets_min)),
                ("noshow_rate_pct", "no-show rate %", rate),
                ("wait_after_checkin_median_min", "median wait after check-in (minutes)", med(self.waits_min))]
