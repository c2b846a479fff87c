"""Bad input at volume: 10,000 generated malformed or hostile payloads on every topic the controller reads.

Zero crashes, zero changes of the queue state, every one answered or logged.
"""

import json
import logging
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from aufruf.protocol import ACTIONS

SQL = ["'; DROP TABLE tickets; --", "K001' OR '1'='1", "\x00", "\u202e", "\x1b[2J", "%s%s%n", "../../etc/passwd"]
junk = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=30),
                 st.sampled_from(SQL), st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5),
                                                                                           st.integers(), max_size=3))


bad_id = st.one_of(st.none(), st.booleans(), st.integers(), st.just(""), st.just("a" * 65), st.just("has space"),
                   st.just("tab\there"), st.just("\x00"), st.just("ümlaut"), st.lists(st.integers(), max_size=2))
not_action = junk.filter(lambda a: a not in ACTIONS)


def broken_request():
    # every structured payload carries at least one defect: a wrong v, an unknown service, or a bad id
    return st.one_of(
        st.fixed_dictionaries({"v": st.sampled_from([0, 2, "1", None, True]), "id": st.text(min_size=1, max_size=8),
                               "service": st.just("K")}),
        st.fixed_dictionaries({"v": st.just(1), "id": st.text(min_size=1, max_size=8).filter(lambda s: s.isalnum()),
                               "service": st.one_of(junk, st.sampled_from(["Q", "k", "KK", ""] + SQL))}),
        st.fixed_dictionaries({"v": st.just(1), "id": bad_id, "service": st.just("K")}),
    )


def broken_command():
    return st.one_of(
        st.fixed_dictionaries({"v": st.just(1), "id": st.sampled_from(["a", "b"]),
                               "action": st.one_of(not_action, st.sampled_from(["NEXT", "drop", ""] + SQL))}),
        st.fixed_dictionaries({"v": st.just(1), "id": st.just("t"), "action": st.just("transfer"),
                               "service": st.one_of(junk, st.just("Q"))}),
        st.fixed_dictionaries({"v": st.just(1), "id": st.just("c"), "action": st.just("call"),
                               "number": st.one_of(junk.filter(lambda n: n != "K001"),
                                                   st.sampled_from(["K1", "k017", "K0170"] + SQL))}),
        st.fixed_dictionaries({"v": st.just(1), "id": st.text(min_size=65, max_size=70), "action": st.just("next")}),
    )


def broken_web_command():
    # a ticket given back through aufruf web: bad keys, numbers, actions (this site has no [[webs]] at all)
    return st.fixed_dictionaries({"v": st.just(1), "id": st.sampled_from(["w1", "w2"]),
                                  "action": st.one_of(st.just("leave"), not_action),
                                  "number": st.one_of(st.just("K001"), junk, st.sampled_from(SQL)),
                                  "key": st.one_of(st.just("aaaaaaaaaa"), junk, st.sampled_from(SQL))})


def raw(strategy):
    return strategy.map(lambda o: json.dumps(o).encode())


payloads = st.one_of(
    st.tuples(st.sampled_from(["kiosk/entrance/request", "kiosk/ghost/request"]), raw(broken_request())),
    st.tuples(st.sampled_from(["desk/3/command", "desk/99/command", "desk/x/command"]), raw(broken_command())),
    st.tuples(st.just("desk/3/command"), raw(st.fixed_dictionaries({"v": st.just(1), "id": st.just("ok"),
                                                                     "action": st.just("next")})))
    .map(lambda t: ("desk/77/command", t[1])),                       # a valid command for an unknown desk
    st.tuples(st.sampled_from(["web/lobby/command", "web/x/command"]), raw(broken_web_command())),
    st.tuples(st.sampled_from(["kiosk/entrance/printed", "kiosk/ghost/printed"]),
              raw(st.dictionaries(st.sampled_from(["v", "id", "number", "ok"]), junk, max_size=4))),
    st.tuples(st.sampled_from(["kiosk/entrance/request", "desk/1/command", "kiosk/entrance/printed"]),
              st.one_of(st.binary(max_size=60), st.just(b"[" * 5000), st.just(b'{"v":1,"id":"' + b"x" * 5000 + b'"}'),
                        st.just(b"\xff\xfe\x00"), st.just(b"null"), st.just(b'"v"'), st.just(b"{}"))),
)

STATE_SQL = ["SELECT * FROM tickets ORDER BY day, number", "SELECT * FROM desks ORDER BY id"]


def state(site):
    con = sqlite3.connect(site.data / "ledger.db")
    try:
        return [con.execute(q).fetchall() for q in STATE_SQL]
    finally:
        con.close()


@pytest.fixture
def running(site, desk_service):
    svc = desk_service(site)
    p = site.probe("controller-main", ("desk/3/reply",))
    yield svc, p
    svc.stop()


class Counter(logging.Handler):
    def __init__(self):
        super().__init__(logging.INFO)
        self.answered = 0

    def emit(self, record):
        msg = record.getMessage()
        if msg.startswith(("refused", "ignored", "repeated")):
            self.answered += 1


def test_ten_thousand_hostile_payloads(site, running):
    svc, p = running
    staff = site.probe("staff-info", ("kiosk/info/ticket", "desk/1/reply"))
    staff.request("kiosk/info/request", "kiosk/info/ticket", {"v": 1, "id": "real1", "service": "K"})
    staff.request("kiosk/info/request", "kiosk/info/ticket", {"v": 1, "id": "real2", "service": "N"})
    staff.request("desk/1/command", "desk/1/reply", {"v": 1, "id": "real3", "action": "next"})
    # some real state to protect: two tickets, one of them called at desk 1
    before = state(site)
    counter = Counter()
    desk_log = logging.getLogger("desk.controller")
    level = desk_log.level
    desk_log.setLevel(logging.INFO)
    desk_log.addHandler(counter)
    sent = [0]
    try:
        @settings(max_examples=250, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(st.lists(payloads, min_size=40, max_size=40))
        def blast(batch):
            for topic, body in batch:
                p.publish(topic, body, raw=True)
            sent[0] += len(batch)
            # the controller handles messages in order: once this is answered, the batch was handled
            sentinel = f"s{sent[0]}"
            r = p.request("desk/3/command", "desk/3/reply", {"v": 1, "id": sentinel, "action": "resume"}, timeout=30)
            assert r["error"] == "desk 3 is not paused"
            sent[0] += 1
            assert svc.controller._thread.is_alive()
        blast()
    finally:
        desk_log.removeHandler(counter)
        desk_log.setLevel(level)
    assert sent[0] >= 10_000
    assert state(site) == before, "hostile input changed the queue state"
    assert counter.answered == sent[0], f"{sent[0] - counter.answered} payloads neither answered nor logged"
    # and the controller still serves real requests
    assert staff.request("desk/1/command", "desk/1/reply", {"v": 1, "id": "real4", "action": "next"})["ticket"] == "N001"
