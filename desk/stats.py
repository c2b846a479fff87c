"""Statistics of service days, pure: from ledger rows (or stored daily aggregates) to figures.

No SQLite, no clock, no MQTT: the rows are handed in. Definitions (also in
docs/operations.md):

- **wait**: from ``issued_at`` to the ticket's FIRST ``call`` event. A
  transferred ticket is called again later; that second call does not make its
  wait longer (``tickets.called_at`` holds the last call, so the events are used).
  Tickets never called (void, expired while waiting, still waiting) have no wait.
- **service time**: from a ticket's last call at a desk to its ``done`` event
  there; it counts for the service the ticket was called from and for that desk.
- **estimate error**: ``|eta_min printed on the ticket - real wait in minutes|``.
- per service counts use the service the ticket was issued for (its letter);
  ``transferred`` counts tickets that were moved to another service at least once.
- per hour: by the local hour (site time zone) of ``issued_at``.

All durations are in minutes (floats). A :class:`Dist` holds exact values for
days whose rows exist and one-minute bins for days known only from their
daily aggregate; a bin counts as the middle of its minute.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from aufruf.protocol import ServiceFigures, StatsToday

AGGREGATE_VERSION = 1
SERVICE_COUNTS = ("issued", "served", "noshow", "void", "expired", "transferred", "open")
DESK_COUNTS = ("called", "served", "noshow", "transferred")
COUNTS = ("issued", "called", "served", "noshow", "void", "expired", "transferred", "open")
_STATE_COUNT = {"done": "served", "noshow": "noshow", "void": "void", "expired": "expired",
                "waiting": "open", "called": "open"}


@dataclass
class Dist:
    """A distribution of durations in minutes: exact values plus whole-minute bins from aggregates."""

    exact: list[float] = field(default_factory=list)
    bins: Counter = field(default_factory=Counter)
    top: float | None = None

    def add(self, minutes: float) -> None:
        self.exact.append(minutes)
        self.top = minutes if self.top is None else max(self.top, minutes)

    def merge(self, other: "Dist") -> None:
        self.exact.extend(other.exact)
        self.bins.update(other.bins)
        if other.top is not None:
            self.top = other.top if self.top is None else max(self.top, other.top)

    @property
    def count(self) -> int:
        return len(self.exact) + sum(self.bins.values())

    def values(self) -> list[float]:
        out = list(self.exact)
        for b, n in self.bins.items():
            out.extend([b + 0.5] * n)
        return sorted(out)

    def median(self) -> float | None:
        v = self.values()
        return statistics.median(v) if v else None

    def percentile(self, p: float) -> float | None:
        """Nearest-rank percentile: the smallest value with at least p % of the values at or below it."""
        v = self.values()
        if not v:
            return None
        return v[max(1, math.ceil(p / 100 * len(v))) - 1]

    def max(self) -> float | None:
        return self.top

    def to_json(self) -> dict[str, Any]:
        bins = Counter(self.bins)
        for x in self.exact:
            bins[int(x)] += 1
        return {"bins": {str(k): n for k, n in sorted(bins.items())}, "max": self.top}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Dist":
        return cls(bins=Counter({int(k): int(n) for k, n in d.get("bins", {}).items()}), top=d.get("max"))


@dataclass
class Group:
    """The figures of one service, one desk, one hour of one service, or everything."""

    counts: Counter = field(default_factory=Counter)
    wait: Dist = field(default_factory=Dist)
    service: Dist = field(default_factory=Dist)
    eta_error: Dist = field(default_factory=Dist)

    def merge(self, other: "Group") -> None:
        self.counts.update(other.counts)
        self.wait.merge(other.wait)
        self.service.merge(other.service)
        self.eta_error.merge(other.eta_error)

    def __getitem__(self, key: str) -> int:
        return self.counts.get(key, 0)

    def to_json(self) -> dict[str, Any]:
        return {"counts": {k: v for k, v in self.counts.items() if v},
                "wait": self.wait.to_json(), "service": self.service.to_json(), "eta_error": self.eta_error.to_json()}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Group":
        return cls(Counter(d.get("counts", {})), Dist.from_json(d.get("wait", {})),
                   Dist.from_json(d.get("service", {})), Dist.from_json(d.get("eta_error", {})))


@dataclass
class Figures:
    """Statistics over one or more service days."""

    days: list[str] = field(default_factory=list)
    services: dict[str, Group] = field(default_factory=dict)
    desks: dict[str, Group] = field(default_factory=dict)
    hours: dict[int, dict[str, Group]] = field(default_factory=dict)  # local hour -> service -> group
    from_aggregates: list[str] = field(default_factory=list)  # days known only from their daily aggregate

    # get before setdefault: a Group (three Counters) made for every row and thrown away cost the
    # controller's worker 40 ms per stats/today of a 1,000-ticket day
    def service(self, key: str) -> Group:
        g = self.services.get(key)
        if g is None:
            g = self.services[key] = Group()
        return g

    def desk(self, key: str) -> Group:
        g = self.desks.get(key)
        if g is None:
            g = self.desks[key] = Group()
        return g

    def hour(self, hour: int, service: str) -> Group:
        per = self.hours.get(hour)
        if per is None:
            per = self.hours[hour] = {}
        g = per.get(service)
        if g is None:
            g = per[service] = Group()
        return g

    def total(self) -> Group:
        """Every service together."""
        g = Group()
        for s in self.services.values():
            g.merge(s)
        return g

    def arrivals_by_hour(self) -> dict[int, int]:
        return {h: sum(g["issued"] for g in per.values()) for h, per in sorted(self.hours.items())}

    def busiest_hour(self) -> tuple[int, int] | None:
        """(local hour, arrivals) with the most arrivals; the earliest such hour on a tie."""
        arr = self.arrivals_by_hour()
        if not arr or max(arr.values()) == 0:
            return None
        best = max(arr.values())
        return min(h for h, n in arr.items() if n == best), best

    def merge(self, other: "Figures") -> None:
        self.days.extend(d for d in other.days if d not in self.days)
        self.from_aggregates.extend(other.from_aggregates)
        for k, g in other.services.items():
            self.service(k).merge(g)
        for k, g in other.desks.items():
            self.desk(k).merge(g)
        for h, per in other.hours.items():
            for k, g in per.items():
                self.hour(h, k).merge(g)

    def to_aggregate(self) -> dict[str, Any]:
        """The daily aggregate kept after the per-ticket rows are deleted (no numbers, no moments)."""
        return {"version": AGGREGATE_VERSION, "days": list(self.days),
                "services": {k: g.to_json() for k, g in sorted(self.services.items())},
                "desks": {k: g.to_json() for k, g in sorted(self.desks.items())},
                "hours": {str(h): {k: g.to_json() for k, g in sorted(per.items())}
                          for h, per in sorted(self.hours.items())}}

    @classmethod
    def from_aggregate(cls, agg: Mapping[str, Any]) -> "Figures":
        f = cls(days=list(agg.get("days", [])))
        f.from_aggregates = list(f.days)
        f.services = {k: Group.from_json(g) for k, g in agg.get("services", {}).items()}
        f.desks = {k: Group.from_json(g) for k, g in agg.get("desks", {}).items()}
        f.hours = {int(h): {k: Group.from_json(g) for k, g in per.items()} for h, per in agg.get("hours", {}).items()}
        return f


def first_calls(events: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Ticket number -> moment (ms) of its first ``call`` event (events of ONE day)."""
    out: dict[str, int] = {}
    for e in events:
        if e["kind"] == "call" and e["number"]:
            if e["number"] not in out or e["at"] < out[e["number"]]:
                out[e["number"]] = e["at"]
    return out


def local_hour(ms: int, tz: ZoneInfo) -> int:
    return dt.datetime.fromtimestamp(ms / 1000, tz).hour


def day_figures(day: str, tickets: Iterable[Mapping[str, Any]], events: Iterable[Mapping[str, Any]],
                tz: ZoneInfo) -> Figures:
    """The figures of one service day from its ``tickets`` rows and its ``events`` rows (in seq order)."""
    events = sorted(events, key=lambda e: (e["at"], e.get("seq", 0)))
    first = first_calls(events)
    f = Figures(days=[day])
    for t in tickets:
        g = f.service(t["service"])
        h = f.hour(local_hour(t["issued_at"], tz), t["service"])
        for grp in (g, h):
            grp.counts["issued"] += 1
        state_count = _STATE_COUNT.get(t["state"])
        if state_count:
            g.counts[state_count] += 1
        if t.get("transfers"):
            g.counts["transferred"] += 1
        called = first.get(t["number"])
        if called is not None:
            wait = max(0, called - t["issued_at"]) / 60000
            g.wait.add(wait)
            h.wait.add(wait)
            g.counts["called"] += 1
            if t.get("eta_min") is not None:
                g.eta_error.add(abs(t["eta_min"] - wait))
    # desks and service times follow the events: a ticket can meet several desks
    last_call: dict[str, tuple[str | None, str | None, int]] = {}  # number -> (desk, service, at)
    for e in events:
        kind, number, desk = e["kind"], e["number"], e.get("desk")
        if kind == "call" and number:
            last_call[number] = (desk, e.get("service"), e["at"])
            if desk:
                f.desk(desk).counts["called"] += 1
        elif kind == "done" and number:
            if desk:
                f.desk(desk).counts["served"] += 1
            if number in last_call:
                cdesk, svc, at = last_call[number]
                minutes = max(0, e["at"] - at) / 60000
                if svc:
                    f.service(svc).service.add(minutes)
                if desk:
                    f.desk(desk).service.add(minutes)
        elif kind == "noshow" and desk:
            f.desk(desk).counts["noshow"] += 1
        elif kind == "transfer" and desk:
            f.desk(desk).counts["transferred"] += 1
    return f


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def today_figures(day: str, tickets: Iterable[tuple[str, str, str, int]], first: Mapping[str, int]) -> Figures:
    """The per-service counts and waits of :func:`day_figures` (same definitions), from
    ``(number, service, state, issued_at)`` per ticket and each number's first call
    (``history.today_rows``): all that ``stats/today`` says, at a tenth of the cost."""
    f = Figures(days=[day])
    for number, service, state, issued_at in tickets:
        g = f.service(service)
        g.counts["issued"] += 1
        state_count = _STATE_COUNT.get(state)
        if state_count:
            g.counts[state_count] += 1
        called = first.get(number)
        if called is not None:
            g.wait.add(max(0, called - issued_at) / 60000)
            g.counts["called"] += 1
    return f


def today_summary(site_id: str, name: str, figures: Figures, waiting: Mapping[str, int],
                  services: Iterable[str], now: int) -> StatsToday:
    """The retained ``stats/today`` message: the day so far, per service (small, no ticket numbers);
    ``figures`` from :func:`today_figures` or :func:`day_figures`."""
    out: dict[str, ServiceFigures] = {}
    for key in services:
        g = figures.services.get(key, Group())
        out[key] = ServiceFigures(g["issued"], g["served"], g["noshow"], int(waiting.get(key, 0)),
                                  _round(g.wait.median()))
    total = figures.total()
    return StatsToday(site_id, name, figures.days[0] if figures.days else None, out, _round(total.wait.median()), now)
