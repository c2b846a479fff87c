"""The press rules of one kiosk button, with no GPIO and no clock of their own.

A customer gets one ticket per press, however long they hold the button and
however much its contacts bounce; presses closer together than ``min_gap_s``
(measured from the last press that took a ticket) give nothing; holding the
button for ``hold_s`` asks for a maintenance test print once per hold.
The adapter feeds edges with timestamps and calls :meth:`PressGate.tick`.
"""

from __future__ import annotations

import math

TICKET = "ticket"
TEST = "test"
DEBOUNCE_S = 0.05


class PressGate:
    """Debounce, one ticket per press, minimum gap and hold detection for one button."""

    def __init__(self, min_gap_s: float, hold_s: float, debounce_s: float = DEBOUNCE_S):
        self.min_gap_s = min_gap_s
        self.hold_s = hold_s
        self.debounce_s = debounce_s
        self.down_since: float | None = None
        self._released_at = -math.inf
        self._press_started = -math.inf
        self._last_ticket = -math.inf
        self._hold_fired = False
        self.ignored = 0          # presses refused by the gap rule (for the log)

    @property
    def is_down(self) -> bool:
        return self.down_since is not None

    def press(self, t: float) -> str | None:
        """The button went down at ``t``: :data:`TICKET` when this press takes a ticket, else None."""
        if self.down_since is not None:
            return None                                  # a second "down" without an "up": nothing new
        if t - self._released_at < self.debounce_s:
            self.down_since = self._press_started        # contact bounce: the same press goes on
            return None
        self.down_since = self._press_started = t
        self._hold_fired = False
        if t - self._last_ticket < self.min_gap_s:
            self.ignored += 1
            return None
        self._last_ticket = t
        return TICKET

    def release(self, t: float) -> None:
        """The button went up at ``t``."""
        if self.down_since is not None:
            self.down_since = None
            self._released_at = t

    def tick(self, t: float) -> str | None:
        """:data:`TEST` once when the button has been held for ``hold_s``."""
        if self.down_since is not None and not self._hold_fired and t - self.down_since >= self.hold_s:
            self._hold_fired = True
            return TEST
        return None

    def next_deadline(self) -> float | None:
        """When :meth:`tick` may next have something to say (None: not before the next edge)."""
        if self.down_since is not None and not self._hold_fired:
            return self.down_since + self.hold_s
        return None
