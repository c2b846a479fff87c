"""A printer for kiosk tests: python-escpos's own Dummy, answering status queries as a printer does."""

from __future__ import annotations

import threading

from escpos.constants import RT_STATUS_ONLINE, RT_STATUS_PAPER
from escpos.printer import Dummy


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
