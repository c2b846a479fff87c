"""The printer port: status where the connection can tell, offline on errors, reconnect without restart."""

from escpos.printer import Dummy, File

from aufruf.config import Printer
from aufruf.protocol import TicketInfo
from printers import StatusDummy
from kiosk.printer import OFFLINE, OK, PAPER_LOW, PAPER_OUT, PrinterPort, PrintError, make_printer

import pytest


def test_status_from_the_printers_answers():
    d = StatusDummy()
    port = PrinterPort.of(d, reports_status=True)
    assert port.check() == OK
    d.paper = 1
    assert port.check() == PAPER_LOW
    d.paper = 0
    assert port.check() == PAPER_OUT
    d.paper, d.online = 2, False
    assert port.check() == OFFLINE


def test_dummy_and_file_cannot_tell_and_count_as_ok_without_writing_queries(tmp_path):
    d = Dummy()
    assert PrinterPort.of(d).check() == OK
    assert d.output == b""                      # no status query bytes in the ticket stream
    assert PrinterPort.from_spec(Printer()).check() == OK          # connection = "dummy" in the site file
    port = PrinterPort.from_spec(Printer(connection="file", path=str(tmp_path / "lp0")))
    assert port.check() == OK
    port.print_bytes(b"ticket")
    assert (tmp_path / "lp0").read_bytes() == b"ticket"


def test_missing_device_is_offline_and_noticed_when_it_appears(tmp_path):
    dev = tmp_path / "usb" / "lp0"
    port = PrinterPort.from_spec(Printer(connection="file", path=str(dev)))
    assert port.check() == OFFLINE
    with pytest.raises(PrintError):
        port.print_bytes(b"x")
    dev.parent.mkdir()                          # the printer is plugged in again
    assert port.check() == OK
    port.print_bytes(b"K001")
    assert dev.read_bytes() == b"K001"


def test_unreachable_network_printer_is_offline():
    port = PrinterPort.from_spec(Printer(connection="network", host="127.0.0.1", port=1, timeout_s=0.5))
    assert port.check() == OFFLINE


def test_factory_builds_each_connection_type_without_opening_it():
    from escpos import printer as ep
    assert isinstance(make_printer(Printer(connection="usb", vendor_id=0x04B8, product_id=0x0202,
                                           profile="TM-T20II")), ep.Usb)
    assert isinstance(make_printer(Printer(connection="serial", device="/dev/ttyUSB9")), ep.Serial)
    assert isinstance(make_printer(Printer(connection="network", host="192.0.2.1")), ep.Network)
    assert isinstance(make_printer(Printer(connection="file", path="/dev/usb/lp9")), File)
    assert isinstance(make_printer(Printer()), Dummy)


def test_check_status_off_trusts_the_printer():
    d = StatusDummy()
    d.paper = 0
    assert PrinterPort.of(d, reports_status=True, check_status=False).check() == OK


def test_info_desk_ticket_is_printed_like_a_kiosk_ticket_and_refused_without_paper(tmp_path):
    from aufruf import config
    from kiosk.printer import open_printer
    from kiosk.ticket_layout import print_ticket
    cfg = config.load(config.EXAMPLE_SITE)
    ticket = TicketInfo("N004", "N", 1_764_088_200_000, ahead=2, eta_min=30)
    port = open_printer(Printer(connection="file", path=str(tmp_path / "lp0")))
    raw = print_ticket(port, cfg, ticket)
    assert (tmp_path / "lp0").read_bytes() == raw
    assert b"N004" in raw and b"Ahead of you: 2" in raw and b"Please keep your ticket ready." in raw
    d = StatusDummy()
    d.paper = 0
    with pytest.raises(PrintError, match="paper_out"):
        print_ticket(PrinterPort.of(d, reports_status=True), cfg, ticket)
    assert d.tickets == []


class AnsweringDummy(Dummy):
    """python-escpos master's Dummy (PR #714): ``_read()`` returns the last byte written.

    A status query then "answers" with the query's own last byte, which decodes as
    nonsense (paper out). Release 3.1's Dummy raises NotImplementedError instead.
    """

    def _raw(self, msg: bytes) -> None:
        super()._raw(msg)
        self._last = msg[-1:] if msg else b"\x00"

    def _read(self) -> bytes:
        return getattr(self, "_last", b"\x00")


@pytest.mark.parametrize("dummy", [Dummy, AnsweringDummy], ids=["release-3.1", "master"])
def test_a_dummy_printer_is_ready_whatever_its_read_does(dummy):
    """Both Dummy behaviours: a kiosk, the demo and ``aufruf issue --print`` on a Dummy print every ticket."""
    d = dummy()
    port = PrinterPort.of(d)
    assert port.check() == OK
    port.print_bytes(b"K001")
    assert port.check() == OK and d.output == b"K001"
    assert PrinterPort.from_spec(Printer(connection="dummy")).check() == OK


def test_the_answering_dummy_really_answers_status_queries_wrongly():
    """What the test above guards against: asked for status, master's Dummy looks like a printer without paper."""
    d = AnsweringDummy()
    assert d.paper_status() != 2
