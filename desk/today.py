"""The controller's retained ``stats/today`` summary (issued, served, no-shows, waiting, median wait).

Runs on the controller's worker (it reads the ledger there): :meth:`TodayFeed.tick`
is called after each batch of changes and when the worker is idle, and publishes when something was handled
and at least ``every_ms`` passed since the last one; ``force`` (after a
(re)connect, a new service day, a reload) publishes at once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from . import history, stats

if TYPE_CHECKING:
    from .controller import Controller

log = logging.getLogger("aufruf.desk")
EVERY_MS = 10_000


class TodayFeed:
    def __init__(self, every_ms: int = EVERY_MS):
        self.every_ms = every_ms
        self._handled = -1
        self._at: int | None = None

    def tick(self, ctl: "Controller", force: bool = False) -> None:
        now = ctl.clock()
        if not force and (ctl.handled == self._handled or (self._at is not None and now - self._at < self.every_ms)):
            return
        try:
            self._handled, self._at = ctl.handled, now
            ctl._publish(ctl.topics.stats_today, self.summary(ctl, now), retain=True)
        except Exception:  # noqa: BLE001 - statistics must never stop the queue
            log.exception("stats/today summary failed")

    @staticmethod
    def summary(ctl: "Controller", now: int) -> dict:
        office, cfg = ctl.office, ctl.cfg
        figures = stats.day_figures(office.day, *history.day_rows(ctl.ledger.db, office.day), cfg.tz)
        keys = [s.key for s in cfg.services]
        return stats.today_summary(cfg.site_id, cfg.name, figures, {k: office.waiting(k) for k in keys}, keys, now)
