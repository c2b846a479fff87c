"""The renderer on real pygame surfaces (SDL dummy driver): what is drawn where, and only what changed."""


import pygame

from aufruf import protocol
import pytest
from display_payloads import CLOSED, TEN, at, board, call, board_msg, call_msg, queue_msg

from display import render, texts
from display.board import BoardModel
from display.render import FG, HIGHLIGHT, ON_HIGHLIGHT, PANEL, Renderer

SIZES = [(1920, 1080), (1080, 1920)]


def setup(cfg, size, now):
    m = BoardModel(cfg, cfg.displays[0], now=now)
    m.set_connected(True, now)
    s = pygame.Surface(size)
    return m, s, Renderer(cfg, cfg.displays[0], s)


def count(surface, rect, color):
    """How many pixels in ``rect`` have exactly ``color``."""
    sub = surface.subsurface(rect)
    return sum(1 for x in range(0, rect.width, 2) for y in range(0, rect.height, 2)
               if tuple(sub.get_at((x, y)))[:3] == color)


def pixels(surface, rect) -> bytes:
    return pygame.image.tobytes(surface.subsurface(rect), "RGB")


@pytest.mark.parametrize("size", SIZES)
def test_fresh_call_is_highlighted_with_number_and_arrow(cfg, size, tmp_path):
    t = at(cfg)
    m, s, r = setup(cfg, size, t)
    m.apply_board(board_msg(TEN))
    m.apply_queue(queue_msg())
    m.apply_call(call_msg("c1", "K017", "3"), t)
    m.tick(t)
    r.draw(m, t)
    pygame.image.save(s, str(tmp_path / f"call-{size[0]}x{size[1]}.png"))
    cur = r.layout.current
    assert count(s, cur, HIGHLIGHT) > 0.5 * (cur.width * cur.height / 4)      # mostly amber
    num = r.spots["current.number"]
    assert cur.contains(num) and count(s, num, ON_HIGHLIGHT) > 0.15 * (num.width * num.height / 4)
    arrow = r.spots["current.arrow"]
    assert tuple(s.get_at(arrow.center))[:3] == ON_HIGHLIGHT                 # the shaft
    assert tuple(s.get_at((arrow.left + 1, arrow.top + 1)))[:3] == HIGHLIGHT  # a shape, not a box
    # the number drawn is the called one: another number changes exactly that spot
    before = pixels(s, num)
    m.apply_call(call_msg("c2", "K018", "3"), t + 10)
    m.tick(t + 10)
    r.draw(m, t + 10)
    assert pixels(s, num) != before
    # after highlight_s the call stays, on the normal panel colour
    later = t + 10 + cfg.displays[0].highlight_s
    r.draw(m, later)
    assert count(s, cur, HIGHLIGHT) == 0 and count(s, cur, PANEL) > 0.3 * (cur.width * cur.height / 4)
    assert count(s, num, FG) > 0


@pytest.mark.parametrize("size", SIZES)
def test_history_holds_the_last_eight(cfg, size, tmp_path):
    t = at(cfg)
    m, s, r = setup(cfg, size, t)
    m.apply_board(board_msg(TEN))
    r.draw(m, t)
    pygame.image.save(s, str(tmp_path / f"history-{size[0]}x{size[1]}.png"))
    rows = r.layout.history_rows
    assert len(rows) == 8
    assert all(count(s, row, FG) > 20 for row in rows)
    shot = [pixels(s, row) for row in rows]
    # the tenth call (ninth earlier one) is not on the board: changing it changes nothing
    m.apply_board(board_msg(TEN[:9] + [("N099", "4")]))
    assert r.draw(m, t) == []
    # the ninth call is the eighth history row: only that row changes
    m.apply_board(board_msg(TEN[:8] + [("N099", "4"), TEN[9]]))
    dirty = r.draw(m, t)
    assert dirty == [r.layout.history]
    now = [pixels(s, row) for row in rows]
    assert now[:7] == shot[:7] and now[7] != shot[7]


def test_only_changed_regions_are_redrawn(cfg):
    t = at(cfg) - at(cfg) % 60 + 30      # half a minute into a minute
    m, s, r = setup(cfg, (1920, 1080), t)
    m.ticker_s = 3600                                    # keep the footer still
    m.apply_board(board_msg(TEN))
    m.apply_queue(queue_msg())
    assert r.draw(m, t) == [s.get_rect()]               # first frame: everything
    assert r.draw(m, t + 1) == []                        # nothing changed
    assert r.draw(m, t + 31) == [r.layout.clock]         # the minute turned
    m.apply_queue(queue_msg(k=(6, 14)))
    assert r.draw(m, t + 32) == [r.layout.waiting]
    m.ticker_s = 10
    assert r.draw(m, t + 32) == [r.layout.footer]       # the next notice
    m.apply_call(call_msg("x", "K020", "4"), t + 33)
    m.tick(t + 33)
    assert set(map(tuple, r.draw(m, t + 33))) == {tuple(r.layout.current), tuple(r.layout.history)}
    renders = r.cache.renders
    r.invalidate()
    r.draw(m, t + 33)
    assert r.cache.renders == renders                    # a full repaint reuses the cached text


@pytest.mark.parametrize("size", SIZES + [(800, 480), (480, 800)])
def test_layout_fits_the_surface_without_overlaps(size):
    L = render.make_layout(size, 8)
    full = pygame.Rect((0, 0), size)
    regions = [L.header, L.current, L.history, L.waiting, L.footer]
    assert all(full.contains(x) for x in regions + L.history_rows)
    for i, a in enumerate(regions):
        for b in regions[i + 1:]:
            assert not a.colliderect(b), (a, b)


def test_closed_screen_outside_hours(cfg, tmp_path):
    t = at(cfg, CLOSED)
    m, s, r = setup(cfg, (1920, 1080), t)
    m.apply_queue(queue_msg(k=(0, 0), n=(0, 0)))
    m.set_connected(True, t)
    r.draw(m, t)
    pygame.image.save(s, str(tmp_path / "closed.png"))
    assert "closed" in r.spots and "current.number" not in r.spots
    assert count(s, r.spots["closed"], FG) > 100


@pytest.mark.parametrize("size", SIZES)
def test_priority_calls_are_marked_on_the_big_panel_and_in_the_history(cfg, size, tmp_path):
    t = at(cfg)
    shots = {}
    for prio in (False, True):
        m, s, r = setup(cfg, size, t)
        b = board(TEN)
        b["calls"][0]["priority"] = prio                 # K016, the newest on the board
        m.apply_board(protocol.Board.from_dict(b))
        m.apply_queue(queue_msg())
        c = call("c1", "K017", "3")
        if prio:
            c["priority"] = True
        m.apply_call(protocol.CallEvent.from_dict(c), t)
        m.tick(t)
        later = t + cfg.displays[0].highlight_s + 1      # the highlight is over: the marker must stand alone
        r.draw(m, later)
        pygame.image.save(s, str(tmp_path / f"priority-{prio}-{size[0]}x{size[1]}.png"))
        shots[prio] = (s.copy(), r)
    plain, marked = shots[False][0], shots[True][0]
    r = shots[True][1]
    cur, row0 = r.layout.current, r.layout.history_rows[0]
    # the "Vorrang · Priority" tag: amber letters in a dark box on the panel's top right, only when marked
    top_right = pygame.Rect(cur.centerx, cur.top, cur.width // 2, cur.height // 6)
    assert count(plain, top_right, HIGHLIGHT) == 0 and count(marked, top_right, HIGHLIGHT) > 20
    # K016's number in the history turns amber
    assert count(plain, row0, HIGHLIGHT) == 0 and count(marked, row0, HIGHLIGHT) > 10
    assert texts.labels(("de", "en"), "priority") == "Vorrang · Priority"
