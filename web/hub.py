"""Fan-out from the site state to the browsers: every connected page, told at once.

Runs on the server's event loop (the one thread that owns :class:`~web.state.SiteState`).
Each change is turned into a page's view once per language, encoded once, and
written to the connection of every page that shows it; a page with too much
unsent data (a client that stopped reading) is closed, never waited for. A
``tick`` every few seconds lets a page tell "no news" from "no server".
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Callable

from .state import Changes, SiteState

log = logging.getLogger(__name__)
QUEUE_MAX = 32               # events waiting for a stream that is not open yet
MAX_BUFFER = 64 * 1024       # unsent bytes of a page that stopped reading
TICK_S = 4.0


def dumps(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def frame(event: str, data: str) -> bytes:
    """One server-sent event as the HTTP/1.1 chunk the stream sends (chunked transfer encoding),
    encoded once for every page that gets it (JSON has no raw newline)."""
    body = f"event: {event}\r\ndata: {data}\r\n\r\n".encode("utf-8")
    return b"%x\r\n%b\r\n" % (len(body), body)


@dataclass(eq=False)
class Page:
    """One connected page: the board (``number`` None) or one ticket's page.

    Until its stream is open (:meth:`attach`), events wait in a short list; then each
    is written straight to the connection, in the hub's loop, once encoded for all
    pages: no task per page and no copy per page. A page whose connection has more
    than ``MAX_BUFFER`` unsent bytes stopped reading and is closed.
    """

    lang: str
    number: str | None = None
    last: str | None = None
    transport: asyncio.Transport | None = None
    pending: list[bytes] = field(default_factory=list)
    closed: asyncio.Event = field(default_factory=asyncio.Event)

    def put(self, event: str, data: str | bytes) -> bool:
        """Send an event (``data`` a JSON text, or a ready frame); False when the page is gone."""
        if self.closed.is_set():
            return False
        data = data if isinstance(data, bytes) else frame(event, data)
        t = self.transport
        if t is None:
            if len(self.pending) >= QUEUE_MAX:
                self.close()
                return False
            self.pending.append(data)
            return True
        if t.is_closing() or t.get_write_buffer_size() > MAX_BUFFER:
            self.close()
            return False
        t.write(data)
        return True

    def attach(self, transport: asyncio.Transport) -> None:
        """The stream is open: send what waited, and everything from now on directly."""
        self.transport = transport
        pending, self.pending = self.pending, []
        for data in pending:
            self.put("", data)

    def close(self) -> None:
        self.closed.set()


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
        """A new page, with its first view waiting for its stream; None when the server is full."""
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
        for p in [p for p in (*self.boards, *self.tickets) if p.closed.is_set()]:
            self.leave(p)

    # ------------------------------------------------------------ ticks

    def start(self) -> None:
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def stop(self) -> None:
        if self._ticker:
            self._ticker.cancel()
        for p in (*self.boards, *self.tickets):
            p.close()

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(TICK_S)
            data = frame("tick", dumps({"now": self.clock(), "online": self.state.online}))
            for p in (*self.boards, *self.tickets):
                p.put("tick", data)
            self._drop_stalled()
