"""The supervisor's office view ``/office``: every counter, service and device, and alerts (pure).

:class:`OfficeView` folds what the ``supervisor`` user reads (``desk/+/state``,
``queue``, ``stats/today``, ``status/#``) into one picture, and
:meth:`OfficeView.view` derives the alerts at a given time:

- a kiosk's printer out of paper, low on paper or offline;
- a device offline (or silent: its status older than 3 minutes) for more
  than :data:`OFFLINE_ALERT_MS`;
- a service whose longest-waiting ticket waits longer than the configured limit.

Times come in as arguments (ms since the epoch): no clock of its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from aufruf import protocol
from aufruf.config import SiteConfig
from aufruf.errors import PayloadError

log = logging.getLogger(__name__)

OFFLINE_ALERT_MS = 60_000
DEFAULT_WAIT_ALERT_MIN = 30
PRINTER_WORDS = {"paper_out": "printer out of paper", "paper_low": "printer low on paper",
                 "offline": "printer offline"}


@dataclass
class Device:
    role: str
    id: str
    online: bool | None = None         # None: never heard of
    since: int | None = None           # when online/offline last changed (as seen here)
    heard_at: int | None = None        # the last status message
    printer: str | None = None
    printer_since: int | None = None


class OfficeView:
    """The whole office as the supervisor sees it."""

    def __init__(self, cfg: SiteConfig, wait_alert_min: float = DEFAULT_WAIT_ALERT_MIN,
                 lang: str | None = None):
        self.cfg = cfg
        self.lang = lang or cfg.languages[0]
        self.wait_alert_ms = int(wait_alert_min * 60_000)
        self.topics = protocol.Topics(cfg.site_id)
        self.desks: dict[str, protocol.DeskState] = {}
        self.queue: dict[str, protocol.ServiceQueue] = {}
        self.today: protocol.StatsToday | None = None
        self.devices: dict[tuple[str, str], Device] = {}
        for c in ("main",):
            self._device("controller", c)
        for k in cfg.kiosks:
            self._device("kiosk", k.id)
        for d in cfg.displays:
            self._device("display", d.id)
        for k in cfg.keypads:
            self._device("keypad", k.desk)
        for w in cfg.webs:
            self._device("web", w.id)
        self.ignored = 0

    @property
    def subscriptions(self) -> tuple[str, ...]:
        """What the ``supervisor`` user may read (aufruf/provision.py)."""
        t = self.topics
        return (t.all_desk_states, t.queue, t.stats_today, t.all_status)

    def _device(self, role: str, dev: str) -> Device:
        d = self.devices.get((role, dev))
        if d is None:
            d = self.devices[(role, dev)] = Device(role, dev)
        return d

    def apply(self, topic: str, payload: bytes, now_ms: int) -> bool:
        """Fold one message in (``now_ms``: when it arrived); True when the view changed."""
        try:
            route = self.topics.parse(topic)
            kind, dev = route.kind, route.device
            if kind == "desk/state":
                if not payload:  # a desk removed from the site file
                    return self.desks.pop(dev, None) is not None
                self.desks[dev] = protocol.DeskState.from_json(payload)
            elif not payload:
                return False
            elif kind == "queue":
                self.queue = dict(protocol.QueueState.from_json(payload).services)
            elif kind == "stats/today":
                self.today = protocol.StatsToday.from_json(payload)
            elif kind.startswith("status/"):
                role = kind.split("/", 1)[1]
                if role not in protocol.ROLES or dev is None or not protocol.ID_RE.match(dev):
                    raise PayloadError(f"unknown device status/{role}/{dev}")
                self._status(self._device(role, dev), protocol.Status.from_json(payload), now_ms)
            else:
                return False
            return True
        except PayloadError as e:
            self.ignored += 1
            log.warning("office view ignored a message on %s: %s", topic, e)
            return False

    def _status(self, d: Device, st: protocol.Status, now_ms: int) -> None:
        online = st.online
        at = st.at
        if d.online is not online:
            d.online = online
            # a retained status read at start-up tells since when (its "at"); a live change happens now
            d.since = at if at is not None and at <= now_ms else now_ms
        d.heard_at = at if at is not None and online else now_ms
        printer = st.printer if online else None
        if printer != d.printer:
            d.printer = printer
            d.printer_since = now_ms

    # ------------------------------------------------------------ the picture

    def _effective_online(self, d: Device, now_ms: int) -> tuple[bool | None, int | None]:
        """Online, offline or unknown, and since when; a status older than 3 minutes counts as gone."""
        if d.online and d.heard_at is not None and now_ms - d.heard_at > protocol.STATUS_STALE_MS:
            return False, d.heard_at
        return d.online, d.since

    def view(self, now_ms: int) -> dict[str, Any]:
        """The JSON the office page renders, with the alerts in force at ``now_ms``."""
        alerts: list[dict[str, Any]] = []
        devices = []
        for d in sorted(self.devices.values(), key=lambda d: (d.role, d.id)):
            online, since = self._effective_online(d, now_ms)
            devices.append({"role": d.role, "id": d.id, "online": online, "since": since,
                            "printer": d.printer, "printer_since": d.printer_since})
            name = f"{d.role} {d.id}"
            if online is False and since is not None and now_ms - since > OFFLINE_ALERT_MS:
                alerts.append({"kind": "offline", "level": "alarm", "since": since, "device": name,
                               "text": f"{name} is offline"})
            elif online is None and d.role in ("controller", "kiosk", "display", "web"):
                alerts.append({"kind": "unknown", "level": "warn", "since": None, "device": name,
                               "text": f"{name} has not reported"})
            if online and d.printer in PRINTER_WORDS:
                alerts.append({"kind": d.printer, "level": "alarm" if d.printer != "paper_low" else "warn",
                               "since": d.printer_since, "device": name,
                               "text": f"{name}: {PRINTER_WORDS[d.printer]}"})
        keypads = {k.desk for k in self.cfg.keypads}
        desks = []
        for desk in self.cfg.desks:
            st = self.desks.get(desk.id)
            kp = self.devices.get(("keypad", desk.id))
            kp_online = self._effective_online(kp, now_ms)[0] if kp is not None and desk.id in keypads else None
            desks.append({"id": desk.id, "label": desk.label(self.lang), "status": st.status if st else None,
                          "ticket": st.ticket if st else None, "since": st.since if st else None,
                          "services": list(desk.services), "keypad_online": kp_online})
        services = []
        today = self.today.services if self.today is not None else {}
        for s in self.cfg.services:
            q = self.queue.get(s.key)
            oldest = q.oldest_at if q else None
            waiting = q.waiting if q else None
            t = today.get(s.key)
            services.append({"key": s.key, "name": s.name(self.lang), "waiting": waiting,
                             "eta_min": q.eta_min if q else None, "open": q.open if q else None,
                             "oldest_at": oldest, "issued": t.issued if t else None,
                             "served": t.served if t else None, "noshow": t.noshow if t else None,
                             "median_wait_min": t.median_wait_min if t else None})
            if oldest is not None and waiting and now_ms - oldest > self.wait_alert_ms:
                alerts.append({"kind": "wait", "level": "alarm", "since": oldest + self.wait_alert_ms,
                               "service": f"{s.name(self.lang)} ({s.key})", "minutes": self.wait_alert_ms // 60_000,
                               "text": f"{s.name(self.lang)} ({s.key}): the longest wait is over "
                                       f"{self.wait_alert_ms // 60_000} min"})
        alerts.sort(key=lambda a: (a["level"] != "alarm", a["since"] or 0))
        today_out = None
        if self.today is not None:
            today_out = {"day": self.today.day, "median_wait_min": self.today.median_wait_min,
                         "updated_at": self.today.updated_at}
        return {"desks": desks, "services": services, "devices": devices, "today": today_out,
                "alerts": alerts, "now": now_ms}
