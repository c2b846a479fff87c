"""Kiosk fixtures: gpiozero's MockFactory, python-escpos Dummy printers, a running Kiosk on the test broker."""

from __future__ import annotations

import threading

import pytest
from escpos.constants import RT_STATUS_ONLINE, RT_STATUS_PAPER
from escpos.printer import Dummy
from gpiozero.pins.mock import MockFactory

from aufruf.link import MqttLink


class StatusDummy(Dummy):
    """python-escpos's Dummy that also answers the real-time status queries like a printer does.

    ``paper`` is what the paper sensor says (2 ok, 1 low, 0 out), ``online`` the
    online bit, ``fail_writes`` makes every write raise like an unplugged USB printer.
    The answer bytes are the ones the ESC/POS DLE EOT commands return.
    """

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.paper = 2
        self.online = True
        self.fail_writes = False
        self.tickets: list[bytes] = []
        self._last_query = b""
        self.written = threading.Event()

    def _raw(self, msg: bytes) -> None:
        if msg in (RT_STATUS_ONLINE, RT_STATUS_PAPER):
            self._last_query = msg
            return
        if self.fail_writes:
            raise OSError(5, "Input/output error")
        super()._raw(msg)
        self.tickets.append(msg)
        self.written.set()

    def _read(self) -> bytes:
        if self._last_query == RT_STATUS_PAPER:
            return bytes([{2: 0x12, 1: 0x1E, 0: 0x72}[self.paper]])
        return bytes([0x12 if self.online else 0x1A])


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
        from kiosk.kiosk import Kiosk
        cfg = kw.pop("cfg", site.cfg)
        link = MqttLink(cfg.broker, cfg.site_id, "kiosk", "entrance")
        k = Kiosk(cfg, "entrance", link=link, printer=printer if printer is not None else StatusDummy(),
                  pin_factory=pins, **kw)
        made.append(k)
        k.start()
        assert k.link.wait_connected(5)
        assert k.wait_ready(5)
        return k
    yield make
    for k in made:
        k.stop()
