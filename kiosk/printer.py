"""The kiosk's printer: a python-escpos connection chosen by the config, its state, reconnects.

:func:`make_printer` builds the python-escpos object for ``[kiosks.printer]``
(``usb``, ``serial``, ``network``, ``file`` or ``dummy``); the library is
imported only here, when a kiosk actually runs. :class:`PrinterPort` asks the
printer for paper and online status where the connection can answer (USB,
serial, network), treats connections that cannot (file, dummy) as "ok", sends
whole tickets in one write, and after any error drops the connection so the
next check or print opens it afresh: a replugged cable or refilled paper is
noticed without a restart.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from aufruf.config import Printer
from aufruf.errors import AufrufError

log = logging.getLogger(__name__)

OK = "ok"
PAPER_LOW = "paper_low"
PAPER_OUT = "paper_out"
OFFLINE = "offline"
CAN_PRINT = (OK, PAPER_LOW)


class PrintError(AufrufError, OSError):
    """A ticket could not be handed to the printer."""


STATUS_CONNECTIONS = ("usb", "serial", "network")   # connections that carry the printer's answers back


def make_printer(spec: Printer) -> Any:
    """The python-escpos printer object for a ``[kiosks.printer]`` table (not yet opened)."""
    from escpos import printer as ep
    profile = spec.profile
    if spec.connection == "usb":
        return ep.Usb(spec.vendor_id, spec.product_id, timeout=int(spec.timeout_s * 1000), profile=profile)
    if spec.connection == "serial":
        return ep.Serial(devfile=spec.device, baudrate=spec.baudrate, timeout=spec.timeout_s, profile=profile)
    if spec.connection == "network":
        return ep.Network(spec.host, port=spec.port, timeout=spec.timeout_s, profile=profile)
    if spec.connection == "file":
        return ep.File(devfile=spec.path, profile=profile)
    return ep.Dummy(profile=profile)


class PrinterPort:
    """One printer, opened lazily, checked on demand, reopened after errors.

    Made with :meth:`from_spec` for a ``[...printer]`` table (the connection is
    opened from it when needed), or :meth:`of` for a ready python-escpos object
    (e.g. ``Dummy``, used as is and never replaced). ``reports_status`` says
    whether the connection carries the printer's answers back (USB, serial,
    network do; a file or ``Dummy`` does not): only then is the printer asked,
    through python-escpos's public ``paper_status()`` and ``is_online()``.
    """

    def __init__(self, *, connect: Callable[[], Any], reports_status: bool, check_status: bool = True,
                 profile_name: str | None = None, spec: Printer | None = None):
        self._factory = connect
        self.reports_status = reports_status
        self.check_status = check_status
        self.profile_name = profile_name
        self.spec = spec
        self._p: Any = None
        self.state = OK

    @classmethod
    def from_spec(cls, spec: Printer) -> "PrinterPort":
        return cls(connect=lambda: make_printer(spec), reports_status=spec.connection in STATUS_CONNECTIONS,
                   check_status=spec.check_status, profile_name=spec.profile, spec=spec)

    @classmethod
    def of(cls, printer: Any, *, reports_status: bool = False, check_status: bool = True,
           profile_name: str | None = None) -> "PrinterPort":
        return cls(connect=lambda: printer, reports_status=reports_status, check_status=check_status,
                   profile_name=profile_name)

    @property
    def profile(self) -> Any:
        """The printer's python-escpos capability profile."""
        return self._open().profile

    def _open(self) -> Any:
        if self._p is None:
            self._p = self._factory()
        return self._p

    def _drop(self) -> None:
        p, self._p = self._p, None
        if p is not None:
            try:
                p.close()
            except Exception:  # noqa: BLE001 - closing a broken connection may fail too
                pass

    def check(self) -> str:
        """Ask the printer (where it can tell): ``ok``, ``paper_low``, ``paper_out`` or ``offline``."""
        if not self.check_status:
            self.state = OK
            return self.state
        try:
            p = self._open()
            if not self.reports_status:
                p.device             # opens a file connection: a missing device file is "offline"
                self.state = OK
                return self.state
            paper = p.paper_status()
            if paper == 0:
                self.state = PAPER_OUT
            elif not p.is_online():
                self.state = OFFLINE
            else:
                self.state = PAPER_LOW if paper == 1 else OK
        except NotImplementedError:
            self.state = OK
        except Exception as e:  # noqa: BLE001 - USB/serial/socket errors all mean "cannot print now"
            log.debug("printer check failed: %s", e)
            self._drop()
            self.state = OFFLINE
        return self.state

    def print_bytes(self, data: bytes) -> None:
        """Hand a whole ticket to the printer in one write; raise :class:`PrintError` on failure."""
        try:
            self._open()._raw(data)
        except Exception as e:  # noqa: BLE001
            self._drop()
            self.state = OFFLINE
            raise PrintError(str(e) or type(e).__name__) from e


def open_printer(spec: Printer) -> PrinterPort:
    """A printer port for a ``[...printer]`` table (used by ``aufruf issue --print`` at the info desk)."""
    return PrinterPort.from_spec(spec)
