"""The kiosk's book of ticket requests: retries under the same id, and what to do with late answers.

Pure logic with an injected time (every method takes ``now``, in seconds of a
monotonic clock). Rules:

- a press opens a request with a fresh id; while a request of that service is
  still open (and not yet older than ``late_print_s``), further presses of the
  same button take nothing: the controller may already have issued a number
  for it, and a second request would take a second number for one customer;
- an unanswered request is sent again, under the SAME id, every
  ``timeout_s`` (the controller answers a repeated id with the same ticket);
  it is kept until the controller answers, however long that takes, so the
  kiosk always learns the number it was given;
- an answer within ``late_print_s`` of the press is printed; a later answer
  is voided (``printed ok:false``): the customer who pressed has most likely
  given up and left, and a printed ticket nobody holds would be called to an
  empty counter (or be taken by the next person). Nothing is lost for a
  customer still standing there: the number was only issued when the
  controller came back, so pressing again gives them the same place;
- ``overdue`` is true while any request has gone unanswered for longer than
  ``timeout_s``: the kiosk shows the fault and prints nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Callable

PRINT = "print"
VOID = "void"
REMEMBER_ANSWERED = 256


@dataclass
class Pending:
    """One open request."""

    id: str
    service: str
    created: float
    last_sent: float
    attempts: int = 1


class RequestBook:
    """Open requests of one kiosk, their retries and the fate of their answers."""

    def __init__(self, kiosk_id: str, timeout_s: float, late_print_s: float,
                 new_id: Callable[[], str] | None = None):
        self.kiosk_id = kiosk_id
        self.timeout_s = timeout_s
        self.late_print_s = late_print_s
        self._new_id = new_id or (lambda: f"{kiosk_id}-{uuid.uuid4().hex[:16]}")
        self.pending: dict[str, Pending] = {}
        self._answered: dict[str, None] = {}

    def blocking(self, service: str, now: float) -> Pending | None:
        """The open request that makes a new press of ``service`` take nothing, if any."""
        return next((p for p in self.pending.values()
                     if p.service == service and now - p.created < self.late_print_s), None)

    def open(self, service: str, now: float) -> Pending | None:
        """A new request for ``service`` (None while an earlier one of the service is still open)."""
        if self.blocking(service, now) is not None:
            return None
        p = Pending(self._new_id(), service, now, now)
        self.pending[p.id] = p
        return p

    def due(self, now: float) -> list[Pending]:
        """Requests to send again now (their ``last_sent`` and ``attempts`` are updated)."""
        out = []
        for p in self.pending.values():
            if now - p.last_sent >= self.timeout_s:
                p.last_sent = now
                p.attempts += 1
                out.append(p)
        return out

    def resend_all(self, now: float) -> list[Pending]:
        """Every open request, to be sent again at once (after a reconnect)."""
        for p in self.pending.values():
            p.last_sent = now
            p.attempts += 1
        return list(self.pending.values())

    def overdue(self, now: float) -> bool:
        """Whether the controller has let a request wait longer than ``timeout_s``."""
        return any(now - p.created >= self.timeout_s for p in self.pending.values())

    def was_answered(self, req_id: str) -> bool:
        """True for an id answered before (a duplicate answer: ignore it)."""
        return req_id in self._answered

    def answer(self, req_id: str, now: float) -> tuple[Pending, str] | None:
        """Close a request: (request, :data:`PRINT` or :data:`VOID`); None for an id not open."""
        p = self.pending.pop(req_id, None)
        if p is None:
            return None
        self._answered[req_id] = None
        while len(self._answered) > REMEMBER_ANSWERED:
            self._answered.pop(next(iter(self._answered)))
        return p, (PRINT if now - p.created <= self.late_print_s else VOID)

    def next_deadline(self) -> float | None:
        """When the next retry is due (None with nothing open)."""
        if not self.pending:
            return None
        return min(p.last_sent for p in self.pending.values()) + self.timeout_s
