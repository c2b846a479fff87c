"""The desk controller in-process against a real Mosquitto and a real SQLite ledger."""

import sqlite3
import threading

import pytest

from aufruf import config

REQ = "kiosk/entrance/request"
TICKET = "kiosk/entrance/ticket"


@pytest.fixture
def desk(site, desk_service):
    svc = desk_service(site)
    yield svc
    svc.stop()


def rows(site, sql="SELECT number, state FROM tickets ORDER BY number"):
    con = sqlite3.connect(site.data / "ledger.db")
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def req(probe, rid, service="K", **extra):
    return probe.request(REQ, TICKET, {"v": 1, "id": rid, "service": service, **extra})


def cmd(probe, desk_id, cid, action, **extra):
    return probe.request(f"desk/{desk_id}/command", f"desk/{desk_id}/reply",
                         {"v": 1, "id": cid, "action": action, **extra})


def test_ticket_then_call_reaches_displays_with_retained_truth(site, desk):
    p = site.probe()
    r = req(p, "r1")
    assert r["ok"] and r["ticket"]["number"] == "K001" and r["ticket"]["ahead"] == 0
    assert rows(site) == [("K001", "waiting")]
    assert cmd(p, "3", "c1", "next") == {"v": 1, "id": "c1", "ok": True, "ticket": "K001"}
    call = p.wait_for("call")
    assert (call["number"], call["desk"], call["service"], call["recall"]) == ("K001", "3", "K", False)
    # a display that starts now sees the truth from retained topics
    late = site.probe("display-hall", ("board", "queue"))
    board = late.wait_for("board", lambda b: b["calls"])
    assert board["calls"][0] == {"number": "K001", "desk": "3", "at": call["at"]}
    # (the reply may reach us before the controller has published the new queue: wait for it)
    assert late.wait_for("queue", lambda q: q["services"]["K"]["waiting"] == 0)["services"]["K"]["open"]
    state = p.wait_for("desk/3/state", lambda b: b["status"] == "serving")
    assert state["ticket"] == "K001"


def test_repeated_request_id_gets_the_same_answer_and_changes_nothing(site, desk):
    p = site.probe()
    first = req(p, "same")
    again = req(p, "same")
    assert first == again
    assert rows(site) == [("K001", "waiting")]
    cmd(p, "3", "c", "next")
    p2 = cmd(p, "3", "c", "next")
    assert p2["ticket"] == "K001" and len(p.all("call")) == 1


def test_two_desks_pressing_next_at_the_same_instant_get_different_tickets(site, desk):
    p = site.probe()
    req(p, "a")
    req(p, "b")
    d3, d4 = site.probe("keypad-3", ("desk/3/reply",)), site.probe("keypad-4", ("desk/4/reply",))
    go = threading.Barrier(2)
    results = {}

    def press(probe, d):
        go.wait()
        results[d] = cmd(probe, d, f"n{d}", "next")["ticket"]
    ts = [threading.Thread(target=press, args=a) for a in ((d3, "3"), (d4, "4"))]
    [t.start() for t in ts]
    [t.join() for t in ts]
    assert sorted(results.values()) == ["K001", "K002"]


@pytest.mark.parametrize("payload,reason", [
    (b"not json", "not JSON"),
    (b"[1,2]", "not a JSON object"),
    (b'{"v":2,"id":"x","action":"next"}', "version"),
    (b'{"v":1,"action":"next"}', "missing field 'id'"),
    (b'{"v":1,"id":"x","action":"explode"}', "unknown action"),
    (b'{"v":1,"id":"x","action":"transfer"}', "missing field 'service'"),
    (b'{"v":1,"id":"x","action":"call","number":"K17"}', "ticket number like K017"),
    (b'{"v":1,"id":"x","action":"next","pad":"' + b"x" * 5000 + b'"}', "too large"),
    (b"\xff\xfe", "not UTF-8"),
])
def test_malformed_commands_are_answered_and_change_nothing(site, desk, payload, reason):
    p = site.probe()
    req(p, "r1")
    before = rows(site)
    mark = p.mark()
    p.publish("desk/3/command", payload, raw=True)
    reply = p.wait_for("desk/3/reply", start=mark)
    assert reply["ok"] is False and reason in reply["error"]
    assert rows(site) == before
    # and the controller still works
    assert cmd(p, "3", "after", "next")["ticket"] == "K001"


def test_refusals_have_reasons(site, desk):
    p = site.probe()
    assert req(p, "r1", service="Q")["error"] == "unknown service Q"
    assert cmd(p, "3", "c1", "next")["error"] == "queue empty"
    assert cmd(p, "9", "c2", "next")["error"] == "unknown desk 9"
    assert cmd(p, "3", "c3", "call", number="K042")["error"] == "no ticket K042 today"
    assert cmd(p, "3", "c4", "pause")["ok"]
    assert cmd(p, "3", "c5", "next")["error"] == "desk 3 is paused"
    assert req(p, "r2", priority=True)["error"] == "priority tickets are only issued at the info desk"
    r = p.request("kiosk/ghost/request", "kiosk/ghost/ticket", {"v": 1, "id": "g", "service": "K"})
    assert r["error"] == "unknown kiosk ghost"
    assert rows(site) == []


def test_failed_print_voids_the_ticket(site, desk):
    p = site.probe()
    t = req(p, "r1")["ticket"]
    p.publish("kiosk/entrance/printed", {"v": 1, "id": "r1", "number": t["number"], "ok": False, "error": "paper out"})
    p.wait_for("queue", lambda q: q["services"]["K"]["waiting"] == 0 and q["updated_at"] >= t["issued_at"],
               start=p.mark())
    assert rows(site) == [("K001", "void")]
    assert cmd(p, "3", "c", "next")["error"] == "queue empty"


def test_another_kiosks_print_report_cannot_void_a_ticket(site, desk):
    p = site.probe()
    req(p, "r1")
    p.publish("kiosk/other/printed", {"v": 1, "id": "r1", "number": "K001", "ok": False})
    assert cmd(p, "3", "c", "next")["ticket"] == "K001"


def test_acl_refuses_anonymous_and_a_kiosk_commanding_a_desk(site, desk):
    from probe import Probe
    anon = Probe(site.port, site.site_id, None, None)
    assert not anon.wait_connected(2)
    assert "authori" in (anon.connect_result or "").lower()
    anon.close()
    p = site.probe()
    req(p, "r1")
    kiosk = site.probe("kiosk-entrance", ())
    ok, reason = kiosk.wait_ack(kiosk.publish("desk/3/command", {"v": 1, "id": "evil", "action": "next"}))
    assert not ok and "authori" in reason.lower()
    assert rows(site) == [("K001", "waiting")]


def test_restart_recovers_from_the_ledger_and_republishes(site, desk_service):
    svc = desk_service(site)
    p = site.probe()
    req(p, "r1")
    req(p, "r2")
    cmd(p, "1", "c1", "next")
    svc.stop()
    # clear the retained board, as if the broker had lost it
    p.publish("board", b"", raw=True, retain=True)
    mark = p.mark()
    svc = desk_service(site)
    try:
        board = p.wait_for("board", lambda b: isinstance(b, dict) and b["calls"], start=mark, timeout=10)
        assert board["calls"][0]["number"] == "K001" and board["waiting"]["K"] == 1
        assert req(p, "r1")["ticket"]["number"] == "K001"        # the old id still answered alike
        assert req(p, "r3")["ticket"]["number"] == "K003"        # numbering continues
    finally:
        svc.stop()


def test_service_day_boundary_expires_waiting_tickets_and_restarts_numbers(site):
    now = [1_795_600_000_000]                                    # 2026-11-25 ~ 09:06 Berlin
    from desk.controller import Controller
    from desk.ledger import Ledger
    from aufruf.link import MqttLink
    ledger = Ledger(site.data)
    ctl = Controller(site.cfg, ledger, clock=lambda: now[0])
    link = MqttLink(site.cfg.broker, site.site_id, "controller", "main",
                    subscriptions=Controller.subscriptions(site.site_id), handler=ctl.on_message)
    ctl.attach(link)
    ctl.start()
    link.start()
    assert link.wait_connected(5)                                # subscribed: no request is lost
    try:
        p = site.probe()
        assert req(p, "r1")["ticket"]["number"] == "K001"
        now[0] += 24 * 3600 * 1000                               # the next day
        q = p.wait_for("queue", lambda q: q["services"]["K"]["waiting"] == 0, start=p.mark(), timeout=5)
        assert q["updated_at"] == now[0]
        assert rows(site) == [("K001", "expired")]
        assert req(p, "r2")["ticket"]["number"] == "K001"
        now[0] -= 3600 * 1000                                    # the clock jumps back an hour
        assert req(p, "r3")["ticket"]["number"] == "K002"        # same day, no duplicate number
        days = rows(site, "SELECT day, number, state FROM tickets ORDER BY day, number")
        assert days == [("2026-11-25", "K001", "expired"), ("2026-11-26", "K001", "waiting"),
                        ("2026-11-26", "K002", "waiting")]
    finally:
        ctl.stop()
        link.stop()
        ledger.close()


def test_reload_adds_a_desk_and_refuses_a_broken_file(site, desk):
    p = site.probe()
    req(p, "r1")
    text = site.config_path.read_text()
    text += '\n[[desks]]\nid = "5"\nlabel = "Schalter 5"\nservices = ["K"]\n'
    good = site.root / "site-new.toml"
    good.write_text(config.replace_table(text, "broker", {"host": "127.0.0.1", "port": site.port,
                                                          "credentials_dir": str(site.creds)}))
    desk.controller.request_reload(str(good))
    p.wait_for("desk/5/state", timeout=5)
    assert cmd(p, "5", "c1", "next")["ticket"] == "K001"          # the queue survived the reload
    bad = site.root / "site-bad.toml"
    bad.write_text(text.replace("[[desks]]", "[[desk]]", 1))
    desk.controller.request_reload(str(bad))
    assert cmd(p, "5", "c2", "done")["ok"]                       # still running on the good config


def test_reload_retires_a_service_and_renames_a_desk_keeping_waiting_tickets(site, desk):
    p = site.probe()
    assert req(p, "r1", service="N")["ticket"]["number"] == "N001"
    text = site.config_path.read_text()
    # N retired: desks 1 and 2 now serve K only; desk 3 renamed
    text = text.replace('services = ["K", "N"]', 'services = ["K"]')
    start = text.index("[[services]]", text.index("[[services]]") + 1)
    end = text.index("[[desks]]")
    text = text[:start] + text[end:]
    text = text.replace('[[kiosks.buttons]]\nservice = "N"\npin = 18\n', "")       # and its kiosk button
    text = text.replace('label = { de = "Schalter 3", en = "Counter 3" }', 'label = { de = "Beratung 3", en = "Advice 3" }')
    new = site.root / "site-retired.toml"
    new.write_text(text)
    desk.controller.request_reload(str(new))
    q = p.wait_for("queue", lambda q: "N" not in q["services"], start=p.mark(), timeout=5)
    assert q["services"]["K"]["waiting"] == 0
    assert req(p, "r2", service="N")["error"] == "unknown service N"     # no new tickets of a retired service
    assert cmd(p, "1", "c1", "next")["error"] == "queue empty"           # desk 1 no longer serves N ...
    assert cmd(p, "1", "c2", "call", number="N001")["ticket"] == "N001"  # ... but the waiting N001 is callable
    assert rows(site) == [("N001", "called")]


def test_only_the_lines_that_changed_are_published_and_a_reconnect_sends_every_one(site, desk):
    p = site.probe()
    req(p, "r1", "K")
    p.wait_for("tickets/K001")      # published after the batch's board, queue and lines
    start = p.mark()
    req(p, "r2", "K")
    assert p.wait_for("tickets/K002", start=start)["state"] == "waiting"
    after = [(t, b) for t, b, _ in p.messages[start:]]
    assert [b["numbers"] for t, b in after if t == "line/K"] == [["K001", "K002"]]
    assert not [t for t, _ in after if t == "line/N"]   # N's line is as it was: not sent again
    assert [t for t, _ in after].index("board") < [t for t, _ in after].index("queue")  # the hall's board first
    start = p.mark()
    desk.controller.on_connected()  # what paho's thread does after a reconnect
    assert p.wait_for("line/N", start=start)["numbers"] == []
    assert p.wait_for("line/K", start=start)["numbers"] == ["K001", "K002"]
