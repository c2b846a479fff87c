"""What the counter panel ``/desk`` shows for one counter, folded from retained topics (pure).

:class:`DeskPanel` takes the messages a ``panel-<desk>`` session receives
(its ``desk/<desk>/state``, ``queue``, ``line/<service>`` of its services,
``status/controller/+``) and gives the JSON the page renders: the current
ticket and since when, waiting count, oldest wait and the next numbers of each
service the counter serves, whether the controller is there. Bad payloads are
ignored (and counted), never shown.
"""

from __future__ import annotations

import logging
from typing import Any

from aufruf import protocol
from aufruf.config import SiteConfig
from aufruf.errors import PayloadError

log = logging.getLogger(__name__)

NEXT_SHOWN = 5


class DeskPanel:
    """The state of one counter as its panel sees it."""

    def __init__(self, cfg: SiteConfig, desk: str, lang: str | None = None):
        d = cfg.desk(desk)
        if d is None:
            raise KeyError(desk)
        self.cfg = cfg
        self.desk = d
        self.lang = lang or cfg.languages[0]
        self.topics = protocol.Topics(cfg.site_id)
        self.state: protocol.DeskState | None = None
        self.queue: dict[str, protocol.ServiceQueue] = {}
        self.lines: dict[str, list[str]] = {}
        self.controller_online: bool | None = None
        self.ignored = 0

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """What a ``panel-<desk>`` user may read (aufruf/provision.py), the reply topic first."""
        t = self.topics
        return (t.reply(self.desk.id), t.desk_state(self.desk.id), t.queue,
                *(t.line(s) for s in self.desk.services), t.role_status("controller"))

    def apply(self, topic: str, payload: bytes) -> bool:
        """Fold one message in; True when the view changed."""
        try:
            route = self.topics.parse(topic)
            if not payload:  # a cleared retained topic
                return False
            if route.kind == "desk/state" and route.device == self.desk.id:
                self.state = protocol.DeskState.from_json(payload)
            elif route.kind == "queue":
                self.queue = dict(protocol.QueueState.from_json(payload).services)
            elif route.kind == "line" and route.device in self.desk.services:
                self.lines[route.device] = list(protocol.Line.from_json(payload).numbers[:NEXT_SHOWN])
            elif route.kind == "status/controller":
                self.controller_online = protocol.Status.from_json(payload).online
            else:
                return False
            return True
        except PayloadError as e:
            self.ignored += 1
            log.warning("desk panel %s ignored a message on %s: %s", self.desk.id, topic, e)
            return False

    def view(self, now_ms: int) -> dict[str, Any]:
        """The JSON the page renders (times in ms since the epoch; the page counts the minutes)."""
        st = self.state
        services = []
        for key in self.desk.services:
            svc = self.cfg.service(key)
            q = self.queue.get(key)
            services.append({"key": key, "name": svc.name(self.lang) if svc else key,
                             "waiting": q.waiting if q else None, "eta_min": q.eta_min if q else None,
                             "open": q.open if q else None, "oldest_at": q.oldest_at if q else None,
                             "next": self.lines.get(key)})
        return {
            "desk": self.desk.id, "label": self.desk.label(self.lang),
            "status": st.status if st else None, "ticket": st.ticket if st else None,
            "since": st.since if st else None,
            "services": services,
            "transfer_to": [{"key": s.key, "name": s.name(self.lang)} for s in self.cfg.services],
            "first_service": self.desk.services[0],
            "controller_online": self.controller_online,
            "now": now_ms,
        }
