"""The kiosk with the real desk controller (`aufruf desk` as its own process) and a real Mosquitto.

The kiosk runs in the test process so its buttons can be pressed on gpiozero's
MockFactory and its printer is python-escpos's Dummy; everything between them
is the real thing: broker, ACL, controller, ledger.
"""

from __future__ import annotations

import functools
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory
from printers import StatusDummy
from probe import wait_until as _wait_until

from aufruf import config
from kiosk.printer import PrinterPort
from kiosk import panel
from kiosk.kiosk import TicketKiosk

wait_until = functools.partial(_wait_until, timeout=10.0)  # real processes: allow more time

REPO = Path(__file__).resolve().parents[2]
K, N = 17, 18


class Office:
    """Broker + controller process + in-process kiosk with mock pins and a Dummy printer."""

    def __init__(self, site):
        self.site = site
        self.probe = site.probe()
        self.desk: subprocess.Popen | None = None
        self.start_desk()
        self.pins = MockFactory()
        self.printer = StatusDummy()
        self.printed: list[str | None] = []
        self.kiosk = TicketKiosk(site.cfg, "entrance", printer=PrinterPort.of(self.printer, reports_status=True),
                           pin_factory=self.pins,
                           on_printed=lambda n, b: self.printed.append(n))
        self.kiosk.start()
        assert self.kiosk.link.wait_connected(5)
        wait_until(lambda: self.kiosk.led_mode == panel.READY, what="kiosk ready")

    def start_desk(self) -> None:
        mark = self.probe.mark()
        log = open(self.site.root / "desk.log", "ab")
        self.desk = subprocess.Popen(
            [sys.executable, "-m", "aufrufcli", "desk", "--config", str(self.site.config_path), "--id", "main",
             "--data", str(self.site.data), "--no-keypads"],
            cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), stdout=log, stderr=log)
        self.probe.wait_for("status/controller/main", lambda b: b.get("online"), timeout=20, start=mark)

    def stop_desk(self) -> None:
        self.desk.send_signal(signal.SIGTERM)
        assert self.desk.wait(15) == 0

    def press(self, pin: int, hold_s: float = 0.0, bounces: int = 0) -> None:
        p = self.pins.pin(pin)
        p.drive_low()
        for _ in range(bounces):
            p.drive_high()
            p.drive_low()
        if hold_s:
            time.sleep(hold_s)         # a customer holding the button down (not waiting for a result)
        p.drive_high()

    def printed_report(self, number: str) -> dict:
        return self.probe.wait_for("kiosk/entrance/printed", lambda b: b["number"] == number, timeout=10)

    def waiting(self, service: str) -> int:
        q = self.probe.all("queue")
        return q[-1]["services"][service]["waiting"] if q else 0

    def tickets(self) -> list[tuple[str, str]]:
        con = sqlite3.connect(self.site.data / "ledger.db")
        try:
            return con.execute("SELECT number, state FROM tickets ORDER BY issued_at, number").fetchall()
        finally:
            con.close()

    def close(self) -> None:
        self.kiosk.stop()
        self.pins.reset()
        if self.desk and self.desk.poll() is None:
            self.desk.kill()
            self.desk.wait()


@pytest.fixture
def office(site_factory):
    text = config.EXAMPLE_SITE.read_text(encoding="utf-8").replace("min_gap_s = 2.0", "min_gap_s = 0.3")
    o = Office(site_factory(text))
    yield o
    o.close()


def test_press_gives_the_next_number_with_the_people_ahead(office):
    office.press(K)
    assert office.printed_report("K001")["ok"] is True
    office.press(N)
    assert office.printed_report("N001")["ok"] is True
    time.sleep(0.3)                    # the minimum gap of button K (0.3 s here) must pass between two presses
    office.press(K)
    assert office.printed_report("K002")["ok"] is True
    out = office.printer.output
    assert b"K001" in out and b"N001" in out and b"K002" in out
    k002 = out[out.index(b"K002"):]
    assert b"Vor Ihnen: 1" in k002 and b"Ahead of you: 1" in k002     # K001 waits before K002
    wait_until(lambda: office.printed == ["K001", "N001", "K002"], what="all three printed")
    assert office.tickets() == [("K001", "waiting"), ("N001", "waiting"), ("K002", "waiting")]


def test_bounce_and_a_long_hold_give_one_ticket(office):
    office.press(K, hold_s=1.0, bounces=8)
    assert office.printed_report("K001")["ok"] is True
    wait_until(lambda: office.waiting("K") == 1, what="queue shows one")
    assert [n for n, _ in office.tickets()] == ["K001"]
    assert len(office.probe.all("kiosk/entrance/request")) == 1


def test_paper_out_issues_nothing(office):
    office.printer.paper = 0
    office.press(K)
    wait_until(lambda: office.kiosk.refused_presses == 1, what="press refused")
    wait_until(lambda: office.kiosk.led_mode == panel.FAULT, what="the LED showing the fault")
    office.probe.wait_for("status/kiosk/entrance", lambda b: b.get("printer") == "paper_out")
    assert office.probe.all("kiosk/entrance/request") == []
    assert office.tickets() == []


def test_print_failure_after_issue_voids_the_ticket(office):
    office.printer.fail_writes = True
    office.press(K)
    rep = office.printed_report("K001")
    assert rep["ok"] is False
    wait_until(lambda: office.tickets() == [("K001", "void")], what="K001 voided in the ledger")
    wait_until(lambda: office.waiting("K") == 0, what="queue without K001")
    wait_until(lambda: office.kiosk.led_mode == panel.FAULT, what="the LED showing the fault")
    assert office.printed == []


def test_controller_down_no_ticket_fault_then_recovery_with_one_number(office):
    office.stop_desk()
    wait_until(lambda: office.kiosk.led_mode == panel.FAULT, what="fault while the controller is away")
    office.press(K)
    req = office.probe.wait_for("kiosk/entrance/request")
    # retried under the same id while nobody answers, nothing printed meanwhile
    office.probe.wait_for("kiosk/entrance/request", start=office.probe.mark(), timeout=10)
    assert office.printed == [] and office.printer.tickets == []
    assert office.kiosk.led_mode == panel.FAULT
    office.start_desk()
    assert office.printed_report("K001")["id"] == req["id"]
    wait_until(lambda: office.kiosk.led_mode == panel.READY, what="ready after recovery")
    assert {r["id"] for r in office.probe.all("kiosk/entrance/request")} == {req["id"]}
    assert office.tickets() == [("K001", "waiting")]
    assert office.printed == ["K001"]
