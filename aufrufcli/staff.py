"""Staff tools over MQTT: ``aufruf status``, ``aufruf issue``, ``aufruf call``.

Each logs in as the site's staff user (``staff-info``), sends its request with
a fresh id, waits for the answer carrying that id, and prints it (exit 0) or
the reason it was refused (exit 1). Exit 3 when the broker or the desk
controller cannot be reached. A command carries ``sent_at`` and MQTT 5's
message expiry: one the controller cannot answer within a few seconds is
never carried out later, so "no answer" means "nothing was done".
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import socket
import sys
import threading
import time
import uuid
from typing import Any

from aufruf import protocol
from aufruf.config import DEFAULT_PATH, load_or_exit
from aufruf.config import SiteConfig
from aufruf.errors import AufrufError
from aufruf.link import MqttLink, ephemeral_client_id, now_ms

USER_ROLE, USER_DEVICE = "staff", "info"
DEFAULT_CONFIG = DEFAULT_PATH
EXIT_CODES = """exit codes:
  0  done (the controller confirmed it)
  1  refused (the answer says why: queue empty, unknown service, expired, ...)
  2  wrong usage (an unknown desk or service, a missing argument)
  3  the broker or the desk controller cannot be reached; nothing was done"""


def _common(p: argparse.ArgumentParser, examples: str = "") -> None:
    p.add_argument("--config", default=DEFAULT_CONFIG, help=f"the site config (default {DEFAULT_CONFIG})")
    p.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the broker (default 5)")
    p.formatter_class = argparse.RawDescriptionHelpFormatter
    p.epilog = (f"examples:\n{examples}\n\n" if examples else "") + EXIT_CODES


def configure_status(p: argparse.ArgumentParser) -> None:
    _common(p, "  aufruf status\n  aufruf status --config my-site.toml --json")
    p.add_argument("--json", action="store_true", help="print the collected retained state as JSON")


def configure_issue(p: argparse.ArgumentParser) -> None:
    _common(p, "  aufruf issue --service K\n  aufruf issue --service N --print")
    p.add_argument("--service", required=True, help="service key, e.g. K")
    p.add_argument("--priority", action="store_true", help="priority ticket (if the site allows it)")
    p.add_argument("--print", action="store_true", dest="print_ticket",
                   help="print it on the info desk printer ([info_desk.printer])")


def configure_call(p: argparse.ArgumentParser) -> None:
    _common(p, "  aufruf call --desk 3 next\n  aufruf call --desk 3 transfer N\n  aufruf call --desk 1 call K017")
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
        b = self.cfg.broker
        where = f"{b.host}:{b.port}"
        refused = _refused(b.host, b.port)          # say it at once rather than after the timeout
        if refused:
            raise ConnectionError(f"cannot reach the broker {where}: {refused}")
        if not self.link.wait_connected(timeout):
            why = self.link.last_refusal or f"no answer within {timeout:.0f} s"
            raise ConnectionError(f"cannot reach the broker {where} as {self.link.user}: {why}")

    def request(self, topic: str, reply_topic: str, message: protocol.TicketRequest | protocol.Command,
                reply_type: type[protocol.TicketReply] | type[protocol.CommandReply], timeout: float):
        """Publish and wait for the reply with the same id (QoS 1; a repeat is answered alike).

        The message gets ``sent_at`` (unless the caller, on another clock, set it) and the
        publish MQTT 5's message expiry: the controller carries out nothing older than
        ``protocol.COMMAND_MAX_AGE_MS``. We wait a second longer, so no answer means nothing was done.
        """
        max_age_s = protocol.COMMAND_MAX_AGE_MS / 1000
        if message.sent_at is None:
            message = dataclasses.replace(message, sent_at=now_ms())
        start = len(self.log)
        delivered: list[tuple[bool, str]] = []
        self.link.publish(topic, message, expiry_s=int(max_age_s),
                          on_delivered=lambda ok, why: delivered.append((ok, why)))
        wait = max(timeout, max_age_s + 1)
        reply = self.wait_for(reply_topic, lambda obj: obj.get("id") == message.id, wait, start, reply_type)
        if reply is not None:
            return reply
        if not delivered:
            raise TimeoutError(f"the broker did not take the command within {wait:.0f} s; it was not carried out")
        if not delivered[0][0]:
            raise TimeoutError(f"the broker refused the command ({delivered[0][1]}; see the ACL that 'aufruf "
                               "provision' writes); it was not carried out")
        ctl = self.controller_status()
        if ctl is not None and not ctl.online:
            raise TimeoutError("the desk controller is offline (is 'aufruf desk' running? see 'aufruf status'); "
                               f"the command was not carried out and has expired (after {max_age_s:.0f} s), "
                               "so it will not run when the controller comes back")
        raise TimeoutError(f"no answer from the desk controller within {wait:.0f} s: the command was not "
                           f"carried out (one older than {max_age_s:.0f} s never is); see 'aufruf status'")

    def wait_for(self, topic: str, pred, timeout: float, start: int = 0,
                 message: type[protocol.Message] | None = None):
        """The first message on ``topic`` from ``self.log[start:]`` that ``pred`` accepts, as ``message``
        when given (unreadable ones are skipped); None at the timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for t, obj in self.log[start:]:
                    if t == topic and pred(obj):
                        typed = obj if message is None else _typed(message, obj)
                        if typed is not None:
                            return typed
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def controller_status(self) -> protocol.Status | None:
        """The retained status of the desk controller, if this session subscribed to it."""
        with self._cond:
            found = [obj for t, obj in self.messages.items() if t.startswith(self.topics.role_status("controller")[:-1])]
        return _typed(protocol.Status, found[0]) if found else None

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


def _refused(host: str, port: int) -> str | None:
    """'connection refused - is Mosquitto running?' when nothing listens there; None otherwise."""
    try:
        socket.create_connection((host, port), timeout=1.0).close()
    except ConnectionRefusedError:
        return "connection refused - is Mosquitto running?"
    except OSError:
        return None       # unreachable or slow: the link's own timeout will say so
    return None


def _services(cfg: SiteConfig) -> list[str]:
    return [s.key for s in cfg.services]


def _unknown_service(cfg: SiteConfig, given: str) -> str:
    lang = cfg.languages[0]
    known = ", ".join(f"{s.key} ({s.name(lang)})" for s in cfg.services)
    return f"aufruf: no service '{given}' in {cfg.path}; services: {known}"


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
        if cfg.desk(args.desk) is None:
            print(f"aufruf call: no desk '{args.desk}' in {cfg.path}; desks: {', '.join(d.id for d in cfg.desks)}",
                  file=sys.stderr)
            return 2
        service = number = None
        if args.action == "transfer":
            if not args.arg:
                print("aufruf call: transfer needs the service key, e.g. 'transfer N'", file=sys.stderr)
                return 2
            if args.arg.upper() not in _services(cfg):
                print(_unknown_service(cfg, args.arg), file=sys.stderr)
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
        with StaffSession(cfg, (topics.reply(args.desk), topics.role_status("controller"))) as s:
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
        if args.service.upper() not in _services(cfg):
            print(_unknown_service(cfg, args.service), file=sys.stderr)
            return 2
        req = protocol.TicketRequest(f"info-{uuid.uuid4().hex[:12]}", args.service.upper(), bool(args.priority))
        printer = None
        if args.print_ticket:
            if cfg.info_desk.printer is None:
                print("aufruf issue: --print needs [info_desk.printer] in the site config", file=sys.stderr)
                return 2
            from kiosk.printer import open_printer  # lazy: only the info desk with a printer needs escpos
            printer = open_printer(cfg.info_desk.printer)
        topics = protocol.Topics(cfg.site_id)
        with StaffSession(cfg, (topics.ticket("info"), topics.role_status("controller"))) as s:
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
        if t.ahead == 0:
            print(f"{t.number}{prio}: you are next")
        else:
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
    ctl = controller_health(state, now)
    if ctl is not None:
        lines.append(f"THE DESK CONTROLLER IS {ctl}: what follows is the last state it published, not the "
                     "current one")
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
               [("display", d.id) for d in cfg.displays] + [("web", w.id) for w in cfg.webs]
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


def controller_health(state: dict[str, dict], now: int) -> str | None:
    """None when a desk controller is online; else why not ("OFFLINE", "unknown ...")."""
    found = [device_health(st, now) for k, st in state.items() if k.startswith("status/controller/")]
    if any(h.startswith("online") for h in found):
        return None
    return found[0] if found else "unknown (never seen)"


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
    keypads = st.extra.get("keypads")
    if isinstance(keypads, dict):
        extra += [f"keypad {d} {v}" for d, v in sorted(keypads.items()) if v != "ok"]
    if st.extra.get("ledger") == "error":  # the controller's ledger: nothing is issued or called until it is writable
        extra.append(f"THE LEDGER CANNOT BE WRITTEN: {st.extra.get('ledger_error') or 'no reason given'}")
    # a display's screen and sound ('waiting' for a monitor, 'silent', ...)
    extra += [f"{k} {st.extra[k]}" for k in ("screen", "sound") if st.extra.get(k) not in (None, "ok")]
    return "online" + (f", {', '.join(extra)}" if extra else "")


def main_status(args: argparse.Namespace) -> int:
    def body(cfg: SiteConfig) -> int:
        state = collect_status(cfg, args.timeout)
        if args.json:
            print(json.dumps(state, indent=2, ensure_ascii=False))
        else:
            print(format_status(cfg, state))
        why = controller_health(state, now_ms())
        if why is not None:
            print(f"aufruf status: the desk controller is {why}", file=sys.stderr)
            return 3
        return 0
    return _run(args, body)
