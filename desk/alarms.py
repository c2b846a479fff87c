"""The silent alarm of the counters: a pure record of who called for help, and since when.

No clock, no MQTT, no SQLite: the controller passes ``now`` and persists the
:class:`Alarm` rows an operation returns (in the ledger's ``alarms`` table)
before it publishes the staff-only ``alarm/state`` and ``alarm/event``.
One active alarm per desk: pressing again while it is active changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

SOURCES = ("keypad", "button", "staff")


@dataclass
class Alarm:
    id: str
    desk: str
    source: str
    raised_at: int
    cleared_at: int | None = None
    cleared_by: str | None = None

    @property
    def active(self) -> bool:
        return self.cleared_at is None


class AlarmBook:
    """The active alarms of the site, by desk."""

    def __init__(self, alarms: Iterable[Alarm] = ()):
        self.active: dict[str, Alarm] = {a.desk: a for a in alarms if a.active}

    def raise_alarm(self, desk: str, source: str, now: int, alarm_id: str) -> tuple[Alarm, bool]:
        """Raise the alarm of ``desk``; returns (the alarm, whether it is new)."""
        current = self.active.get(desk)
        if current is not None:
            return current, False
        a = Alarm(alarm_id, desk, source, now)
        self.active[desk] = a
        return a, True

    def clear(self, desk: str | None, by: str, now: int) -> list[Alarm]:
        """Clear the alarm of one desk, or every active alarm (``desk`` None); returns those cleared."""
        desks = [desk] if desk is not None else sorted(self.active)
        out = []
        for d in desks:
            a = self.active.pop(d, None)
            if a is not None:
                a.cleared_at, a.cleared_by = now, by
                out.append(a)
        return out

    def sorted_active(self) -> list[Alarm]:
        return sorted(self.active.values(), key=lambda a: (a.raised_at, a.desk))
