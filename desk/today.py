"""The controller's retained ``stats/today`` summary (issued, served, no-shows, waiting, median wait).

:meth:`TodayFeed.tick` runs on the controller's worker after each batch of changes
and when the worker is idle. It publishes when something was handled and at least
``every_ms`` passed since the last time; ``force`` (after a (re)connect, a new
service day, a reload) publishes at once. What to publish and how is passed in:
``summarize(now)`` builds the message, ``publish(message)`` sends it.
"""

from __future__ import annotations

import logging
from typing import Callable

from aufruf.protocol import StatsToday

log = logging.getLogger(__name__)
EVERY_MS = 10_000


class TodayFeed:
    def __init__(self, *, publish: Callable[[StatsToday], None], summarize: Callable[[int], StatsToday],
                 every_ms: int = EVERY_MS):
        self.publish = publish
        self.summarize = summarize
        self.every_ms = every_ms
        self._handled = -1
        self._at: int | None = None

    def tick(self, now: int, handled: int, force: bool = False) -> None:
        """``handled``: how many messages the worker has handled so far (nothing new: nothing to say)."""
        if not force and (handled == self._handled or (self._at is not None and now - self._at < self.every_ms)):
            return
        try:
            self._handled, self._at = handled, now
            self.publish(self.summarize(now))
        except Exception:  # noqa: BLE001 - statistics must never stop the queue
            log.exception("stats/today summary failed")
