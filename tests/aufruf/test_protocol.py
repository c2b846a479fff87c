"""Topics and the typed messages of the wire protocol."""

import json

import pytest
from hypothesis import event, given, settings, strategies as st

from aufruf import protocol
from aufruf.errors import PayloadError

T = protocol.Topics("jc-mitte")


def test_topic_builders_follow_the_contract():
    assert T.request("entrance") == "aufruf/jc-mitte/kiosk/entrance/request"
    assert T.command("3") == "aufruf/jc-mitte/desk/3/command"
    assert T.status("display", "hall") == "aufruf/jc-mitte/status/display/hall"
    assert T.board == "aufruf/jc-mitte/board"
    assert T.all_commands == "aufruf/jc-mitte/desk/+/command"
    assert T.role_status("controller") == "aufruf/jc-mitte/status/controller/+"
    assert T.parse("aufruf/jc-mitte/desk/3/command") == protocol.Route("desk/command", "3")
    assert T.parse("aufruf/jc-mitte/status/kiosk/entrance") == protocol.Route("status/kiosk", "entrance")
    assert T.parse("aufruf/jc-mitte/stats/today") == protocol.Route("stats/today")
    assert T.relative(T.desk_state("3")) == "desk/3/state"
    with pytest.raises(PayloadError):
        T.command("Desk 3")
    with pytest.raises(PayloadError):
        T.parse("aufruf/other/desk/3/command")
    with pytest.raises(PayloadError):
        protocol.Topics("Not A Site")


@pytest.mark.parametrize("raw,reason", [
    (b"{", "not JSON"), (b'"x"', "not a JSON object"), (b'{"v":"1"}', "version"),
    (b'{"v":true}', "version"), (b"x" * 5000, "too large"), (b"\xc3", "not UTF-8"),
])
def test_decode_rejects_with_reason(raw, reason):
    with pytest.raises(PayloadError, match=reason):
        protocol.decode(raw)


def test_command_checks_fields_per_action():
    assert protocol.Command.from_dict({"v": 1, "id": "a", "action": "transfer", "service": "N"}).service == "N"
    assert protocol.Command.from_dict({"v": 1, "id": "a", "action": "call", "number": "K017"}).number == "K017"
    for bad, why in (({"id": "a", "action": "call", "number": "k17"}, "number"),
                     ({"id": "", "action": "next"}, "'id'"), ({"id": "a b", "action": "next"}, "'id'"),
                     ({"id": "a", "action": 5}, "action"), ({"id": "a" * 65, "action": "next"}, "'id'"),
                     ({"id": "a", "action": "explode"}, "unknown action"),
                     ({"id": "a", "action": "transfer"}, "service")):
        with pytest.raises(PayloadError, match=why):
            protocol.Command.from_dict(bad)


def test_a_message_cannot_be_built_wrong_either():
    with pytest.raises(PayloadError, match="unknown action"):
        protocol.Command("c1", "explode")
    with pytest.raises(PayloadError, match="number"):
        protocol.Command("c1", "call")
    with pytest.raises(PayloadError, match="printer"):
        protocol.Status(online=True, printer="on fire")


# every message, as the controller and devices send it: the wire form is the documented one
WIRE = [
    (protocol.TicketRequest("entrance-7f3a", "K"), '{"v":1,"id":"entrance-7f3a","service":"K"}'),
    (protocol.TicketReply("entrance-7f3a", protocol.TicketInfo("K017", "K", 1795600000000, 4, 12)),
     '{"v":1,"id":"entrance-7f3a","ok":true,"ticket":{"number":"K017","service":"K","issued_at":1795600000000,'
     '"ahead":4,"eta_min":12}}'),
    (protocol.TicketReply("entrance-7f3b", error="unknown service Q"),
     '{"v":1,"ok":false,"error":"unknown service Q","id":"entrance-7f3b"}'),
    (protocol.PrintReport("entrance-7f3a", "K017", False, "paper out"),
     '{"v":1,"id":"entrance-7f3a","number":"K017","ok":false,"error":"paper out"}'),
    (protocol.Command("kp3-0007", "transfer", service="N"), '{"v":1,"id":"kp3-0007","action":"transfer","service":"N"}'),
    (protocol.CommandReply("kp3-0001", "K017"), '{"v":1,"id":"kp3-0001","ok":true,"ticket":"K017"}'),
    (protocol.CommandReply("kp3-0009", error="queue empty"), '{"v":1,"ok":false,"error":"queue empty","id":"kp3-0009"}'),
    (protocol.DeskState("4", "idle", None, 1795600000000),
     '{"v":1,"desk":"4","status":"idle","ticket":null,"since":1795600000000}'),
    (protocol.CallEvent("5f0c8e1d2a9b4c7e", "K017", "3", "K", 1795600300000),
     '{"v":1,"id":"5f0c8e1d2a9b4c7e","number":"K017","desk":"3","service":"K","at":1795600300000,"recall":false}'),
    (protocol.Board((protocol.BoardCall("K017", "3", 1795600300000),
                     protocol.BoardCall("N005", "1", 1795600200000, priority=True)), {"K": 5, "N": 2}, 1795600300000),
     '{"v":1,"calls":[{"number":"K017","desk":"3","at":1795600300000},'
     '{"number":"N005","desk":"1","at":1795600200000,"priority":true}],"waiting":{"K":5,"N":2},'
     '"updated_at":1795600300000}'),
    (protocol.QueueState({"K": protocol.ServiceQueue(5, True, 12), "N": protocol.ServiceQueue(0, False)}, 7),
     '{"v":1,"services":{"K":{"waiting":5,"open":true,"eta_min":12},"N":{"waiting":0,"open":false}},'
     '"updated_at":7}'),
    (protocol.Status(online=True, at=1795600300000, printer="paper_low"),
     '{"v":1,"online":true,"at":1795600300000,"printer":"paper_low"}'),
    (protocol.Status(online=False), '{"v":1,"online":false}'),
    (protocol.StatsToday("jc-mitte", "Jobcenter Mitte", "2026-11-25",
                         {"K": protocol.ServiceFigures(52, 44, 3, 4, 6.5)}, 8.0, 1795600300000),
     '{"v":1,"site":"jc-mitte","name":"Jobcenter Mitte","day":"2026-11-25","services":{"K":{"issued":52,'
     '"served":44,"noshow":3,"waiting":4,"median_wait_min":6.5}},"median_wait_min":8.0,"updated_at":1795600300000}'),
]


@pytest.mark.parametrize("message,wire", WIRE, ids=[type(m).__name__ for m, _ in WIRE])
def test_every_message_has_its_documented_wire_form_and_reads_back(message, wire):
    assert message.to_json() == wire.encode()
    assert type(message).from_json(wire.encode()) == message


def test_a_refusal_reads_as_either_reply():
    raw = protocol.Refusal("x1", "payload is not JSON").to_json()
    assert protocol.TicketReply.from_json(raw) == protocol.TicketReply("x1", error="payload is not JSON")
    assert protocol.CommandReply.from_json(raw) == protocol.CommandReply("x1", error="payload is not JSON")


def test_spoken_number():
    assert protocol.spoken_number("K017") == "K 17"
    assert protocol.spoken_number("N100") == "N 100"


# Commands as a hostile or broken client might send them: mostly well-formed envelopes (so that
# the examples reach Command.from_dict, not only decode), with fields that are wrong in every way.
_junk = st.none() | st.booleans() | st.integers(-5, 10**6) | st.text(max_size=70) | st.lists(st.integers(), max_size=3)
_commands = st.fixed_dictionaries(
    {"v": st.sampled_from([1, 1, 1, 1, 2, "1", True]),
     "id": st.text(min_size=0, max_size=70) | st.sampled_from(["kp3-1", "a", "x" * 64]) | _junk,
     "action": st.sampled_from(protocol.ACTIONS + ("explode", "")) | _junk},
    optional={"service": st.sampled_from(["K", "N", "k", "KK", ""]) | _junk,
              "number": st.sampled_from(["K017", "K17", "k017", "N999"]) | _junk,
              "extra": _junk})

_reached: list[bool] = []


@settings(max_examples=400, deadline=None)
@given(_commands)
def test_any_command_is_accepted_or_refused_with_a_reason_never_crashes(body):
    raw = json.dumps(body).encode()
    try:
        obj = protocol.decode(raw)
    except PayloadError:
        event("refused by decode")
        return
    _reached.append(True)
    event("reached Command.from_dict")
    try:
        cmd = protocol.Command.from_dict(obj)
    except PayloadError as e:
        assert str(e)                                   # a reason the controller sends back
        return
    assert cmd.action in protocol.ACTIONS and protocol.REQ_ID_RE.match(cmd.id)
    assert protocol.Command.from_json(cmd.to_json()) == cmd


def test_the_hostile_commands_reached_the_command_check():
    """Run after the property test: most of its examples got past ``decode`` to ``Command.from_dict``."""
    _reached.clear()
    test_any_command_is_accepted_or_refused_with_a_reason_never_crashes()
    print(f"{len(_reached)} of 400 hostile commands reached Command.from_dict")
    assert len(_reached) >= 200
