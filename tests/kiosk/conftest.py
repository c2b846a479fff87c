"""Kiosk fixtures: gpiozero's MockFactory, python-escpos Dummy printers, a running Kiosk on the test broker."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory

from kiosk.printer import PrinterPort

sys.path.insert(0, str(Path(__file__).resolve().parent))

from printers import StatusDummy  # noqa: E402


@pytest.fixture
def pins():
    factory = MockFactory()
    yield factory
    factory.reset()


@pytest.fixture
def make_kiosk(site, pins):
    """Build (and later stop) a Kiosk for the model site's 'entrance' on the test broker."""
    made = []

    def make(printer=None, **kw):
        from kiosk.kiosk import TicketKiosk
        cfg = kw.pop("cfg", site.cfg)
        printer = printer if printer is not None else StatusDummy()
        # StatusDummy answers status queries as a USB printer does; a plain Dummy, like a file, cannot
        port = PrinterPort.of(printer, reports_status=isinstance(printer, StatusDummy))
        k = TicketKiosk(cfg, "entrance", printer=port, pin_factory=pins, **kw)
        made.append(k)
        k.start()
        assert k.link.wait_connected(5)
        assert k.wait_ready(5)
        return k
    yield make
    for k in made:
        k.stop()
