"""What ``aufruf web`` knows of the site: the retained topics, and the views the pages show.

Pure: no MQTT, no HTTP, no clock of its own. The server's event-loop thread owns
one :class:`SiteState`; the MQTT thread only hands messages to that loop. Each
``apply`` returns what changed, so the fan-out (``web/hub.py``) knows whom to tell.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from aufruf import protocol, texts
from aufruf.config import SiteConfig
from aufruf.errors import PayloadError

log = logging.getLogger(__name__)
SOON_AHEAD = 3  # "3 ahead" warns the holder to come back


@dataclass
class Changes:
    """What one message changed."""

    board: bool = False
    call: protocol.CallEvent | None = None
    lines: set[str] = field(default_factory=set)
    tickets: set[str] = field(default_factory=set)


class SiteState:
    """The retained state of one site as the pages need it (numbers only, nothing personal)."""

    def __init__(self, cfg: SiteConfig):
        self.cfg = cfg
        self.topics = protocol.Topics(cfg.site_id)
        self.cat = texts.for_site(cfg)
        self.board: protocol.Board | None = None
        self.queue: protocol.QueueState | None = None
        self.lines: dict[str, protocol.Line] = {}
        self._positions: dict[str, dict[str, int]] = {}
        self.tickets: dict[str, protocol.TicketState] = {}
        self.controller_online: bool | None = None
        self.broker_connected = False
        self.bridge_up: bool | None = None   # a central server: the site's line to the central broker

    # ------------------------------------------------------------ input

    def apply(self, topic: str, payload: bytes) -> Changes:
        """One MQTT message; a malformed one is logged and changes nothing."""
        ch = Changes()
        try:
            if topic == self.topics.bridge_state:
                self.bridge_up = protocol.bridge_up(payload)
                return Changes(board=True)
            route = self.topics.parse(topic)
            kind, dev = route.kind, route.device
            if not payload:  # a cleared retained topic
                if kind == "tickets" and dev in self.tickets:
                    del self.tickets[dev]
                    ch.tickets.add(dev)
                return ch
            if kind == "board":
                self.board = protocol.Board.from_json(payload)
                ch.board = True
            elif kind == "queue":
                self.queue = protocol.QueueState.from_json(payload)
                ch.board = True
            elif kind == "call":
                ch.call = protocol.CallEvent.from_json(payload)
            elif kind == "line":
                line = protocol.Line.from_json(payload)
                if line.service != dev:
                    raise PayloadError(f"line of {line.service} on the topic of {dev}")
                self.lines[line.service] = line
                self._positions[line.service] = {n: i for i, n in enumerate(line.numbers)}
                ch.lines.add(line.service)
            elif kind == "tickets":
                ts = protocol.TicketState.from_json(payload)
                if ts.number != dev:
                    raise PayloadError(f"state of {ts.number} on the topic of {dev}")
                self.tickets[ts.number] = ts
                ch.tickets.add(ts.number)
            elif kind == "status/controller":
                self.controller_online = protocol.Status.from_json(payload).online
                ch.board = True
        except PayloadError as e:
            log.warning("ignored message on %s: %s", topic, e)
        return ch

    def set_broker(self, connected: bool) -> Changes:
        self.broker_connected = connected
        return Changes(board=True)

    # ------------------------------------------------------------ views

    @property
    def online(self) -> bool:
        return self.broker_connected and self.controller_online is not False and self.bridge_up is not False

    def board_view(self, lang: str) -> dict:
        """What the board page shows: calls (newest first), waiting per service, online."""
        calls = [{"number": c.number, "desk": self.desk_label(c.desk, lang), "at": c.at, "priority": c.priority}
                 for c in (self.board.calls if self.board else ())]
        services = []
        q = self.queue.services if self.queue else {}
        for s in self.cfg.services:
            e = q.get(s.key)
            waiting = e.waiting if e else (self.board.waiting.get(s.key) if self.board else None)
            services.append({"key": s.key, "name": s.name(lang), "waiting": waiting,
                             "eta_min": e.eta_min if e else None, "open": e.open if e else True})
        return {"calls": calls, "services": services, "online": self.online,
                "updated_at": self.board.updated_at if self.board else None}

    def call_view(self, call: protocol.CallEvent, lang: str) -> dict:
        return {"id": call.id, "number": call.number, "desk": self.desk_label(call.desk, lang),
                "recall": call.recall, "priority": call.priority}

    def desk_label(self, desk_id: str, lang: str) -> str:
        return texts.shown_desk(self.cfg, self.cat, desk_id, lang)

    def ticket(self, number: str) -> protocol.TicketState | None:
        return self.tickets.get(number)

    def ticket_view(self, number: str, lang: str, today: str) -> dict | None:
        """What a ticket's page shows, or None for a number the site does not know today."""
        ts = self.tickets.get(number)
        if ts is None:
            return None
        state = ts.state if ts.day == today else ("expired" if ts.state in ("waiting", "called") else ts.state)
        svc = self.cfg.service(ts.service)
        view: dict = {"number": ts.number, "service": ts.service, "service_name": svc.name(lang) if svc else ts.service,
                      "state": state, "desk": None, "ahead": None, "ahead_more": False, "eta_min": None,
                      "soon": False, "online": self.online}
        if state == "called" and ts.desk:
            view["desk"] = self.desk_label(ts.desk, lang)
        if state == "waiting":
            line = self.lines.get(ts.service)
            pos = self._positions.get(ts.service, {}).get(number)
            if line is not None and pos is not None:
                view["ahead"] = pos
                view["eta_min"] = line.eta_min[pos]
                view["soon"] = pos <= SOON_AHEAD
            elif line is not None and line.more:
                view["ahead"] = len(line.numbers)
                view["ahead_more"] = True
        return view
