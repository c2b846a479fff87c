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
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable

from aufruf import config as site_config
from aufruf import protocol, ticketkey
from aufruf.config import SiteConfig
from aufruf.errors import ConfigError, LedgerError, PayloadError
from aufruf.link import MqttLink, now_ms

from . import checkin, history, retention, stats
from . import drop_dir as drop_dir_mod
from .alarms import Alarm, AlarmBook
from .dispatch import PAUSED, Office, Outcome, Refused, ServiceClosed
from .issuing import CLOSE, REOPEN
from .keypad import PAUSE_RESUME, KeyCommand
from .ledger import Change, Ledger, RowChanged, change, problem
from .today import TodayFeed

log = logging.getLogger(__name__)

REQUESTS_KEPT_MS = 2 * 86_400_000
MAX_BATCH = 64
STUCK_AFTER_S = 30.0   # the worker counts as stuck (no watchdog ping) after this long on one item
IDLE_CLEANUP_S = 1.0
QUIET_S = 0.05  # no message for this long: the worker is quiet enough for stats/today (desk/today.py)
LEDGER_RETRY_S = 1.0   # while the ledger cannot be written, a small write tries it this often
MAX_HELD = 1000        # print reports kept while the ledger cannot be written (they carry no answer)
LEDGER_ERRORS = (sqlite3.Error, LedgerError, OSError)


class Controller:
    """Wires ledger, queue rules and the MQTT link; ``start()`` runs it on its own thread."""

    def __init__(self, cfg: SiteConfig, ledger: Ledger, link: MqttLink | None = None,
                 clock: Callable[[], int] = now_ms, controller_id: str = "main", *,
                 on_reloaded: Callable[[SiteConfig], None] | None = None, ticket_secret: bytes | None = None,
                 on_alarm: Callable[[str, Alarm, int], None] | None = None):
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
        self.ledger_error: str | None = None    # why the ledger cannot be written now (worker's own state)
        self._health: dict[str, str] = {"ledger": "ok"}  # its snapshot for other threads (replaced, never changed)
        self._ledger_retry_at = 0.0
        self._office_stale = False               # the queue state could not be reloaded after a failed write
        self._held: list[tuple[str, bytes]] = []  # print reports of failed batches, handled again on recovery
        self.today = TodayFeed(publish=lambda msg: self._publish(self.topics.stats_today, msg, retain=True),
                               summarize=self._today_summary)  # retained stats/today
        self.ticket_secret = ticket_secret  # the key behind each ticket's QR (aufruf/ticketkey.py)
        self.on_alarm = on_alarm  # (event "raised"/"cleared", alarm, active count) on the worker, after the commit
        self._closed_seen: dict | None = None  # the services' closed reasons last published in queue
        self._checkpointed_at = -1  # self.handled at the last idle WAL checkpoint
        self._lines_sent: dict[str, tuple] = {}  # per service, the content of the line/<service> last published
        self._day_seen: tuple[object, int, str] = (None, -1, "")  # (cfg, minute, its service day)
        self.office = self._load_office()
        self.link = link
        self._on_reloaded = on_reloaded
        # what the controller's status says; replaced (never changed) by the worker, read by the status thread
        self.status_fields: dict[str, Any] = {"day": self.office.day,
                                              "waiting": {s.key: self.office.waiting(s.key) for s in cfg.services}}
        self.drops = drop_dir_mod.DropDir()  # appointment CSV files from a calendar ([appointments] drop_dir)
        self.import_status: dict[str, Any] = {}

    # ------------------------------------------------------------ wiring

    @classmethod
    def subscriptions(cls, site: str) -> tuple[str, ...]:
        t = protocol.Topics(site)
        return (t.all_requests, t.all_printed, t.all_commands, t.all_web_commands, t.all_staff_commands)

    def attach(self, link: MqttLink) -> None:
        """Use ``link`` (made with :meth:`subscriptions`, :meth:`on_message` and :meth:`on_connected`).

        A link made with ``network_thread=False`` is driven by the worker: it polls the network
        while it waits for work, and its publishes go out from its own thread.
        """
        self.link = link

    def _post(self, item: object) -> None:
        """Any thread: work for the worker (woken from its network wait when it drives the link)."""
        self._q.put(item)
        link = self.link
        if link is not None and link.driven:
            link.wake()

    def _next_item(self, timeout: float) -> object | None:
        """The next piece of work, None after ``timeout`` s without any; the network is served meanwhile."""
        link = self.link
        if link is None or not link.driven:
            try:
                return self._q.get(timeout=timeout)
            except queue.Empty:
                return None
        self._poll(link, 0)  # what the last item published goes out now; what arrived meanwhile comes in
        deadline = time.monotonic() + timeout
        while True:
            try:
                return self._q.get_nowait()
            except queue.Empty:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._poll(link, left)

    def _poll(self, link: MqttLink, timeout: float) -> None:
        try:
            link.poll(timeout)
        except Exception:  # noqa: BLE001 - the network's trouble must never stop the worker
            log.exception("the MQTT link failed; trying again")
            time.sleep(min(timeout, 0.5))

    def on_message(self, topic: str, payload: bytes, retained: bool) -> None:
        """The network's thread (the worker's own when it drives the link): hand the message to the worker."""
        self._post(Incoming(topic, payload))

    def on_connected(self) -> None:
        """The network's thread, after every (re)connect: the worker republishes every retained topic."""
        self._post(Resync())

    def keypad(self, cmd: KeyCommand) -> None:
        """A local USB keypad's thread: the worker turns the key into a desk command."""
        self._post(KeypadInput(cmd))

    def request_reload(self, path: str) -> None:
        """Re-read the site file (SIGHUP); a file with errors is refused and the old one kept."""
        self._post(Reload(path))

    @property
    def alive(self) -> bool:
        """The worker thread runs and is not stuck on one item (for the watchdog)."""
        return (self._thread is not None and self._thread.is_alive()
                and time.monotonic() - self.healthy_at < STUCK_AFTER_S)

    @property
    def running(self) -> bool:
        """The worker thread runs (stuck or not): when it does not, nobody answers (any thread)."""
        return self._thread is not None and self._thread.is_alive()

    def ledger_health(self) -> dict[str, str]:
        """``{"ledger": "ok"}`` or ``{"ledger": "error", "ledger_error": why}`` (any thread: a snapshot)."""
        return self._health

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="controller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._post(Stop())
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
                    self.ledger.durations(self.cfg.eta_window), self.ledger.overrides(day))
        self._skip_issued(office)
        self.alarms = AlarmBook(self.ledger.alarms(active=True))  # an uncleared alarm outlives a restart
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
        except LEDGER_ERRORS as e:  # e.g. the day roll-over could not be written: retried when idle
            self._ledger_failed(e, "start-up")
            self._reload_office()
        except Exception:  # noqa: BLE001
            log.exception("start-up republish failed")
        while not self._stop.is_set():
            self.healthy_at = time.monotonic()
            figures_due = self.today.due(self.clock(), self.handled)
            item = self._next_item(QUIET_S if figures_due else IDLE_CLEANUP_S)
            try:
                if item is None and figures_due:  # a quiet moment: the day's figures keep no command waiting
                    self.today.tick(self.clock(), self.handled)
                elif item is None:
                    self._idle()
                elif isinstance(item, Incoming):
                    self._on_batch(lambda item=item: self._drain(item))
                elif isinstance(item, KeypadInput):
                    self._on_batch(lambda item=item: [self._keypad_message(item.cmd)])
                elif isinstance(item, Resync):
                    self._publish_state()
                elif isinstance(item, Reload):
                    self._reload(item.path)
                elif isinstance(item, RunInWorker):
                    item.fn()
                elif isinstance(item, Stop):
                    break
            except LEDGER_ERRORS as e:  # a write of the idle work, a reload, a read: the worker goes on
                self._ledger_failed(e, type(item).__name__ if item is not None else "idle work")
                self._reload_office()
            except Exception:  # noqa: BLE001 - one bad message must never stop the controller
                log.exception("handling %s failed; reloading the queue state from the ledger", type(item).__name__)
                self._reload_office()

    # ------------------------------------------------------------ ledger health

    def _reload_office(self) -> None:
        """Throw the in-memory state away and rebuild it from the ledger (after a failed write)."""
        try:
            self.office = self._load_office()
            self._office_stale = False
        except LEDGER_ERRORS as e:
            self._office_stale = True  # nothing is committed from a stale state; retried with every batch
            self._ledger_failed(e, "reloading the queue state")

    def _ledger_failed(self, e: BaseException, doing: str) -> None:
        reason = problem(e, self.ledger.dir)
        self._ledger_retry_at = time.monotonic() + LEDGER_RETRY_S
        if reason == self.ledger_error:
            log.debug("the ledger still cannot be written (%s): %s", doing, reason)
            return
        log.error("the ledger cannot be written (%s): %s; requests are answered ok:false until it can, "
                  "retrying every %.0f s", doing, reason, LEDGER_RETRY_S)
        self.ledger_error = reason
        self._health = {"ledger": "error", "ledger_error": reason}
        self._status_changed()

    def _ledger_ok(self) -> None:
        if self.ledger_error is None:
            return
        log.warning("the ledger can be written again (it could not: %s)", self.ledger_error)
        self.ledger_error = None
        self._health = {"ledger": "ok"}
        self._status_changed()
        held, self._held = self._held, []
        for topic, payload in held:
            self._q.put(Incoming(topic, payload))

    def _status_changed(self) -> None:
        if self.link is not None:
            try:
                self.link.publish_status_now()
            except Exception:  # noqa: BLE001 - the status is best effort, the worker goes on
                log.exception("status publish failed")

    def _drain(self, first: "Incoming") -> list[tuple[str, bytes]]:
        """The first message and whatever else is already waiting (up to MAX_BATCH): one commit for all."""
        batch = [(first.topic, first.payload)]
        while len(batch) < MAX_BATCH:
            try:
                item = self._q.get_nowait()
            except queue.Empty:
                break
            if not isinstance(item, Incoming):
                self._q.put(item)  # control items run after this batch
                break
            batch.append((item.topic, item.payload))
        return batch

    def run_in_worker(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the worker thread (tests and tools that need a consistent view)."""
        self._post(RunInWorker(fn))

    def _idle(self) -> None:
        if self._office_stale:
            self._reload_office()
        self._check_day()
        handled = self.drops.poll(self.cfg, self.ledger, self.office.day, self.clock())
        if handled:  # staff see the last import (and why a file was refused) in the controller's status
            last = handled[-1]
            self.import_status = {"appointments_import": {"file": last.file[:80], "ok": last.ok,
                                                          "result": last.result[:300], "at": self.clock()}}
            self.status_fields = {**self.status_fields, **self.import_status}
            self._status_changed()
        acked = self._take_acked()
        if acked:
            try:
                self.ledger.delete_acked(acked)
            except BaseException:
                self._return_acked(acked)  # deleted on a later try; never lost (they would be published again)
                raise
            self._ledger_ok()
        elif self.ledger_error is not None and time.monotonic() >= self._ledger_retry_at:
            self.ledger.check_writable(self.clock())
            self._ledger_ok()
        self.today.tick(self.clock(), self.handled)
        if self.handled != self._checkpointed_at:  # a quiet second: the WAL's copying happens now
            self.ledger.checkpoint()
            self._checkpointed_at = self.handled
        if self.office.closed_map(self.clock()) != self._closed_seen:  # opening hours, last ticket, ... passed
            self._publish_queue_and_board(self.clock())

    def _return_acked(self, acked: list[int]) -> None:
        with self._acked_lock:
            self._acked[:0] = acked

    def _skip_issued(self, office: Office) -> None:
        """After a restore: the numbers issued today before it (``--numbers-after``) are never issued again."""
        for service, last in self.ledger.numbers_after(office.day).items():
            office.last_seq[service] = max(office.last_seq.get(service, 0), last)

    def _take_acked(self) -> list[int]:
        with self._acked_lock:
            acked, self._acked = self._acked, []
        return acked

    def _service_day(self, now: int) -> str:
        """``cfg.service_day(now)``, worked out once a minute: it runs before every batch, and a day
        starts on a whole minute of local time (``site.day_starts``; UTC offsets are whole minutes)."""
        cfg, minute, day = self._day_seen
        if cfg is not self.cfg or minute != now // 60_000:
            day = self.cfg.service_day(now)
            self._day_seen = (self.cfg, now // 60_000, day)
        return day

    def _check_day(self) -> None:
        now = self.clock()
        day = self._service_day(now)
        if day <= self.office.day:  # a clock jumping back never reopens an old day
            return
        old = self.office.day
        out = self.office.roll_over(day, now)
        self._skip_issued(self.office)
        self.ledger.commit(old, now, out)  # the expired tickets belong to the old day
        self._publish_tickets(out.tickets, old)
        self.ledger.forget_requests(now - REQUESTS_KEPT_MS)
        retention.on_new_day(self.ledger.db, self.cfg, old, day, now)  # aggregate the old day, delete old rows
        log.info("new service day %s: %d open tickets expired, numbers restart", day, len(out.tickets))
        self._publish_state()

    # ------------------------------------------------------------ messages

    def _on_batch(self, items: Callable[[], list[tuple[str, bytes]]]) -> None:
        """A run of messages; when the day roll-over or the state cannot be had, they are answered ok:false."""
        blocked: BaseException | None = None
        if self._office_stale:
            self._reload_office()
        try:
            self._check_day()
        except LEDGER_ERRORS as e:
            blocked = e
            self._reload_office()  # back to the old day as the ledger has it; the roll-over is tried again
        if self._office_stale and blocked is None:
            blocked = LedgerError(self.ledger_error or "the queue state cannot be read from the ledger")
        self._handle_batch(items(), blocked)

    def _handle_batch(self, items: list[tuple[str, bytes]], blocked: BaseException | None = None) -> None:
        """Apply messages to the queue state, commit them in ONE transaction, then publish."""
        b = Batch()
        for topic, payload in items:
            self._handle(b, topic, payload)
            self.handled += 1
        rows = []
        if b.writes:
            acked = self._take_acked()
            try:
                if blocked is not None:
                    raise blocked
                rows = self.ledger.commit_many(self.office.day, self.clock(), b.outcomes, b.messages, b.requests,
                                               acked, statements=b.statements)
            except RowChanged as e:  # an appointment changed by another process meanwhile: nothing committed
                self._return_acked(acked)
                log.warning("%s: the batch is answered 'try again'", e)
                self._reload_office()
                stored = {id(reply): rid for (_, rid), reply in b.replies.items()}
                for topic, payload, _ in b.messages:
                    if id(payload) in stored:
                        self._publish(topic, protocol.Refusal(stored[id(payload)], "changed meanwhile: try again"))
                return
            except LEDGER_ERRORS as e:
                self._return_acked(acked)
                self._batch_failed(b, items, e)
                return
            self._ledger_ok()
        for line in b.log:  # logged before it is answered: whoever got the answer finds its line
            line()
        self._publish_rows(rows)
        for topic, payload in b.direct:
            self._publish(topic, payload)
        now = self.clock()
        if b.state_changed:  # the hall's board with them: it is what people wait for
            self._publish_board(now)
        self._flush()  # replies, calls and the board in one write, before the rest is even encoded
        for event, alarm in b.alarm_events:
            self._alarm_hook(event, alarm)
        if b.state_changed:
            self._publish_queue(now)
        for d in sorted(b.desks):
            if d in self.office.desks:
                self._publish(self.topics.desk_state(d), self.office.desk_state(d), retain=True)
        self._publish_tickets(t for ch in b.outcomes for t in ch.outcome.tickets)
        self._publish_arrivals(b.desks | b.arrival_desks | checkin.desks_of(self.cfg, self.ledger, self.office.day,
                                                                             [ch.outcome for ch in b.outcomes]))
        if b.state_changed and self.today.overdue(self.clock(), self.handled):  # a load that is never quiet
            self.today.tick(self.clock(), self.handled)

    def _batch_failed(self, b: "Batch", items: list[tuple[str, bytes]], e: BaseException) -> None:
        """Nothing of the batch was written: forget it, and say so to everyone who waits for an answer."""
        self._ledger_failed(e, "a batch of requests and commands")
        self._reload_office()
        why = f"the ledger cannot be written: {self.ledger_error or problem(e, self.ledger.dir)}"
        stored = {id(reply): rid for (_, rid), reply in b.replies.items()}
        for topic, payload, _ in b.messages:
            if id(payload) in stored:   # a reply that would have been stored: it promised what is not kept
                self._publish(topic, protocol.Refusal(stored[id(payload)], why))
        for topic, payload in b.direct:
            if id(payload) not in stored:  # refusals of bad input and earlier answers from the ledger stand
                self._publish(topic, payload)
        for topic, payload in items:
            if topic.endswith("/printed") and len(self._held) < MAX_HELD:
                self._held.append((topic, payload))  # no one waits for an answer: handled again on recovery
        log.warning("%d messages not carried out, the ledger cannot be written; %d answered ok:false",
                    len(items), len(b.replies))

    def _handle(self, b: "Batch", topic: str, payload: bytes) -> None:
        try:
            route = self.topics.parse(topic)
        except PayloadError as e:
            log.warning("ignored message on %s: %s", topic, e)
            return
        kind, dev = route.kind, route.device
        if kind == "kiosk/request":
            self._on_request(b, dev, payload)
        elif kind == "kiosk/printed":
            self._on_printed(b, dev, payload)
        elif kind == "desk/command":
            self._on_command(b, dev, payload)
        elif kind == "web/command":
            self._on_web_command(b, dev, payload)
        elif kind == "staff/command":
            self._on_staff(b, dev, payload)

    def _refuse(self, b: "Batch", reply_topic: str | None, req_id: str | None, reason: str, where: str) -> None:
        """An answer that is not stored: the message could not even be read as a request."""
        log.warning("refused %s%s: %s", where, f" id={req_id}" if req_id else "", reason)
        if reply_topic:
            b.direct.append((reply_topic, protocol.Refusal(req_id, reason)))

    def _reply_topic(self, builder: Callable[[str], str], dev: str) -> str | None:
        try:
            return builder(dev)
        except PayloadError:
            return None

    def _read(self, b: "Batch", payload: bytes, message: type[protocol.Message], reply_topic: str | None,
              where: str) -> Any:
        """Decode and check a request or command; a bad one is answered (with its id, if readable): None."""
        obj = None
        try:
            obj = protocol.decode(payload)
            return message.from_dict(obj)
        except PayloadError as e:
            self._refuse(b, reply_topic, _safe_id(obj) if obj else None, str(e), where)
            return None

    def _on_request(self, b: "Batch", kiosk: str, payload: bytes) -> None:
        reply_topic = self._reply_topic(self.topics.ticket, kiosk)
        where = f"kiosk/{kiosk}/request"
        req = self._read(b, payload, protocol.KioskRequest, reply_topic, where)
        if req is None:
            return
        is_checkin = isinstance(req, protocol.CheckinRequest)
        req_id, service, priority = (req.id, "", False) if is_checkin else (req.id, req.service, req.priority)
        if reply_topic is None or (kiosk != "info" and self.cfg.kiosk(kiosk) is None):
            return self._refuse(b, reply_topic, req_id, f"unknown kiosk {kiosk}", where)
        scope = f"kiosk/{kiosk}"
        if self._answer_repeat(b, scope, req_id, reply_topic):
            return
        now = self.clock()
        if self._expired(b, scope, req, reply_topic, now, where,
                         protocol.CheckinReply if is_checkin else protocol.TicketReply):
            return
        if is_checkin:
            return self._on_checkin(b, kiosk, req, scope, reply_topic)
        try:
            if priority and kiosk != "info":
                raise Refused("priority tickets are only issued at the info desk")
            if priority and not self.cfg.info_desk.priority:
                raise Refused("priority tickets are off at this site ([info_desk] priority = false)")
            if req.force and kiosk != "info":
                raise Refused("only the info desk may issue past a closed service")
            out = self.office.issue(service, now, kiosk, req_id, priority, force=req.force)
        except ServiceClosed as e:  # the kiosk shows "closed", not a fault (docs/rules.md)
            b.store(scope, req_id, reply_topic, protocol.TicketReply(req_id, error=str(e), closed=e.closed.reason))
            b.log.append(lambda e=e: log.info("refused %s id=%s: %s", where, req_id, e))
            return
        except Refused as e:
            b.store(scope, req_id, reply_topic, protocol.TicketReply(req_id, error=str(e)))
            b.log.append(lambda e=e: log.info("refused %s id=%s: %s", where, req_id, e))
            return
        t = out.ticket
        key = None
        if self.ticket_secret is not None:  # for the QR to the ticket page (docs/web.md)
            key = ticketkey.ticket_key(self.ticket_secret, self.cfg.site_id, self.office.day, t.number)
        ticket = protocol.TicketInfo(t.number, t.service, t.issued_at, t.ahead, t.eta_min, t.priority, key)
        b.outcomes.append(change(out, now))
        b.store(scope, req_id, reply_topic, protocol.TicketReply(req_id, ticket))
        b.state_changed = True
        b.log.append(lambda: log.info("issued %s at kiosk %s (ahead %s, eta %s min)", t.number, kiosk, t.ahead,
                                      t.eta_min))
        if any(e[0] == "forced" for e in out.events):
            b.log.append(lambda: log.warning("issued %s by hand at the info desk although service %s is closed",
                                             t.number, t.service))

    def _on_checkin(self, b: "Batch", kiosk: str, c: protocol.CheckinRequest, scope: str, reply_topic: str) -> None:
        """An appointment check-in (desk/checkin.py): answered, and committed with what it changed."""
        now = self.clock()
        r = checkin.check_in(self.cfg, self.ledger, self.office, self.topics, b.appointments, kiosk, c.id, c.code,
                             now)
        if r.outcome is not None:
            b.outcomes.append(change(r.outcome, now))
            b.state_changed = True
        b.statements.extend(r.statements)
        b.messages.extend(r.messages)
        if r.desk:
            b.arrival_desks.add(r.desk)
        b.store(scope, c.id, reply_topic, r.reply)
        b.log.append(lambda: log.info("check-in at kiosk %s id=%s: %s", kiosk, c.id, r.log))

    def _on_printed(self, b: "Batch", kiosk: str, payload: bytes) -> None:
        where = f"kiosk/{kiosk}/printed"
        report = self._read(b, payload, protocol.PrintReport, None, where)
        if report is None:
            return
        req_id, number, ok, error = report.id, report.number, report.ok, report.error
        t = self.office.tickets.get(number)
        if t is None or t.kiosk != kiosk or t.request_id != req_id:
            return self._refuse(b, None, req_id, f"{number} was not issued to kiosk {kiosk} for request {req_id}",
                                where)
        now = self.clock()
        out = self.office.printed(number, ok, now)
        if not out.tickets:
            if not ok:
                log.info("print of %s failed at kiosk %s but it is already %s; kept", number, kiosk, t.state)
            return
        b.outcomes.append(change(out, now))
        b.state_changed = True
        b.log.append(lambda: log.warning("voided %s: kiosk %s could not print it (%s)", number, kiosk,
                                         error or "no reason given"))

    def _on_command(self, b: "Batch", desk: str, payload: bytes) -> None:
        reply_topic = self._reply_topic(self.topics.reply, desk)
        where = f"desk/{desk}/command"
        cmd = self._read(b, payload, protocol.Command, reply_topic, where)
        if cmd is None:
            return
        if reply_topic is None:
            return self._refuse(b, None, cmd.id, f"unknown desk {desk}", where)
        scope = f"desk/{desk}"
        if self._answer_repeat(b, scope, cmd.id, reply_topic):
            return
        now = self.clock()
        if self._expired(b, scope, cmd, reply_topic, now, where, protocol.CommandReply):
            return
        if cmd.action == "alarm":
            return self._raise_alarm(b, scope, cmd, desk, reply_topic, now)
        action, number = cmd.action, cmd.number
        if action == "next" and self.office.desks.get(desk) and self.office.desks[desk].status != PAUSED:
            due = checkin.pick_for_next(self.cfg, self.ledger, self.office, desk, now)  # appointments first
            if due:
                action, number = "call", due
        try:
            out = self.office.command(desk, action, now, service=cmd.service, number=number,
                                      call_id=uuid.uuid4().hex[:16])
        except Refused as e:
            b.store(scope, cmd.id, reply_topic, protocol.CommandReply(cmd.id, error=str(e)))
            b.log.append(lambda e=e: log.info("refused %s at desk %s id=%s: %s", cmd.action, desk, cmd.id, e))
            return
        for c in out.calls:
            event = protocol.CallEvent(c.id, c.number, c.desk, c.service, c.at, c.recall, c.priority)
            b.messages.append((self.topics.call, event, False))
        number = out.ticket.number if out.ticket else None
        b.outcomes.append(change(out, now))
        b.store(scope, cmd.id, reply_topic, protocol.CommandReply(cmd.id, number))
        b.desks.update(d.id for d in out.desks)
        b.state_changed = True
        b.log.append(lambda: log.info("desk %s %s%s", desk, cmd.action, f" {number}" if number else ""))

    def _on_web_command(self, b: "Batch", web: str, payload: bytes) -> None:
        """A ticket holder gives the ticket back through ``aufruf web`` (action ``leave``)."""
        reply_topic = self._reply_topic(self.topics.web_reply, web)
        where = f"web/{web}/command"
        cmd = self._read(b, payload, protocol.WebCommand, reply_topic, where)
        if cmd is None:
            return
        if reply_topic is None or self.cfg.web(web) is None:
            return self._refuse(b, reply_topic, cmd.id, f"unknown web {web}", where)
        scope = f"web/{web}"
        if self._answer_repeat(b, scope, cmd.id, reply_topic):
            return
        try:
            if self.ticket_secret is None or not ticketkey.key_ok(self.ticket_secret, self.cfg.site_id,
                                                                  self.office.day, cmd.number, cmd.key):
                raise Refused(f"no ticket {cmd.number} today")  # a wrong key: as if there were no such ticket
            now = self.clock()
            out = self.office.leave(cmd.number, now)
        except Refused as e:
            b.store(scope, cmd.id, reply_topic, protocol.CommandReply(cmd.id, error=str(e)))
            b.log.append(lambda e=e: log.info("refused %s id=%s: %s", where, cmd.id, e))
            return
        b.outcomes.append(change(out, now))
        b.store(scope, cmd.id, reply_topic, protocol.CommandReply(cmd.id, cmd.number))
        b.state_changed = True
        b.log.append(lambda: log.info("%s left the queue (ticket page)", cmd.number))

    def _keypad_message(self, key: KeyCommand) -> tuple[str, bytes]:
        """A local keypad's command as if it had come over MQTT (one path for every command)."""
        action = key.action
        if action == PAUSE_RESUME:
            d = self.office.desks.get(key.desk)
            action = "resume" if d is not None and d.status == "paused" else "pause"
        cmd = protocol.Command(f"kp{key.desk}-{uuid.uuid4().hex[:12]}", action, number=key.number, source=key.source)
        log.info("keypad of desk %s: %s", key.desk, action)
        return self.topics.command(key.desk), cmd.to_json()

    def _expired(self, b: "Batch", scope: str, msg: protocol.TicketRequest | protocol.Command, reply_topic: str,
                 now: int, where: str, reply: type[protocol.TicketReply] | type[protocol.CommandReply]) -> bool:
        """A command whose sender has given up (``sent_at`` too old) is answered and never carried out."""
        why = msg.expired(now)
        if why is None:
            return False
        b.store(scope, msg.id, reply_topic, reply(msg.id, error=why))
        b.log.append(lambda: log.warning("refused %s id=%s: %s", where, msg.id, why))
        return True
    # ------------------------------------------------------------ silent alarm and staff commands

    def _alarm_messages(self, b: "Batch", event: str, alarm: Alarm, now: int) -> None:
        """The staff-only event and the retained state, committed with the alarm row."""
        b.messages.append((self.topics.alarm_event, protocol.AlarmEvent(event, _alarm_info(alarm), now), False))
        b.messages.append((self.topics.alarm_state, self._alarm_state(now), True))
        b.alarm_events.append((event, alarm))

    def _alarm_state(self, now: int) -> protocol.AlarmState:
        return protocol.AlarmState(tuple(_alarm_info(a) for a in self.alarms.sorted_active()), now)

    def _raise_alarm(self, b: "Batch", scope: str, cmd: protocol.Command, desk: str, reply_topic: str,
                     now: int) -> None:
        """A desk's silent alarm: only the desk's own command topic can raise it (the ACL)."""
        if self.cfg.desk(desk) is None:
            b.store(scope, cmd.id, reply_topic, protocol.CommandReply(cmd.id, error=f"unknown desk {desk}"))
            return
        alarm, new = self.alarms.raise_alarm(desk, cmd.source or "keypad", now, uuid.uuid4().hex[:16])
        if new:
            b.outcomes.append(change(Outcome(alarms=[alarm]), now))
            self._alarm_messages(b, "raised", alarm, now)
            b.log.append(lambda: log.warning("SILENT ALARM at desk %s (%s)", desk, alarm.source))
        b.store(scope, cmd.id, reply_topic, protocol.CommandReply(cmd.id))

    def _on_staff(self, b: "Batch", dev: str, payload: bytes) -> None:
        """``staff/<device>/command``: close or reopen a service for today, clear alarms (docs/protocol.md)."""
        reply_topic = self._reply_topic(self.topics.staff_reply, dev)
        where = f"staff/{dev}/command"
        cmd = self._read(b, payload, protocol.StaffCommand, reply_topic, where)
        if cmd is None or reply_topic is None:
            return
        scope = f"staff/{dev}"
        if self._answer_repeat(b, scope, cmd.id, reply_topic):
            return
        now = self.clock()
        if self._expired(b, scope, cmd, reply_topic, now, where, protocol.StaffReply):
            return
        if cmd.action == "clear_alarm":
            if cmd.desk is not None and self.cfg.desk(cmd.desk) is None:
                b.store(scope, cmd.id, reply_topic, protocol.StaffReply(cmd.id, f"unknown desk {cmd.desk}"))
                return
            cleared = self.alarms.clear(cmd.desk, f"staff-{dev}", now)
            if cleared:
                b.outcomes.append(change(Outcome(alarms=cleared), now))
                for a in cleared:
                    self._alarm_messages(b, "cleared", a, now)
            b.store(scope, cmd.id, reply_topic, protocol.StaffReply(cmd.id, cleared=tuple(a.desk for a in cleared)))
            b.log.append(lambda: log.info("alarm cleared by staff-%s: %s", dev,
                                          ", ".join(f"desk {a.desk}" for a in cleared) or "none was active"))
            return
        state = CLOSE if cmd.action == "close_service" else REOPEN
        try:
            if state == CLOSE and cmd.reason and cmd.reason not in self.cfg.issuing.reasons:
                raise Refused(f"unknown reason {cmd.reason!r}; allowed (the site's [issuing.reasons]): "
                              f"{', '.join(self.cfg.issuing.reasons) or 'none configured'}")
            out = self.office.set_override(cmd.service, state, cmd.reason, now)
        except Refused as e:
            b.store(scope, cmd.id, reply_topic, protocol.StaffReply(cmd.id, str(e)))
            return
        b.outcomes.append(change(out, now))
        b.store(scope, cmd.id, reply_topic, protocol.StaffReply(cmd.id))
        b.state_changed = True
        b.log.append(lambda: log.info("service %s %s for today by staff-%s%s", cmd.service,
                                      "closed" if state == CLOSE else "reopened", dev,
                                      f": {cmd.reason}" if cmd.reason else ""))

    def _alarm_hook(self, event: str, alarm: Alarm) -> None:
        if self.on_alarm is None:
            return
        try:
            self.on_alarm(event, alarm, len(self.alarms.active))
        except Exception:  # noqa: BLE001 - a lamp or hook that fails must not stop the queue
            log.exception("alarm output for desk %s failed", alarm.desk)

    def _answer_repeat(self, b: "Batch", scope: str, req_id: str, reply_topic: str) -> bool:
        """A repeated id gets the SAME answer again and changes nothing."""
        reply = b.replies.get((scope, req_id)) or self.ledger.reply_for(scope, req_id)
        if reply is None:
            return False
        log.info("repeated %s id=%s: answered again", scope, req_id)
        b.direct.append((reply_topic, reply))
        return True

    # ------------------------------------------------------------ publishing

    def _publish(self, topic: str, payload: protocol.Message | bytes, retain: bool = False) -> None:
        """Replies at QoS 1; retained state at QoS 0: every connect republishes it (:meth:`_publish_state`)."""
        if self.link is not None:
            self.link.publish(topic, payload, retain=retain, qos=0 if retain else 1)

    def _flush(self) -> None:
        if self.link is not None and self.link.driven:
            self.link.flush()

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
        self._publish_board(now)
        self._flush()  # the hall's board first: the rest is for kiosks, ticket pages and staff
        self._publish_queue(now)

    def _publish_board(self, now: int) -> None:
        self._closed_seen = self.office.closed_map(now)
        self._publish(self.topics.board, self.office.board(now), retain=True)

    def _publish_queue(self, now: int) -> None:
        """What follows the board: ``queue``, the lines that changed, the status's figures."""
        self.status_fields = {"day": self.office.day,
                              "waiting": {s.key: self.office.waiting(s.key) for s in self.cfg.services},
                              **self.import_status}
        self._publish(self.topics.queue, self.office.queue_state(now, self._closed_seen), retain=True)
        self._publish_lines(now)

    def _publish_lines(self, now: int) -> None:
        """The retained ``line/<service>``: waiting numbers in call order, for the ticket pages.

        Only the lines that changed go out (a ticket of one service leaves the others' lines as
        they are); after a connect, a new day or a reload :meth:`_publish_state` sends every one.
        """
        for s in self.cfg.services:
            numbers, more = self.office.line_numbers(s.key, protocol.LINE_MAX)
            etas = tuple(self.office.line_etas(s.key, len(numbers)))
            content = (tuple(numbers), etas, more, self.office.open_desks(s.key) > 0)
            if self._lines_sent.get(s.key) == content:
                continue
            line = protocol.Line(s.key, *content, now)
            self._publish(self.topics.line(s.key), line, retain=True)
            self._lines_sent[s.key] = content

    def _publish_tickets(self, tickets, day: str | None = None) -> None:
        """The retained ``tickets/<number>`` of tickets whose state changed (numbers only)."""
        seen = set()
        for t in tickets:
            if t.number in seen:
                continue
            seen.add(t.number)
            at = t.finished_at or t.called_at or t.issued_at
            state = protocol.TicketState(t.number, day or self.office.day, t.queue, t.state,
                                         t.desk if t.state == "called" else None, at)
            self._publish(self.topics.ticket_state(t.number), state, retain=True)

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
        self._lines_sent = {}  # every line again, changed or not
        self._publish_queue_and_board(now)
        self._publish_tickets(self.office.tickets.values())
        self._publish(self.topics.alarm_state, self._alarm_state(now), retain=True)
        self.today.tick(now, self.handled, force=True)

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
        if self._on_reloaded is not None:
            self._on_reloaded(cfg)

    def _today_summary(self, now: int) -> protocol.StatsToday:
        """The retained ``stats/today`` from the ledger's rows of the day (worker thread)."""
        office, cfg = self.office, self.cfg
        figures = stats.today_figures(office.day, *history.today_rows(self.ledger.db, office.day))
        keys = [s.key for s in cfg.services]
        return stats.today_summary(cfg.site_id, cfg.name, figures, {k: office.waiting(k) for k in keys}, keys, now)


class Batch:
    """What a run of messages changed, committed together before anything is published."""

    def __init__(self) -> None:
        self.outcomes: list[Change] = []                                # each stamped with its own moment
        self.messages: list[tuple[str, protocol.Message, bool]] = []     # outbox rows
        self.requests: list[tuple[str, str, protocol.Message]] = []      # (scope, id, reply) for idempotency
        self.replies: dict[tuple[str, str], protocol.Message | bytes] = {}
        self.direct: list[tuple[str, protocol.Message | bytes]] = []     # answers that are not stored
        self.desks: set[str] = set()
        self.alarm_events: list[tuple[str, Alarm]] = []            # for the alarm outputs, after the commit
        self.arrival_desks: set[str] = set()                       # desks whose appointments checked in
        self.appointments: dict = {}                               # (day, code) -> appointment changed here
        self.statements: list[tuple[str, list]] = []               # appointment rows, in the same commit
        self.state_changed = False
        self.log: list[Callable[[], None]] = []                    # log lines, written after the commit

    def store(self, scope: str, req_id: str, reply_topic: str, reply: protocol.Message) -> None:
        """A reply that is committed (outbox + idempotency record) and then published."""
        self.requests.append((scope, req_id, reply))
        self.replies[(scope, req_id)] = reply
        self.messages.append((reply_topic, reply, False))

    @property
    def writes(self) -> bool:
        return bool(self.outcomes or self.messages or self.requests or self.statements)


def _alarm_info(a: Alarm) -> protocol.AlarmInfo:
    return protocol.AlarmInfo(a.id, a.desk, a.source, a.raised_at, a.cleared_at, a.cleared_by)


def _safe_id(obj: dict) -> str | None:
    """The request id to echo in an error reply, when it is a well-formed one."""
    v = obj.get("id")
    return v if isinstance(v, str) and protocol.REQ_ID_RE.match(v) else None


# ------------------------------------------------------------ the worker's queue items

@dataclass(frozen=True)
class Incoming:
    """An MQTT message from paho's thread."""

    topic: str
    payload: bytes


@dataclass(frozen=True)
class KeypadInput:
    """A key command from a local USB keypad's thread."""

    cmd: KeyCommand


@dataclass(frozen=True)
class Resync:
    """The link (re)connected: republish every retained topic."""


@dataclass(frozen=True)
class Reload:
    """Re-read the site file (SIGHUP)."""

    path: str


@dataclass(frozen=True)
class RunInWorker:
    """Run a function on the worker thread."""

    fn: Callable[[], None]


@dataclass(frozen=True)
class Stop:
    """End the worker."""
