"""The web's pure parts: the site state's views and the hub's fan-out (no network)."""

import asyncio
import json

from aufruf import config, protocol
from sites import EXAMPLE
from web.hub import Hub, Page
from web.state import SiteState

CFG = config.parse(EXAMPLE.read_text() + '\n[[webs]]\nid = "lobby"\npublic_url = "http://x.example"\n')
T = protocol.Topics(CFG.site_id)
DAY = "2026-11-25"


def msg(obj) -> bytes:
    return json.dumps(obj).encode()


def line(service, numbers, etas=None, more=0):
    return protocol.Line(service, tuple(numbers), tuple(etas or [1] * len(numbers)), more, True, 1).to_json()


def ticket(number, state="waiting", desk=None, day=DAY, service="K"):
    return protocol.TicketState(number, day, service, state, desk, 1).to_json()


def test_a_ticket_view_follows_line_and_state():
    st = SiteState(CFG)
    st.apply(T.ticket_state("K003"), ticket("K003"))
    st.apply(T.line("K"), line("K", ["K001", "K002", "K003"], [0, 4, 8]))
    v = st.ticket_view("K003", "de", DAY)
    assert (v["state"], v["ahead"], v["eta_min"], v["soon"], v["service_name"]) == ("waiting", 2, 8, True,
                                                                                 "Kurzanliegen")
    st.apply(T.ticket_state("K003"), ticket("K003", "called", "3"))
    v = st.ticket_view("K003", "en", DAY)
    assert (v["state"], v["desk"], v["ahead"]) == ("called", "Counter 3", None)
    assert st.ticket_view("K003", "de", "2026-11-26")["state"] == "expired"   # the day is over
    assert st.ticket_view("K004", "de", DAY) is None


def test_far_back_in_a_long_line():
    st = SiteState(CFG)
    st.apply(T.ticket_state("K400"), ticket("K400"))
    st.apply(T.line("K"), line("K", [f"K{i:03d}" for i in range(1, 301)], more=120))
    v = st.ticket_view("K400", "de", DAY)
    assert (v["ahead"], v["ahead_more"]) == (300, True)


def test_bad_messages_change_nothing():
    st = SiteState(CFG)
    st.apply(T.line("K"), line("K", ["K001"]))
    for topic, payload in ((T.line("K"), b"{"), (T.line("K"), line("N", ["N001"])),
                           (T.ticket_state("K001"), ticket("K002")), (T.board, msg({"v": 1, "calls": 3})),
                           (T.line("K"), msg({"v": 1, "service": "K", "numbers": ["x"], "eta_min": [1],
                                              "more": 0, "open": True, "updated_at": 1})),
                           ("aufruf/other/board", msg({"v": 1}))):
        ch = st.apply(topic, payload)
        assert not (ch.board or ch.lines or ch.tickets or ch.call)
    assert st.lines["K"].numbers == ("K001",) and st.tickets == {}


def test_the_hub_tells_each_page_once_per_change_and_closes_a_full_one():
    async def go():
        st = SiteState(CFG)
        hub = Hub(st, lambda: 1_795_600_000_000, max_pages=2)
        a, b = hub.join("de"), hub.join("en")
        assert hub.join("de") is None and hub.refused == 1          # full
        call = {"v": 1, "id": "c1", "number": "K001", "desk": "3", "service": "K", "at": 1, "recall": False}
        hub.publish(st.apply(T.call, msg(call)))
        assert b"Schalter 3" in a.pending[-1] and b"Counter 3" in b.pending[-1]
        for _ in range(40):                   # neither page opens its stream: they are closed, not kept
            hub.publish(st.apply(T.call, msg(call)))
        assert a.closed.is_set() and b.closed.is_set() and hub.pages == 0
        assert hub.join("de") is not None                            # room again
        return True
    assert asyncio.run(go())


def test_pages_of_a_ticket_hear_only_real_changes():
    async def go():
        st = SiteState(CFG)
        st.apply(T.ticket_state("K002"), ticket("K002"))
        st.apply(T.line("K"), line("K", ["K001", "K002"]))
        hub = Hub(st, lambda: 1_795_600_000_000, max_pages=10)
        hub.today = lambda: DAY
        p = hub.join("de", "K002")
        assert len(p.pending) == 1
        hub.publish(st.apply(T.line("N"), line("N", ["N001"])))       # another line: nothing new
        hub.publish(st.apply(T.line("K"), line("K", ["K001", "K002"])))  # same place: nothing new
        assert len(p.pending) == 1
        hub.publish(st.apply(T.line("K"), line("K", ["K002"])))
        assert len(p.pending) == 2 and b'"ahead":0' in p.pending[-1]
        return isinstance(p, Page)
    assert asyncio.run(go())


def test_the_pages_gong_is_the_displays_gong():
    from pathlib import Path

    from display.sound import gong_wav
    shipped = Path(__file__).resolve().parents[2] / "web" / "static" / "gong.wav"
    assert shipped.read_bytes() == gong_wav()


def test_a_counter_without_a_label_in_the_pages_language_gets_the_catalogues_word():
    # the model site labels its counters in de and en only: an Arabic or Turkish page says the
    # counter in its own language, as the wall board does, not "Schalter 3"
    text = EXAMPLE.read_text().replace('languages = ["de", "en"]', 'languages = ["de", "en", "ar", "tr"]')
    cfg = config.parse(text + '\n[[webs]]\nid = "lobby"\npublic_url = "http://x.example"\n')
    st = SiteState(cfg)
    assert st.desk_label("3", "de") == "Schalter 3" and st.desk_label("3", "en") == "Counter 3"
    assert st.desk_label("3", "tr") == "Gişe 3"
    assert st.desk_label("3", "ar") == st.cat.text("ar", "board.desk", desk="3") != "Schalter 3"
