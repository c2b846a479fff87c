"""``aufruf desk``: start-up of the desk controller (the only place that wires it together)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
from typing import Callable

from aufruf import protocol, ticketkey
from aufruf.config import load_or_exit
from aufruf.config import SiteConfig
from aufruf.errors import AufrufError
from aufruf.link import MqttLink, now_ms
from aufruf.watchdog import Notifier

from .controller import Controller
from .keypad import KeyDecoder, KeypadReader
from .ledger import Ledger

log = logging.getLogger("aufruf.desk")
SESSION_EXPIRY_S = 600  # commands sent while the controller restarts are kept by the broker this long
STUCK_AFTER_S = 30.0


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", required=True, help="the site config (TOML)")
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
                                     ticket_secret=_ticket_secret(cfg))
        self.link = MqttLink(cfg.broker, cfg.site_id, "controller", controller_id,
                             subscriptions=Controller.subscriptions(cfg.site_id),
                             handler=self.controller.on_message, session_expiry_s=SESSION_EXPIRY_S,
                             password=password, status_extra=self._status)
        self.controller.attach(self.link)
        self.readers: list[KeypadReader] = []
        if keypads:
            for k in cfg.keypads:
                desk = cfg.desk(k.desk)
                dec = KeyDecoder(k.desk, desk.services[0],
                                 lambda d=k.desk: self.controller.office.desks[d].status == "paused", k.keymap)
                self.readers.append(KeypadReader(k.device, dec, self._keypad_command, retry_s=keypad_retry_s,
                                                 opener=keypad_opener))

    def _status(self) -> dict:
        office = self.controller.office
        return {"day": office.day, "waiting": {s.key: office.waiting(s.key) for s in self.cfg.services}}

    def _keypad_command(self, desk: str, cmd: dict) -> None:
        """A local USB keypad sends through the same path as a remote one."""
        log.info("keypad of desk %s: %s", desk, cmd["action"])
        self.controller.on_message(protocol.Topics(self.cfg.site_id).command(desk), protocol.encode(cmd), False)

    def start(self) -> None:
        self.controller.start()
        self.link.start()
        for r in self.readers:
            r.start()

    def stop(self) -> None:
        for r in self.readers:
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
        if svc.controller._thread and svc.controller._thread.is_alive() and \
                time.monotonic() - svc.controller.healthy_at < STUCK_AFTER_S:
            notifier.ping()
    notifier.stopping()
    svc.stop()
    log.info("desk controller stopped")
    return 0
