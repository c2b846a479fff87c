"""The appointment messages of the protocol (additions): round trips and refusals of bad payloads."""

from __future__ import annotations

import pytest

from aufruf import protocol
from aufruf.errors import PayloadError


@pytest.mark.parametrize("msg", [
    protocol.CheckinRequest("k-1", "AB12-CD34"),
    protocol.CheckinReply("k-1", "checked_in", "09:00", number="T001", desk="r214", floor="2", room="2.14"),
    protocol.CheckinReply("k-1", "early", "11:00", opens="10:30", desk="1"),
    protocol.CheckinReply("k-1", "late", "09:00", ticket=protocol.TicketInfo("K018", "K", 1, 3, 9)),
    protocol.CheckinReply.refused("k-1", "used", "this code was already used at 08:52 (number T001)"),
    protocol.ArrivalEvent("T001", "r214", "09:00", "B", 1795600000000, "Dolmetscher"),
    protocol.Arrivals("r214", (protocol.WaitingAppointment("T001", "09:00", "B", 1795600000000),), 1795600000001, 3),
])
def test_round_trip(msg):
    assert type(msg).from_json(msg.to_json()) == msg
    assert msg.to_dict()["v"] == 1


def test_a_kiosk_request_is_a_ticket_or_a_checkin():
    assert isinstance(protocol.KioskRequest.from_dict({"v": 1, "id": "a", "service": "K"}), protocol.TicketRequest)
    assert protocol.KioskRequest.from_dict({"v": 1, "id": "a", "checkin": "X1Y2"}) == \
        protocol.CheckinRequest("a", "X1Y2")


@pytest.mark.parametrize("obj,why", [
    ({"v": 1, "id": "a", "checkin": ""}, "1 to 64"),
    ({"v": 1, "id": "a", "checkin": "A" * 65}, "1 to 64"),
    ({"v": 1, "id": "a", "checkin": 17}, "string"),
    ({"v": 1, "checkin": "AB12"}, "missing field 'id'"),
])
def test_bad_checkin_requests_are_refused(obj, why):
    with pytest.raises(PayloadError, match=why):
        protocol.KioskRequest.from_dict(obj)


@pytest.mark.parametrize("obj,why", [
    ({"v": 1, "id": "a", "ok": True}, "appointment"),
    ({"v": 1, "id": "a", "ok": True, "appointment": {"result": "maybe", "time": "09:00"}}, "result"),
    ({"v": 1, "id": "a", "ok": True, "appointment": {"result": "checked_in", "time": "09:00", "desk": "1"}},
     "number"),
    ({"v": 1, "id": "a", "ok": True, "appointment": {"result": "early", "time": "9:00", "from": "08:30"}}, "HH:MM"),
])
def test_bad_checkin_replies_are_refused(obj, why):
    with pytest.raises(PayloadError, match=why):
        protocol.CheckinReply.from_dict(obj)


def test_an_unknown_refusal_reads_as_invalid_and_the_arrivals_list_is_bounded():
    r = protocol.CheckinReply.from_dict({"v": 1, "id": "a", "ok": False, "error": "no", "refusal": "weird"})
    assert not r.ok and r.refusal == "invalid"
    many = {"v": 1, "desk": "1", "updated_at": 1, "waiting": [
        {"number": f"T{i:03d}", "time": "09:00", "service": "B", "checked_in_at": 1} for i in range(21)]}
    with pytest.raises(PayloadError, match="at most 20"):
        protocol.Arrivals.from_dict(many)


def test_topics():
    t = protocol.Topics("jc-mitte")
    assert t.arrival("r214") == "aufruf/jc-mitte/desk/r214/arrival"
    assert t.arrivals("r214") == "aufruf/jc-mitte/desk/r214/arrivals"
    assert t.all_arrivals == "aufruf/jc-mitte/desk/+/arrivals"
    with pytest.raises(PayloadError):
        t.arrival("Raum 2.14")
