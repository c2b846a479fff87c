"""Topics and payload checks of the wire protocol."""

import pytest
from hypothesis import given, settings, strategies as st

from aufruf import protocol
from aufruf.errors import PayloadError

T = protocol.Topics("jc-mitte")


def test_topic_builders_follow_the_contract():
    assert T.request("entrance") == "aufruf/jc-mitte/kiosk/entrance/request"
    assert T.command("3") == "aufruf/jc-mitte/desk/3/command"
    assert T.status("display", "hall") == "aufruf/jc-mitte/status/display/hall"
    assert T.board == "aufruf/jc-mitte/board"
    assert T.parse("aufruf/jc-mitte/desk/3/command") == ("desk/command", "3")
    with pytest.raises(PayloadError):
        T.command("Desk 3")
    with pytest.raises(PayloadError):
        T.parse("aufruf/other/desk/3/command")


@pytest.mark.parametrize("raw,reason", [
    (b"{", "not JSON"), (b'"x"', "not a JSON object"), (b'{"v":"1"}', "version"),
    (b'{"v":true}', "version"), (b"x" * 5000, "too large"), (b"\xc3", "not UTF-8"),
])
def test_decode_rejects_with_reason(raw, reason):
    with pytest.raises(PayloadError, match=reason):
        protocol.decode(raw)


def test_command_checks_fields_per_action():
    assert protocol.check_command({"v": 1, "id": "a", "action": "transfer", "service": "N"}).service == "N"
    assert protocol.check_command({"v": 1, "id": "a", "action": "call", "number": "K017"}).number == "K017"
    for bad in ({"id": "a", "action": "call", "number": "k17"}, {"id": "", "action": "next"},
                {"id": "a b", "action": "next"}, {"id": "a", "action": 5}, {"id": "a" * 65, "action": "next"}):
        with pytest.raises(PayloadError):
            protocol.check_command(bad)


def test_spoken_number():
    assert protocol.spoken_number("K017") == "K 17"
    assert protocol.spoken_number("N100") == "N 100"


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4)))
def test_any_json_value_is_accepted_or_refused_never_crashes(value):
    import json
    raw = json.dumps(value).encode()
    try:
        obj = protocol.decode(raw)
        protocol.check_command(obj)
    except PayloadError:
        pass
