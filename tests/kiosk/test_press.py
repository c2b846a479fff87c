"""The press rules: one ticket per press, bounce and repeated presses give nothing, hold gives a test print."""

from kiosk.press import TEST, TICKET, PressGate


def test_first_press_takes_a_ticket_and_holding_takes_no_second():
    g = PressGate(min_gap_s=2.0, hold_s=5.0)
    assert g.press(10.0) == TICKET
    assert g.press(10.5) is None          # "down" again without "up"
    for t in (11.0, 12.0, 14.9):
        assert g.tick(t) is None
    g.release(14.95)
    assert g.tick(20.0) is None


def test_contact_bounce_is_one_press_even_without_a_gap():
    g = PressGate(min_gap_s=0.0, hold_s=5.0)
    assert g.press(1.000) == TICKET
    for i in range(5):                    # 5 bounces of 2 ms each
        g.release(1.002 + i * 0.004)
        assert g.press(1.004 + i * 0.004) is None
    g.release(1.3)
    assert g.press(1.5) == TICKET         # a real second press


def test_presses_closer_than_the_gap_are_refused_measured_from_the_last_ticket():
    g = PressGate(min_gap_s=2.0, hold_s=5.0)
    assert g.press(0.0) == TICKET
    g.release(0.2)
    assert g.press(1.0) is None
    g.release(1.2)
    assert g.press(1.9) is None
    g.release(2.1)
    assert g.press(2.2) == TICKET         # 2.2 s after the last ticket
    assert g.ignored == 2


def test_hold_gives_one_test_print_and_bounce_does_not_restart_the_hold():
    g = PressGate(min_gap_s=2.0, hold_s=5.0)
    g.press(0.0)
    assert g.next_deadline() == 5.0
    g.release(3.0)
    g.press(3.01)                         # bounce: the hold goes on from 0.0
    assert g.tick(4.99) is None
    assert g.tick(5.0) == TEST
    assert g.tick(9.0) is None            # once per hold
    assert g.next_deadline() is None
    g.release(9.5)
    g.press(12.0)
    assert g.tick(16.9) is None and g.tick(17.0) == TEST


from hypothesis import given, strategies as st  # noqa: E402


@given(st.lists(st.tuples(st.booleans(), st.floats(0.0, 3.0)), max_size=60),
       st.floats(0.0, 5.0))
def test_any_edge_sequence_gives_tickets_at_least_the_gap_apart_and_one_per_down(edges, gap):
    g = PressGate(min_gap_s=gap, hold_s=5.0)
    t, tickets, downs = 0.0, [], 0
    for down, dt_ in edges:
        t += dt_
        if down:
            downs += 1
            if g.press(t) == TICKET:
                tickets.append(t)
        else:
            g.release(t)
    assert len(tickets) <= downs
    assert all(b - a >= gap for a, b in zip(tickets, tickets[1:]))
