"""Fan-out from the site state to the browsers: one bounded queue per connected page.

Runs on the server's event loop (the one thread that owns :class:`~web.state.SiteState`).
Each change is turned into a page's view once per language and put on the queue
of every page that shows it; a page whose queue is full (a client that stopped
reading) is dropped, never waited for. A ``tick`` every few seconds lets a page
tell "no news" from "no server".
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Callable

from .state import Changes, SiteState

log = logging.getLogger(__name__)
QUEUE_MAX = 32
TICK_S = 4.0


def dumps(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def frame(event: str, data: str) -> bytes:
    """One server-sent event, encoded once for every page that gets it (JSON has no raw newline)."""
    return f"event: {event}\r\ndata: {data}\r\n\r\n".encode("utf-8")


CLOSE = b""  # put on a page's queue: the stream ends


@dataclass(eq=False)
class Page:
    """One connected page: the board (``number`` None) or one ticket's page."""

    lang: str
    number: str | None = None
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE_MAX))
    last: str | None = None
    dropped: bool = False

    def put(self, event: str, data: str | bytes) -> bool:
        """Queue an event (``data`` a JSON text, or a ready frame); False, and dropped, when full."""
        try:
            self.queue.put_nowait(data if isinstance(data, bytes) else frame(event, data))
            return True
        except asyncio.QueueFull:
            self.dropped = True
            return False


class Hub:
    """Who is connected, and what each of them is told."""

    def __init__(self, state: SiteState, clock: Callable[[], int], max_pages: int):
        self.state = state
        self.clock = clock
        self.max_pages = max_pages
        self.boards: set[Page] = set()
        self.tickets: set[Page] = set()
        self.refused = 0
        self._ticker: asyncio.Task | None = None

    @property
    def pages(self) -> int:
        return len(self.boards) + len(self.tickets)

    def today(self) -> str:
        return self.state.cfg.service_day(self.clock())

    # ------------------------------------------------------------ pages

    def join(self, lang: str, number: str | None = None) -> Page | None:
        """A new page, with its first view queued; None when the server is full."""
        if self.pages >= self.max_pages:
            self.refused += 1
            return None
        p = Page(lang, number)
        if number is None:
            self.boards.add(p)
            p.put("board", dumps(self.state.board_view(lang)))
        else:
            self.tickets.add(p)
            self._send_ticket(p, self.today())
        return p

    def leave(self, page: Page) -> None:
        self.boards.discard(page)
        self.tickets.discard(page)

    # ------------------------------------------------------------ changes

    def publish(self, ch: Changes) -> None:
        """Tell every page what ``ch`` changed for it."""
        if ch.board:
            self._each_lang(self.boards, "board", self.state.board_view)
        if ch.call is not None:
            call = ch.call
            self._each_lang(self.boards, "call", lambda lang: self.state.call_view(call, lang))
        if ch.board or ch.lines or ch.tickets:
            today = self.today()
            for p in list(self.tickets):
                ts = self.state.ticket(p.number)
                if ch.board or p.number in ch.tickets or (ts is not None and ts.service in ch.lines):
                    self._send_ticket(p, today)
        self._drop_stalled()

    def _each_lang(self, pages: set[Page], event: str, view: Callable[[str], dict]) -> None:
        cache: dict[str, bytes] = {}
        for p in list(pages):
            data = cache.get(p.lang)
            if data is None:
                data = cache[p.lang] = frame(event, dumps(view(p.lang)))
            p.put(event, data)

    def _send_ticket(self, p: Page, today: str) -> None:
        view = self.state.ticket_view(p.number, p.lang, today)
        data = dumps(view if view is not None else {"number": p.number, "state": "unknown"})
        if data != p.last:
            p.last = data
            p.put("ticket", data)

    def _drop_stalled(self) -> None:
        for p in [p for p in (*self.boards, *self.tickets) if p.dropped]:
            log.info("dropped a page that stopped reading")
            self.leave(p)
            try:
                p.queue.put_nowait(CLOSE)
            except asyncio.QueueFull:
                pass

    # ------------------------------------------------------------ ticks

    def start(self) -> None:
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def stop(self) -> None:
        if self._ticker:
            self._ticker.cancel()
        for p in (*self.boards, *self.tickets):
            p.queue._queue.clear()  # noqa: SLF001 - make room for the close
            p.put("close", CLOSE)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            data = frame("tick", dumps({"now": self.clock(), "online": self.state.online}))
            for p in (*self.boards, *self.tickets):
                p.put("tick", data)
            self._drop_stalled()
