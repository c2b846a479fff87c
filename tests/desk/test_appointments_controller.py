"""Appointment check-in through the real controller, a real Mosquitto and a real ledger (injected clock)."""

from __future__ import annotations

import sqlite3

import pytest

from appointment_site import CSV_OK, site_text
from desk import appointment_book as book
from desk import appointments as ap
from desk.app import DeskService
from desk.ledger import Ledger

DAY = "2026-12-02"
REQ, TICKET = "kiosk/entrance/request", "kiosk/entrance/ticket"


class Clock:
    def __init__(self, ms: int):
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


@pytest.fixture
def office(site_factory):
    site = site_factory(site_text())
    clock = Clock(ap.at_ms(site.cfg, DAY, "09:45"))
    led = Ledger(site.data)
    book.parse_and_import(led.db, site.cfg, CSV_OK, DAY, clock(), "day.csv")
    led.close()
    svc = DeskService(site.cfg, "main", str(site.data), keypads=False, clock=clock)
    svc.start()
    assert svc.link.wait_connected(5)
    yield site, svc, clock
    svc.stop()


def checkin(p, rid, code, req=REQ, reply=TICKET):
    return p.request(req, reply, {"v": 1, "id": rid, "checkin": code})


def cmd(p, desk, cid, action, **extra):
    return p.request(f"desk/{desk}/command", f"desk/{desk}/reply", {"v": 1, "id": cid, "action": action, **extra})


def state(site, code):
    con = sqlite3.connect(site.data / "ledger.db")
    try:
        return con.execute("SELECT state, number FROM appointments WHERE code=?", [code]).fetchone()
    finally:
        con.close()


def test_checkin_tells_the_desk_and_next_calls_it_before_walk_ins(office):
    site, svc, clock = office
    p = site.probe()
    r = checkin(p, "c1", "ab12cd")
    assert r["ok"] and r["appointment"] == {"result": "checked_in", "time": "10:00", "number": "T001",
                                            "desk": "r214", "floor": "2", "room": "2.14"}
    assert state(site, "AB12CD") == ("checked_in", "T001")
    ev = p.wait_for("desk/r214/arrival")
    assert (ev["number"], ev["time"], ev["service"], ev["note"]) == ("T001", "10:00", "B", "bring documents")
    arr = p.wait_for("desk/r214/arrivals", lambda m: m["waiting"])
    assert [w["number"] for w in arr["waiting"]] == ["T001"]
    # the same request again: the same answer; the same code with a new id: refused as used, nothing new
    assert checkin(p, "c1", "AB12CD") == r
    again = checkin(p, "c2", "AB12CD")
    assert not again["ok"] and again["refusal"] == "used" and "T001" in again["error"]
    assert [x[0] for x in sqlite3.connect(site.data / "ledger.db").execute(
        "SELECT number FROM tickets WHERE service='T'")] == ["T001"]
    # a walk-in for desk r214's service B arrives; the due appointment goes first
    clock.ms = ap.at_ms(site.cfg, DAY, "10:00")
    assert p.request(REQ, TICKET, {"v": 1, "id": "w1", "service": "K"})["ok"]
    assert cmd(p, "r214", "n1", "next")["ticket"] == "T001"
    call = p.wait_for("call", lambda c: c["number"] == "T001")
    assert call["desk"] == "r214"
    board = p.wait_for("board", lambda b: b["calls"] and b["calls"][0]["number"] == "T001")
    assert board["calls"][0]["desk"] == "r214"
    assert p.wait_for("desk/r214/arrivals", lambda m: not m["waiting"])["waiting"] == []
    assert cmd(p, "r214", "n2", "noshow")["ok"]
    led = Ledger(site.data)
    try:
        rows = {r.appt.code: r.status for r in book.day_list(led.db, DAY)}
    finally:
        led.close()
    assert rows == {"AB12CD": "noshow", "XY99ZZ": "expected", "QQ11QQ": "expected"}


def test_early_late_unknown_and_bad_codes_change_nothing(office):
    site, svc, clock = office
    p = site.probe()
    early = checkin(p, "e1", "QQ11QQ")           # 11:00, it is 09:45
    assert early["ok"] and early["appointment"]["result"] == "early" and early["appointment"]["from"] == "10:30"
    assert state(site, "QQ11QQ") == ("expected", None)
    clock.ms = ap.at_ms(site.cfg, DAY, "10:11")
    late = checkin(p, "l1", "AB12CD")
    assert late["ok"] and late["appointment"]["result"] == "late" and "ticket" not in late
    for rid, code, refusal in (("u1", "NOPE99", "unknown"), ("b1", "AB\x1b12", "invalid"),
                               ("b2", "X" * 64, "invalid")):
        r = checkin(p, rid, code)
        assert not r["ok"] and r["refusal"] == refusal, r
    big = p.mark()
    p.publish(REQ, {"v": 1, "id": "b3", "checkin": "A" * 10_240})
    r = p.wait_for(TICKET, lambda m: "too large" in m.get("error", ""), start=big)
    assert not r["ok"] and "id" not in r      # a 10 kB payload is not even read
    assert sqlite3.connect(site.data / "ledger.db").execute("SELECT count(*) FROM tickets").fetchone()[0] == 0


def test_late_gives_a_normal_ticket_where_allowed(site_factory):
    site = site_factory(site_text('late_service = "K"\n'))
    clock = Clock(ap.at_ms(site.cfg, DAY, "10:30"))
    led = Ledger(site.data)
    book.parse_and_import(led.db, site.cfg, CSV_OK, DAY, clock(), "day.csv")
    led.close()
    svc = DeskService(site.cfg, "main", str(site.data), keypads=False, clock=clock)
    svc.start()
    assert svc.link.wait_connected(5)                # subscribed: no request is lost
    try:
        p = site.probe()
        r = checkin(p, "l1", "AB12CD")
        assert r["appointment"]["result"] == "late" and r["ticket"]["number"] == "K001"
        again = checkin(p, "l2", "AB12CD")
        assert again["refusal"] == "used"
    finally:
        svc.stop()


def test_a_slip_that_could_not_be_printed_lets_the_code_check_in_again(office):
    site, svc, clock = office
    p = site.probe("kiosk-entrance", ("kiosk/entrance/ticket",))
    r = checkin(p, "c1", "AB12CD")
    assert r["appointment"]["number"] == "T001"
    p.publish("kiosk/entrance/printed", {"v": 1, "id": "c1", "number": "T001", "ok": False, "error": "paper out"})
    ctl = site.probe()
    ctl.wait_for("desk/r214/arrivals", lambda m: m["waiting"] == [], timeout=5)
    again = checkin(p, "c2", "AB12CD")
    assert again["ok"] and again["appointment"]["number"] == "T002"
    assert state(site, "AB12CD") == ("checked_in", "T002")


def test_only_the_desk_hears_of_its_arrivals_and_nobody_else_may_announce_one(office):
    site, svc, clock = office
    own = site.probe("keypad-r214", ("desk/r214/arrival", "desk/r214/arrivals"))
    other = site.probe("keypad-1", ("desk/r214/arrival",))
    kiosk = site.probe("kiosk-entrance", ("kiosk/entrance/ticket",))
    assert kiosk.wait_ack(kiosk.publish("desk/r214/arrival", {"v": 1, "number": "T999"})) == \
        (False, "Not authorized")
    assert checkin(kiosk, "c1", "AB12CD")["ok"]
    assert own.wait_for("desk/r214/arrival")["number"] == "T001"
    assert own.wait_for("desk/r214/arrivals", lambda m: m["waiting"])["waiting"][0]["number"] == "T001"
    assert other.all("desk/r214/arrival") == [] and own.all("desk/r214/arrival")[0]["number"] == "T001"


def test_the_arrivals_list_stays_small_with_many_checked_in(site_factory):
    from aufruf import protocol
    site = site_factory(site_text())
    clock = Clock(ap.at_ms(site.cfg, DAY, "10:00"))
    rows = b"time,code,desk,service\n" + b"".join(b"10:00,C%05d,r214,B\n" % i for i in range(30))
    led = Ledger(site.data)
    book.parse_and_import(led.db, site.cfg, rows, DAY, clock(), "day.csv")
    led.close()
    svc = DeskService(site.cfg, "main", str(site.data), keypads=False, clock=clock)
    svc.start()
    assert svc.link.wait_connected(5)                # subscribed: no request is lost
    try:
        p = site.probe()
        for i in range(30):
            assert checkin(p, f"c{i}", f"C{i:05d}")["ok"]
        arr = p.wait_for("desk/r214/arrivals", lambda m: m.get("more") == 10)
        assert len(arr["waiting"]) == protocol.ARRIVALS_LISTED and arr["waiting"][0]["number"] == "T001"
        assert len(protocol.encode(arr)) < protocol.MAX_PAYLOAD
    finally:
        svc.stop()


def test_a_refused_drop_file_shows_in_the_controller_status_and_aufruf_status(site_factory, tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    drop = tmp_path / "drop"
    drop.mkdir()
    site = site_factory(site_text(f'drop_dir = "{drop}"\n'))
    svc = DeskService(site.cfg, "main", str(site.data), keypads=False)
    svc.start()
    assert svc.link.wait_connected(5)                # subscribed: no request is lost
    try:
        p = site.probe()
        (drop / "kalender.csv").write_bytes(b"time,code,desk,service\n10:00,AB12CD,nowhere,B\n")
        st = p.wait_for("status/controller/main", lambda m: "appointments_import" in m, timeout=20)
        imp = st["appointments_import"]
        assert imp["file"] == "kalender.csv" and imp["ok"] is False and "unknown desk 'nowhere'" in imp["result"]
        r = subprocess.run([sys.executable, "-m", "aufrufcli", "status", "--config", str(site.config_path)],
                           cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True, timeout=60)
        assert "last appointments file kalender.csv: refused, nothing imported: line 2: unknown desk" in r.stdout
        (drop / "kalender2.csv").write_bytes(CSV_OK)
        st = p.wait_for("status/controller/main", lambda m: m.get("appointments_import", {}).get("ok"), timeout=20)
        assert st["appointments_import"]["result"] == "3 added, 0 changed, 0 unchanged"
    finally:
        svc.stop()
