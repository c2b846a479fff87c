"""What the waiting-room board shows, as pure state: no pygame, no MQTT, no clock of its own.

:class:`BoardModel` applies the protocol's ``call``, ``board`` and ``queue``
payloads (already validated) and keeps the announcement pipeline: calls that
arrive together are shown one after the other, each for at least
``min_call_s``; a shown call is highlighted for ``highlight_s``. Every method
that depends on time takes ``now`` (seconds since the epoch), so tests and the
demo drive it with their own clock. The renderer reads the model; the app
turns the calls that :meth:`BoardModel.tick` starts into chime and speech.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict, deque
from dataclasses import dataclass

from aufruf import protocol
from aufruf.config import Display, SiteConfig

SEEN_IDS = 512          # call ids remembered against QoS 1 redelivery
OFFLINE_AFTER_S = 10.0  # broker gone this long -> the offline mark
TICKER_S = 10.0         # one footer notice this long


@dataclass(frozen=True)
class BoardEntry:
    """A call on the board: a ticket number sent to a desk."""

    number: str
    desk: str
    at: int = 0                 # ms, the controller's clock
    recall: bool = False
    id: str | None = None       # the call event id (None: known from the retained board only)
    priority: bool = False      # a priority ticket from the info desk: marked on the board

    @property
    def key(self) -> tuple[str, str]:
        return (self.number, self.desk)


@dataclass(frozen=True)
class ServiceLine:
    """Waiting count and estimated wait of one service."""

    key: str
    waiting: int
    eta_min: int | None
    open: bool
    closed: str | None = None   # why it issues no ticket now (docs/rules.md), None while it does
    note: str | None = None     # staff closed it: the key of their reason in [issuing.reasons]


class BoardModel:
    """The board's state and its timing rules."""

    def __init__(self, cfg: SiteConfig, display: Display, *, offline_after_s: float = OFFLINE_AFTER_S,
                 ticker_s: float = TICKER_S, now: float = 0.0):
        self.cfg = cfg
        self.display = display
        self.offline_after_s = offline_after_s
        self.ticker_s = ticker_s
        self.calls: list[BoardEntry] = []                 # newest first, as the board payload says
        self.waiting: dict[str, int] = {}           # from the board payload
        self.queue: dict[str, ServiceLine] = {}     # from the queue payload
        self.current: BoardEntry | None = None            # the call being announced / last announced
        self.shown_at: float | None = None          # when ``current`` was put up by a call event
        self.pending: deque[BoardEntry] = deque()         # call events waiting for their turn
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._recalled: OrderedDict[tuple[str, str], None] = OrderedDict()   # keep the mark in the list
        self.connected = False
        self.disconnected_since: float | None = now
        self.started_at = now
        self.notices = self._notices()

    # ------------------------------------------------------------ inputs

    def apply_board(self, board: protocol.Board) -> None:
        """The retained ``board``."""
        self.calls = [BoardEntry(c.number, c.desk, c.at, (c.number, c.desk) in self._recalled, priority=c.priority)
                      for c in board.calls]
        self.waiting = dict(board.waiting)

    def apply_queue(self, q: protocol.QueueState) -> None:
        """The retained ``queue``."""
        self.queue = {k: ServiceLine(k, s.waiting, s.eta_min, s.open, s.closed, s.note) for k, s in q.services.items()}

    def apply_call(self, call: protocol.CallEvent, now: float) -> bool:
        """A ``call`` event; False for a repeated id."""
        if call.id in self._seen:
            return False
        self._seen[call.id] = None
        while len(self._seen) > SEEN_IDS:
            self._seen.popitem(last=False)
        self.pending.append(BoardEntry(call.number, call.desk, call.at, call.recall, call.id, priority=call.priority))
        return True

    def seen(self, call_id: str) -> bool:
        """Whether the call event with this id has arrived (shown, queued, or among the last ones)."""
        return call_id in self._seen

    def set_connected(self, connected: bool, now: float) -> None:
        """The broker link came up or went away."""
        if connected:
            self.connected, self.disconnected_since = True, None
        elif self.connected or self.disconnected_since is None:
            self.connected, self.disconnected_since = False, now

    # ------------------------------------------------------------ time

    def tick(self, now: float, hold: bool = False) -> list[BoardEntry]:
        """Advance the announcement pipeline; returns the calls put up now (to be announced).

        ``hold``: the previous announcement is still being spoken; queued calls wait for it
        (a burst stays in step with what is heard, not only ``min_call_s`` apart).
        """
        # the wall clock may step back (a Pi without RTC gets its time from NTP after boot):
        # never let a call wait for a moment that already passed
        if self.shown_at is not None and self.shown_at > now:
            self.shown_at = now
        if self.disconnected_since is not None and self.disconnected_since > now:
            self.disconnected_since = now
        started: list[BoardEntry] = []
        while self.pending and not hold and (self.shown_at is None or self._replaces_nothing(self.pending[0])
                                             or now - self.shown_at >= self.display.min_call_s):
            call = self.pending.popleft()
            self.current, self.shown_at = call, now
            started.append(call)
            self._remember(call)
        return started

    def _replaces_nothing(self, call: BoardEntry) -> bool:
        """A recall of the call on the panel takes nobody's place: it need not wait ``min_call_s``."""
        return self.current is not None and call.key == self.current.key

    def next_deadline(self, now: float) -> float | None:
        """The next moment the model changes by itself (a queued call, highlight end, offline mark)."""
        times = []
        if self.shown_at is not None:
            if self.pending:
                times.append(now if self._replaces_nothing(self.pending[0])
                             else self.shown_at + self.display.min_call_s)
            end = self.shown_at + self.display.highlight_s
            if end > now:
                times.append(end)
        if not self.connected and self.disconnected_since is not None:
            t = self.disconnected_since + self.offline_after_s
            if t > now:
                times.append(t)
        return min(times) if times else None

    def _remember(self, call: BoardEntry) -> None:
        """Put a shown call at the top of the known calls (the board payload may come later)."""
        if call.recall:
            self._recalled[call.key] = None
            while len(self._recalled) > SEEN_IDS:
                self._recalled.popitem(last=False)
        self.calls = [call] + [c for c in self.calls if c.key != call.key]
        del self.calls[10:]

    # ------------------------------------------------------------ views

    def highlighted(self, now: float) -> bool:
        return self.shown_at is not None and now - self.shown_at < self.display.highlight_s

    def offline(self, now: float) -> bool:
        return (not self.connected and self.disconnected_since is not None
                and now - self.disconnected_since >= self.offline_after_s)

    def current_call(self) -> BoardEntry | None:
        """The big call: the one announced last, else the newest on the retained board."""
        if self.current is not None:
            return self.current
        waiting = {c.key for c in self.pending}
        return next((c for c in self.calls if c.key not in waiting), None)

    def history(self) -> list[BoardEntry]:
        """The earlier calls under the big one (newest first, at most ``display.history``)."""
        cur = self.current_call()
        skip = {c.key for c in self.pending}
        if cur is not None:
            skip.add(cur.key)
        out: list[BoardEntry] = []
        for c in self.calls:                 # a recall is one call, listed once (where it was last called)
            if c.key not in skip:
                skip.add(c.key)
                out.append(c)
        return out[:self.display.history]

    def services(self) -> list[ServiceLine]:
        """One line per configured service: the queue state, else the board's waiting count."""
        out = []
        for s in self.cfg.services:
            line = self.queue.get(s.key)
            if line is None:
                line = ServiceLine(s.key, self.waiting.get(s.key, 0), None, True)
            out.append(line)
        return out

    def total_waiting(self) -> int:
        return sum(line.waiting for line in self.services())

    def closed(self, now: float) -> bool:
        """Outside opening hours with nobody left to call: the closed screen.

        Never while the broker is away: then nobody knows, and the board says offline.
        """
        if not self.connected:
            return False
        if self.cfg.is_open(dt.datetime.fromtimestamp(now, dt.timezone.utc)):
            return False
        return self.total_waiting() == 0 and not self.pending and not self.highlighted(now)

    def notice(self, now: float) -> tuple[str, str] | None:
        """The footer notice shown at ``now``: (language, text), rotating through the languages."""
        if not self.notices:
            return None
        i = int(max(0.0, now - self.started_at) // self.ticker_s) % len(self.notices)
        return self.notices[i]

    def _notices(self) -> list[tuple[str, str]]:
        """Notices interleaved by language: de 1, en 1, de 2, en 2, ..."""
        per_lang = [(lang, self.display.notices.get(lang, ())) for lang in (self.display.languages or self.cfg.languages)]
        out = []
        for i in range(max((len(t) for _, t in per_lang), default=0)):
            out.extend((lang, texts[i]) for lang, texts in per_lang if i < len(texts))
        return out
