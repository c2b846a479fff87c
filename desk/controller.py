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
from typing import Any, Callable

from aufruf import config as site_config
from aufruf import protocol
from aufruf.config import SiteConfig
from aufruf.errors import ConfigError, PayloadError
from aufruf.link import MqttLink, now_ms

from . import checkin, retention
from . import drop_dir as drop_dir_mod
from .dispatch import Office, Outcome, Refused
from .ledger import Ledger
from .today import TodayFeed

log = logging.getLogger("aufruf.desk")

REQUESTS_KEPT_MS = 2 * 86_400_000
MAX_BATCH = 64
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
        self.drops = drop_dir_mod.DropDir()  # appointment CSV files from a calendar ([appointments] drop_dir)

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
                item = self._q.get(timeout=IDLE_CLEANUP_S)
            except queue.Empty:
                self._idle()
                continue
            try:
                if item[0] == "msg":
                    self._check_day()
                    self._handle_batch(self._drain(item))
                elif item[0] == "resync":
                    self._publish_state()
                elif item[0] == "reload":
                    self._reload(item[1])
                elif item[0] == "call":
                    item[1]()
                elif item[0] == "stop":
                    break
            except Exception:  # noqa: BLE001 - one bad message must never stop the controller
                log.exception("handling %s failed; reloading the queue state from the ledger", item[0])
                self.office = self._load_office()

    def _drain(self, first: tuple) -> list[tuple[str, bytes]]:
        """The first message and whatever else is already waiting (up to MAX_BATCH): one commit for all."""
        batch = [(first[1], first[2])]
        while len(batch) < MAX_BATCH:
            try:
                item = self._q.get_nowait()
            except queue.Empty:
                break
            if item[0] != "msg":
                self._q.put(item)  # control items run after this batch
                break
            batch.append((item[1], item[2]))
        return batch

    def run_in_worker(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the worker thread (tests and tools that need a consistent view)."""
        self._q.put(("call", fn, None))

    def _idle(self) -> None:
        self._check_day()
        self.drops.poll(self.cfg, self.ledger, self.office.day, self.clock())
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

    def _handle_batch(self, items: list[tuple[str, bytes]]) -> None:
        """Apply messages to the queue state, commit them in ONE transaction, then publish."""
        b = Batch()
        for topic, payload in items:
            self._handle(b, topic, payload)
            self.handled += 1
        rows = []
        if b.writes:
            rows = self.ledger.commit_many(self.office.day, self.clock(), b.outcomes, b.messages, b.requests,
                                           self._take_acked(), statements=b.statements)
        for line in b.log:
            line()
        self._publish_rows(rows)
        for topic, payload in b.direct:
            self._publish(topic, payload)
        for d in sorted(b.desks):
            if d in self.office.desks:
                self._publish(self.topics.desk_state(d), self.office.desk_state(d), retain=True)
        self._publish_arrivals(b.desks | b.arrival_desks | checkin.desks_of(self.cfg, self.ledger, self.office.day,
                                                                             b.outcomes))
        if b.state_changed:
            self._publish_queue_and_board(self.clock())
            self.today.tick(self)  # at most every 10 s, also under a load that never leaves the worker idle

    def _handle(self, b: "Batch", topic: str, payload: bytes) -> None:
        try:
            kind, dev = self.topics.parse(topic)
        except PayloadError as e:
            log.warning("ignored message on %s: %s", topic, e)
            return
        if kind == "kiosk/request":
            self._on_request(b, dev, payload)
        elif kind == "kiosk/printed":
            self._on_printed(b, dev, payload)
        elif kind == "desk/command":
            self._on_command(b, dev, payload)

    def _refuse(self, b: "Batch", reply_topic: str | None, req_id: str | None, reason: str, where: str) -> None:
        """An answer that is not stored: the message could not even be read as a request."""
        log.warning("refused %s%s: %s", where, f" id={req_id}" if req_id else "", reason)
        if reply_topic:
            b.direct.append((reply_topic, protocol.error_reply(req_id, reason)))

    def _reply_topic(self, builder: Callable[[str], str], dev: str) -> str | None:
        try:
            return builder(dev)
        except PayloadError:
            return None

    def _read(self, b: "Batch", payload: bytes, check: Callable[[dict], Any], reply_topic: str | None,
              where: str) -> Any:
        """Decode and check a request or command; a bad one is answered (with its id, if readable): None."""
        obj = None
        try:
            obj = protocol.decode(payload)
            return check(obj)
        except PayloadError as e:
            self._refuse(b, reply_topic, _safe_id(obj) if obj else None, str(e), where)
            return None

    def _on_request(self, b: "Batch", kiosk: str, payload: bytes) -> None:
        reply_topic = self._reply_topic(self.topics.ticket, kiosk)
        where = f"kiosk/{kiosk}/request"
        checked = self._read(b, payload, protocol.check_request_or_checkin, reply_topic, where)
        if checked is None:
            return
        is_checkin = isinstance(checked, protocol.Checkin)
        req_id, service, priority = (checked.id, "", False) if is_checkin else checked
        if reply_topic is None or (kiosk != "info" and self.cfg.kiosk(kiosk) is None):
            return self._refuse(b, reply_topic, req_id, f"unknown kiosk {kiosk}", where)
        scope = f"kiosk/{kiosk}"
        if self._answer_repeat(b, scope, req_id, reply_topic):
            return
        if is_checkin:
            return self._on_checkin(b, kiosk, checked, scope, reply_topic)
        now = self.clock()
        try:
            if priority and not (kiosk == "info" and self.cfg.info_desk.priority):
                raise Refused("priority tickets are only issued at the info desk")
            out = self.office.issue(service, now, kiosk, req_id, priority)
        except Refused as e:
            b.store(scope, req_id, reply_topic, protocol.error_reply(req_id, str(e)))
            b.log.append(lambda e=e: log.info("refused %s id=%s: %s", where, req_id, e))
            return
        t = out.ticket
        ticket = {"number": t.number, "service": t.service, "issued_at": t.issued_at, "ahead": t.ahead}
        if t.eta_min is not None:
            ticket["eta_min"] = t.eta_min
        if t.priority:
            ticket["priority"] = True
        b.outcomes.append(out)
        b.store(scope, req_id, reply_topic, {"v": 1, "id": req_id, "ok": True, "ticket": ticket})
        b.state_changed = True
        b.log.append(lambda: log.info("issued %s at kiosk %s (ahead %s, eta %s min)", t.number, kiosk, t.ahead,
                                      t.eta_min))

    def _on_checkin(self, b: "Batch", kiosk: str, c: protocol.Checkin, scope: str, reply_topic: str) -> None:
        """An appointment check-in (desk/checkin.py): answered, and committed with what it changed."""
        r = checkin.check_in(self.cfg, self.ledger, self.office, self.topics, b.appointments, kiosk, c.id, c.code,
                             self.clock())
        if r.outcome is not None:
            b.outcomes.append(r.outcome)
            b.state_changed = True
        b.statements.extend(r.statements)
        b.messages.extend(r.messages)
        if r.desk:
            b.arrival_desks.add(r.desk)
        b.store(scope, c.id, reply_topic, r.reply)
        b.log.append(lambda: log.info("check-in at kiosk %s id=%s: %s", kiosk, c.id, r.log))

    def _on_printed(self, b: "Batch", kiosk: str, payload: bytes) -> None:
        where = f"kiosk/{kiosk}/printed"
        checked = self._read(b, payload, protocol.check_printed, None, where)
        if checked is None:
            return
        req_id, number, ok, error = checked
        t = self.office.tickets.get(number)
        if t is None or t.kiosk != kiosk or t.request_id != req_id:
            return self._refuse(b, None, req_id, f"{number} was not issued to kiosk {kiosk} for request {req_id}",
                                where)
        out = self.office.printed(number, ok, self.clock())
        if not out.tickets:
            if not ok:
                log.info("print of %s failed at kiosk %s but it is already %s; kept", number, kiosk, t.state)
            return
        b.outcomes.append(out)
        b.state_changed = True
        b.log.append(lambda: log.warning("voided %s: kiosk %s could not print it (%s)", number, kiosk,
                                         error or "no reason given"))

    def _on_command(self, b: "Batch", desk: str, payload: bytes) -> None:
        reply_topic = self._reply_topic(self.topics.reply, desk)
        where = f"desk/{desk}/command"
        cmd = self._read(b, payload, protocol.check_command, reply_topic, where)
        if cmd is None:
            return
        if reply_topic is None:
            return self._refuse(b, None, cmd.id, f"unknown desk {desk}", where)
        scope = f"desk/{desk}"
        if self._answer_repeat(b, scope, cmd.id, reply_topic):
            return
        now = self.clock()
        action, number = cmd.action, cmd.number
        if action == "next" and self.office.desks.get(desk) and self.office.desks[desk].status != "paused":
            due = checkin.pick_for_next(self.cfg, self.ledger, self.office, desk, now)  # appointments first
            if due:
                action, number = "call", due
        try:
            out = self.office.command(desk, action, now, service=cmd.service, number=number,
                                      call_id=uuid.uuid4().hex[:16])
        except Refused as e:
            b.store(scope, cmd.id, reply_topic, protocol.error_reply(cmd.id, str(e)))
            b.log.append(lambda e=e: log.info("refused %s at desk %s id=%s: %s", cmd.action, desk, cmd.id, e))
            return
        for c in out.calls:
            event = {"v": 1, "id": c.id, "number": c.number, "desk": c.desk, "service": c.service, "at": c.at,
                     "recall": c.recall}
            if c.priority:
                event["priority"] = True
            b.messages.append((self.topics.call, event, False))
        number = out.ticket.number if out.ticket else None
        b.outcomes.append(out)
        b.store(scope, cmd.id, reply_topic, {"v": 1, "id": cmd.id, "ok": True, "ticket": number})
        b.desks.update(d.id for d in out.desks)
        b.state_changed = True
        b.log.append(lambda: log.info("desk %s %s%s", desk, cmd.action, f" {number}" if number else ""))

    def _answer_repeat(self, b: "Batch", scope: str, req_id: str, reply_topic: str) -> bool:
        """A repeated id gets the SAME answer again and changes nothing."""
        reply = b.replies.get((scope, req_id)) or self.ledger.reply_for(scope, req_id)
        if reply is None:
            return False
        log.info("repeated %s id=%s: answered again", scope, req_id)
        b.direct.append((reply_topic, reply))
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

    def _publish_arrivals(self, desks: set[str]) -> None:
        """Retained ``desk/<desk>/arrivals``: the desk's checked-in appointments (sites with appointments)."""
        if self.cfg.appointments is None:
            return
        for d in sorted(desks):
            if d in self.office.desks:
                self._publish(self.topics.arrivals(d), checkin.arrivals(self.cfg, self.ledger, self.office, d,
                                                                        self.clock()), retain=True)

    def _publish_state(self) -> None:
        """Every retained topic from the ledger's truth (after connect, a new day, a reload)."""
        now = self.clock()
        for d in self.office.desks:
            self._publish(self.topics.desk_state(d), self.office.desk_state(d), retain=True)
        self._publish_arrivals(set(self.office.desks))
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


class Batch:
    """What a run of messages changed, committed together before anything is published."""

    def __init__(self) -> None:
        self.outcomes: list[Outcome] = []
        self.messages: list[tuple[str, dict, bool]] = []           # outbox rows
        self.requests: list[tuple[str, str, dict]] = []            # (scope, id, reply) for idempotency
        self.replies: dict[tuple[str, str], dict] = {}
        self.direct: list[tuple[str, dict]] = []                   # answers that are not stored
        self.desks: set[str] = set()
        self.arrival_desks: set[str] = set()                       # desks whose appointments checked in
        self.appointments: dict = {}                               # (day, code) -> appointment changed here
        self.statements: list[tuple[str, list]] = []               # appointment rows, in the same commit
        self.state_changed = False
        self.log: list[Callable[[], None]] = []                    # log lines, written after the commit

    def store(self, scope: str, req_id: str, reply_topic: str, reply: dict) -> None:
        """A reply that is committed (outbox + idempotency record) and then published."""
        self.requests.append((scope, req_id, reply))
        self.replies[(scope, req_id)] = reply
        self.messages.append((reply_topic, reply, False))

    @property
    def writes(self) -> bool:
        return bool(self.outcomes or self.messages or self.requests or self.statements)


_ID_RE = re.compile(r"^[\x21-\x7e]{1,64}$")


def _safe_id(obj: dict) -> str | None:
    """The request id to echo in an error reply, when it is a well-formed one."""
    v = obj.get("id")
    return v if isinstance(v, str) and _ID_RE.match(v) else None
