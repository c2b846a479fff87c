"""Appointments end to end: `aufruf appointments import`, a scan at the kiosk, the slip, the desk told,
the call on the board, the no-show in the day's list; and a kill -9 of the controller between check-in
and call. Real Mosquitto, the controller as its own process, the kiosk with MockFactory and a Dummy printer;
the scanner is the kiosk's own reader fed with real evdev InputEvent objects."""

from __future__ import annotations

import datetime as dt
import functools
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from evdev import InputEvent, ecodes
from gpiozero.pins.mock import MockFactory
from printers import StatusDummy
from probe import wait_until as _wait_until

from appointment_site import site_text
from kiosk import panel
from kiosk.kiosk import TicketKiosk
from kiosk.printer import PrinterPort

wait_until = functools.partial(_wait_until, timeout=10.0)
REPO = Path(__file__).resolve().parents[2]
SCANNER = "/dev/input/by-id/usb-test-scanner-event-kbd"
KEYPAD = "/dev/input/by-id/usb-test-keypad-event-kbd"
APPOINTMENT_PIN = 23


def no_device(path: str):
    raise OSError(2, "No such device (the test feeds the reader's events itself)")


def keys_for(text: str, enter: bool = True) -> list[InputEvent]:
    out = []
    for ch in text:
        name = {"-": "KEY_MINUS"}.get(ch, f"KEY_{ch.upper()}")
        out += [InputEvent(0, 0, ecodes.EV_KEY, ecodes.ecodes[name], 1),
                InputEvent(0, 0, ecodes.EV_KEY, ecodes.ecodes[name], 0)]
    if enter:
        out.append(InputEvent(0, 0, ecodes.EV_KEY, ecodes.KEY_ENTER, 1))
    return out


def aufruf(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aufrufcli", *args], cwd=REPO, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), timeout=60)


class Office:
    def __init__(self, site):
        self.site = site
        self.probe = site.probe()
        self.desk: subprocess.Popen | None = None
        self.start_desk()
        self.pins = MockFactory()
        self.printer = StatusDummy()
        self.printed: list[str | None] = []
        self.kiosk = TicketKiosk(site.cfg, "entrance", printer=PrinterPort.of(self.printer, reports_status=True),
                                 pin_factory=self.pins, on_printed=lambda n, b: self.printed.append(n),
                                 scanner_opener=no_device)
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

    def scan(self, text: str, enter: bool = True) -> None:
        for ev in keys_for(text, enter):
            self.kiosk.scanner.handle_event(ev)

    def command(self, desk: str, cid: str, action: str) -> dict:
        return self.probe.request(f"desk/{desk}/command", f"desk/{desk}/reply", {"v": 1, "id": cid, "action": action},
                                  timeout=10)

    def close(self) -> None:
        self.kiosk.stop()
        self.pins.reset()
        if self.desk and self.desk.poll() is None:
            self.desk.kill()
            self.desk.wait()


def local_now(cfg) -> dt.datetime:
    return dt.datetime.now(cfg.tz)


@pytest.fixture
def office(site_factory):
    text = site_text().replace('id = "entrance"\n', f'id = "entrance"\nscanner = "{SCANNER}"\n'
                               f'code_keypad = "{KEYPAD}"\nappointment_pin = {APPOINTMENT_PIN}\n', 1)
    site = site_factory(text)
    now = local_now(site.cfg)
    if not (dt.time(3, 40) <= now.time() <= dt.time(23, 20)):
        pytest.skip("appointments of 'today' need a local time away from the day boundary")
    soon = (now + dt.timedelta(minutes=5)).strftime("%H:%M")
    later = (now + dt.timedelta(hours=2)).strftime("%H:%M") if now.hour < 21 else None
    rows = [f"{soon},AB12CD,r214,B,bring documents", f"{soon},ZZ99ZZ,2,K,", f"{soon},4711,2,K,"]
    if later:
        rows.append(f"{later},EARLY1,r214,B,")
    csv = site.root / "today.csv"
    csv.write_text("time,code,desk,service,note\n" + "\n".join(rows) + "\n", encoding="utf-8")
    o = Office(site)
    o.csv, o.soon, o.later = csv, soon, later
    yield o
    o.close()


def test_import_scan_slip_desk_told_call_on_board_noshow(office):
    site = office.site
    cfg = ["--config", str(site.config_path), "--data", str(site.data)]
    r = aufruf("appointments", "import", str(office.csv), *cfg)      # while the controller runs
    assert r.returncode == 0, r.stderr
    assert "added" in r.stdout
    assert "0 added" in aufruf("appointments", "import", str(office.csv), *cfg).stdout   # idempotent

    office.scan("ab12cd")
    rep = office.probe.wait_for("kiosk/entrance/printed", lambda b: b["number"] == "T001", timeout=10)
    assert rep["ok"] is True
    out = office.printer.output
    assert b"T001" in out and b"2. Stock," in out and b"Raum 2.14." in out and b"room 2.14" in out and office.soon.encode() in out
    ev = office.probe.wait_for("desk/r214/arrival", timeout=10)
    assert ev["number"] == "T001" and ev["time"] == office.soon and "name" not in ev

    st = aufruf("status", "--config", str(site.config_path))
    assert st.returncode == 0 and "checked in: T001" in st.stdout, st.stdout
    # the scanner is not plugged in (the test feeds its reader directly): staff see it
    assert "kiosk entrance: online, scanner offline, code keypad offline" in st.stdout, st.stdout

    # the same code again: refused as used, a note printed, nothing issued
    n_before = len(office.printer.tickets)
    office.scan("AB12CD")
    wait_until(lambda: len(office.printer.tickets) == n_before + 1, what="the refusal note")
    assert b"bereits eingecheckt" in office.printer.tickets[-1]
    # garbage and a half code: refused at the kiosk, nothing sent, nothing printed
    requests_before = len(office.probe.all("kiosk/entrance/request"))
    office.kiosk.scanner.handle_event(InputEvent(0, 0, ecodes.EV_KEY, ecodes.KEY_F5, 1))
    office.scan("AB12")
    office.scan("HALF", enter=False)
    office.kiosk.scanner._emit(office.kiosk.scanner.decoder.tick(time.monotonic() + 5))
    wait_until(lambda: office.kiosk.refused_scans == 2, what="two scans refused")
    assert len(office.probe.all("kiosk/entrance/request")) == requests_before
    assert len(office.printer.tickets) == n_before + 1

    # a walk-in of the desk's service waits too; the due appointment goes first, shown as "Raum 2.14"
    assert office.command("r214", "n1", "next")["ticket"] == "T001"
    call = office.probe.wait_for("call", lambda c: c["number"] == "T001", timeout=10)
    assert call["desk"] == "r214"
    office.probe.wait_for("board", lambda b: b["calls"] and b["calls"][0] == {"number": "T001", "desk": "r214",
                                                                            "at": call["at"]})
    assert office.command("r214", "n2", "noshow")["ok"]
    lst = aufruf("appointments", "list", *cfg, "--csv")
    assert lst.returncode == 0
    rows = {line.split(",")[1]: line.split(",")[4] for line in lst.stdout.splitlines()[1:]}
    assert rows["AB12CD"] == "noshow" and rows["ZZ99ZZ"] == "expected"

    if office.later:
        office.scan("EARLY1")
        wait_until(lambda: b"einchecken" in b"".join(office.printer.tickets[-1:]), what="the early slip")
        assert sqlite3.connect(site.data / "ledger.db").execute(
            "SELECT state FROM appointments WHERE code='EARLY1'").fetchone() == ("expected",)

    # at the info desk
    info = aufruf("appointments", "checkin", "zz99zz", "--config", str(site.config_path))
    assert info.returncode == 0 and "checked in: T002" in info.stdout, info.stdout + info.stderr


def test_kill_9_between_checkin_and_call_loses_nothing(office):
    site = office.site
    assert aufruf("appointments", "import", str(office.csv), "--config", str(site.config_path),
                  "--data", str(site.data)).returncode == 0
    office.scan("AB12CD")
    assert office.probe.wait_for("kiosk/entrance/printed", lambda b: b["number"] == "T001", timeout=10)["ok"]
    office.desk.send_signal(signal.SIGKILL)
    office.desk.wait(10)
    office.start_desk()
    arr = office.probe.wait_for("desk/r214/arrivals", lambda m: [w["number"] for w in m["waiting"]] == ["T001"],
                                timeout=10)
    assert arr["desk"] == "r214"
    assert office.command("r214", "k1", "next")["ticket"] == "T001"
    office.probe.wait_for("call", lambda c: c["number"] == "T001", timeout=10)
    con = sqlite3.connect(site.data / "ledger.db")
    try:
        assert con.execute("SELECT number, state FROM tickets WHERE service='T'").fetchall() == [("T001", "called")]
        assert con.execute("SELECT state, number FROM appointments WHERE code='AB12CD'").fetchone() == \
            ("checked_in", "T001")
    finally:
        con.close()


def test_appointment_button_then_the_code_on_the_keypad(office):
    site = office.site
    assert aufruf("appointments", "import", str(office.csv), "--config", str(site.config_path),
                  "--data", str(site.data)).returncode == 0
    typing = [InputEvent(0, 0, ecodes.EV_KEY, ecodes.ecodes[f"KEY_KP{d}"], 1) for d in "4711"] + \
        [InputEvent(0, 0, ecodes.EV_KEY, ecodes.KEY_KPENTER, 1)]
    for ev in typing:                    # without the button first: ignored, nothing sent
        office.kiosk.code_keypad.handle_event(ev)
    wait_until(lambda: office.kiosk.refused_scans == 1, what="keypad entry without the button refused")
    assert office.probe.all("kiosk/entrance/request") == []
    pin = office.pins.pin(APPOINTMENT_PIN)
    pin.drive_low()
    pin.drive_high()
    wait_until(lambda: office.kiosk._armed_until > 0, what="the button taken")
    for ev in [InputEvent(0, 0, ecodes.EV_KEY, ecodes.KEY_KP9, 1),
               InputEvent(0, 0, ecodes.EV_KEY, ecodes.KEY_BACKSPACE, 1)] + typing:   # a typo, corrected
        office.kiosk.code_keypad.handle_event(ev)
    rep = office.probe.wait_for("kiosk/entrance/printed", lambda b: b["number"] == "T001", timeout=10)
    assert rep["ok"] and b"Bitte warten Sie" in office.printer.tickets[-1]     # desk 2 has no room: wait
    assert office.probe.wait_for("desk/2/arrival", timeout=10)["number"] == "T001"
