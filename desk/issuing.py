"""When a service hands out tickets: the pure rules of a real day (docs/rules.md).

No clock of its own: :func:`closed` takes the moment (ms) and the numbers the
queue already knows (waiting, issued today, the wait estimate) and says why a
service issues no ticket now, or None. The reasons are codes; the kiosk, the
board and the staff tools put them into words.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from aufruf.config import WEEKDAYS, Service, SiteConfig

HOURS = "hours"              # outside site.opening_hours ([issuing] within_hours)
CLOSED_DAY = "closed_day"    # a day in site.closed_days ([issuing] within_hours)
LAST_TICKET = "last_ticket"  # after the service's last_ticket time
QUOTA = "quota"              # the service's daily quota is used up
CAPACITY = "capacity"        # the open desks cannot serve the people waiting before closing
STAFF = "staff"              # staff closed the service for the rest of the day
REASONS = (HOURS, CLOSED_DAY, LAST_TICKET, QUOTA, CAPACITY, STAFF)

CLOSE, REOPEN = "closed", "open"


@dataclass(frozen=True)
class Override:
    """A staff decision about one service for the rest of a service day.

    ``closed``: no tickets (with the staff's reason). ``open`` (a reopen): tickets
    again, also past the automatic stops (last ticket, quota, capacity), but never
    outside the opening hours or on a closing day.
    """

    state: str
    reason: str = ""
    at: int = 0


@dataclass(frozen=True)
class Closed:
    """Why a service issues no ticket: a reason code and, for a staff closing, their words."""

    reason: str
    note: str = ""

    def text(self) -> str:
        """A short English sentence for logs and refusals."""
        words = {HOURS: "the office is closed now", CLOSED_DAY: "the office is closed today",
                 LAST_TICKET: "the last ticket of the day was issued", QUOTA: "today's tickets are all issued",
                 CAPACITY: "the waiting customers fill the counters until closing time",
                 STAFF: "closed by staff for today"}
        return words[self.reason] + (f": {self.note}" if self.note else "")


def _local(cfg: SiteConfig, now_ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(now_ms / 1000, cfg.tz)


def _since_day_start(cfg: SiteConfig, t: dt.time) -> int:
    """Minutes from the service-day boundary to a local time (a day runs day_starts..day_starts)."""
    m = t.hour * 60 + t.minute - (cfg.day_starts.hour * 60 + cfg.day_starts.minute)
    return m % 1440


def closing_time(cfg: SiteConfig, local: dt.datetime) -> dt.datetime | None:
    """The end of the opening span ``local`` is in (None: no opening hours, or not open now)."""
    if cfg.opening_hours is None:
        return None
    t = local.time()
    for a, b in cfg.opening_hours.get(WEEKDAYS[local.weekday()], ()):
        if a <= t < b:
            return local.replace(hour=b.hour, minute=b.minute, second=0, microsecond=0)
    return None


def closed(cfg: SiteConfig, service: Service, now_ms: int, *, waiting: int, issued: int,
           eta_min: int | None, override: Override | None = None) -> Closed | None:
    """Why ``service`` issues no ticket at ``now_ms``, or None when it does.

    ``waiting``: people in its line; ``issued``: tickets of the service today (voided ones
    not counted); ``eta_min``: the estimated wait of a newcomer (None: no desk open).
    """
    local = _local(cfg, now_ms)
    if override is not None and override.state == CLOSE:
        return Closed(STAFF, override.reason)
    if cfg.issuing.within_hours:
        if local.date() in cfg.closed_days:
            return Closed(CLOSED_DAY)
        if not cfg.is_open(local):
            return Closed(HOURS)
    if override is not None and override.state == REOPEN:
        return None
    if service.last_ticket is not None and \
            _since_day_start(cfg, local.time()) >= _since_day_start(cfg, service.last_ticket):
        return Closed(LAST_TICKET)
    if service.quota is not None and issued >= service.quota:
        return Closed(QUOTA)
    if service.capacity_stop and eta_min is not None:
        end = closing_time(cfg, local)
        if end is not None and local + dt.timedelta(minutes=eta_min) > end:
            return Closed(CAPACITY)
    return None
