"""The ticket kiosk: press -> request -> ticket -> print -> printed, on one worker thread.

Everything the kiosk does happens on its own worker thread, fed through a
``queue.Queue`` by gpiozero's threads (button edges) and paho's thread (MQTT
messages, connects). The rules are in :mod:`kiosk.press` and
:mod:`kiosk.requests`; this module only wires them to the adapters:
the panel (gpiozero), the printer (python-escpos) and the MQTT link.

A press first checks the printer: with paper out or the printer offline no
number is taken (the LED shows the fault, the retained status says why).
Otherwise it publishes ``kiosk/<id>/request`` and waits for the matching
``kiosk/<id>/ticket``; the ticket is printed and reported with
``kiosk/<id>/printed`` (``ok:false`` when printing failed after the number was
issued, so the controller voids it).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

from aufruf import protocol
from aufruf.config import SiteConfig
from aufruf.errors import PayloadError
from aufruf.link import MqttLink

from . import panel as panel_mod
from . import press, requests
from . import slip as slip_mod
from .scanner import KEYPAD_GAP_S, Scan, ScannerReader
from . import ticket_layout as tl
from .printer import CAN_PRINT, OK, PrinterPort, PrintError

log = logging.getLogger(__name__)

PRINTER_RECHECK_OK_S = 30.0      # re-ask a healthy printer this often
PRINTER_RECHECK_FAULT_S = 2.0    # and a faulty one this often (refilled paper is noticed quickly)
REFUSED_FAULT_S = 3.0            # show the fault this long after the controller refused a request
INFO_LED_S = 2.0                 # the LED blinks this long after a press of the "what is called now?" button
OnPrinted = Callable[[str | None, bytes], None]
CHECKIN = "@appointment"         # the request book's "service" of an appointment check-in
ARMED_S = 30.0                   # after the appointment button, the keypad takes a code this long


class TicketKiosk:
    """One ticket kiosk. The kiosk owns its link: :meth:`start` starts it, :meth:`stop` stops it.

    Its hardware comes in through keyword arguments, set once: ``printer`` (a
    :class:`~kiosk.printer.PrinterPort`; None opens the connection of the site
    file), ``pin_factory`` (gpiozero's; None for the board's own), ``link_factory``
    (called once with the link's configuration: :class:`~aufruf.link.MqttLink`
    unless a test or tool needs another login). ``on_printed(number or None for a
    test print, escpos_bytes)`` runs on the worker thread after every successful print.
    ``voice`` (a :class:`kiosk.voice.Voice`; None makes one when the site file says
    ``speaker = true``) says the drawn number and, on the info button, the latest calls.
    """

    def __init__(self, cfg: SiteConfig, kiosk_id: str, *, printer: PrinterPort | None = None,
                 pin_factory: Any = None, link_factory: Callable[..., MqttLink] = MqttLink,
                 clock: Callable[[], float] = time.monotonic,
                 on_printed: OnPrinted | None = None, new_id: Callable[[], str] | None = None,
                 on_tick: Callable[[], None] | None = None,
                 scanner_opener: Callable[[str], object] | None = None, voice: Any = None):
        kcfg = cfg.kiosk(kiosk_id)
        if kcfg is None:
            raise ValueError(cfg.unknown("kiosk", kiosk_id))
        self.cfg = cfg
        self.kcfg = kcfg
        self.id = kiosk_id
        self.clock = clock
        self.on_printed = on_printed
        self.on_tick = on_tick
        self.topics = protocol.Topics(cfg.site_id)
        self.printer = printer if printer is not None else PrinterPort.from_spec(kcfg.printer)
        self.gates = {b.service: press.PressGate(kcfg.min_gap_s, kcfg.hold_test_s) for b in kcfg.buttons}
        if kcfg.info_pin is not None:
            self.gates[panel_mod.INFO] = press.PressGate(kcfg.min_gap_s, kcfg.hold_test_s)
        if voice is None and kcfg.speaker:
            from .voice import Voice
            voice = Voice(cfg, kcfg)
        self.voice = voice
        self.latest_calls: list[tuple[str, str]] = []     # (number, desk) from the retained board
        self.info_presses = 0
        self._info_until = 0.0
        self.book = requests.RequestBook(kiosk_id, kcfg.request_timeout_s, kcfg.late_print_s, new_id)
        self.events: queue.Queue = queue.Queue()
        self.printer_state = OK
        self.controllers: dict[str, bool] = {}
        self.last_ticket: tuple[str | None, bytes] | None = None
        self.last_layout: tl.Layout | None = None      # render.render_image(kiosk.last_layout) shows it
        self.printed_count = 0
        self.absorbed_presses = 0      # presses that took nothing because their service's request still waits
        self.refused_presses = 0       # presses that took no number because the printer could not print
        self.closed: dict[str, str] = {}   # service -> why it issues no ticket now (retained queue, docs/rules.md)
        self.closed_presses = 0        # presses answered "closed" by the controller
        self._closed_until = 0.0
        self._fault_until = 0.0
        self._next_printer_check = 0.0
        self._printing = False
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self._ready = threading.Event()

        self.link = link_factory(cfg.broker, cfg.site_id, "kiosk", kiosk_id,
                                 subscriptions=(self.topics.ticket(kiosk_id), self.topics.role_status("controller"),
                                                self.topics.queue, self.topics.board),
                                 handler=self._on_message,
                                 status_extra=lambda: {"printer": self.printer_state, **self.input_status},
                                 on_connect=lambda: self.events.put(Connected()),
                                 on_disconnect=lambda: self.events.put(Disconnected()))
        self.panel = panel_mod.Panel(kcfg, pin_factory, self._on_edge)
        # appointment check-in: a barcode/QR scanner types the invitation's code (kiosk/scanner.py)
        self.scanner = (ScannerReader(kcfg.scanner, lambda scan: self.events.put(Scanned(scan)),
                                      opener=scanner_opener,
                                      on_change=lambda up: self.events.put(InputDevice("scanner", up)))
                        if kcfg.scanner else None)
        self.code_keypad = (ScannerReader(kcfg.code_keypad, lambda scan: self.events.put(Scanned(scan, typed=True)),
                                          opener=scanner_opener, gap_s=KEYPAD_GAP_S,
                                          on_change=lambda up: self.events.put(InputDevice("code_keypad", up)))
                            if kcfg.code_keypad else None)
        # the status says whether the scanner / code keypad is there ("ok" or "offline"); replaced by the worker
        self.input_status: dict[str, str] = {name: "offline" for name, r in (("scanner", self.scanner),
                                                                            ("code_keypad", self.code_keypad)) if r}
        self._armed_until = 0.0                    # the appointment button was pressed: the keypad takes a code
        self.checkin_codes: dict[str, str] = {}   # open check-in request id -> code
        self.refused_scans = 0                     # scans rejected before anything was sent (garbage, half codes)
        self.last_slip: tl.Layout | None = None

    # ------------------------------------------------------------ lifecycle

    def start(self) -> None:
        """Start the worker thread and the MQTT link."""
        if self.voice is not None:
            self.voice.start()
        self._thread = threading.Thread(target=self._run, name=f"kiosk-{self.id}", daemon=True)
        self._thread.start()
        self.link.start()
        for reader in (self.scanner, self.code_keypad):
            if reader is not None:
                reader.start()

    def stop(self) -> None:
        """Stop the worker, the link and release the GPIO pins."""
        self._stopped.set()
        for reader in (self.scanner, self.code_keypad):
            if reader is not None:
                reader.stop()
        self.events.put(Stop())
        if self._thread is not None:
            self._thread.join(10)
        self.link.stop()
        self.panel.close()
        if self.voice is not None:
            self.voice.close()

    def wait_ready(self, timeout: float) -> bool:
        """Block until the worker has checked the printer once."""
        return self._ready.wait(timeout)

    @property
    def led_mode(self) -> str | None:
        return self.panel.mode

    def poke(self) -> None:
        """Wake the worker (it re-evaluates its timers; for tests with an injected clock)."""
        self.events.put(Poke())

    # ------------------------------------------------------------ inputs (other threads)

    def _on_edge(self, edge: str, service: str) -> None:
        self.events.put(Edge(edge, service, self.clock()))

    def _on_message(self, topic: str, payload: bytes, retained: bool) -> None:
        self.events.put(Incoming(topic, payload))

    # ------------------------------------------------------------ the worker

    def _run(self) -> None:
        self._check_printer(self.clock(), force=True)
        self._update_led(self.clock())
        self._ready.set()
        while not self._stopped.is_set():
            now = self.clock()
            # retries wait for the link while it is down (the reconnect resends everything)
            retry = self.book.next_deadline() if self.link.is_connected() else None
            deadlines = [d for d in (retry, self._next_printer_check,
                                     self._fault_until if self._fault_until > now else None,
                                     self._closed_until if self._closed_until > now else None,
                                     self._info_until if self._info_until > now else None,
                                     *(g.next_deadline() for g in self.gates.values())) if d is not None]
            wait = max(0.0, min(deadlines) - now) if deadlines else 1.0
            try:
                ev = self.events.get(timeout=min(wait, 1.0))
            except queue.Empty:
                ev = None
            try:
                if ev is not None:
                    if isinstance(ev, Stop):
                        break
                    self._handle(ev)
                self._tick(self.clock())
                self._update_led(self.clock())
            except Exception:  # noqa: BLE001 - one bad event must not stop the kiosk
                log.exception("kiosk %s: handling %s failed", self.id, type(ev).__name__ if ev else "timers")
            if self.on_tick is not None:
                self.on_tick()
        self.panel.show(panel_mod.OFF)

    def _handle(self, ev: "Event") -> None:
        if isinstance(ev, Edge) and ev.edge == "press":
            self._on_press(ev.service, ev.at)
        elif isinstance(ev, Edge) and ev.edge == "release":
            gate = self.gates.get(ev.service)
            if gate is not None:
                gate.release(ev.at)
        elif isinstance(ev, Incoming):
            self._on_mqtt(ev.topic, ev.payload)
        elif isinstance(ev, Scanned):
            (self._on_keyed if ev.typed else self._on_scan)(ev.scan)
        elif isinstance(ev, InputDevice):
            state = "ok" if ev.up else "offline"
            if self.input_status.get(ev.name) != state:
                (log.info if ev.up else log.warning)("kiosk %s: %s %s", self.id, ev.name, state)
                self.input_status = {**self.input_status, ev.name: state}
                self.link.publish_status_now()
        elif isinstance(ev, Connected):
            now = self.clock()
            for p in self.book.resend_all(now):
                log.info("kiosk %s: reconnected, sending request %s (%s) again", self.id, p.id, p.service)
                self._send(p)

    def _tick(self, now: float) -> None:
        for service, gate in self.gates.items():
            if gate.tick(now) == press.TEST and service != panel_mod.INFO:
                log.info("kiosk %s: button %s held %.0f s: test print (no number)", self.id, service,
                         self.kcfg.hold_test_s)
                self._print_test(service)
        if self.link.is_connected():
            for p in self.book.due(now):
                log.warning("kiosk %s: no answer to request %s (%s), sending it again (attempt %d)",
                            self.id, p.id, p.service, p.attempts)
                self._send(p)
        if now >= self._next_printer_check:
            self._check_printer(now)

    # ------------------------------------------------------------ press -> request

    def _on_press(self, service: str, t: float) -> None:
        if service == panel_mod.APPOINTMENT:
            self._armed_until = self.clock() + ARMED_S
            log.info("kiosk %s: appointment button: the keypad takes a code for %.0f s", self.id, ARMED_S)
            self.panel.beep(1)
            return
        gate = self.gates.get(service)
        if gate is None or gate.press(t) != press.TICKET:
            return
        if service == panel_mod.INFO:
            self._on_info()
            return
        now = self.clock()
        blocking = self.book.blocking(service, now)
        if blocking is not None:
            log.info("kiosk %s: press of %s ignored: request %s is still waiting for the controller",
                     self.id, service, blocking.id)
            self.absorbed_presses += 1
            return
        state = self._check_printer(now, force=True)
        if state not in CAN_PRINT:
            log.warning("kiosk %s: press of %s refused, no number taken: printer %s", self.id, service, state)
            self.refused_presses += 1
            self.panel.beep(3)
            return
        p = self.book.open(service, now)
        if p is None:
            return
        self.panel.beep(1)
        log.info("kiosk %s: press of %s, request %s", self.id, service, p.id)
        self._send(p)

    def _on_info(self) -> None:
        """The "what is being called now?" button: LED, buzzer and (with a speaker) the latest calls."""
        self.info_presses += 1
        self.panel.beep(1)
        self._info_until = self.clock() + INFO_LED_S
        log.info("kiosk %s: info button: %d latest call(s)", self.id, min(3, len(self.latest_calls)))
        if self.voice is not None:
            self.voice.say(self.voice.latest_sentences(self.latest_calls))

    def _send(self, p: requests.Pending) -> None:
        if p.service == CHECKIN:
            self.link.publish(self.topics.request(self.id), protocol.CheckinRequest(p.id, self.checkin_codes[p.id]))
            return
        self.link.publish(self.topics.request(self.id), protocol.TicketRequest(p.id, p.service))

    # ------------------------------------------------------------ appointment check-in

    def _on_scan(self, scan: Scan) -> None:
        now = self.clock()
        if scan.error or not scan.code:
            log.warning("kiosk %s: scan refused, nothing sent: %s", self.id, scan.error)
            self.refused_scans += 1
            self._fault_until = now + REFUSED_FAULT_S
            self.panel.beep(3)
            return
        if self.book.blocking(CHECKIN, now) is not None:
            log.info("kiosk %s: scan ignored: a check-in is still waiting for the controller", self.id)
            self.absorbed_presses += 1
            return
        state = self._check_printer(now, force=True)
        if state not in CAN_PRINT:
            log.warning("kiosk %s: scan refused, nothing sent: printer %s", self.id, state)
            self.refused_scans += 1
            self.panel.beep(3)
            return
        p = self.book.open(CHECKIN, now)
        if p is None:
            return
        self.checkin_codes[p.id] = scan.code
        self.panel.beep(1)
        log.info("kiosk %s: appointment code scanned, check-in request %s", self.id, p.id)
        self._send(p)

    def _on_keyed(self, scan: Scan) -> None:
        """A code typed on the kiosk's keypad (after the appointment button, where the kiosk has one)."""
        if self.kcfg.appointment_pin is not None and self.clock() > self._armed_until:
            log.info("kiosk %s: keypad entry ignored: press the appointment button first", self.id)
            self.refused_scans += 1
            self.panel.beep(3)
            return
        self._armed_until = 0.0
        self._on_scan(scan)

    def _on_checkin_reply(self, obj: dict) -> None:
        try:
            reply = protocol.CheckinReply.from_dict(obj)
        except PayloadError as e:
            log.warning("kiosk %s: bad check-in answer ignored: %s", self.id, e)
            return
        rid = reply.id
        now = self.clock()
        if self.book.was_answered(rid):
            return
        closed = self.book.answer(rid, now)
        self.checkin_codes.pop(rid, None)
        if closed is None:
            return
        number = reply.number if reply.result == "checked_in" else None
        if closed[1] == requests.VOID:
            log.warning("kiosk %s: check-in answer came too late: nothing printed", self.id)
            if number or reply.ticket:
                self._report(rid, number or reply.ticket.number, False, "answer too late, customer gone")
            return
        if reply.ticket is not None:      # too late, and the site gives a normal ticket instead
            self._print_ticket(rid, tl.TicketData.from_reply(reply.ticket))
            return
        if not reply.ok:
            log.info("kiosk %s: check-in refused: %s", self.id, reply.error)
            self._fault_until = now + REFUSED_FAULT_S
            self.panel.beep(3)
            if reply.refusal not in slip_mod.REFUSALS_PRINTED:
                return                     # a code nobody could read: nothing printed
        self._print_slip(rid, reply, number)

    def _print_slip(self, rid: str, reply: protocol.CheckinReply, number: str | None) -> None:
        layout = slip_mod.build(self.cfg, self.kcfg, reply, self._profile(), time.time_ns() // 1_000_000)
        raw = tl.escpos_bytes(layout, self.printer.profile_name)
        try:
            self.printer.print_bytes(raw)
        except PrintError as e:
            log.error("kiosk %s: appointment slip could not be printed (%s)", self.id, e)
            self._set_printer_state(self.printer.state)
            if number:
                self._report(rid, number, False, f"print failed: {e}"[:200])
            return
        if number:
            self._report(rid, number, True)
            self.printed_count += 1
        log.info("kiosk %s: printed appointment slip%s", self.id, f" {number}" if number else "")
        self.last_slip = layout
        self._after_print(number, raw, layout)

    # ------------------------------------------------------------ ticket -> print -> printed

    def _on_mqtt(self, topic: str, payload: bytes) -> None:
        try:
            route = self.topics.parse(topic)
        except PayloadError:
            return
        if route.kind == "status/controller":
            try:
                status = protocol.Status.from_json(payload)
            except PayloadError:
                return
            self.controllers[route.device] = status.online
            return
        if topic == self.topics.queue:
            try:
                q = protocol.QueueState.from_json(payload)
            except PayloadError as e:
                log.warning("kiosk %s: bad queue state ignored: %s", self.id, e)
                return
            self.closed = {k: sq.closed for k, sq in q.services.items() if sq.closed}
            return
        if route.kind == "board":
            try:
                board = protocol.Board.from_json(payload)
            except PayloadError as e:
                log.warning("kiosk %s: bad board ignored: %s", self.id, e)
                return
            self.latest_calls = [(c.number, c.desk) for c in board.calls]
            return
        if topic != self.topics.ticket(self.id):
            return
        try:
            obj = protocol.decode(payload)
        except PayloadError as e:
            log.warning("kiosk %s: bad ticket reply ignored: %s", self.id, e)
            return
        if obj.get("id") in self.checkin_codes or "appointment" in obj or "refusal" in obj:
            return self._on_checkin_reply(obj)
        try:
            reply = protocol.TicketReply.from_dict(obj)
        except PayloadError as e:
            log.warning("kiosk %s: bad ticket reply ignored: %s", self.id, e)
            return
        rid = reply.id
        now = self.clock()
        if self.book.was_answered(rid):
            return                                   # QoS 1 may deliver an answer twice
        closed = self.book.answer(rid, now)
        if not reply.ok:
            if closed is not None and reply.closed is not None:
                self._on_closed(closed[0].service, reply.closed, now)
            elif closed is not None:
                log.warning("kiosk %s: controller refused request %s (%s): %s", self.id, rid,
                            closed[0].service, reply.error)
                self._fault_until = now + REFUSED_FAULT_S
                self.panel.beep(3)
            return
        data = tl.TicketData.from_reply(reply.ticket)
        if closed is None:
            # an answer to a request this process never made (it restarted meanwhile): nobody waits for it
            log.warning("kiosk %s: ticket %s answers unknown request %s: voided", self.id, data.number, rid)
            self._report(rid, data.number, False, "unknown request (kiosk restarted)")
            return
        pending, fate = closed
        if fate == requests.VOID:
            log.warning("kiosk %s: ticket %s came %.0f s after the press: voided, not printed", self.id,
                        data.number, now - pending.created)
            self._report(rid, data.number, False, "answer too late, customer gone")
            return
        self._print_ticket(rid, data)

    def _on_closed(self, service: str, reason: str, now: float) -> None:
        """The service issues no ticket now: the LED says closed; nothing printed, or the closed slip."""
        log.info("kiosk %s: press of %s: service closed (%s), no ticket", self.id, service, reason)
        self.closed_presses += 1
        self.closed[service] = reason
        self._closed_until = now + REFUSED_FAULT_S
        layout = tl.closed_slip(self.cfg, self.kcfg, self._profile())
        if layout is None:
            return
        raw = tl.escpos_bytes(layout, self.printer.profile_name)
        try:
            self.printer.print_bytes(raw)
        except PrintError as e:
            log.warning("kiosk %s: closed slip not printed: %s", self.id, e)
            self._set_printer_state(self.printer.state)
            return
        self._after_print(None, raw, layout)

    def _print_ticket(self, rid: str, data: tl.TicketData) -> None:
        layout = tl.build(self.cfg, self.kcfg, data, self._profile())
        raw = tl.escpos_bytes(layout, self.printer.profile_name)
        self._printing = True
        self.panel.show(panel_mod.BUSY)
        try:
            self.printer.print_bytes(raw)
        except PrintError as e:
            log.error("kiosk %s: ticket %s could not be printed (%s): voided", self.id, data.number, e)
            self._printing = False
            self._set_printer_state(self.printer.state)
            self._update_led(self.clock())          # the fault shows before anyone hears of the void
            self._report(rid, data.number, False, f"print failed: {e}"[:200])
            self._next_printer_check = self.clock() + PRINTER_RECHECK_FAULT_S
            return
        finally:
            self._printing = False
        self._report(rid, data.number, True)
        self.printed_count += 1
        if self.voice is not None:      # "Kurzanliegen. Ihre Nummer: K 0 1 7."
            self.voice.say(self.voice.ticket_sentences(data.service, data.number))
        log.info("kiosk %s: printed %s (%s ahead)", self.id, data.number,
                 "?" if data.ahead is None else data.ahead)
        self._after_print(data.number, raw, layout)

    def _print_test(self, service: str) -> None:
        data = tl.TicketData(service=service, number=None, issued_at_ms=time.time_ns() // 1_000_000)
        layout = tl.build(self.cfg, self.kcfg, data, self._profile())
        raw = tl.escpos_bytes(layout, self.printer.profile_name)
        try:
            self.printer.print_bytes(raw)
        except PrintError as e:
            log.error("kiosk %s: test print failed: %s", self.id, e)
            self._set_printer_state(self.printer.state)
            return
        self._after_print(None, raw, layout)

    def _after_print(self, number: str | None, raw: bytes, layout: tl.Layout) -> None:
        self.last_layout = layout
        self.last_ticket = (number, raw)
        if self.on_printed is not None:
            try:
                self.on_printed(number, raw)
            except Exception:  # noqa: BLE001
                log.exception("on_printed callback failed")

    def _report(self, rid: str, number: str, ok: bool, error: str | None = None) -> None:
        self.link.publish(self.topics.printed(self.id), protocol.PrintReport(rid, number, ok, error or None))

    def _profile(self) -> Any:
        try:
            return self.printer.profile
        except Exception:  # noqa: BLE001 - an unreachable printer still has its configured profile
            return tl.load_profile(self.printer.profile_name)

    # ------------------------------------------------------------ printer state and LED

    def _check_printer(self, now: float, force: bool = False) -> str:
        if force or now >= self._next_printer_check:
            state = self.printer.check()
            self._set_printer_state(state)
            self._next_printer_check = now + (PRINTER_RECHECK_OK_S if state == OK else PRINTER_RECHECK_FAULT_S)
        return self.printer_state

    def _set_printer_state(self, state: str) -> None:
        if state != self.printer_state:
            (log.info if state == OK else log.warning)("kiosk %s: printer %s (was %s)", self.id, state,
                                                       self.printer_state)
            self.printer_state = state
            # publish even while (re)connecting: paho sends it once connected, and a state that
            # changed just after the connect's own status went out must not be lost
            self.link.publish_status_now()

    def _update_led(self, now: float) -> None:
        controller_down = bool(self.controllers) and not any(self.controllers.values())
        if (self.printer_state not in CAN_PRINT or not self.link.is_connected() or controller_down
                or self.book.overdue(now) or now < self._fault_until):
            self.panel.show(panel_mod.FAULT)
        elif self.book.pending or self._printing or now < self._info_until:
            self.panel.show(panel_mod.BUSY)
        elif now < self._closed_until or (self.closed and all(b.service in self.closed for b in self.kcfg.buttons)):
            self.panel.show(panel_mod.CLOSED)
        else:
            self.panel.show(panel_mod.READY)


# ------------------------------------------------------------ the worker's queue items

@dataclass(frozen=True)
class Edge:
    """A button went down (``press``) or up (``release``) at ``at`` (gpiozero's thread)."""

    edge: str
    service: str
    at: float


@dataclass(frozen=True)
class Incoming:
    """An MQTT message (paho's thread)."""

    topic: str
    payload: bytes


@dataclass(frozen=True)
class Connected:
    """The link (re)connected: open requests are sent again."""


@dataclass(frozen=True)
class Disconnected:
    """The link went away."""


@dataclass(frozen=True)
class Poke:
    """Re-evaluate the timers now."""


@dataclass(frozen=True)
class Stop:
    """End the worker."""


@dataclass(frozen=True)
class Scanned:
    """A finished scan from the scanner, or (``typed``) a code typed on the kiosk's keypad (reader threads)."""

    scan: Scan
    typed: bool = False


@dataclass(frozen=True)
class InputDevice:
    """The scanner or the code keypad was opened (``up``) or unplugged (reader threads)."""

    name: str
    up: bool


Event = Edge | Incoming | Connected | Disconnected | Poke | Stop | Scanned | InputDevice
