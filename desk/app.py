"""``aufruf desk``: start-up of the desk controller (the only place that wires it together)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
import time
import uuid
from typing import Callable

from aufruf import protocol
from aufruf.config import load_or_exit
from aufruf.config import SiteConfig
from aufruf.errors import AufrufError, HardwareError
from aufruf.link import MqttLink, now_ms
from aufruf.watchdog import Notifier

from .alarm_io import AlarmIO
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
                 keypad_opener: Callable[[str], object] | None = None, keypad_retry_s: float = 2.0,
                 pin_factory: object = None):
        self.cfg = cfg
        self.ledger = Ledger(data_dir)
        # panic buttons, alarm lamp, alarm hook (docs/rules.md); gpiozero's default pin factory unless given
        self.alarm_io = None
        if AlarmIO.needed(cfg):
            try:
                self.alarm_io = AlarmIO(cfg, pin_factory=pin_factory, raise_alarm=self._panic_button)
            except Exception as e:  # noqa: BLE001 - gpiozero: pin in use, no GPIO chip, no permission
                self.ledger.close()
                raise HardwareError(f"cannot open the alarm's GPIO pins ([[desks]] panic_pin, [alarm] "
                                    f"output_pin): {e}. Without GPIO, run with GPIOZERO_PIN_FACTORY=mock.") from None
        self.controller = Controller(cfg, self.ledger, controller_id=controller_id, clock=clock,
                                     on_alarm=self.alarm_io.on_alarm if self.alarm_io else None)
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
                                 lambda d=k.desk: self.controller.office.desks[d].status == "paused", k.keymap,
                                 alarm_key=cfg.alarm.keypad_key, hold_s=cfg.alarm.hold_s)
                self.readers.append(KeypadReader(k.device, dec, self._keypad_command, retry_s=keypad_retry_s,
                                                 opener=keypad_opener))

    def _status(self) -> dict:
        office = self.controller.office
        out = {"day": office.day, "waiting": {s.key: office.waiting(s.key) for s in self.cfg.services}}
        if self.alarm_io is not None and self.alarm_io.problem:
            out["alarm_output"] = self.alarm_io.problem
        return out

    def _panic_button(self, desk: str) -> None:
        """gpiozero's thread: a panic button goes the way of a keypad's alarm."""
        log.warning("panic button of desk %s pressed", desk)
        self._keypad_command(desk, {"v": 1, "id": f"panic{desk}-{uuid.uuid4().hex[:12]}", "action": "alarm",
                                    "source": "button"})

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
        if self.alarm_io is not None:
            self.alarm_io.close()


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
