"""Priority tickets (info desk) carry a visible marker on the board: "priority": true in their calls."""

from aufruf import config, protocol
from desk.dispatch import Office
from desk.ledger import Ledger

CFG = config.load(config.EXAMPLE_SITE)


def test_board_marks_priority_calls_only_and_keeps_the_mark_after_a_restart(tmp_path):
    office = Office(CFG, "2026-11-25")
    led = Ledger(tmp_path)
    try:
        for out in (office.issue("K", 1000), office.issue("K", 2000, kiosk="info", priority=True)):
            led.commit(office.day, out.ticket.issued_at, out)
        for now in (3000, 4000):
            led.commit(office.day, now, office.command(str(now // 1000), "next", now))
        board = protocol.Board.from_json(office.board(5000).to_json())    # what a display reads
        # K002 (priority) was called first, at desk 3; K001 at desk 4
        assert board.to_dict()["calls"] == [{"number": "K001", "desk": "4", "at": 4000},
                                            {"number": "K002", "desk": "3", "at": 3000, "priority": True}]
        led.commit(office.day, 6000, office.command("3", "recall", 6000))
        assert office.board(6000).calls[0] == protocol.BoardCall("K002", "3", 6000, priority=True)
        again = Office(CFG, "2026-11-25")              # the controller restarts from the ledger
        again.load(led.tickets("2026-11-25"), led.desks(), led.recent_calls("2026-11-25", protocol.BOARD_CALLS), {})
        assert again.board(7000).calls == office.board(7000).calls
    finally:
        led.close()


def test_info_desk_priority_ticket_reaches_the_board_marked(site_factory, desk_service):
    site = site_factory(config.EXAMPLE_SITE.read_text() + "\n[info_desk]\npriority = true\n")
    svc = desk_service(site)
    try:
        staff = site.probe("staff-info", ("kiosk/info/ticket", "board"))
        r = staff.request("kiosk/info/request", "kiosk/info/ticket",
                          {"v": 1, "id": "p1", "service": "N", "priority": True})
        assert r["ok"] and r["ticket"]["priority"] is True
        keypad = site.probe("keypad-1", ("desk/1/reply",))
        assert keypad.request("desk/1/command", "desk/1/reply", {"v": 1, "id": "n", "action": "next"})["ticket"] == "N001"
        display = site.probe("display-hall", ("board",))
        board = display.wait_for("board", lambda b: b["calls"])
        assert board["calls"][0] == {"number": "N001", "desk": "1", "at": board["calls"][0]["at"], "priority": True}
    finally:
        svc.stop()
