"""The board model: call pipeline with minimum display time, highlight, history, offline, closed, ticker."""

from display_payloads import CLOSED, TEN, at, board_msg, call_msg, queue_msg

from display.board import BoardModel


def model(cfg, now, **kw):
    return BoardModel(cfg, cfg.displays[0], now=now, **kw)


def test_retained_board_shows_newest_as_current_and_next_eight_as_history(cfg):
    t = at(cfg)
    m = model(cfg, t)
    m.apply_board(board_msg(TEN))
    assert m.tick(t) == []                              # nothing to announce from retained state
    assert m.current_call().number == "K016"
    assert [c.number for c in m.history()] == [n for n, _ in TEN[1:9]]
    assert not m.highlighted(t)


def test_calls_arriving_together_are_shown_one_after_another(cfg):
    t = at(cfg)
    d = cfg.displays[0]
    m = model(cfg, t)
    assert m.apply_call(call_msg("a", "K017", "3"), t)
    assert m.apply_call(call_msg("b", "N005", "1"), t)
    started = m.tick(t)
    assert [c.number for c in started] == ["K017"]
    assert m.tick(t + d.min_call_s - 0.01) == []
    assert m.current_call().number == "K017"
    assert m.next_deadline(t + 11) == t + d.min_call_s     # after highlight and offline mark: the queued call
    started = m.tick(t + d.min_call_s)
    assert [c.number for c in started] == ["N005"]
    assert [c.number for c in m.history()][:1] == ["K017"]
    assert m.highlighted(t + d.min_call_s + d.highlight_s - 0.01)
    assert not m.highlighted(t + d.min_call_s + d.highlight_s)


def test_queued_call_is_not_in_history_before_its_turn(cfg):
    t = at(cfg)
    m = model(cfg, t)
    m.apply_call(call_msg("a", "K017", "3"), t)
    m.apply_call(call_msg("b", "N005", "1"), t)
    m.tick(t)
    m.apply_board(board_msg([("N005", "1"), ("K017", "3"), ("K016", "2")]))   # the controller is ahead of us
    assert m.current_call().number == "K017"
    assert [c.number for c in m.history()] == ["K016"]


def test_repeated_call_id_is_ignored_but_recall_is_announced_again(cfg):
    t = at(cfg)
    m = model(cfg, t)
    assert m.apply_call(call_msg("a"), t)
    assert not m.apply_call(call_msg("a"), t)               # QoS 1 redelivery
    assert len(m.tick(t)) == 1
    assert m.apply_call(call_msg("r", recall=True), t + 10)
    again = m.tick(t + 10)
    assert len(again) == 1 and again[0].recall
    assert m.current_call().recall and m.highlighted(t + 10)


def test_offline_only_after_the_threshold_and_gone_on_reconnect(cfg):
    t = at(cfg)
    m = model(cfg, t, offline_after_s=10)
    m.set_connected(True, t)
    m.set_connected(False, t + 1)
    assert not m.offline(t + 10.9)
    assert m.next_deadline(t + 5) == t + 11
    assert m.offline(t + 11)
    m.set_connected(True, t + 12)
    assert not m.offline(t + 12)


def test_closed_outside_hours_only_when_nobody_waits(cfg):
    t = at(cfg, CLOSED)
    m = model(cfg, t)
    m.apply_queue(queue_msg(k=(0, 0), n=(0, 0)))
    assert not m.closed(t) and not m.offline(t)          # no broker yet: nobody knows; offline after 10 s
    assert m.offline(t + 10) and not m.closed(t + 10)
    m.set_connected(True, t)
    assert m.closed(t)
    assert not m.closed(at(cfg))                        # opening hours
    m.apply_queue(queue_msg(k=(2, 5), n=(0, 0)))
    assert not m.closed(t)                               # late customers are still called


def test_ticker_rotates_through_languages(cfg):
    t = at(cfg)
    m = model(cfg, t, ticker_s=10)
    seen = [m.notice(t + 10 * i) for i in range(5)]
    assert [lang for lang, _ in seen] == ["de", "en", "de", "en", "de"]
    assert seen[0][1] == cfg.displays[0].notices["de"][0]
    assert seen[1][1] == cfg.displays[0].notices["en"][0]
    assert seen[4] == seen[0]


def test_services_fall_back_to_the_board_counts(cfg):
    t = at(cfg)
    m = model(cfg, t)
    m.apply_board(board_msg(TEN, waiting={"K": 3, "N": 1}))
    assert [(s.key, s.waiting, s.eta_min) for s in m.services()] == [("K", 3, None), ("N", 1, None)]
    m.apply_queue(queue_msg())
    assert [(s.key, s.waiting, s.eta_min) for s in m.services()] == [("K", 5, 12), ("N", 2, 25)]


def test_a_clock_stepping_back_does_not_hold_queued_calls(cfg):
    t = at(cfg)
    d = cfg.displays[0]
    m = model(cfg, t)
    m.apply_call(call_msg("a", "K017", "3"), t)
    m.apply_call(call_msg("b", "N005", "1"), t)
    m.tick(t)
    back = t - 3600                                      # NTP corrects the boot time by an hour
    assert m.tick(back) == []
    assert [c.number for c in m.tick(back + d.min_call_s)] == ["N005"]


def test_next_call_of_a_burst_waits_while_the_previous_is_still_spoken(cfg):
    t = at(cfg)
    d = cfg.displays[0]
    m = model(cfg, t)
    m.apply_call(call_msg("a", "K017", "3"), t)
    m.apply_call(call_msg("b", "N005", "1"), t)
    m.tick(t)
    assert m.tick(t + d.min_call_s + 3, hold=True) == []     # K017 still being spoken
    assert m.current_call().number == "K017"
    assert [c.number for c in m.tick(t + d.min_call_s + 3.5)] == ["N005"]


def test_a_recall_is_listed_once_in_last_calls(cfg):
    t = at(cfg)
    m = model(cfg, t)
    # the controller's board lists K005 twice: called, then recalled after K016
    m.apply_board(board_msg([("K017", "3"), ("K005", "1"), ("K016", "2"), ("K005", "1"), ("N002", "4")]))
    assert [c.number for c in m.history()] == ["K005", "K016", "N002"]
