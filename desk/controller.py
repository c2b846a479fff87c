"""The desk controller: the single authority over the queue.

MQTT messages arrive on paho's thread and are handed to ONE worker thread,
which owns the ledger and the :class:`~desk.dispatch.Office`. For every
request or command the worker: answers a repeated id with the stored reply;
applies the queue rule; commits the change, its outgoing messages (outbox)
and its reply in one transaction; only then publishes. Retained topics are
republished after every (re)connect, so late joiners always see the truth.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
import uuid
from typing import Callable

from aufruf import config as site_config
from aufruf import protocol
from aufruf.config import SiteConfig
from aufruf.errors import ConfigError, PayloadError
from aufruf.link import MqttLink, now_ms

from . import retention
from .dispatch import Office, Outcome, Refused
from .ledger import Ledger
from .today import TodayFeed

log = logging.getLogger("aufruf.desk")

REQUESTS_KEPT_MS = 2 * 86_400_000
IDLE_CLEANUP_S = 1.0


class Controller:
    """Wires ledger, queue rules and the MQTT link; ``start()`` runs it on its own thread."""

    def __init__(self, cfg: SiteConfig, ledger: Ledger, link: MqttLink | None = None,
                 clock: Callable[[], int] = now_ms, controller_id: str = "main"):
        self.cfg = cfg
        self.ledger = ledger
        self.clock = clock
        self.id = controller_id
        self.topics = protocol.Topics(cfg.site_id)
        self._q: queue.Queue = queue.Queue()
        self._acked: list[int] = []
        self._acked_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.healthy_at = time.monotonic()
        self.handled = 0
        self.today = TodayFeed()  # retained stats/today
        self.office = self._load_office()
        self.link = link

    # ------------------------------------------------------------ wiring

    @classmethod
    def subscriptions(cls, site: str) -> tuple[str, ...]:
        root = f"aufruf/{site}/"
        return (root + "kiosk/+/request", root + "kiosk/+/printed", root + "desk/+/command")

    def attach(self, link: MqttLink) -> None:
        """Use ``link`` (made with :meth:`subscriptions` and :meth:`on_message` as handler)."""
        self.link = link
        link.on_connect(lambda: self._q.put(("resync", None, None)))

    def on_message(self, topic: str, payload: bytes, retained: bool) -> None:
        """paho's thread: hand the message to the worker."""
        self._q.put(("msg", topic, payload))

    def request_reload(self, path: str) -> None:
        """Re-read the site file (SIGHUP); a file with errors is refused and the old one kept."""
        self._q.put(("reload", path, None))

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="controller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._q.put(("stop", None, None))
        if self._thread:
            self._thread.join(10)

    # ------------------------------------------------------------ worker

    def _load_office(self) -> Office:
        now = self.clock()
        stored = self.ledger.get_meta("day")
        today = self.cfg.service_day(now)
        day = stored or today
        office = Office(self.cfg, day)
        office.load(self.ledger.tickets(day), self.ledger.desks(), self.ledger.recent_calls(day, protocol.BOARD_CALLS),
                    self.ledger.durations(self.cfg.eta_window))
        if stored is None:
            self.ledger.set_day(day)
        log.info("ledger %s: day %s, %d tickets, %d waiting", self.ledger.path, day, len(office.tickets),
                 sum(office.waiting(s.key) for s in self.cfg.services))
        return office

    def _run(self) -> None:
        try:
            # rows a previous run committed but may not have published (killed in between)
            self._publish_rows(self.ledger.pending_outbox())
            self._check_day()
        except Exception:  # noqa: BLE001
            log.exception("start-up republish failed")
        while not self._stop.is_set():
            self.healthy_at = time.monotonic()
            try:
                kind, a, b = self._q.get(timeout=IDLE_CLEANUP_S)
            except queue.Empty:
                self._idle()
                continue
            try:
                if kind == "msg":
                    self._check_day()
                    self._handle(a, b)
                    self.handled += 1
                elif kind == "resync":
                    self._publish_state()
                elif kind == "reload":
                    self._reload(a)
                elif kind == "call":
                    a()
                elif kind == "stop":
                    break
            except Exception:  # noqa: BLE001 - one bad message must never stop the controller
                log.exception("handling %s %s failed; reloading the queue state from the ledger", kind, a)
                self.office = self._load_office()

    def run_in_worker(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the worker thread (tests and tools that need a consistent view)."""
        self._q.put(("call", fn, None))

    def _idle(self) -> None:
        self._check_day()
        acked = self._take_acked()
        if acked:
            self.ledger.delete_acked(acked)
        self.today.tick(self)

    def _take_acked(self) -> list[int]:
        with self._acked_lock:
            acked, self._acked = self._acked, []
        return acked

    def _check_day(self) -> None:
        now = self.clock()
        day = self.cfg.service_day(now)
        if day <= self.office.day:  # a clock jumping back never reopens an old day
            return
        old = self.office.day
        out = self.office.roll_over(day, now)
        self.ledger.commit(old, now, out)  # the expired tickets belong to the old day
        self.ledger.forget_requests(now - REQUESTS_KEPT_MS)
        retention.on_new_day(self.ledger.db, self.cfg, old, day, now)  # aggregate the old day, delete old rows
        log.info("new service day %s: %d open tickets expired, numbers restart", day, len(out.tickets))
        self._publish_state()

    # ------------------------------------------------------------ messages

    def _handle(self, topic: str, payload: bytes) -> None:
        try:
            kind, dev = self.topics.parse(topic)
        except PayloadError as e:
            log.warning("ignored message on %s: %s", topic, e)
            return
        if kind == "kiosk/request":
            self._on_request(dev, payload)
        elif kind == "kiosk/printed":
            self._on_printed(dev, payload)
        elif kind == "desk/command":
            self._on_command(dev, payload)

    def _refuse(self, reply_topic: str | None, req_id: str | None, reason: str, where: str) -> None:
        log.warning("refused %s%s: %s", where, f" id={req_id}" if req_id else "", reason)
        if reply_topic and self.link:
            self.link.publish(reply_topic, protocol.error_reply(req_id, reason))

    def _reply_topic(self, builder: Callable[[str], str], dev: str) -> str | None:
        try:
            return builder(dev)
        except PayloadError:
            return None

    def _on_request(self, kiosk: str, payload: bytes) -> None:
        reply_topic = self._reply_topic(self.topics.ticket, kiosk)
        where = f"kiosk/{kiosk}/request"
        req_id = None
        try:
            obj = protocol.decode(payload)
            req_id = _safe_id(obj)
            req_id, service, priority = protocol.check_request(obj)
        except PayloadError as e:
            return self._refuse(reply_topic, req_id, str(e), where)
        if reply_topic is None or (kiosk != "info" and self.cfg.kiosk(kiosk) is None):
            return self._refuse(reply_topic, req_id, f"unknown kiosk {kiosk}", where)
        scope = f"kiosk/{kiosk}"
        if self._answer_repeat(scope, req_id, reply_topic):
            return
        now = self.clock()
        try:
            if priority and not (kiosk == "info" and self.cfg.info_desk.priority):
                raise Refused("priority tickets are only issued at the info desk")
            out = self.office.issue(service, now, kiosk, req_id, priority)
        except Refused as e:
            reply = protocol.error_reply(req_id, str(e))
            rows = self.ledger.commit(self.office.day, now, None, [(reply_topic, reply, False)],
                                      (scope, req_id, reply), self._take_acked())
            log.warning("refused %s id=%s: %s", where, req_id, e)
            return self._publish_rows(rows)
        t = out.ticket
        ticket = {"number": t.number, "service": t.service, "issued_at": t.issued_at, "ahead": t.ahead}
        if t.eta_min is not None:
            ticket["eta_min"] = t.eta_min
        if t.priority:
            ticket["priority"] = True
        reply = {"v": 1, "id": req_id, "ok": True, "ticket": ticket}
        rows = self.ledger.commit(self.office.day, now, out, [(reply_topic, reply, False)], (scope, req_id, reply),
                                  self._take_acked())
        log.info("issued %s at kiosk %s (ahead %s, eta %s min)", t.number, kiosk, t.ahead, t.eta_min)
        self._publish_rows(rows)
        self._publish_queue_and_board(now)

    def _on_printed(self, kiosk: str, payload: bytes) -> None:
        where = f"kiosk/{kiosk}/printed"
        try:
            obj = protocol.decode(payload)
            req_id, number, ok, error = protocol.check_printed(obj)
        except PayloadError as e:
            return self._refuse(None, None, str(e), where)
        t = self.office.tickets.get(number)
        if t is None or t.kiosk != kiosk or t.request_id != req_id:
            return self._refuse(None, req_id, f"{number} was not issued to kiosk {kiosk} for request {req_id}", where)
        now = self.clock()
        out = self.office.printed(number, ok, now)
        if not out.tickets:
            if not ok:
                log.info("print of %s failed at kiosk %s but it is already %s; kept", number, kiosk, t.state)
            return
        self.ledger.commit(self.office.day, now, out, (), None, self._take_acked())
        log.warning("voided %s: kiosk %s could not print it (%s)", number, kiosk, error or "no reason given")
        self._publish_queue_and_board(now)

    def _on_command(self, desk: str, payload: bytes) -> None:
        reply_topic = self._reply_topic(self.topics.reply, desk)
        where = f"desk/{desk}/command"
        cmd_id = None
        try:
            obj = protocol.decode(payload)
            cmd_id = _safe_id(obj)
            cmd = protocol.check_command(obj)
        except PayloadError as e:
            return self._refuse(reply_topic, cmd_id, str(e), where)
        if reply_topic is None:
            return self._refuse(None, cmd.id, f"unknown desk {desk}", where)
        scope = f"desk/{desk}"
        if self._answer_repeat(scope, cmd.id, reply_topic):
            return
        now = self.clock()
        try:
            out = self.office.command(desk, cmd.action, now, service=cmd.service, number=cmd.number,
                                      call_id=uuid.uuid4().hex[:16])
        except Refused as e:
            reply = protocol.error_reply(cmd.id, str(e))
            rows = self.ledger.commit(self.office.day, now, None, [(reply_topic, reply, False)],
                                      (scope, cmd.id, reply), self._take_acked())
            log.warning("refused %s at desk %s id=%s: %s", cmd.action, desk, cmd.id, e)
            return self._publish_rows(rows)
        reply = {"v": 1, "id": cmd.id, "ok": True, "ticket": out.ticket.number if out.ticket else None}
        messages = []
        for c in out.calls:
            messages.append((self.topics.call, {"v": 1, "id": c.id, "number": c.number, "desk": c.desk,
                                                "service": c.service, "at": c.at, "recall": c.recall}, False))
        messages.append((reply_topic, reply, False))
        rows = self.ledger.commit(self.office.day, now, out, messages, (scope, cmd.id, reply), self._take_acked())
        log.info("desk %s %s%s", desk, cmd.action, f" {out.ticket.number}" if out.ticket else "")
        self._publish_rows(rows)
        for d in out.desks:
            self._publish(self.topics.desk_state(d.id), self.office.desk_state(d.id), retain=True)
        self._publish_queue_and_board(now)

    def _answer_repeat(self, scope: str, req_id: str, reply_topic: str) -> bool:
        """A repeated id gets the SAME answer again and changes nothing."""
        reply = self.ledger.reply_for(scope, req_id)
        if reply is None:
            return False
        log.info("repeated %s id=%s: answered again", scope, req_id)
        self._publish(reply_topic, reply)
        return True

    # ------------------------------------------------------------ publishing

    def _publish(self, topic: str, payload: dict, retain: bool = False) -> None:
        if self.link is not None:
            self.link.publish(topic, payload, retain=retain)

    def _publish_rows(self, rows: list[tuple[int, str, str, bool]]) -> None:
        if self.link is None:
            return
        for seq, topic, data, retain in rows:
            self.link.publish(topic, data.encode("utf-8"), retain=retain,
                              on_delivered=lambda ok, reason, seq=seq: self._delivered(seq))

    def _delivered(self, seq: int) -> None:
        with self._acked_lock:
            self._acked.append(seq)

    def _publish_queue_and_board(self, now: int) -> None:
        self._publish(self.topics.queue, self.office.queue_state(now), retain=True)
        self._publish(self.topics.board, self.office.board(now), retain=True)

    def _publish_state(self) -> None:
        """Every retained topic from the ledger's truth (after connect, a new day, a reload)."""
        now = self.clock()
        for d in self.office.desks:
            self._publish(self.topics.desk_state(d), self.office.desk_state(d), retain=True)
        self._publish_queue_and_board(now)
        self.today.tick(self, force=True)

    # ------------------------------------------------------------ reload

    def _reload(self, path: str) -> None:
        try:
            cfg = site_config.load(path)
        except ConfigError as e:
            log.error("reload refused, keeping the running config: %s", e)
            return
        if cfg.site_id != self.cfg.site_id:
            log.error("reload refused: site.id changed from %s to %s (needs a restart and new provisioning)",
                      self.cfg.site_id, cfg.site_id)
            return
        removed = [d for d in self.office.desks if cfg.desk(d) is None]
        self.cfg = cfg
        added = self.office.reconfigure(cfg)
        now = self.clock()
        if added:
            self.ledger.commit(self.office.day, now, Outcome(desks=added))
        for d in removed:
            self._publish(self.topics.desk_state(d), b"", retain=True)  # clears the retained state
        log.info("reloaded %s: %d services, %d desks (%d added, %d removed)", path, len(cfg.services),
                 len(cfg.desks), len(added), len(removed))
        self._publish_state()


_ID_RE = re.compile(r"^[\x21-\x7e]{1,64}$")


def _safe_id(obj: dict) -> str | None:
    """The request id to echo in an error reply, when it is a well-formed one."""
    v = obj.get("id")
    return v if isinstance(v, str) and _ID_RE.match(v) else None
