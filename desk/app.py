"""``aufruf desk``: start-up of the desk controller (the only place that wires it together)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from typing import Callable

from aufruf import ticketkey
from aufruf.config import DEFAULT_PATH, load_or_exit
from aufruf.config import SiteConfig
from aufruf.errors import AufrufError
from aufruf.link import MqttLink, now_ms
from aufruf.watchdog import Notifier

from .controller import Controller
from .keypad import DEFAULT_KEYMAP, KeyDecoder, KeypadReader
from .ledger import Ledger

log = logging.getLogger(__name__)
SESSION_EXPIRY_S = 600  # commands sent while the controller restarts are kept by the broker this long


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=DEFAULT_PATH, help=f"the site config (default {DEFAULT_PATH})")
    p.add_argument("--id", default="main", help="controller id (MQTT user controller-<id>), default main")
    p.add_argument("--data", default="/var/lib/aufruf", help="ledger directory (default /var/lib/aufruf)")
    p.add_argument("--no-keypads", action="store_true", help="do not open the USB keypads of the site file")


class DeskService:
    """The running controller: ledger, queue rules, MQTT link and local keypads."""

    def __init__(self, cfg: SiteConfig, controller_id: str, data_dir: str, keypads: bool = True,
                 password: str | None = None, clock: Callable[[], int] = now_ms,
                 keypad_opener: Callable[[str], object] | None = None, keypad_retry_s: float = 2.0):
        self.cfg = cfg
        self.ledger = Ledger(data_dir)
        self.controller = Controller(cfg, self.ledger, controller_id=controller_id, clock=clock,
                                     on_reloaded=self._reloaded, ticket_secret=_ticket_secret(cfg))
        self.link = MqttLink(cfg.broker, cfg.site_id, "controller", controller_id,
                             subscriptions=Controller.subscriptions(cfg.site_id),
                             handler=self.controller.on_message, on_connect=self.controller.on_connected,
                             session_expiry_s=SESSION_EXPIRY_S, password=password, status_extra=self._status)
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
                dec = KeyDecoder(k.desk, cfg.desk(k.desk).services[0], k.keymap)
                r = KeypadReader(k.device, dec, self.controller.keypad, retry_s=self._keypad_retry_s,
                                 opener=self._keypad_opener)
                self.readers[device] = r
                if self._started:
                    r.start()

    def _reloaded(self, cfg: SiteConfig) -> None:
        """The controller's worker took a new site file: keypads follow it."""
        self.cfg = cfg
        self._sync_readers(cfg)

    def _status(self) -> dict:
        """The controller's status fields: the snapshot the worker last published (never its live state);
        with USB keypads, each desk's: ok, missing (unplugged), unavailable (no evdev)."""
        out = dict(self.controller.status_fields)
        with self._readers_lock:
            if self.readers:
                out["keypads"] = {r.decoder.desk: r.state for r in self.readers.values()}
        return out

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
        svc = DeskService(cfg, args.id, args.data, keypads=not args.no_keypads)
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
    while not stop.wait(1.0):
        # ping the watchdog only while the worker is alive and not stuck on one message
        if svc.controller.alive:
            notifier.ping()
    notifier.stopping()
    svc.stop()
    log.info("desk controller stopped")
    return 0
