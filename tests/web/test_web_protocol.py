"""What the controller publishes for the web (line/<service>, tickets/<number>) and the web
action 'leave', through a real Mosquitto with the provisioned ACL."""

import sqlite3

from office import Office

NOT_AUTHORIZED = "Not authorized"


def states(site) -> dict:
    con = sqlite3.connect(site.data / "ledger.db")
    try:
        return dict(con.execute("SELECT number, state FROM tickets"))
    finally:
        con.close()


def test_the_web_user_may_only_send_its_own_command(web_site):
    p = web_site.probe("web-lobby", subscriptions=("#",))
    for topic in ("desk/3/command", "kiosk/entrance/request", "kiosk/info/request", "board", "call",
                  "tickets/K001", "line/K", "web/other/command", "status/controller/main"):
        assert p.wait_ack(p.publish(topic, {"v": 1})) == (False, NOT_AUTHORIZED), topic
    assert p.wait_ack(p.publish("web/lobby/command", {"v": 1}))[0] is True


def test_line_and_ticket_states_are_retained_numbers_only(web_site, desk):
    office = Office(web_site)
    for _ in range(3):
        office.issue("K")
    office.command("3", "next")
    late = web_site.probe("web-lobby", subscriptions=("line/+", "tickets/+"))  # joins after the fact
    line = late.wait_for("line/K", lambda m: m["numbers"] == ["K002", "K003"])
    assert line["more"] == 0 and line["open"] is True and len(line["eta_min"]) == 2
    assert line["eta_min"][0] <= line["eta_min"][1]
    k1 = late.wait_for("tickets/K001")
    assert {k: k1[k] for k in ("number", "service", "state", "desk")} == {"number": "K001", "service": "K",
                                                                         "state": "called", "desk": "3"}
    assert late.wait_for("tickets/K003")["state"] == "waiting"
    assert set(k1) == {"v", "number", "day", "service", "state", "desk", "at"}
    assert late.wait_for("line/N")["numbers"] == []


def test_leave_with_the_right_key_voids_once_and_answers_again(web_site, desk):
    office = Office(web_site)
    t = office.issue("K")
    office.issue("K")
    day = web_site.cfg.service_day(t["issued_at"])
    web = web_site.probe("web-lobby", subscriptions=("web/lobby/reply", "tickets/+", "line/+"))
    cmd = {"v": 1, "id": "leave-1", "action": "leave", "number": "K001", "key": web_site.key("K001", day)}
    assert web.request("web/lobby/command", "web/lobby/reply", cmd) == {"v": 1, "id": "leave-1", "ok": True,
                                                                       "ticket": "K001"}
    assert web.wait_for("tickets/K001", lambda m: m["state"] == "void")
    assert web.wait_for("line/K", lambda m: m["numbers"] == ["K002"])
    again = web.request("web/lobby/command", "web/lobby/reply", cmd)
    assert again["ok"] is True
    assert states(web_site) == {"K001": "void", "K002": "waiting"}


def test_leave_is_refused_for_a_wrong_key_a_called_ticket_and_bad_payloads(web_site, desk):
    office = Office(web_site)
    t = office.issue("K")
    day = web_site.cfg.service_day(t["issued_at"])
    web = web_site.probe("web-lobby", subscriptions=("web/lobby/reply",))

    def send(i, **kw):
        body = {"v": 1, "id": f"x-{i}", "action": "leave", "number": "K001", "key": web_site.key("K001", day), **kw}
        return web.request("web/lobby/command", "web/lobby/reply", body)
    assert send(1, key="aaaaaaaaaa")["error"] == "no ticket K001 today"      # same as a number never issued
    assert send(2, number="K555", key=web_site.key("K555", day))["error"] == "no ticket K555 today"
    assert "ticket key" in send(3, key="short")["error"]
    assert "unknown action" in send(4, action="call")["error"]
    office.command("3", "next")
    assert send(5)["error"] == "K001 is already called at desk 3"
    assert states(web_site) == {"K001": "called"}
