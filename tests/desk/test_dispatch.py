"""The queue rules, pure: an injected clock, no broker, no database."""

import pytest

from aufruf import config
from desk.dispatch import CALLED, DONE, EXPIRED, NOSHOW, PAUSED, SERVING, VOID, WAITING, Office, Refused

CFG = config.load(config.EXAMPLE_SITE)
MIN = 60_000


@pytest.fixture
def office():
    return Office(CFG, "2026-11-25")


def test_numbers_count_up_per_service_and_ahead_counts_the_line(office):
    a = office.issue("K", 1000).ticket
    b = office.issue("K", 2000).ticket
    n = office.issue("N", 3000).ticket
    assert (a.number, b.number, n.number) == ("K001", "K002", "N001")
    assert (a.ahead, b.ahead, n.ahead) == (0, 1, 0)


def test_next_calls_longest_waiting_among_the_desks_services(office):
    office.issue("N", 1000)
    office.issue("K", 2000)
    out = office.command("1", "next", 3000)          # desk 1 serves K and N: N001 waited longest
    assert out.ticket.number == "N001" and out.calls[0].desk == "1"
    out = office.command("3", "next", 3500)          # desk 3 serves K only
    assert out.ticket.number == "K001"
    with pytest.raises(Refused, match="queue empty"):
        office.command("4", "next", 4000)


def test_next_finishes_the_current_ticket_and_records_its_service_time(office):
    office.issue("K", 0)
    office.issue("K", 0)
    office.command("3", "next", 1 * MIN)
    out = office.command("3", "next", 5 * MIN)
    assert office.tickets["K001"].state == DONE
    assert office.tickets["K001"].finished_at == 5 * MIN
    assert list(office.durations["K"]) == [4 * MIN]
    assert out.ticket.number == "K002" and office.tickets["K002"].state == CALLED


def test_two_desks_at_the_same_instant_get_different_tickets(office):
    office.issue("K", 0)
    office.issue("K", 0)
    a = office.command("3", "next", 1000).ticket.number
    b = office.command("4", "next", 1000).ticket.number
    assert {a, b} == {"K001", "K002"}


def test_transfer_keeps_the_place_by_original_issue_time(office):
    office.issue("K", 1000)            # K001
    office.issue("N", 2000)            # N001
    office.issue("N", 3000)            # N002
    office.command("3", "next", 4000)  # K001 at desk 3
    out = office.command("3", "transfer", 5000, service="N")
    assert out.ticket.number == "K001" and office.tickets["K001"].state == WAITING
    assert [t.number for t in office.line("N")] == ["K001", "N001", "N002"]
    assert office.desks["3"].status == "idle"
    assert office.command("1", "next", 6000).ticket.number == "K001"


def test_recall_announces_again_and_noshow_done(office):
    office.issue("K", 0)
    office.command("3", "next", 1000)
    out = office.command("3", "recall", 2000)
    assert out.calls[0].recall and out.calls[0].number == "K001"
    office.command("3", "noshow", 3000)
    assert office.tickets["K001"].state == NOSHOW
    with pytest.raises(Refused, match="no current ticket"):
        office.command("3", "done", 4000)


def test_pause_finishes_current_and_refuses_commands_until_resume(office):
    office.issue("K", 0)
    office.issue("K", 0)
    office.command("3", "next", 1000)
    office.command("3", "pause", 2000)
    assert office.desks["3"].status == PAUSED and office.tickets["K001"].state == DONE
    with pytest.raises(Refused, match="paused"):
        office.command("3", "next", 3000)
    office.command("3", "resume", 4000)
    assert office.command("3", "next", 5000).ticket.number == "K002"
    assert office.desks["3"].status == SERVING


def test_call_by_number_and_its_refusals(office):
    office.issue("K", 0)
    office.issue("K", 0)
    assert office.command("3", "call", 1000, number="K002").ticket.number == "K002"
    with pytest.raises(Refused, match="already called at desk 3"):
        office.command("4", "call", 1000, number="K002")
    with pytest.raises(Refused, match="no ticket K999"):
        office.command("4", "call", 1000, number="K999")
    with pytest.raises(Refused, match="unknown desk 9"):
        office.command("9", "next", 1000)


def test_eta_uses_default_until_history_then_median_over_open_desk_capacity(office):
    for i in range(4):
        office.issue("K", 0)
    # no history: default 4 min; desks 3 and 4 serve only K, desks 1 and 2 split between K and N:
    # 0.5 + 0.5 + 1 + 1 = 3 desks for K. 4 ahead x 4 min / 3
    assert office.eta_min("K", 4) == 6
    assert office.eta_min("N", 2) == 24      # 2 ahead x 12 min / (0.5 + 0.5)
    office.command("3", "pause", 0)
    assert office.eta_min("K", 3) == 6       # 3 x 4 / 2
    for d in ("1", "2", "4"):
        office.command(d, "pause", 0)
    assert office.eta_min("K", 3) is None    # no open desk: unknown, not invented
    assert office.queue_state(0).services["K"].open is False


def test_eta_when_every_desk_is_busy_counts_the_wait_for_a_free_desk(office):
    for _ in range(4):
        office.issue("K", 0)
    assert office.eta_min("K", 0) == 0       # a desk is free: no wait
    for d in ("1", "2", "3", "4"):
        office.command(d, "next", 0)
    assert office.eta_min("K", 0) == 1       # half a service time (4 min) over 3 desks, rounded up


def test_eta_from_recent_median_service_time(office):
    t = 0
    for minutes in (2, 2, 10):
        office.issue("K", t)
        office.command("3", "next", t)
        t += minutes * MIN
        office.command("3", "done", t)
    assert office.service_minutes("K") == 2
    assert office.eta_min("K", 8) == 6       # 8 ahead x 2 min / 3 desks' worth


def test_printed_failure_voids_only_a_waiting_ticket(office):
    office.issue("K", 0)
    out = office.printed("K001", False, 10)
    assert office.tickets["K001"].state == VOID and office.waiting("K") == 0 and out.tickets
    office.issue("K", 0)
    office.command("3", "next", 10)
    assert not office.printed("K002", False, 20).tickets
    assert office.tickets["K002"].state == CALLED


def test_roll_over_expires_open_tickets_and_restarts_numbers(office):
    office.issue("K", 0)
    office.issue("K", 0)
    office.command("3", "next", 0)
    out = office.roll_over("2026-11-26", 100)
    assert {t.number: t.state for t in out.tickets} == {"K001": EXPIRED, "K002": EXPIRED}
    assert office.desks["3"].status == "idle"
    assert office.issue("K", 200).ticket.number == "K001"


def test_number_range_exhausted_is_refused():
    text = config.EXAMPLE_SITE.read_text().replace("range = [1, 999]", "range = [998, 999]", 1)
    o = Office(config.parse(text), "d")
    assert [o.issue("K", i).ticket.number for i in range(2)] == ["K998", "K999"]
    with pytest.raises(Refused, match="no numbers left"):
        o.issue("K", 3)


def test_priority_ticket_goes_before_waiting_ones(office):
    office.issue("K", 0)
    office.issue("K", 10)
    p = office.issue("K", 20, priority=True).ticket
    assert p.ahead == 0
    assert office.command("3", "next", 30).ticket.number == p.number


def test_board_lists_newest_calls_first_at_most_ten(office):
    for i in range(12):
        office.issue("K", i)
    for i in range(12):
        office.command("3", "next", 100 + i)
    calls = office.board(200).to_dict()["calls"]
    assert len(calls) == 10 and calls[0]["number"] == "K012" and calls[-1]["number"] == "K003"


def test_queue_state_tells_when_the_longest_waiting_ticket_was_issued(office):
    assert office.queue_state(0).services["K"].oldest_at is None
    assert "oldest_at" not in office.queue_state(0).to_dict()["services"]["K"]
    office.issue("K", 1000)
    office.issue("K", 2000)
    office.issue("N", 1500)
    q = office.queue_state(3000).services
    assert q["K"].oldest_at == 1000 and q["N"].oldest_at == 1500
    office.command("1", "next", 4000, call_id="c1")  # K001 (issued at 1000) is called
    assert office.queue_state(5000).to_dict()["services"]["K"]["oldest_at"] == 2000


def test_the_oldest_wait_counts_priority_tickets_issued_later_and_earlier(office):
    office.issue("K", 1000)
    office.issue("K", 3000, priority=True)            # ahead in the line, but issued later
    assert office.queue_state(4000).services["K"].oldest_at == 1000
    office.issue("N", 2000)
    office.issue("N", 500, priority=True)             # (an injected clock: issued before the other)
    assert office.queue_state(4000).services["N"].oldest_at == 500
    office.command("3", "next", 5000, call_id="c1")   # the priority ticket K002 goes first
    assert office.queue_state(6000).services["K"].oldest_at == 1000
    office.command("3", "next", 7000, call_id="c2")
    assert office.queue_state(8000).services["K"].oldest_at is None
