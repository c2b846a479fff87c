"""Sign-in throttling: a growing delay after wrong passwords, per user and per address (pure).

After the n-th failure in a row for a user name, or from an address, the next
attempt for that user (or from that address) is refused without asking the
broker until ``base_s * 2**(n-1)`` seconds have passed (capped at ``max_s``).
A success clears the user's count (not the address's: one right password
must not unlock guessing at other counters). Counts are forgotten after
``forget_s`` without failures. Memory is bounded: the oldest entries go first.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable

BASE_S = 1.0
MAX_S = 300.0
FORGET_S = 3600.0
MAX_ENTRIES = 10_000


@dataclass
class _Count:
    failures: int
    last: float


class SignInLimiter:
    """Failures by user and by address; ``clock()`` gives seconds."""

    def __init__(self, clock: Callable[[], float], base_s: float = BASE_S, max_s: float = MAX_S,
                 forget_s: float = FORGET_S, max_entries: int = MAX_ENTRIES):
        self.clock = clock
        self.base_s = base_s
        self.max_s = max_s
        self.forget_s = forget_s
        self.max_entries = max_entries
        self._counts: OrderedDict[tuple[str, str], _Count] = OrderedDict()

    def _delay(self, failures: int) -> float:
        if failures <= 0:
            return 0.0
        return min(self.max_s, self.base_s * 2 ** min(failures - 1, 30))

    def _get(self, key: tuple[str, str], now: float) -> _Count | None:
        c = self._counts.get(key)
        if c is not None and now - c.last > self.forget_s:
            del self._counts[key]
            return None
        return c

    def wait_s(self, user: str, address: str) -> float:
        """Seconds before the next attempt for ``user`` from ``address`` may be tried (0: now)."""
        now = self.clock()
        left = 0.0
        for key in (("user", user), ("addr", address)):
            c = self._get(key, now)
            if c is not None:
                left = max(left, c.last + self._delay(c.failures) - now)
        return max(0.0, left)

    def failed(self, user: str, address: str) -> float:
        """Count a wrong password; returns the delay now in force."""
        now = self.clock()
        for key in (("user", user), ("addr", address)):
            c = self._get(key, now)
            if c is None:
                c = _Count(0, now)
            c.failures += 1
            c.last = now
            self._counts[key] = c
            self._counts.move_to_end(key)
        while len(self._counts) > self.max_entries:
            self._counts.popitem(last=False)
        return self.wait_s(user, address)

    def succeeded(self, user: str) -> None:
        """A right password for ``user``: its own count starts again."""
        self._counts.pop(("user", user), None)

    def failures(self, user: str | None = None, address: str | None = None) -> int:
        """How many failures in a row are counted for a user or an address (for status and tests)."""
        now = self.clock()
        key = ("user", user) if user is not None else ("addr", address or "")
        c = self._get(key, now)
        return c.failures if c else 0
