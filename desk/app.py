"""``aufruf desk``: start-up of the desk controller (the only place that wires it together)."""

from __future__ import annotations

import argparse
import logging
import re
import signal
import sqlite3
import sys
import threading
from typing import Callable

from aufruf import ticketkey
from aufruf.config import DEFAULT_PATH, load_or_exit
from aufruf.config import SiteConfig
from aufruf import protocol
from aufruf.errors import AufrufError, LedgerError
from aufruf.link import MqttLink, now_ms
from aufruf.watchdog import Notifier

from .alarm_io import AlarmIO
from .controller import Controller
from .datalock import DataDirLock
from .keypad import DEFAULT_KEYMAP, KeyCommand, KeyDecoder, KeypadReader
from .ledger import WHAT_TO_DO, Ledger, ledger_path, problem
from .ledger import exists as ledger_exists

log = logging.getLogger(__name__)
SESSION_EXPIRY_S = 600  # commands sent while the controller restarts are kept by the broker this long


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=DEFAULT_PATH, help=f"the site config (default {DEFAULT_PATH})")
    p.add_argument("--id", default="main", help="controller id (MQTT user controller-<id>), default main")
    p.add_argument("--data", default="/var/lib/aufruf", help="ledger directory (default /var/lib/aufruf)")
    p.add_argument("--no-keypads", action="store_true", help="do not open the USB keypads of the site file")
    p.add_argument("--new-ledger", action="store_true",
                   help="start a new, empty ledger although --data has a ledger file that is empty or not a "
                        "ledger (that file is kept as ledger.db.unusable-<time>); a valid ledger is never replaced")
    p.add_argument("--numbers-after", metavar="K=57,N=12", type=numbers_after,
                   help="after restoring the ledger from a backup during the day: the last number of each "
                        "service issued today before the failure; today's numbering continues after them")


def numbers_after(spec: str) -> dict[str, int]:
    """``K=57,N=12`` (or ``K057,N012``) -> ``{"K": 57, "N": 12}`` (checked against the site at start)."""
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        m = re.fullmatch(r"([A-Za-z]+)\s*=?\s*(\d{1,3})", part)
        if not m:
            raise argparse.ArgumentTypeError(f"{part!r}: give service=last number, e.g. K=57,N=12")
        out[m.group(1)] = int(m.group(2))
    if not out:
        raise argparse.ArgumentTypeError("give service=last number, e.g. K=57,N=12")
    return out


class DeskService:
    """The running controller: ledger, queue rules, MQTT link and local keypads."""

    def __init__(self, cfg: SiteConfig, controller_id: str, data_dir: str, keypads: bool = True,
                 password: str | None = None, clock: Callable[[], int] = now_ms,
                 keypad_opener: Callable[[str], object] | None = None, keypad_retry_s: float = 2.0,
                 new_ledger: bool = False, numbers_after: dict[str, int] | None = None,
                 pin_factory: object = None):
        self.cfg = cfg
        self.alarm_io = None
        self.lock = DataDirLock(data_dir)  # before the ledger: a second controller refuses here
        try:
            if self.lock.used_before and not new_ledger and not ledger_exists(data_dir):
                raise LedgerError(f"{ledger_path(data_dir)} is missing, but a controller has used {data_dir} "
                                  f"before (it has {self.lock.path.name}): {WHAT_TO_DO}")
            self.ledger = Ledger(data_dir, new=new_ledger)
            self.lock.mark()
            try:
                if numbers_after:
                    self._continue_after(numbers_after, clock())
                # panic buttons, alarm lamp, alarm hook (docs/rules.md); gpiozero's default pin factory unless given
                if AlarmIO.needed(cfg):
                    self.alarm_io = AlarmIO(cfg, pin_factory=pin_factory, raise_alarm=self._panic_button)
                self.controller = Controller(cfg, self.ledger, controller_id=controller_id, clock=clock,
                                             on_reloaded=self._reloaded, ticket_secret=_ticket_secret(cfg),
                                             on_alarm=self.alarm_io.on_alarm if self.alarm_io else None)
            except BaseException as e:
                if self.alarm_io is not None:
                    self.alarm_io.close()
                self.ledger.close()
                if isinstance(e, sqlite3.Error):
                    raise LedgerError(f"cannot read the ledger {self.ledger.path}: {problem(e, data_dir)}") from None
                raise
        except BaseException:
            self.lock.release()
            raise
        self.link = MqttLink(cfg.broker, cfg.site_id, "controller", controller_id,
                             subscriptions=Controller.subscriptions(cfg.site_id),
                             handler=self.controller.on_message, on_connect=self.controller.on_connected,
                             session_expiry_s=SESSION_EXPIRY_S, password=password, status_extra=self._status,
                             network_thread=False)  # the worker drives it: no thread hand-over per packet
        self.controller.attach(self.link)
        self._keypads = keypads
        self._keypad_opener = keypad_opener
        self._keypad_retry_s = keypad_retry_s
        self._readers_lock = threading.Lock()
        self._started = False
        self._stopped = False
        self.readers: dict[str, KeypadReader] = {}   # by device path
        self._sync_readers(cfg)

    def _sync_readers(self, cfg: SiteConfig) -> None:
        """One reader per ``[[keypads]]`` entry: new ones start, retired ones stop (start-up and reload)."""
        if not self._keypads:
            return
        wanted = {k.device: k for k in cfg.keypads if cfg.desk(k.desk) is not None}
        with self._readers_lock:
            for device, r in list(self.readers.items()):
                k = wanted.get(device)
                if k is None or k.desk != r.decoder.desk or r.decoder.keymap != {**DEFAULT_KEYMAP, **(k.keymap or {})}:
                    r.stop()
                    del self.readers[device]
            for device, k in wanted.items():
                if device in self.readers:
                    continue
                dec = KeyDecoder(k.desk, cfg.desk(k.desk).services[0], k.keymap,
                                 alarm_key=cfg.alarm.keypad_key, hold_s=cfg.alarm.hold_s)
                r = KeypadReader(k.device, dec, self.controller.keypad, retry_s=self._keypad_retry_s,
                                 opener=self._keypad_opener)
                self.readers[device] = r
                if self._started:
                    r.start()

    def _continue_after(self, last: dict[str, int], now: int) -> None:
        unknown = [k for k in last if self.cfg.service(k) is None]
        if unknown:
            raise LedgerError(f"--numbers-after: unknown service {', '.join(unknown)}; the site has "
                              f"{', '.join(s.key for s in self.cfg.services)}")
        day = self.cfg.service_day(now)
        self.ledger.set_numbers_after(day, last)
        log.warning("numbers of %s continue after %s (--numbers-after)", day,
                    ", ".join(protocol.ticket_number(k, v) for k, v in sorted(last.items())))

    def _reloaded(self, cfg: SiteConfig) -> None:
        """The controller's worker took a new site file: keypads follow it."""
        self.cfg = cfg
        self._sync_readers(cfg)

    def _status(self) -> dict:
        """The controller's status fields: the snapshot the worker last published (never its live state),
        the ledger's health, and with USB keypads each desk's: ok, missing (unplugged), unavailable (no evdev)."""
        out = {**self.controller.status_fields, **self.controller.ledger_health()}
        with self._readers_lock:
            if self.readers:
                out["keypads"] = {r.decoder.desk: r.state for r in self.readers.values()}
        problem = self.alarm_io.problem if self.alarm_io is not None else None
        if problem:
            out["alarm_output"] = problem
        return out

    def _panic_button(self, desk: str) -> None:
        """gpiozero's thread: a panic button goes the way of a keypad's alarm."""
        log.warning("panic button of desk %s pressed", desk)
        self.controller.keypad(KeyCommand(desk, "alarm", source="button"))

    def start(self) -> None:
        self.controller.start()
        self.link.start()
        with self._readers_lock:
            self._started = True
            for r in self.readers.values():
                r.start()

    def stop(self) -> None:
        """Stop keypads, worker and link, then close the ledger (a second call does nothing)."""
        if self._stopped:
            return
        self._stopped = True
        with self._readers_lock:
            for r in self.readers.values():
                r.stop()
        self.controller.stop()
        self.link.stop()
        self.ledger.close()
        if self.alarm_io is not None:
            self.alarm_io.close()
        self.lock.release()


def _ticket_secret(cfg: SiteConfig) -> bytes | None:
    """The ticket secret (keys for the ticket pages' QR); without one, tickets carry no key."""
    try:
        return ticketkey.read_secret(cfg.broker.credentials_dir)
    except AufrufError as e:
        if cfg.webs or any("{key}" in (k.qr_url or "") for k in cfg.kiosks):
            log.error("%s: tickets get no key, so their QR codes lead nowhere", e)
        return None


def main(args: argparse.Namespace) -> int:
    cfg = load_or_exit(args.config)
    try:
        svc = DeskService(cfg, args.id, args.data, keypads=not args.no_keypads, new_ledger=args.new_ledger,
                          numbers_after=args.numbers_after)
    except AufrufError as e:
        print(f"aufruf desk: {e}", file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: svc.controller.request_reload(args.config))
    notifier = Notifier()
    svc.start()
    log.info("desk controller %s for site %s running (ledger %s)", args.id, cfg.site_id, svc.ledger.path)
    notifier.ready(f"site {cfg.site_id}")
    health: dict = {}
    rc = 0
    while not stop.wait(1.0):
        if not svc.controller.running:
            # never stay connected and "online" with nobody answering: exit, systemd restarts us
            log.critical("the controller's worker has stopped; exiting so that the service is restarted")
            rc = 1
            break
        # ping the watchdog only while the worker is alive and not stuck on one message (a ledger that
        # cannot be written is no hang: the worker answers ok:false and retries; a restart frees no disk)
        if svc.controller.alive:
            notifier.ping()
        if svc.controller.ledger_health() != health:
            health = svc.controller.ledger_health()
            notifier.status(f"site {cfg.site_id}" + (f"; the ledger cannot be written: {health['ledger_error']}"
                                                      if health.get("ledger") == "error" else ""))
    notifier.stopping()
    svc.stop()
    log.info("desk controller stopped")
    return rc
