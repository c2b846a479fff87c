"""The request book: retries under the same id, one open request per service, late answers voided."""

from itertools import count

from kiosk.requests import PRINT, VOID, RequestBook


def book(**kw):
    n = count(1)
    return RequestBook("entrance", kw.get("timeout_s", 3.0), kw.get("late_print_s", 60.0),
                       new_id=lambda: f"r{next(n)}")


def test_unanswered_request_is_retried_under_the_same_id_until_answered():
    b = book()
    p = b.open("K", 0.0)
    assert p.id == "r1"
    assert b.due(2.9) == [] and not b.overdue(2.9)
    assert [x.id for x in b.due(3.0)] == ["r1"] and b.overdue(3.0)
    assert b.due(4.0) == []
    assert [x.id for x in b.due(6.0)] == ["r1"]
    assert [x.id for x in b.due(600.0)] == ["r1"]     # never given up: the kiosk must learn its number
    assert b.answer("r1", 601.0)[1] == VOID
    assert b.due(700.0) == [] and not b.overdue(700.0)


def test_second_press_of_a_waiting_service_takes_nothing_other_services_go_on():
    b = book()
    assert b.open("K", 0.0).id == "r1"
    assert b.open("K", 5.0) is None
    assert b.open("N", 5.0).id == "r2"
    assert b.blocking("K", 59.0).id == "r1"
    # a request older than late_print_s no longer blocks a new customer
    assert b.open("K", 60.0).id == "r3"


def test_answer_in_time_prints_late_answer_voids_duplicate_and_unknown_ignored():
    b = book(late_print_s=60.0)
    b.open("K", 0.0)
    b.open("N", 0.0)
    p, fate = b.answer("r1", 59.9)
    assert (p.id, fate) == ("r1", PRINT) and b.was_answered("r1")
    assert b.answer("r1", 70.0) is None
    assert b.answer("nope", 1.0) is None and not b.was_answered("nope")
    p, fate = b.answer("r2", 61.0)
    assert p.service == "N" and fate == VOID


def test_in_time_answer_is_printed():
    b = book()
    b.open("K", 10.0)
    p, fate = b.answer("r1", 12.0)
    assert (p.id, p.service, fate) == ("r1", "K", PRINT)
    assert b.next_deadline() is None


def test_reconnect_resends_everything_open():
    b = book()
    b.open("K", 0.0)
    b.open("N", 1.0)
    assert sorted(p.id for p in b.resend_all(1.5)) == ["r1", "r2"]
    assert b.next_deadline() == 4.5
