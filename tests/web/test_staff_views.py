"""What the counter panel and the office view show, folded from protocol messages (pure)."""

from aufruf import config
from aufruf.protocol import DeskState, Line, QueueState, ServiceFigures, ServiceQueue, StatsToday, Status
from web.office import OfficeView
from web.panel import DeskPanel

CFG = config.load(config.EXAMPLE_SITE)
R = "aufruf/jc-mitte/"
MIN = 60_000


def status(online=True, at=None, printer=None):
    return Status(online, at, printer).to_json()


def queue(**services):
    return QueueState({k: ServiceQueue(*v) for k, v in services.items()}, 1).to_json()


def test_panel_shows_its_ticket_its_services_and_ignores_bad_payloads():
    p = DeskPanel(CFG, "1")
    assert p.apply(R + "desk/1/state", DeskState("1", "serving", "K017", 5000).to_json())
    assert not p.apply(R + "desk/2/state", DeskState("2", "idle", None, 1).to_json())
    assert p.apply(R + "queue", queue(K=(2, True, 8, 1000), N=(0, True)))
    assert not p.apply(R + "queue", b'{"v":1,"services":{"K":{"waiting":-1}}}')
    assert not p.apply(R + "desk/1/state", b"not json")
    assert p.ignored == 2
    v = p.view(7000)
    assert (v["label"], v["status"], v["ticket"], v["since"]) == ("Schalter 1", "serving", "K017", 5000)
    k, n = v["services"]
    assert (k["key"], k["name"], k["waiting"], k["oldest_at"], k["eta_min"]) == ("K", "Kurzanliegen", 2, 1000, 8)
    assert (n["key"], n["waiting"], n["oldest_at"]) == ("N", 0, None)
    assert [s["key"] for s in v["transfer_to"]] == ["K", "N"]
    assert p.apply(R + "line/K", Line("K", ("K018", "K019"), (4, 8), 0, True, 6000).to_json())
    assert not p.apply(R + "line/K", b'{"v":1,"service":"K","numbers":["bad"],"eta_min":[1],"more":0,"open":true,"updated_at":1}')
    assert p.view(7000)["services"][0]["next"] == ["K018", "K019"]
    assert p.apply(R + "status/controller/main", status(False))
    assert p.view(0)["controller_online"] is False


def test_office_alerts_paper_out_at_once_and_offline_after_a_minute():
    o = OfficeView(CFG, wait_alert_min=20)
    t0 = 1_795_600_000_000
    o.apply(R + "status/controller/main", status(True, t0), t0)
    o.apply(R + "status/display/hall", status(True, t0), t0)
    o.apply(R + "status/keypad/1", status(True, t0), t0)
    assert o.apply(R + "status/kiosk/entrance", status(True, t0, "ok"), t0)
    assert o.view(t0)["alerts"] == []
    o.apply(R + "status/kiosk/entrance", status(True, t0 + 1000, "paper_out"), t0 + 1000)
    [a] = o.view(t0 + 1000)["alerts"]
    assert (a["kind"], a["since"], a["text"]) == ("paper_out", t0 + 1000, "kiosk entrance: printer out of paper")
    o.apply(R + "status/display/hall", status(False), t0 + 2000)
    assert [a["kind"] for a in o.view(t0 + 2000 + MIN)["alerts"]] == ["paper_out"]
    assert {a["kind"] for a in o.view(t0 + 2001 + MIN)["alerts"]} == {"paper_out", "offline"}
    dev = {(d["role"], d["id"]): d for d in o.view(t0 + 3000)["devices"]}
    assert dev[("display", "hall")]["online"] is False and dev[("display", "hall")]["since"] == t0 + 2000
    assert dev[("kiosk", "entrance")]["printer"] == "paper_out"


def test_office_status_gone_silent_counts_as_offline_and_long_waits_alert():
    o = OfficeView(CFG, wait_alert_min=20)
    t0 = 1_795_600_000_000
    for role, dev in (("controller", "main"), ("display", "hall"), ("kiosk", "entrance"), ("keypad", "1")):
        o.apply(R + f"status/{role}/{dev}", status(True, t0), t0)
    o.apply(R + "queue", queue(K=(3, True, None, t0), N=(0, True)), t0)
    # no status for 3 minutes and one more: silent devices count as offline
    late = o.view(t0 + 4 * MIN + 1)
    assert {a["text"] for a in late["alerts"] if a["kind"] == "offline"} == {
        "controller main is offline", "display hall is offline", "kiosk entrance is offline", "keypad 1 is offline"}
    t1 = t0 + 20 * MIN
    for role, dev in (("controller", "main"), ("display", "hall"), ("kiosk", "entrance"), ("keypad", "1")):
        o.apply(R + f"status/{role}/{dev}", status(True, t1), t1)
    assert o.view(t1)["alerts"] == []
    kinds = [(a["kind"], a["text"]) for a in o.view(t1 + 1)["alerts"]]
    assert kinds == [("wait", "Kurzanliegen (K): the longest wait is over 20 min")]


def test_office_counters_and_today_figures():
    o = OfficeView(CFG)
    o.apply(R + "desk/3/state", DeskState("3", "paused", None, 10).to_json(), 20)
    o.apply(R + "stats/today", StatsToday("jc-mitte", "Jobcenter Mitte", "2026-11-25", {
        "K": ServiceFigures(5, 3, 1, 1, 4.5)}, 4.5, 20).to_json(), 20)
    v = o.view(30)
    d3 = next(d for d in v["desks"] if d["id"] == "3")
    assert (d3["status"], d3["since"], d3["label"]) == ("paused", 10, "Schalter 3")
    k = v["services"][0]
    assert (k["issued"], k["served"], k["noshow"], k["median_wait_min"]) == (5, 3, 1, 4.5)
    assert v["today"]["day"] == "2026-11-25"
    assert not o.apply(R + "status/kiosk/entrance", b'{"v":1,"online":"yes"}', 40)
    assert o.apply(R + "desk/3/state", b"", 50) and all(d["status"] is None for d in o.view(60)["desks"])
