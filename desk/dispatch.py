"""The queue rules: a pure model of one service day at the office.

No MQTT, no SQLite, no clock of its own: every operation takes ``now`` (ms)
and either returns an :class:`Outcome` (what changed, what to announce) or
raises :class:`Refused` with the reason the requester is told. The desk
controller persists an outcome in the ledger before anything is published.
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections import deque
from dataclasses import dataclass, field
from typing import Iterable

from aufruf.config import SiteConfig
from aufruf.errors import AufrufError
from aufruf import protocol
from aufruf.protocol import BOARD_CALLS, ticket_number

from . import issuing
from .alarms import Alarm

WAITING, CALLED, DONE, NOSHOW, VOID, EXPIRED = "waiting", "called", "done", "noshow", "void", "expired"
FINAL = (DONE, NOSHOW, VOID, EXPIRED)
IDLE, SERVING, PAUSED = "idle", "serving", "paused"


class Refused(AufrufError, ValueError):
    """The request or command is not obeyed; ``str(e)`` is the reason sent back."""


class ServiceClosed(Refused):
    """A ticket refused because the service is closed now; ``closed`` says why (a reason code)."""

    def __init__(self, closed: issuing.Closed):
        super().__init__(f"service closed: {closed.text()}")
        self.closed = closed


@dataclass
class Ticket:
    """One ticket of the day. ``queue`` is the service whose line it waits in (after a transfer)."""

    number: str
    service: str
    queue: str
    seq: int
    issued_at: int
    state: str = WAITING
    desk: str | None = None
    called_at: int | None = None
    finished_at: int | None = None
    priority: bool = False
    kiosk: str | None = None
    request_id: str | None = None
    ahead: int | None = None
    eta_min: int | None = None
    recalls: int = 0
    transfers: int = 0

    def sort_key(self) -> tuple:
        """Priority tickets first, then by original issue time (a transfer keeps its place)."""
        return (0 if self.priority else 1, self.issued_at, self.seq, self.number)


@dataclass
class DeskState:
    id: str
    status: str = IDLE
    ticket: str | None = None
    since: int = 0


@dataclass
class Call:
    id: str
    number: str
    desk: str
    service: str
    at: int
    recall: bool = False
    priority: bool = False  # a priority ticket (info desk): the board marks it


@dataclass
class Outcome:
    """What an operation changed: tickets and desks to persist, calls to announce, the reply."""

    tickets: list[Ticket] = field(default_factory=list)
    desks: list[DeskState] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    events: list[tuple[str, str, str | None]] = field(default_factory=list)  # (kind, number, desk)
    ticket: Ticket | None = None
    new_day: str | None = None
    overrides: list[tuple[str, issuing.Override | None]] = field(default_factory=list)  # (service, None: lifted)
    alarms: list[Alarm] = field(default_factory=list)


class Office:
    """The queue state of one service day, rebuilt from the ledger at start."""

    def __init__(self, cfg: SiteConfig, day: str):
        self.cfg = cfg
        self.day = day
        self.tickets: dict[str, Ticket] = {}
        self.last_seq: dict[str, int] = {}
        self._lines: dict[str, list[tuple]] = {}
        self.desks: dict[str, DeskState] = {d.id: DeskState(d.id) for d in cfg.desks}
        self.durations: dict[str, deque[int]] = {}
        self.recent_calls: deque[Call] = deque(maxlen=BOARD_CALLS)
        self.overrides: dict[str, issuing.Override] = {}   # staff's close/reopen of today, per service

    # ------------------------------------------------------------ loading

    def load(self, tickets: Iterable[Ticket], desks: Iterable[DeskState], calls: Iterable[Call],
             durations: dict[str, list[int]], overrides: dict[str, issuing.Override] | None = None) -> None:
        """Restore the state from ledger rows (tickets of this day, desks, newest calls last)."""
        self.overrides = dict(overrides or {})
        for t in tickets:
            self.tickets[t.number] = t
            self.last_seq[t.service] = max(self.last_seq.get(t.service, 0), t.seq)
            if t.state == WAITING:
                self._enqueue(t)
        for d in desks:
            if d.id in self.desks:
                self.desks[d.id] = d
        for c in calls:
            self.recent_calls.append(c)
        for svc, ds in durations.items():
            self.durations[svc] = deque(ds[-self.cfg.eta_window:], maxlen=self.cfg.eta_window)

    def reconfigure(self, cfg: SiteConfig) -> list[DeskState]:
        """Take a new site config (SIGHUP): new desks start idle, removed desks drop out.

        Tickets are never touched: a retired service's waiting tickets stay callable by number.
        Returns the desks that were added.
        """
        self.cfg = cfg
        added = []
        desks = {}
        for d in cfg.desks:
            desks[d.id] = self.desks.get(d.id) or DeskState(d.id)
            if d.id not in self.desks:
                added.append(desks[d.id])
        self.desks = desks
        for q in self.durations.values():
            q_max = cfg.eta_window
            while len(q) > q_max:
                q.popleft()
        return added

    # ------------------------------------------------------------ queries

    def line(self, service: str) -> list[Ticket]:
        """The waiting tickets of a service, in call order."""
        return [self.tickets[k[-1]] for k in self._lines.get(service, [])]

    def waiting(self, service: str) -> int:
        return len(self._lines.get(service, []))

    def open_desks(self, service: str) -> int:
        return sum(1 for d in self.cfg.desks
                   if service in d.services and self.desks.get(d.id, DeskState(d.id)).status != PAUSED)

    def service_minutes(self, service: str) -> float:
        """Median of the recent service times of a service, or the configured default."""
        ds = self.durations.get(service)
        if ds and len(ds) >= 3:
            return statistics.median(ds) / 60000
        svc = self.cfg.service(service)
        return svc.default_service_min if svc else 5.0

    def desk_capacity(self, service: str) -> float:
        """Open desks serving a service, a desk that serves n services counting 1/n."""
        return sum(1 / len(d.services) for d in self.cfg.desks
                   if service in d.services and self.desks.get(d.id, DeskState(d.id)).status != PAUSED)

    def eta_min(self, service: str, ahead: int) -> int | None:
        """Estimated wait: people ahead x median service time / open desk capacity (None: no desk open).

        When every open desk serving the service is busy, the newcomer also waits for
        a desk to free up: half a service time on average, counted as half a person.
        """
        capacity = self.desk_capacity(service)
        if capacity == 0:
            return None
        busy = all(self.desks.get(d.id, DeskState(d.id)).status == SERVING for d in self.cfg.desks
                   if service in d.services and self.desks.get(d.id, DeskState(d.id)).status != PAUSED)
        people = ahead + (0.5 if busy else 0.0)
        return int(math.ceil(people * self.service_minutes(service) / capacity))

    def board(self, now: int) -> protocol.Board:
        return protocol.Board(
            tuple(protocol.BoardCall(c.number, c.desk, c.at, c.priority) for c in reversed(self.recent_calls)),
            {s.key: self.waiting(s.key) for s in self.cfg.services}, now)

    def closed(self, service: str, now: int) -> issuing.Closed | None:
        """Why a service issues no ticket now (docs/rules.md), or None."""
        svc = self.cfg.service(service)
        if svc is None:
            return None
        n = self.waiting(service)
        issued = sum(1 for t in self.tickets.values() if t.service == service and t.state != VOID) \
            if svc.quota is not None else 0
        eta = self.eta_min(service, n) if svc.capacity_stop else None
        return issuing.closed(self.cfg, svc, now, waiting=n, issued=issued, eta_min=eta,
                              override=self.overrides.get(service))

    def closed_map(self, now: int) -> dict[str, issuing.Closed | None]:
        return {s.key: self.closed(s.key, now) for s in self.cfg.services}

    def set_override(self, service: str, state: str | None, reason: str, now: int) -> Outcome:
        """Staff close (``closed``) or reopen (``open``) a service for the rest of the day."""
        if self.cfg.service(service) is None:
            raise Refused(f"unknown service {service}")
        ov = issuing.Override(state, reason, now) if state else None
        if ov is None:
            self.overrides.pop(service, None)
        else:
            self.overrides[service] = ov
        return Outcome(overrides=[(service, ov)],
                       events=[("close" if state == issuing.CLOSE else "reopen", "", None)])

    def queue_state(self, now: int, closed: dict[str, issuing.Closed | None] | None = None) -> protocol.QueueState:
        """The retained ``queue``; ``closed``: :meth:`closed_map` of ``now`` when already known."""
        closed = closed if closed is not None else self.closed_map(now)
        services = {}
        for s in self.cfg.services:
            n = self.waiting(s.key)
            oldest = self.oldest_issued(s.key) if n else None  # the longest wait runs from here
            shut = closed.get(s.key)
            services[s.key] = protocol.ServiceQueue(n, self.open_desks(s.key) > 0 and shut is None,
                                                    self.eta_min(s.key, n), oldest_at=oldest,
                                                    closed=shut.reason if shut else None,
                                                    note=(shut.note or None) if shut else None)
        return protocol.QueueState(services, now)

    def desk_state(self, desk_id: str) -> protocol.DeskState:
        d = self.desks[desk_id]
        return protocol.DeskState(d.id, d.status, d.ticket, d.since)

    # ------------------------------------------------------------ kiosk

    def issue(self, service: str, now: int, kiosk: str | None = None, request_id: str | None = None,
              priority: bool = False, force: bool = False) -> Outcome:
        """Issue the next number of a service; it is waiting from this moment.

        A closed service (:meth:`closed`) refuses with :class:`ServiceClosed`, unless ``force``
        (the info desk by hand), which is logged as a ``forced`` event.
        """
        svc = self.cfg.service(service)
        if svc is None:
            raise Refused(f"unknown service {service}")
        shut = self.closed(service, now)
        if shut is not None and not force:
            raise ServiceClosed(shut)
        seq = max(self.last_seq.get(service, 0) + 1, svc.first)
        if seq > svc.last:
            raise Refused(f"no numbers left today for service {service}")
        ahead = self.waiting(service)
        if priority:
            ahead = sum(1 for t in self.line(service) if t.priority)
        t = Ticket(number=ticket_number(service, seq), service=service, queue=service, seq=seq,
                   issued_at=now, priority=priority, kiosk=kiosk, request_id=request_id, ahead=ahead,
                   eta_min=self.eta_min(service, ahead))
        self.last_seq[service] = seq
        self.tickets[t.number] = t
        self._enqueue(t)
        events = [("issue", t.number, None)]
        if shut is not None:
            events.append(("forced", t.number, None))
        return Outcome(tickets=[t], events=events, ticket=t)

    def admit(self, series: str, now: int, kiosk: str | None = None, request_id: str | None = None) -> Outcome:
        """Issue the next number of an appointment series (``T017``): a line no desk's ``next`` takes
        (the desk of the appointment calls it by number)."""
        seq = self.last_seq.get(series, 0) + 1
        if seq > 999:
            raise Refused(f"no numbers left today for series {series}")
        t = Ticket(number=ticket_number(series, seq), service=series, queue=series, seq=seq, issued_at=now,
                   kiosk=kiosk, request_id=request_id)
        self.last_seq[series] = seq
        self.tickets[t.number] = t
        self._enqueue(t)
        return Outcome(tickets=[t], events=[("checkin", t.number, None)], ticket=t)

    def printed(self, number: str, ok: bool, now: int) -> Outcome:
        """A kiosk's print report; a failed print voids a ticket that is still waiting."""
        t = self.tickets.get(number)
        if t is None:
            raise Refused(f"unknown ticket {number}")
        if ok or t.state != WAITING:
            return Outcome(ticket=t)
        self._dequeue(t)
        t.state, t.finished_at = VOID, now
        return Outcome(tickets=[t], events=[("void", t.number, None)], ticket=t)

    def leave(self, number: str, now: int) -> Outcome:
        """The ticket's holder gives it back (the ticket page's "leave the queue"): a waiting ticket is void."""
        t = self.tickets.get(number)
        if t is None:
            raise Refused(f"no ticket {number} today")
        if t.state == CALLED:
            raise Refused(f"{number} is already called at desk {t.desk}")
        if t.state != WAITING:
            raise Refused(f"{number} is {t.state}")
        self._dequeue(t)
        t.state, t.finished_at = VOID, now
        return Outcome(tickets=[t], events=[("leave", t.number, None)], ticket=t)

    def line_etas(self, service: str, n: int) -> list[int | None]:
        """:meth:`eta_min` for 0 .. n-1 people ahead (one position of the line each), computed once."""
        capacity = self.desk_capacity(service)
        if capacity == 0:
            return [None] * n
        busy = all(self.desks.get(d.id, DeskState(d.id)).status == SERVING for d in self.cfg.desks
                   if service in d.services and self.desks.get(d.id, DeskState(d.id)).status != PAUSED)
        per = self.service_minutes(service) / capacity
        extra = 0.5 if busy else 0.0
        return [int(math.ceil((i + extra) * per)) for i in range(n)]

    def oldest_issued(self, service: str) -> int | None:
        """When the longest-waiting ticket of a service was issued, without walking its line.

        The line is sorted by (priority first, issued_at, ...): the oldest is the first of the
        priority tickets or the first of the others, whichever was issued earlier.
        """
        keys = self._lines.get(service, [])
        if not keys:
            return None
        rest = bisect.bisect_left(keys, (1,))   # the first non-priority ticket (sort_key starts with 0/1)
        return min(k[1] for k in (keys[0], keys[rest] if rest < len(keys) else keys[0]))

    def line_numbers(self, service: str, limit: int) -> tuple[list[str], int]:
        """The first ``limit`` waiting numbers of a service in call order, and how many more wait."""
        keys = self._lines.get(service, [])
        return [k[-1] for k in keys[:limit]], max(0, len(keys) - limit)

    # ------------------------------------------------------------ desks

    def command(self, desk_id: str, action: str, now: int, service: str | None = None,
                number: str | None = None, call_id: str = "") -> Outcome:
        """Apply a desk command (the actions of PROTOCOL.md)."""
        if desk_id not in self.desks:
            raise Refused(f"unknown desk {desk_id}")
        d = self.desks[desk_id]
        if d.status == PAUSED and action not in ("resume", "pause"):
            raise Refused(f"desk {desk_id} is paused")
        handler = getattr(self, f"_cmd_{action}", None)
        if handler is None:
            raise Refused(f"unknown action {action}")
        return handler(d, now, service=service, number=number, call_id=call_id)

    def _cmd_next(self, d: DeskState, now: int, call_id: str, **_) -> Outcome:
        desk = self.cfg.desk(d.id)
        best = None  # (priority, issued_at, order of the desk's services) of each line's head
        for i, svc in enumerate(desk.services):
            line = self._lines.get(svc)
            if line and (best is None or (line[0][0], line[0][1], i) < best[0]):
                best = ((line[0][0], line[0][1], i), line[0])
        if best is None:
            raise Refused("queue empty")
        return self._call(d, self.tickets[best[1][-1]], now, call_id)

    def _cmd_call(self, d: DeskState, now: int, number: str, call_id: str, **_) -> Outcome:
        t = self.tickets.get(number)
        if t is None:
            raise Refused(f"no ticket {number} today")
        if t.state == CALLED:
            raise Refused(f"{number} is already called at desk {t.desk}")
        if t.state != WAITING:
            raise Refused(f"{number} is {t.state}")
        return self._call(d, t, now, call_id)

    def _call(self, d: DeskState, t: Ticket, now: int, call_id: str) -> Outcome:
        out = Outcome()
        self._finish_current(d, DONE, now, out)
        self._dequeue(t)
        t.state, t.desk, t.called_at = CALLED, d.id, now
        d.status, d.ticket, d.since = SERVING, t.number, now
        c = Call(id=call_id or f"{self.day}-{t.number}-{now}", number=t.number, desk=d.id, service=t.queue, at=now,
                 priority=t.priority)
        self.recent_calls.append(c)
        out.tickets.append(t)
        out.desks.append(d)
        out.calls.append(c)
        out.events.append(("call", t.number, d.id))
        out.ticket = t
        return out

    def _cmd_recall(self, d: DeskState, now: int, call_id: str, **_) -> Outcome:
        t = self._current(d)
        t.recalls += 1
        c = Call(id=call_id or f"{self.day}-{t.number}-{now}", number=t.number, desk=d.id, service=t.queue,
                 at=now, recall=True, priority=t.priority)
        self.recent_calls.append(c)
        return Outcome(tickets=[t], calls=[c], events=[("recall", t.number, d.id)], ticket=t)

    def _cmd_done(self, d: DeskState, now: int, **_) -> Outcome:
        t = self._current(d)
        out = Outcome(ticket=t)
        self._finish_current(d, DONE, now, out)
        self._idle(d, now, out)
        return out

    def _cmd_noshow(self, d: DeskState, now: int, **_) -> Outcome:
        t = self._current(d)
        out = Outcome(ticket=t)
        self._finish_current(d, NOSHOW, now, out)
        self._idle(d, now, out)
        return out

    def _cmd_pause(self, d: DeskState, now: int, **_) -> Outcome:
        if d.status == PAUSED:
            raise Refused(f"desk {d.id} is already paused")
        out = Outcome()
        t = self.tickets.get(d.ticket) if d.ticket else None
        self._finish_current(d, DONE, now, out)
        d.status, d.ticket, d.since = PAUSED, None, now
        out.desks.append(d)
        out.events.append(("pause", t.number if t else "", d.id))
        out.ticket = t
        return out

    def _cmd_resume(self, d: DeskState, now: int, **_) -> Outcome:
        if d.status != PAUSED:
            raise Refused(f"desk {d.id} is not paused")
        out = Outcome()
        self._idle(d, now, out)
        out.events.append(("resume", "", d.id))
        return out

    def _cmd_transfer(self, d: DeskState, now: int, service: str, **_) -> Outcome:
        t = self._current(d)
        if self.cfg.service(service) is None:
            raise Refused(f"unknown service {service}")
        if service == t.queue:
            raise Refused(f"{t.number} is already in service {service}")
        t.state, t.queue, t.desk = WAITING, service, None
        t.transfers += 1
        self._enqueue(t)
        out = Outcome(tickets=[t], ticket=t, events=[("transfer", t.number, d.id)])
        self._idle(d, now, out)
        return out

    # ------------------------------------------------------------ day

    def roll_over(self, new_day: str, now: int) -> Outcome:
        """Start a new service day: open tickets expire, desks go idle, numbers restart."""
        out = Outcome(new_day=new_day)
        for t in self.tickets.values():
            if t.state in (WAITING, CALLED):
                t.state, t.finished_at = EXPIRED, now
                out.tickets.append(t)
                out.events.append(("expire", t.number, t.desk))
        for d in self.desks.values():
            if d.status != IDLE or d.ticket:
                d.status, d.ticket, d.since = IDLE, None, now
                out.desks.append(d)
        self.day = new_day
        self.overrides.clear()
        self.tickets.clear()
        self.last_seq.clear()
        self._lines.clear()
        self.recent_calls.clear()
        return out

    # ------------------------------------------------------------ internals

    def _current(self, d: DeskState) -> Ticket:
        if not d.ticket:
            raise Refused(f"desk {d.id} has no current ticket")
        return self.tickets[d.ticket]

    def _finish_current(self, d: DeskState, state: str, now: int, out: Outcome) -> None:
        if not d.ticket:
            return
        t = self.tickets.get(d.ticket)
        d.ticket = None
        if t is None or t.state != CALLED:
            return
        t.state, t.finished_at = state, now
        if state == DONE and t.called_at is not None:
            q = self.durations.setdefault(t.queue, deque(maxlen=self.cfg.eta_window))
            q.append(max(0, now - t.called_at))
        out.tickets.append(t)
        out.events.append((state, t.number, d.id))

    def _idle(self, d: DeskState, now: int, out: Outcome) -> None:
        d.status, d.ticket, d.since = IDLE, None, now
        out.desks.append(d)

    def _enqueue(self, t: Ticket) -> None:
        bisect.insort(self._lines.setdefault(t.queue, []), t.sort_key())

    def _dequeue(self, t: Ticket) -> None:
        line = self._lines.get(t.queue, [])
        key = t.sort_key()
        i = bisect.bisect_left(line, key)
        if i < len(line) and line[i] == key:
            del line[i]
