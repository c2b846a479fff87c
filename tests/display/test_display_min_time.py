"""A call cannot be missed: each stays in "now calling" at least min_call_s (15 s by default), on an injected clock."""

from display_payloads import at, call_msg

from display.board import BoardModel


def test_the_default_minimum_is_15_s_and_a_later_call_waits_its_turn(cfg):
    d = cfg.displays[0]
    assert d.min_call_s == 15.0
    t = at(cfg)
    m = BoardModel(cfg, d, now=t)
    m.apply_call(call_msg("a", "K017", "3"), t)
    assert [c.number for c in m.tick(t)] == ["K017"]
    m.apply_call(call_msg("b", "N005", "1"), t + 2)          # comes 2 s later ...
    m.apply_call(call_msg("c", "K018", "4"), t + 3)
    for s in (2, 5, 10, 14.99):
        assert m.tick(t + s) == [] and m.current_call().number == "K017", s   # ... K017 stays up 15 s
    assert m.next_deadline(t + 14) == t + 15
    assert [c.number for c in m.tick(t + 15)] == ["N005"]
    assert m.tick(t + 29.9) == [] and m.current_call().number == "N005"
    assert [c.number for c in m.tick(t + 30)] == ["K018"]
    # the earlier calls keep their counter in the list below
    assert [(c.number, c.desk) for c in m.history()][:2] == [("N005", "1"), ("K017", "3")]


def test_a_recall_of_the_call_on_the_panel_replaces_nobody_and_is_marked(cfg):
    d = cfg.displays[0]
    t = at(cfg)
    m = BoardModel(cfg, d, now=t)
    m.apply_call(call_msg("a", "K017", "3"), t)
    m.tick(t)
    m.apply_call(call_msg("b", "K017", "3", recall=True), t + 1)
    started = m.tick(t + 1)
    assert [(c.number, c.recall) for c in started] == [("K017", True)]
    assert m.current_call().recall
    # ... but a recall of another number waits like any call
    m.apply_call(call_msg("c", "N005", "1", recall=True), t + 2)
    assert m.tick(t + 2) == []
    assert [c.number for c in m.tick(t + 1 + d.min_call_s)] == ["N005"]


def test_speech_still_running_holds_the_next_call_beyond_the_minimum(cfg):
    d = cfg.displays[0]
    t = at(cfg)
    m = BoardModel(cfg, d, now=t)
    m.apply_call(call_msg("a", "K017", "3"), t)
    m.apply_call(call_msg("b", "N005", "1"), t)
    m.tick(t)
    assert m.tick(t + 40, hold=True) == []              # five languages take longer than 15 s
    assert [c.number for c in m.tick(t + 41)] == ["N005"]


def test_a_recalled_call_keeps_its_mark_and_counter_in_the_list(cfg, tmp_path):
    import pygame
    from display_payloads import TEN, board_msg, queue_msg

    from display.render import HIGHLIGHT, Renderer
    d = cfg.displays[0]
    t = at(cfg)
    m = BoardModel(cfg, d, now=t)
    m.set_connected(True, t)
    m.apply_queue(queue_msg())
    m.apply_call(call_msg("a", "K015", "3", recall=True), t)
    m.tick(t)
    m.apply_call(call_msg("b", "K017", "4"), t + 1)
    m.tick(t + d.min_call_s)
    m.apply_board(board_msg([("K017", "4"), ("K015", "3")] + TEN[3:]))     # the controller's board comes later
    assert [(c.number, c.desk, c.recall) for c in m.history()][:2] == [("K015", "3", True), ("K014", "4", False)]
    s = pygame.Surface((1920, 1080))
    r = Renderer(cfg, d, s)
    r.draw(m, t + d.min_call_s + 20)
    pygame.image.save(s, str(tmp_path / "recall-in-list.png"))
    spot = r.spots["history.recall.0"]
    assert r.layout.history_rows[0].contains(spot) and "history.recall.1" not in r.spots
    amber = sum(1 for x in range(spot.left, spot.right) for y in range(spot.top, spot.bottom)
                if tuple(s.get_at((x, y)))[:3] == HIGHLIGHT)
    assert amber > 20
