"""Data retention: daily aggregates are kept, per-ticket rows older than the retention are deleted.

The controller calls :func:`on_new_day` on its worker when a service day ends:
the finished day gets its aggregate (``daily`` table), then every day older
than ``[ledger] retention_days`` loses its per-ticket rows (``tickets``,
``events``) and the idempotency records (``requests``) older than that. A day
whose rows are deleted is always aggregated first. ``aufruf report
--erase-before DAY`` runs :func:`erase_before` by hand.

Deletes run with ``PRAGMA secure_delete=ON`` so the freed pages are
overwritten, not merely marked free.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

import sqlite_utils

from aufruf.config import SiteConfig

from . import history, stats

log = logging.getLogger(__name__)
DAY_MS = 86_400_000


@dataclass
class Purged:
    days: list[str]
    tickets: int = 0
    events: int = 0
    requests: int = 0
    aggregates: int = 0


def close_day(db: sqlite_utils.Database, cfg: SiteConfig, day: str, now: int) -> dict:
    """Compute a day's aggregate from its rows and store it (replacing an earlier one)."""
    tickets, events = history.day_rows(db, day)
    agg = stats.day_figures(day, tickets, events, cfg.tz).to_aggregate()
    with db.atomic():
        db.execute("INSERT OR REPLACE INTO daily (day, figures, computed_at) VALUES (?, ?, ?)",
                   [day, json.dumps(agg, separators=(",", ":")), now])
    return agg


def cutoff_day(today: str, retention_days: int) -> str:
    """The oldest day whose rows are kept: ``today`` minus ``retention_days`` days."""
    return (dt.date.fromisoformat(today) - dt.timedelta(days=retention_days)).isoformat()


def erase_before(db: sqlite_utils.Database, cfg: SiteConfig, day: str, now: int,
                 aggregates: bool = False) -> Purged:
    """Delete the per-ticket rows of every day before ``day`` (aggregating each first).

    With ``aggregates`` the daily aggregates of those days go too.
    """
    days = history.days_with_rows(db, before=day)
    for d in days:
        if history.aggregate(db, d) is None:
            close_day(db, cfg, d, now)
    start_ms = int(dt.datetime.combine(dt.date.fromisoformat(day), cfg.day_starts, cfg.tz).timestamp() * 1000)
    out = Purged(days)
    db.execute("PRAGMA secure_delete=ON")
    with db.atomic():
        out.tickets = db.execute("DELETE FROM tickets WHERE day < ?", [day]).rowcount
        out.events = db.execute("DELETE FROM events WHERE day < ?", [day]).rowcount
        out.requests = db.execute("DELETE FROM requests WHERE at < ?", [start_ms]).rowcount
        if aggregates:
            out.aggregates = db.execute("DELETE FROM daily WHERE day < ?", [day]).rowcount
    return out


def purge(db: sqlite_utils.Database, cfg: SiteConfig, today: str, now: int) -> Purged:
    """Delete the per-ticket rows older than the site's retention (aggregates stay)."""
    return erase_before(db, cfg, cutoff_day(today, cfg.retention_days), now)


def on_new_day(db: sqlite_utils.Database, cfg: SiteConfig, old_day: str, today: str, now: int) -> None:
    """At the day boundary: aggregate the day that ended, then apply the retention. Never raises."""
    try:
        close_day(db, cfg, old_day, now)
        p = purge(db, cfg, today, now)
        if p.days:
            log.info("retention %d days: deleted the per-ticket rows of %s (%d tickets, %d events); "
                     "daily aggregates kept", cfg.retention_days, ", ".join(p.days), p.tickets, p.events)
    except Exception:  # noqa: BLE001 - statistics must never stop the queue
        log.exception("closing day %s / applying the retention failed; will retry at the next day boundary",
                      old_day)
