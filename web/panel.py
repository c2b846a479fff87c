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
        self.state: dict[str, Any] | None = None
        self.queue: dict[str, Any] = {}
        self.lines: dict[str, list[str]] = {}
        self.controller_online: bool | None = None
        self.ignored = 0

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """What a ``panel-<desk>`` user may read (aufruf/provision.py), the reply topic first."""
        t = self.topics
        return (t.reply(self.desk.id), t.desk_state(self.desk.id), t.queue,
                *(t.line(s) for s in self.desk.services), t.root + "status/controller/+")

    def apply(self, topic: str, payload: bytes) -> bool:
        """Fold one message in; True when the view changed."""
        try:
            kind, dev = self.topics.parse(topic)
            if not payload:  # a cleared retained topic
                return False
            obj = protocol.decode(payload)
            if kind == "desk/state" and dev == self.desk.id:
                self.state = protocol.check_desk_state(obj)
            elif kind == "queue":
                self.queue = protocol.check_queue(obj)["services"]
            elif kind == "line" and dev in self.desk.services:
                self.lines[dev] = list(protocol.Line.from_json(obj).numbers[:NEXT_SHOWN])
            elif kind == "status/controller":
                self.controller_online = bool(protocol.check_status(obj)["online"])
            else:
                return False
            return True
        except PayloadError as e:
            self.ignored += 1
            log.warning("desk panel %s ignored a message on %s: %s", self.desk.id, topic, e)
            return False

    def view(self, now_ms: int) -> dict[str, Any]:
        """The JSON the page renders (times in ms since the epoch; the page counts the minutes)."""
        st = self.state or {}
        services = []
        for key in self.desk.services:
            svc = self.cfg.service(key)
            q = self.queue.get(key, {})
            services.append({"key": key, "name": svc.name(self.lang) if svc else key,
                             "waiting": q.get("waiting"), "eta_min": q.get("eta_min"), "open": q.get("open"),
                             "oldest_at": q.get("oldest_at"), "next": self.lines.get(key)})
        return {
            "desk": self.desk.id, "label": self.desk.label(self.lang),
            "status": st.get("status"), "ticket": st.get("ticket"), "since": st.get("since"),
            "services": services,
            "transfer_to": [{"key": s.key, "name": s.name(self.lang)} for s in self.cfg.services],
            "first_service": self.desk.services[0],
            "controller_online": self.controller_online,
            "now": now_ms,
        }
