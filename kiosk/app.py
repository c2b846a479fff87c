"""``aufruf kiosk --config FILE --id entrance``: run the ticket kiosk of this Pi.

Loads the site file, opens the GPIO pins through an explicit pin factory
(``GPIOZERO_PIN_FACTORY``, default ``lgpio``; ``mock`` on a laptop), the
printer from ``[kiosks.printer]`` and the MQTT link, then keeps systemd's
watchdog fed from the kiosk's worker loop until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from aufruf.config import DEFAULT_PATH
from aufruf.errors import LinkError
from aufruf.watchdog import Notifier

log = logging.getLogger(__name__)


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", default=DEFAULT_PATH, help=f"the site config (default {DEFAULT_PATH})")
    p.add_argument("--id", required=True, help="this kiosk's id in the site config, e.g. entrance")


def main(args: argparse.Namespace) -> int:
    from aufruf.config import load_or_exit

    from .kiosk import TicketKiosk
    from .panel import pin_factory_from_env
    cfg = load_or_exit(args.config)
    if cfg.kiosk(args.id) is None:
        print(cfg.unknown("kiosk", args.id), file=sys.stderr)
        return 1
    from aufruf.instance import InstanceError, claim
    try:
        held = claim(cfg, "kiosk", args.id)           # a second kiosk with this id is refused
    except (InstanceError, LinkError) as e:
        print(f"aufruf kiosk: {e}", file=sys.stderr)
        return 1
    notifier = Notifier()
    try:
        pin_factory = pin_factory_from_env()
    except Exception as e:  # noqa: BLE001 - no GPIO chip, no permission, missing backend
        print(f"cannot open the GPIO pins: {e}. On a laptop run with GPIOZERO_PIN_FACTORY=mock.", file=sys.stderr)
        return 1
    from . import printer_db
    printer_db.load()                      # the printer database from the last start's parse (printer_db.py)
    announced = threading.Event()          # ping the watchdog only after READY=1 went out

    def ping() -> None:
        if announced.is_set():
            notifier.ping()
    try:
        kiosk = TicketKiosk(cfg, args.id, pin_factory=pin_factory, on_tick=ping)
    except LinkError as e:
        print(e, file=sys.stderr)
        return 1
    except Exception as e:  # noqa: BLE001 - a pin in use, a bad pin number, ...
        print(f"cannot start kiosk '{args.id}': {e}", file=sys.stderr)
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    kiosk.start()
    kiosk.wait_ready(10)
    notifier.ready(f"kiosk {args.id}: printer {kiosk.printer_state}")
    announced.set()
    log.info("kiosk %s running: buttons %s, printer %s (%s)", args.id,
             ", ".join(f"{b.service}@GPIO{b.pin}" for b in kiosk.kcfg.buttons), kiosk.kcfg.printer.connection,
             kiosk.printer_state)
    stop.wait()
    notifier.stopping()
    kiosk.stop()
    held.release()
    log.info("kiosk %s stopped", args.id)
    return 0
