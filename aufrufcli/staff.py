"""Staff tools over MQTT: ``aufruf status``, ``aufruf issue``, ``aufruf call``.

Each logs in as the site's staff user (``staff-info``), sends its request with
a fresh id, waits for the answer carrying that id, and prints it (exit 0) or
the reason it was refused (exit 1). Exit 3 when the broker cannot be reached.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import threading
import time
import uuid
from typing import Any

from aufruf import protocol
from aufruf.config import load_or_exit
from aufruf.config import SiteConfig
from aufruf.errors import AufrufError
from aufruf.link import MqttLink, ephemeral_client_id, now_ms

USER_ROLE, USER_DEVICE = "staff", "info"
DEFAULT_CONFIG = "/etc/aufruf/site.toml"


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=DEFAULT_CONFIG, help=f"the site config (default {DEFAULT_CONFIG})")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for an answer (default 5)")


def configure_status(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--json", action="store_true", help="print the collected retained state as JSON")


def configure_issue(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--service", required=True, help="service key, e.g. K")
    p.add_argument("--priority", action="store_true", help="priority ticket (if the site allows it)")
    p.add_argument("--print", action="store_true", dest="print_ticket",
                   help="print it on the info desk printer ([info_desk.printer])")


def configure_call(p: argparse.ArgumentParser) -> None:
    _common(p)
    p.add_argument("--desk", required=True, help="desk id, e.g. 3")
    p.add_argument("action", choices=protocol.ACTIONS, help="what the desk does")
    p.add_argument("arg", nargs="?", help="service key for transfer, ticket number for call")


class StaffSession:
    """A short-lived MQTT session as the staff user: collects messages, sends requests."""

    def __init__(self, cfg: SiteConfig, subscriptions: tuple[str, ...]):
        self.cfg = cfg
        self.topics = protocol.Topics(cfg.site_id)
        self.messages: dict[str, dict] = {}
        self.log: list[tuple[str, dict]] = []
        self._cond = threading.Condition()
        self.link = MqttLink(cfg.broker, cfg.site_id, USER_ROLE, USER_DEVICE, subscriptions=subscriptions,
                             handler=self._on_message, publish_status=False,
                             client_id=ephemeral_client_id(f"{USER_ROLE}-{USER_DEVICE}"))

    def _on_message(self, topic: str, payload: bytes, retained: bool) -> None:
        try:
            obj = protocol.decode(payload)
        except AufrufError:
            return
        with self._cond:
            self.messages[topic] = obj
            self.log.append((topic, obj))
            self._cond.notify_all()

    def __enter__(self) -> "StaffSession":
        self.link.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.link.stop(mark_offline=False)

    def connect(self, timeout: float) -> None:
        if not self.link.wait_connected(timeout):
            why = self.link.last_refusal or "no answer"
            raise ConnectionError(f"cannot reach the broker {self.cfg.broker.host}:{self.cfg.broker.port} "
                                  f"as {self.link.user}: {why}")

    def request(self, topic: str, reply_topic: str, message: protocol.TicketRequest | protocol.Command,
                reply_type: type[protocol.TicketReply] | type[protocol.CommandReply], timeout: float):
        """Publish and wait for the reply with the same id (QoS 1; a repeat is answered alike)."""
        start = len(self.log)
        self.link.publish(topic, message)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for t, obj in self.log[start:]:
                    if t == reply_topic and obj.get("id") == message.id:
                        try:
                            return reply_type.from_dict(obj)
                        except AufrufError:
                            continue
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no answer from the desk controller within {timeout:.0f} s "
                                       "(is 'aufruf desk' running? see 'aufruf status')")
                self._cond.wait(left)

    def retained(self, topic: str, message: type[protocol.Message]):
        """The last message seen on ``topic`` as its typed message (None: none yet, or unreadable)."""
        with self._cond:
            obj = self.messages.get(topic)
        return _typed(message, obj)

    def gather(self, needed: tuple[str, ...], timeout: float, settle: float = 0.3) -> None:
        """Wait for retained topics to arrive, then a little longer for the rest of them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            self._cond.wait_for(lambda: all(t in self.messages for t in needed), max(0, deadline - time.monotonic()))
            last = -1
            while len(self.log) != last and time.monotonic() < deadline:
                last = len(self.log)
                self._cond.wait(settle)


def _run(args: argparse.Namespace, body) -> int:
    cfg = load_or_exit(args.config)
    try:
        return body(cfg)
    except AufrufError as e:
        print(f"aufruf: {e}", file=sys.stderr)
        return 3
    except ConnectionError as e:
        print(f"aufruf: {e}", file=sys.stderr)
        return 3
    except TimeoutError as e:
        print(f"aufruf: {e}", file=sys.stderr)
        return 3


def main_call(args: argparse.Namespace) -> int:
    def body(cfg: SiteConfig) -> int:
        service = number = None
        if args.action == "transfer":
            if not args.arg:
                print("aufruf call: transfer needs the service key, e.g. 'transfer N'", file=sys.stderr)
                return 2
            service = args.arg.upper()
        elif args.action == "call":
            if not args.arg:
                print("aufruf call: call needs the ticket number, e.g. 'call K017'", file=sys.stderr)
                return 2
            number = args.arg.upper()
        try:
            cmd = protocol.Command(f"cli-{uuid.uuid4().hex[:12]}", args.action, service, number)
        except AufrufError as e:
            print(f"aufruf call: {e}", file=sys.stderr)
            return 2
        topics = protocol.Topics(cfg.site_id)
        with StaffSession(cfg, (topics.reply(args.desk),)) as s:
            s.connect(args.timeout)
            reply = s.request(topics.command(args.desk), topics.reply(args.desk), cmd, protocol.CommandReply,
                              args.timeout)
        if reply.ok:
            desk = cfg.desk(args.desk)
            label = desk.label(cfg.languages[0]) if desk else args.desk
            print(f"{label}: {args.action} {reply.ticket or ''}".rstrip())
            return 0
        print(f"refused: {reply.error}", file=sys.stderr)
        return 1
    return _run(args, body)


def main_issue(args: argparse.Namespace) -> int:
    def body(cfg: SiteConfig) -> int:
        req = protocol.TicketRequest(f"info-{uuid.uuid4().hex[:12]}", args.service.upper(), bool(args.priority))
        printer = None
        if args.print_ticket:
            if cfg.info_desk.printer is None:
                print("aufruf issue: --print needs [info_desk.printer] in the site config", file=sys.stderr)
                return 2
            from kiosk.printer import open_printer  # lazy: only the info desk with a printer needs escpos
            printer = open_printer(cfg.info_desk.printer)
        topics = protocol.Topics(cfg.site_id)
        with StaffSession(cfg, (topics.ticket("info"),)) as s:
            s.connect(args.timeout)
            reply = s.request(topics.request("info"), topics.ticket("info"), req, protocol.TicketReply,
                              args.timeout)
            if not reply.ok:
                print(f"refused: {reply.error}", file=sys.stderr)
                return 1
            t = reply.ticket
            if printer is not None:
                ok, why = _print_info_ticket(cfg, printer, t)
                delivered = threading.Event()
                s.link.publish(topics.printed("info"), protocol.PrintReport(req.id, t.number, ok, why or None),
                               on_delivered=lambda ok_, reason: delivered.set())
                if not ok:
                    if not delivered.wait(args.timeout):
                        print(f"printing failed ({why}); the broker did not confirm voiding ticket {t.number}: "
                              "void it at a desk", file=sys.stderr)
                        return 3
                    print(f"printing failed ({why}); ticket {t.number} was voided", file=sys.stderr)
                    return 1
        eta = f", about {t.eta_min} min" if t.eta_min is not None else ""
        prio = " (priority)" if t.priority else ""
        print(f"{t.number}{prio}: {t.ahead} ahead{eta}")
        return 0
    return _run(args, body)


def _print_info_ticket(cfg: SiteConfig, printer, ticket: protocol.TicketInfo) -> tuple[bool, str]:
    from kiosk.ticket_layout import print_ticket  # lazy, see main_issue
    try:
        print_ticket(printer, cfg, ticket)
        return True, ""
    except Exception as e:  # noqa: BLE001 - any printer failure voids the ticket
        return False, str(e) or type(e).__name__


def collect_status(cfg: SiteConfig, timeout: float) -> dict[str, dict]:
    """The retained state of the site: board, queue, desk states and device statuses."""
    t = protocol.Topics(cfg.site_id)
    subs = (t.board, t.queue, t.all_desk_states, t.all_status)
    with StaffSession(cfg, subs) as s:
        s.connect(timeout)
        s.gather((t.queue, t.board), timeout)
        return {t.relative(topic): m for topic, m in s.messages.items()}


def format_status(cfg: SiteConfig, state: dict[str, dict], now: int | None = None) -> str:
    """Human summary of :func:`collect_status`'s result."""
    now = now or now_ms()
    lang = cfg.languages[0]
    tz = cfg.tz

    def hhmm(ms: int) -> str:
        return dt.datetime.fromtimestamp(ms / 1000, tz).strftime("%H:%M")

    lines = [f"{cfg.name} ({cfg.site_id}), {dt.datetime.fromtimestamp(now / 1000, tz):%Y-%m-%d %H:%M}"]
    queue = _typed(protocol.QueueState, state.get("queue"))
    q = queue.services if queue is not None else {}
    lines.append("waiting:")
    for s in cfg.services:
        e = q.get(s.key)
        if e is None:
            lines.append(f"  {s.key} {s.name(lang)}: unknown (no queue state from the controller)")
            continue
        eta = f", about {e.eta_min} min" if e.eta_min is not None else ""
        shut = "" if e.open else ", no desk open"
        lines.append(f"  {s.key} {s.name(lang)}: {e.waiting}{eta}{shut}")
    lines.append("desks:")
    for d in cfg.desks:
        st = _typed(protocol.DeskState, state.get(f"desk/{d.id}/state"))
        if st is None:
            what = "unknown"
        elif st.status == "serving":
            what = f"serving {st.ticket} since {hhmm(st.since)}"
        elif st.status == "paused":
            what = f"paused since {hhmm(st.since)}"
        else:
            what = "idle"
        lines.append(f"  {d.id} {d.label(lang)}: {what} (serves {', '.join(d.services)})")
    lines.append("devices:")
    expected = [("controller", "main")] + [("kiosk", k.id) for k in cfg.kiosks] + \
               [("display", d.id) for d in cfg.displays]
    seen = {tuple(k.split("/")[1:3]) for k in state if k.startswith("status/")}
    for role, dev in expected + sorted(seen - set(expected)):
        st = state.get(f"status/{role}/{dev}")
        lines.append(f"  {role} {dev}: {device_health(st, now)}")
    return "\n".join(lines)


def _typed(message: type[protocol.Message], obj: dict | None):
    """A collected retained payload as its typed message; None when absent or not readable."""
    if obj is None:
        return None
    try:
        return message.from_dict(obj)
    except AufrufError:
        return None


def device_health(obj: dict | None, now: int) -> str:
    """online / offline / unknown (never seen, or a status older than 3 minutes)."""
    st = _typed(protocol.Status, obj)
    if st is None:
        return "unknown (never seen)"
    if not st.online:
        return "OFFLINE"
    if st.is_stale(now):
        return "unknown (last status older than 3 minutes)"
    extra = [f"printer {st.printer}"] if st.printer not in (None, "ok") else []
    return "online" + (f", {', '.join(extra)}" if extra else "")


def main_status(args: argparse.Namespace) -> int:
    def body(cfg: SiteConfig) -> int:
        state = collect_status(cfg, args.timeout)
        if args.json:
            print(json.dumps(state, indent=2, ensure_ascii=False))
        else:
            print(format_status(cfg, state))
        return 0
    return _run(args, body)
