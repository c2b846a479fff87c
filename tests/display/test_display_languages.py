"""The board in every shipped language: every glyph in the fonts, right-to-left runs in order, rotation."""

import datetime as dt
from pathlib import Path

import pygame
import pytest
from display_payloads import TEN, at, board_msg, call_msg, queue_msg

from aufruf import config, texts
from display import render, shaping
from display.board import BoardModel
from display.render import FG, Renderer, TextCache
from display.texts import BoardTexts

MULTI = Path(__file__).resolve().parents[2] / "examples" / "site-languages.toml"
LANGS = texts.shipped_languages()


@pytest.fixture(scope="module")
def multi():
    return config.load(MULTI)


def site_with(base: config.SiteConfig, langs: list[str]) -> config.SiteConfig:
    """The multilingual model site with its board in ``langs`` (the first is the main language)."""
    text = MULTI.read_text(encoding="utf-8")
    board_line = next(x for x in text.splitlines() if x.startswith("languages = [\"de\", \"tr\""))
    text = text.replace(board_line, "languages = [" + ", ".join(f'"{x}"' for x in langs) + "]")
    return config.parse(text, str(MULTI))


def phrases(lang: str, cfg: config.SiteConfig) -> list[str]:
    cat = texts.Catalogue((lang,))
    lang_ = cat.language(lang)
    out = []
    for k, v in lang_.phrases.items():
        if k.startswith(("board.", "ticket.")):
            out += [str(x) for x in v] if isinstance(v, list) else [str(v)]
    out.append(cat.long_date(dt.date(2026, 3, 4), lang))
    out += [s.name(lang) for s in cfg.services]
    out += list(cfg.displays[0].notices.get(lang, ()))
    return out


def test_the_tofu_check_sees_a_missing_glyph():
    pygame.font.init()
    font = pygame.font.Font(str(render.FONT_REGULAR), 20)
    assert shaping.missing_glyphs(font, "K017 中") == ["中"]
    assert shaping.missing_glyphs(font, "Gişe · الشباك · Віконце") == []


@pytest.mark.parametrize("lang", LANGS)
def test_every_phrase_of_every_language_has_its_glyphs_in_the_shipped_fonts(lang, multi):
    pygame.font.init()
    words = phrases(lang, multi) + ["0123456789:·–"]
    for path in (render.FONT_REGULAR, render.FONT_BOLD):
        font = pygame.font.Font(str(path), 20)
        missing = {ch for w in words for ch in shaping.missing_glyphs(font, w)}
        assert not missing, f"{path.name} lacks {sorted(missing)} for {lang}"


def column_profile(surface: pygame.Surface) -> list[int]:
    """Ink per column (alpha of a text surface, or brightness on black)."""
    w, h = surface.get_size()
    out = []
    for x in range(w):
        col = 0
        for y in range(h):
            r, g, b, a = surface.get_at((x, y))
            col += a if surface.get_flags() & pygame.SRCALPHA else r
        out.append(col)
    return out


def find(haystack: list[int], needle: list[int]) -> int | None:
    """Where ``needle``'s inked columns occur exactly in ``haystack``."""
    lo = next(i for i, v in enumerate(needle) if v)
    hi = len(needle) - next(i for i, v in enumerate(reversed(needle)) if v)
    core = needle[lo:hi]
    for x in range(len(haystack) - len(core) + 1):
        if haystack[x:x + len(core)] == core:
            return x
    return None


@pytest.mark.parametrize("lang", ["ar", "fa"])
def test_a_number_inside_a_right_to_left_line_keeps_its_digits_in_order(lang):
    cat = texts.Catalogue((lang,))
    line = cat.text(lang, "board.desk", desk="K017")        # "الشباك K017" / "باجه K017"
    cache = TextCache()
    size = 40
    drawn = cache.text(line, size, FG, base_rtl=True)
    font = cache.font(int(size / render.LINE_HEIGHT), False)
    number = font.render("K017", True, FG)
    reversed_ = font.render("710K", True, FG)
    prof = column_profile(drawn)
    at_ = find(prof, column_profile(number))
    assert at_ is not None, "K017 is not on the rendered line in reading order"
    assert find(prof, column_profile(reversed_)) is None
    # and right to left: the Arabic word stands right of the number, the number at the line's left
    word = cat.text(lang, "board.desk", desk="").strip()
    assert at_ < drawn.get_width() - cache.font(int(size / render.LINE_HEIGHT), False, True).size(word)[0]
    # the naive way (the whole line shaped RTL in one go) reverses the digits: the check would see it
    naive = shaping.rtl_font(pygame.font.Font(str(render.FONT_REGULAR), int(size / render.LINE_HEIGHT)))
    assert find(column_profile(naive.render(line, True, FG, (0, 0, 0))), column_profile(number)) is None


def test_runs_put_latin_and_digits_left_to_right_and_arabic_right_to_left():
    runs = shaping.visual_runs("الرقم K017 إلى الشباك 3")
    assert runs == [("3 ", False), ("إلى الشباك", True), (" K017 ", False), ("الرقم", True)]
    assert shaping.visual_runs("Schalter 3") == [("Schalter 3", False)]


@pytest.mark.parametrize("lang", LANGS)
def test_the_board_renders_each_language_beside_german(lang, multi, tmp_path):
    cfg = site_with(multi, ["de", lang] if lang != "de" else ["de"])
    d = cfg.displays[0]
    t = at(cfg)
    m = BoardModel(cfg, d, now=t)
    m.set_connected(True, t)
    m.apply_board(board_msg(TEN))
    m.apply_queue(queue_msg())
    m.apply_call(call_msg("c1", "K017", "3"), t)
    m.tick(t)
    s = pygame.Surface((1920, 1080))
    r = Renderer(cfg, d, s)
    r.draw(m, t)
    pygame.image.save(s, str(tmp_path / f"board-{lang}.png"))
    bt = BoardTexts(cfg, d)
    assert bt.shown(t) == (("de", lang) if lang != "de" else ("de",))
    assert shaping.plain(r._label("call")) == " · ".join(dict.fromkeys(
        texts.Catalogue(("de", lang)).text(x, "board.call") for x in bt.shown(t)))
    # the secondary counter label is drawn under the German one, in the region of the call
    if lang not in ("de",):
        assert "current.desk2" in r.spots and r.layout.current.contains(r.spots["current.desk2"])


def test_secondary_languages_take_turns_and_the_number_stays(multi):
    d = multi.displays[0]
    bt = BoardTexts(multi, d)
    t0 = (int(at(multi)) // int(d.rotate_s)) * int(d.rotate_s)
    seen = [bt.secondary(t0 + i * d.rotate_s) for i in range(len(d.languages) - 1)]
    assert sorted(seen) == sorted(d.languages[1:])           # every secondary language in turn
    m = BoardModel(multi, d, now=t0)
    m.set_connected(True, t0)
    m.apply_board(board_msg(TEN))
    m.apply_queue(queue_msg())
    shown = t0 - d.highlight_s - 1               # the call's highlight is over before the turn
    m.apply_call(call_msg("c1", "K017", "3"), shown)
    m.tick(shown)
    s = pygame.Surface((1280, 720))
    r = Renderer(multi, d, s)
    r.draw(m, t0 - 0.5)
    number = r.spots["current.number"].copy()
    pixels = pygame.image.tobytes(s.subsurface(number), "RGB")
    dirty = r.draw(m, t0)                        # the next language: titles change ...
    assert any(rect.colliderect(r.layout.current) for rect in dirty)
    assert r.spots["current.number"] == number       # ... the number stays where it was, as it was
    assert pygame.image.tobytes(s.subsurface(number), "RGB") == pixels


def test_an_arabic_first_board_reads_right_to_left(multi, tmp_path):
    cfg = site_with(multi, ["ar", "de"])
    d = cfg.displays[0]
    t = at(cfg)
    m = BoardModel(cfg, d, now=t)
    m.set_connected(True, t)
    m.apply_board(board_msg(TEN))
    m.apply_queue(queue_msg())
    s = pygame.Surface((1920, 1080))
    r = Renderer(cfg, d, s)
    r.draw(m, t)
    pygame.image.save(s, str(tmp_path / "board-ar-first.png"))
    assert r.base_rtl
    # the German part of a mixed phrase keeps its own direction: "ca. 12 Min." with its full stop at the end
    runs = shaping.visual_runs(r._label("eta", m=12), True)
    assert any("ca. 12 Min." in run for run, rtl in runs if not rtl), runs
    assert [run for run, rtl in runs if rtl] == ["دقيقة", "حوالي"]      # Arabic right to left around 12


def test_a_call_due_with_a_language_turn_is_drawn_first_and_the_turn_follows(multi):
    d = multi.displays[0]
    bt = BoardTexts(multi, d)
    t0 = (int(at(multi)) // int(d.rotate_s)) * int(d.rotate_s)     # a language turn is due at t0
    old, new = bt.shown(t0 - 0.5), bt.shown(t0)
    assert old != new
    m = BoardModel(multi, d, now=t0 - 1)
    m.set_connected(True, t0 - 1)
    m.apply_board(board_msg(TEN))
    m.apply_queue(queue_msg())
    s = pygame.Surface((1280, 720))
    r = Renderer(multi, d, s)
    r.draw(m, t0 - 0.5)
    history_title = r._label("history")
    m.apply_call(call_msg("c1", "K017", "3"), t0)
    m.tick(t0)
    dirty = r.draw(m, t0)                       # the call's frame: still the languages on the screen
    assert r.turn_pending and r._shown == old
    assert "current.number" in r.spots and r.layout.current.contains(r.spots["current.number"])
    assert not any(rect.colliderect(r.layout.waiting) for rect in dirty)    # only what the call changed
    assert r._label("history") == history_title
    number = pygame.image.tobytes(s.subsurface(r.spots["current.number"]), "RGB")
    dirty = r.draw(m, t0 + 0.01)                # the turn, in the next frame
    assert not r.turn_pending and r._shown == new
    assert any(rect.colliderect(r.layout.waiting) for rect in dirty)
    assert r._label("history") != history_title
    assert pygame.image.tobytes(s.subsurface(r.spots["current.number"]), "RGB") == number


def test_the_app_prerenders_every_language_and_wakes_at_once_for_a_held_back_turn(multi):
    from display.app import DisplayApp
    d = multi.displays[0]
    t0 = (int(at(multi)) // int(d.rotate_s)) * int(d.rotate_s)
    clock = [t0 - 0.5]
    app = DisplayApp(multi, d.id, surface=pygame.Surface((1280, 720)), clock=lambda: clock[0])
    r = app.renderer
    rendered = r.cache.renders
    assert rendered > 0
    for lang in d.languages[1:]:                # every turn's whole board comes from the cache: nothing new to render
        r.invalidate()
        r.draw(app.model, clock[0], shown=(d.languages[0], lang))
        assert r.cache.renders == rendered, f"the turn to {lang} rendered text at its first showing"
    app.handle("aufruf/x", b"{}")               # (a foreign topic: ignored)
    app.draw()
    r.turn_pending = True
    assert app._timeout(clock[0], 1.0) == 0.0
    r.turn_pending = False
    assert app._timeout(clock[0], 1.0) > 0.0
