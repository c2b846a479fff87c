"""The appointments drop directory: CSV files a calendar exports there are imported by the controller.

Polled on the controller's worker while it is idle (at most every
:data:`POLL_S`). A file named ``YYYY-MM-DD....csv`` is that day's list, any
other ``*.csv`` is today's. An imported file moves to ``done/``; a refused
one moves to ``refused/`` beside a ``.txt`` that lists every bad row (nothing
of it was imported). Files still being written (changed within the last
:data:`SETTLE_S`) wait for the next poll.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass
from pathlib import Path

from aufruf.config import SiteConfig

from . import appointment_book as book
from .appointments import ImportRefused
from .ledger import Ledger

log = logging.getLogger(__name__)
POLL_S = 5.0
SETTLE_S = 1.0
DAY_RE = re.compile(r"^(\d{4}-\d\d-\d\d)")


def day_of(path: Path, today: str) -> str:
    m = DAY_RE.match(path.name)
    if m:
        try:
            return dt.date.fromisoformat(m.group(1)).isoformat()
        except ValueError:
            pass
    return today


@dataclass(frozen=True)
class Handled:
    """One file of the drop directory: imported (``ok``) or refused, and what happened in words."""

    file: str
    ok: bool
    result: str


class DropDir:
    """Remembers when it last looked; :meth:`poll` imports what is there."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self._next = 0.0
        self._missing_told = False

    def poll(self, cfg: SiteConfig, ledger: Ledger, today: str, now_ms: int, force: bool = False) -> list[Handled]:
        """Import every settled CSV file; returns what became of each file handled."""
        rules = cfg.appointments
        if rules is None or not rules.drop_dir:
            return []
        if not force and self.clock() < self._next:
            return []
        self._next = self.clock() + POLL_S
        folder = Path(rules.drop_dir)
        if not folder.is_dir():   # a typo in the site file or a missing mount: say so once, keep looking
            if self._missing_told:
                return []
            self._missing_told = True
            log.error("appointments drop directory %s does not exist (or is not a directory)", folder)
            return [Handled(str(folder), False, "the drop directory does not exist (or is not a directory)")]
        self._missing_told = False
        try:
            files = sorted(p for p in folder.glob("*.csv") if p.is_file())
        except OSError as e:
            log.error("appointments drop directory %s: %s", folder, e)
            return []
        out = []
        for p in files:
            try:
                if time.time() - p.stat().st_mtime < SETTLE_S and not force:
                    continue
                data = p.read_bytes()
            except OSError as e:
                log.error("appointments: cannot read %s: %s", p, e)
                continue
            day = day_of(p, today)
            try:
                plan = book.parse_and_import(ledger.db, cfg, data, day, now_ms, p.name)
            except ImportRefused as e:
                log.error("appointments: %s refused, nothing imported: %s", p.name, "; ".join(e.problems[:5]))
                self._move(p, folder / "refused", "\n".join(e.problems) + "\n")
                out.append(Handled(p.name, False, f"refused, nothing imported: {e.problems[0]}"
                                   + (f" (and {len(e.problems) - 1} more problems)" if len(e.problems) > 1 else "")))
                continue
            log.info("appointments: %s imported for %s: %d added, %d changed, %d unchanged", p.name, day,
                     len(plan.added), len(plan.updated), len(plan.unchanged))
            self._move(p, folder / "done", None)
            out.append(Handled(p.name, True, f"{len(plan.added)} added, {len(plan.updated)} changed, "
                                             f"{len(plan.unchanged)} unchanged"))
        return out

    @staticmethod
    def _move(p: Path, target: Path, problems: str | None) -> None:
        try:
            target.mkdir(exist_ok=True)
            stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
            dest = target / f"{p.stem}.{stamp}{p.suffix}"
            p.replace(dest)
            if problems is not None:
                dest.with_suffix(".txt").write_text(problems, encoding="utf-8")
        except OSError as e:
            log.error("appointments: cannot move %s to %s: %s", p, target, e)
