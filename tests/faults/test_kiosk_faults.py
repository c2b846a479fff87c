"""Kiosk-side faults in the middle of a burst: a kiosk killed mid-print, a failing printer, an unplugged keypad.

The controller, broker and ledger are the real ones; kiosks run the real
:class:`kiosk.kiosk.TicketKiosk` on gpiozero's MockFactory with python-escpos's
Dummy; the keypad is read by the real :class:`desk.keypad.KeypadReader` from
real ``evdev.InputEvent`` objects.
"""

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from audit import audit
from escpos.printer import Dummy
from gpiozero.pins.mock import MockFactory
from keypads import PluggableKeypad, keystrokes
from probe import wait_until
from processes import REPO, retry_until_answered, start_desk


EXAMPLE = REPO / "examples" / "site.toml"
SIDE_KIOSK = """
[[kiosks]]
id = "side"
[[kiosks.buttons]]
service = "K"
pin = 5
[kiosks.printer]
connection = "dummy"
"""


def ledger_states(data_dir: Path) -> dict[str, str]:
    con = sqlite3.connect(f"file:{data_dir / 'ledger.db'}?mode=ro", uri=True)
    try:
        day = con.execute("SELECT value FROM meta WHERE key='day'").fetchone()[0]
        return dict(con.execute("SELECT number, state FROM tickets WHERE day=?", [day]).fetchall())
    finally:
        con.close()


class KioskChild:
    """``kiosk_child.py`` as its own process: press its buttons through stdin, read what it printed."""

    def __init__(self, site, kiosk_id: str, *flags: str):
        log = open(site.root / f"kiosk-{kiosk_id}.log", "ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("kiosk_child.py")), str(site.config_path), kiosk_id,
             *flags], cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True, bufsize=1)
        self.lines: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.strip())

    def expect(self, prefix: str, timeout: float = 10.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise AssertionError(f"kiosk never said {prefix!r}") from None
            if line.startswith(prefix):
                return line

    def press(self, service: str) -> None:
        self.proc.stdin.write(f"press {service}\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


def test_kiosk_killed_mid_print_leaves_a_callable_ticket_and_restarts(site_factory, processes):
    site = site_factory(EXAMPLE.read_text(encoding="utf-8") + SIDE_KIOSK)
    p = site.probe()
    processes.append(start_desk(site))
    p.wait_for("status/controller/main", lambda b: b.get("online"), timeout=15)
    kiosk = KioskChild(site, "entrance", "--hang-on-print")
    processes.append(kiosk.proc)
    kiosk.expect("ready")
    p.wait_for("status/kiosk/entrance", lambda b: b.get("online"), timeout=10)

    # a burst at the other kiosk and desk calls; the entrance kiosk is pressed in the middle of it
    bodies = [{"v": 1, "id": f"side-{i}", "service": "K"} for i in range(60)]
    for i, b in enumerate(bodies):
        p.publish("kiosk/side/request", b)
        if i % 10 == 5:
            p.publish("desk/3/command", {"v": 1, "id": f"c{i}", "action": "next"})
        if i == 30:
            kiosk.press("N")
            kiosk.expect("printing", timeout=10)      # the ticket reached the printer ...
            kiosk.kill()                               # ... and the kiosk dies before it reports "printed"
    reply = p.wait_for("kiosk/entrance/ticket", lambda b: b.get("ok"), timeout=10)
    lost = reply["ticket"]["number"]
    assert lost.startswith("N")
    p.wait_for("status/kiosk/entrance", lambda b: b.get("online") is False, timeout=10)  # the will
    side = retry_until_answered(p, "kiosk/side/request", "kiosk/side/ticket", bodies)
    numbers = {rid: a["ticket"]["number"] for rid, a in side.items()}
    numbers[reply["id"]] = lost

    # the number is waiting in the ledger, and no print report came for it
    assert ledger_states(site.data)[lost] == "waiting"
    assert not p.all("kiosk/entrance/printed")

    # the kiosk restarts and works: a press prints the next number, reported ok
    mark = p.mark()
    kiosk = KioskChild(site, "entrance")
    processes.append(kiosk.proc)
    kiosk.expect("ready")
    kiosk.press("N")
    printed = kiosk.expect("printed").split()[1]
    rep = p.wait_for("kiosk/entrance/printed", lambda b: b["number"] == printed, timeout=10, start=mark)
    assert rep["ok"] and printed != lost and printed.startswith("N")
    numbers[rep["id"]] = printed

    # the lost ticket can be called (desk 1 prefers K, so call it by number) and marked a no-show
    r = p.request("desk/1/command", "desk/1/reply", {"v": 1, "id": "call-lost", "action": "call", "number": lost})
    assert r["ok"] and r["ticket"] == lost, r
    r = p.request("desk/1/command", "desk/1/reply", {"v": 1, "id": "noshow-lost", "action": "noshow"})
    assert r["ok"], r
    states = ledger_states(site.data)
    assert states[lost] == "noshow" and states[printed] == "waiting"
    board = p.wait_for("board", lambda b: any(c["number"] == lost for c in b["calls"]), timeout=10)
    result = audit(site.data, board, numbers, printed={printed})
    assert result["today"] == len(bodies) + 2


class FailingDummy(Dummy):
    """python-escpos's Dummy whose write fails on every 3rd ticket like a jammed printer (nothing printed)."""

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.writes = 0

    def _raw(self, msg: bytes) -> None:
        self.writes += 1
        if self.writes % 3 == 0:
            raise OSError(5, "Input/output error")
        super()._raw(msg)


def test_printer_failing_every_3rd_ticket_voids_exactly_those(site_factory, processes):
    from kiosk.kiosk import TicketKiosk
    from kiosk.printer import PrinterPort
    text = EXAMPLE.read_text(encoding="utf-8").replace("min_gap_s = 2.0", "min_gap_s = 0.1")
    site = site_factory(text)
    p = site.probe()
    processes.append(start_desk(site))
    p.wait_for("status/controller/main", lambda b: b.get("online"), timeout=15)
    # first a burst of 30 K tickets from a second source, so the desks' calls take those, not the kiosk's
    burst = [{"v": 1, "id": f"b-{i}", "service": "K"} for i in range(30)]
    for b in burst:
        p.publish("kiosk/entrance/request", b)
    answers = retry_until_answered(p, "kiosk/entrance/request", "kiosk/entrance/ticket", burst)
    numbers = {rid: a["ticket"]["number"] for rid, a in answers.items()}

    pins = MockFactory()
    printer = FailingDummy()
    printed: list[str] = []
    k = TicketKiosk(site.cfg, "entrance", printer=PrinterPort.of(printer), pin_factory=pins,
              on_printed=lambda n, raw: printed.append(n))
    k.start()
    try:
        assert k.link.wait_connected(5) and k.wait_ready(5)
        released: dict[int, float] = {}
        for i in range(9):
            service = "KN"[i % 2]
            if i % 2 == 0:
                p.publish("desk/3/command", {"v": 1, "id": f"c{i}", "action": "next"})
            pin_no = 17 if service == "K" else 18
            # customers' cadence: the same button is not pressed again within the debounce/min-gap time
            time.sleep(max(0.0, released.get(pin_no, 0.0) + 0.15 - time.monotonic()))
            pin = pins.pin(pin_no)
            pin.drive_low()
            pin.drive_high()
            released[pin_no] = time.monotonic()
            # the report of this ticket (printed or not) before the next press
            wait_until(lambda: len(p.all("kiosk/entrance/printed")) == i + 1, 10, f"print report {i + 1}")
            wait_until(lambda: not k.book.pending, 5, "kiosk idle")
    finally:
        k.stop()
    reports = p.all("kiosk/entrance/printed")
    assert [r["ok"] for r in reports] == [True, True, False] * 3
    failed = {r["number"] for r in reports if not r["ok"]}
    assert set(printed) == {r["number"] for r in reports if r["ok"]} and len(printed) == 6
    assert len(printer._output_list) == 6          # six whole tickets reached the paper, in one write each
    for n in printed:
        assert n.encode() in printer.output
    for r in reports:
        numbers[r["id"]] = r["number"]
    states = ledger_states(site.data)
    assert {n: states[n] for n in failed} == {n: "void" for n in failed}
    assert {n: states[n] for n in printed} == {n: "waiting" for n in printed}
    board = p.wait_for("board", lambda b: len(b["calls"]) == 5, timeout=10)
    assert not failed & {c["number"] for c in board["calls"]}
    audit(site.data, board, numbers, printed=set(printed))


def test_keypad_unplugged_mid_press_sends_nothing_half_typed(site):
    from desk.app import DeskService
    p = site.probe()
    plug = PluggableKeypad()
    svc = DeskService(site.cfg, "main", str(site.data), keypads=True, keypad_opener=plug.open, keypad_retry_s=0.05)
    reader = next(r for r in svc.readers.values() if r.decoder.desk == "1")
    svc.start()
    assert svc.link.wait_connected(5)                # subscribed: no request is lost
    try:
        p.wait_for("status/controller/main", lambda b: b.get("online"), timeout=10)
        assert reader.connected.wait(5)
        bodies = [{"v": 1, "id": f"k-{i}", "service": "K"} for i in range(20)]
        for i, b in enumerate(bodies):
            p.publish("kiosk/entrance/request", b)
            if i % 6 == 3:
                p.publish("desk/3/command", {"v": 1, "id": f"c{i}", "action": "next"})
        answers = retry_until_answered(p, "kiosk/entrance/request", "kiosk/entrance/ticket", bodies)
        replies = retry_until_answered(p, "desk/3/command", "desk/3/reply",
                                       [{"v": 1, "id": f"c{i}", "action": "next"} for i in (3, 9, 15)])
        assert all(r["ok"] for r in replies.values())

        # "1", "2" typed, the keypad pulled out while "2" is still held down
        dev = plug.opened[-1]
        dev.feed(keystrokes("KEY_KP1", "KEY_KP2", last_up=False))
        wait_until(lambda: reader.decoder.digits == "12", 5, "digits typed")
        attempts = reader.attempts
        plug.plugged = False
        dev.feed([])                                            # the kernel wakes the reader with ENODEV
        wait_until(lambda: not reader.connected.is_set() and reader.attempts >= attempts + 3, 5,
                   "reader retrying the unplugged keypad")
        plug.plugged = True
        wait_until(lambda: reader.connected.is_set() and len(plug.opened) == 2, 5, "keypad back")
        assert reader.decoder.digits == ""                      # the half-typed number is gone
        assert not p.all("desk/1/reply")                        # and nothing was sent for it

        # the next key works: Enter is "next" (the oldest waiting K), not "call K012"
        oldest = min(n for n, s in ledger_states(site.data).items() if s == "waiting")
        plug.opened[-1].feed(keystrokes("KEY_KPENTER"))
        r = p.wait_for("desk/1/reply", timeout=5)
        assert r["ok"] and r["ticket"] == oldest != "K012", r
        assert ledger_states(site.data)["K012"] == "waiting"
        # and a number typed after the replug is called as typed
        plug.opened[-1].feed(keystrokes("KEY_KP1", "KEY_KP5", "KEY_KPENTER"))
        r = p.wait_for("desk/1/reply", lambda b: b["ticket"] != oldest, timeout=5)
        assert r["ok"] and r["ticket"] == "K015", r
        assert len(p.all("desk/1/reply")) == 2
        board = p.wait_for("board", lambda b: b["calls"] and b["calls"][0]["number"] == "K015", timeout=5)
        audit(site.data, board, {rid: a["ticket"]["number"] for rid, a in answers.items()})
    finally:
        svc.stop()
