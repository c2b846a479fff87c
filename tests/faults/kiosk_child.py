"""A kiosk process the fault tests can press and kill: ``python kiosk_child.py SITE KIOSK [--hang-on-print]``.

A separate `aufruf kiosk` process cannot be pressed (its mock pins live in its
own memory), so this runs the same :class:`kiosk.kiosk.TicketKiosk` as its own
process, with gpiozero's MockFactory and python-escpos's Dummy, and presses
the button of service S when it reads the line ``press S`` on stdin. It
writes ``ready``, ``printing <bytes>`` and ``printed <number>`` lines to
stdout. With ``--hang-on-print`` the printer's write never returns (a printer
stuck mid-ticket), so the test can kill -9 the process between the ticket
reply and the ``printed`` report.
"""

import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from escpos.printer import Dummy  # noqa: E402
from gpiozero.pins.mock import MockFactory  # noqa: E402

from aufruf import config  # noqa: E402
from aufruf.logsetup import setup  # noqa: E402
from kiosk.kiosk import TicketKiosk  # noqa: E402
from kiosk.printer import PrinterPort  # noqa: E402

out_lock = threading.Lock()


def say(line: str) -> None:
    with out_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


class HangingDummy(Dummy):
    """python-escpos's Dummy whose write of a ticket never returns (stuck mid-print)."""

    def _raw(self, msg: bytes) -> None:
        say(f"printing {len(msg)}")
        threading.Event().wait()


def main() -> None:
    site, kiosk_id = sys.argv[1], sys.argv[2]
    setup()
    cfg = config.load(site)
    pins = MockFactory()
    printer = HangingDummy() if "--hang-on-print" in sys.argv else Dummy()
    k = TicketKiosk(cfg, kiosk_id, printer=PrinterPort.of(printer), pin_factory=pins,
              on_printed=lambda number, raw: say(f"printed {number}"))
    k.start()
    if not (k.link.wait_connected(10) and k.wait_ready(10)):
        say("not ready")
        sys.exit(1)
    say("ready")
    pin_of = {b.service: b.pin for b in k.kcfg.buttons}
    for line in sys.stdin:
        cmd = line.split()
        if cmd[:1] == ["press"]:
            pin = pins.pin(pin_of[cmd[1]])
            pin.drive_low()
            pin.drive_high()
    k.stop()


if __name__ == "__main__":
    main()
