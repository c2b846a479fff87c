"""Appointment check-in in the controller: the code -> a decision -> a number, its desk told.

Runs on the controller's worker (it owns the ledger and the queue state). A
check-in arrives on ``kiosk/<kiosk>/request`` with ``checkin`` instead of
``service`` (from a kiosk's scanner or keypad, or ``aufruf appointments
checkin`` as ``kiosk/info``). What it changes (the appointment row, the new
ticket, the ``desk/<desk>/arrival`` event, the stored answer) is committed in
the controller's one transaction before anything is published.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from aufruf import protocol
from aufruf.config import SiteConfig

from . import appointment_book as book
from . import appointments as ap
from .dispatch import VOID, WAITING, Office, Outcome, Refused
from .ledger import Ledger


@dataclass
class Result:
    """What one check-in gives: the answer, and what to commit with it."""

    reply: protocol.CheckinReply
    outcome: Outcome | None = None
    statements: list[tuple[str, list]] = field(default_factory=list)
    messages: list[tuple[str, protocol.Message, bool]] = field(default_factory=list)
    desk: str | None = None
    log: str = ""


def check_in(cfg: SiteConfig, ledger: Ledger, office: Office, topics: protocol.Topics,
             pending: dict[tuple[str, str], ap.Appointment], kiosk: str, req_id: str, raw_code: str,
             now: int) -> Result:
    """Decide a check-in. ``pending`` holds appointments changed earlier in the same (uncommitted) batch."""
    rules = cfg.appointments
    if rules is None:
        return Result(protocol.CheckinReply.refused(req_id, ap.INVALID, "this site takes no appointments"),
                      log="refused: no [appointments] in the site file")
    try:
        code = ap.normalize_code(raw_code)
    except ap.BadCode as e:
        return Result(protocol.CheckinReply.refused(req_id, ap.INVALID, str(e)), log=f"refused: {e}")
    today = office.day
    appt = pending.get((today, code)) or book.find(ledger.db, code, today)
    if appt is not None and appt.state == ap.CHECKED_IN and appt.number and appt.day == today:
        t = office.tickets.get(appt.number)
        if t is not None and t.state == VOID:   # the slip could not be printed: the code works again
            appt = dataclasses.replace(appt, state=ap.EXPECTED, number=None, checked_in_at=None)
    d = ap.decide(appt, today, now, rules, cfg)
    if d.kind == ap.REFUSED:
        return Result(protocol.CheckinReply.refused(req_id, d.reason, d.message),
                      log=f"refused {code[:4]}...: {d.message}")
    assert appt is not None
    if d.kind == ap.EARLY:
        return Result(protocol.CheckinReply(req_id, "early", appt.time, opens=ap.local_hhmm(cfg, d.from_ms),
                                            **_place(cfg, appt.desk)), log=f"early for {appt.time}")
    if d.kind == ap.LATE:
        if not d.ticket:
            return Result(protocol.CheckinReply(req_id, "late", appt.time), log=f"late for {appt.time}")
        try:
            out = office.issue(rules.late_service, now, kiosk, req_id)
        except Refused as e:
            return Result(protocol.CheckinReply.refused(req_id, ap.INVALID, f"too late, and no ticket: {e}"),
                          log=f"late, no ticket: {e}")
        t = out.ticket
        done = dataclasses.replace(appt, state=ap.LATE, number=t.number, checked_in_at=now)
        pending[(today, code)] = done
        reply = protocol.CheckinReply(req_id, "late", appt.time, ticket=protocol.TicketInfo(
            t.number, t.service, t.issued_at, t.ahead, t.eta_min))
        return Result(reply, out, [book.checkin_statement(appt, ap.LATE, t.number, now)],
                      log=f"late for {appt.time}: ticket {t.number} instead")
    try:
        out = office.admit(rules.series, now, kiosk, req_id)
    except Refused as e:
        return Result(protocol.CheckinReply.refused(req_id, ap.INVALID, str(e)), log=f"refused: {e}")
    t = out.ticket
    done = dataclasses.replace(appt, state=ap.CHECKED_IN, number=t.number, checked_in_at=now)
    pending[(today, code)] = done
    event = protocol.ArrivalEvent(t.number, appt.desk, appt.time, appt.service, now, appt.note)
    reply = protocol.CheckinReply(req_id, "checked_in", appt.time, number=t.number, **_place(cfg, appt.desk))
    return Result(reply, out, [book.checkin_statement(appt, ap.CHECKED_IN, t.number, now)],
                  [(topics.arrival(appt.desk), event, False)], desk=appt.desk,
                  log=f"checked in {t.number} for {appt.time} at desk {appt.desk}")


def _place(cfg: SiteConfig, desk: str) -> dict:
    return ap.where_to_go(cfg, desk)


def waiting_for(ledger: Ledger, office: Office, desk: str) -> list[ap.Appointment]:
    """The desk's checked-in appointments whose tickets still wait, by appointment time."""
    out = []
    for a in book.checked_in_at_desk(ledger.db, office.day, desk):
        t = office.tickets.get(a.number)
        if t is not None and t.state == WAITING:
            out.append(a)
    return out


def pick_for_next(cfg: SiteConfig, ledger: Ledger, office: Office, desk: str, now: int) -> str | None:
    """The appointment number a ``next`` at ``desk`` calls instead of a walk-in, or None."""
    if cfg.appointments is None or cfg.desk(desk) is None:
        return None
    cands = [(a.at, a.number) for a in waiting_for(ledger, office, desk)]
    if not cands:
        return None
    walkins = any(office.waiting(s) for s in cfg.desk(desk).services)
    return ap.pick_next(cands, now, walkins, cfg.appointments.prefer)


def arrivals(cfg: SiteConfig, ledger: Ledger, office: Office, desk: str, now: int) -> protocol.Arrivals:
    """The retained ``desk/<desk>/arrivals`` state."""
    # the staff note goes only with the arrival event, never into a retained message
    all_waiting = waiting_for(ledger, office, desk)
    waiting = tuple(protocol.WaitingAppointment(a.number, a.time, a.service, a.checked_in_at)
                    for a in all_waiting[:protocol.ARRIVALS_LISTED])
    return protocol.Arrivals(desk, waiting, now, more=len(all_waiting) - len(waiting))


def desks_of(cfg: SiteConfig, ledger: Ledger, day: str, outcomes: list[Outcome]) -> set[str]:
    """The desks of the appointment tickets an outcome changed (their arrivals list changes too)."""
    if cfg.appointments is None:
        return set()
    series = cfg.appointments.series
    out = set()
    for o in outcomes:
        for t in o.tickets:
            if t.service == series:
                a = book.by_number(ledger.db, day, t.number)
                if a is not None:
                    out.add(a.desk)
    return out
