"""Draws the board into any pygame Surface, of any size, and says which parts changed.

:class:`Renderer` lays the screen out from its size (landscape or portrait;
every size in pixels is a share of the screen), keeps a key per region (the
clock's minute, the current call, the history, ...) and repaints only the
regions whose key changed since the last :meth:`Renderer.draw`; it returns
their rectangles for ``pygame.display.update(rects)``. Text surfaces are
cached. The arrow between number and counter is drawn as a shape, and all
text uses the DejaVu fonts shipped in ``display/assets`` (Latin, Cyrillic,
Arabic and Farsi letters); Arabic-script runs are shaped right to left
(:mod:`display.shaping`). Fixed phrases show the first language and one
secondary language at a time, rotating (:class:`display.texts.BoardTexts`).

Colours: white on a very dark blue, the fresh call on amber (#FFC20A) with
dark text: every text at least 7:1 contrast (the deliberately quiet offline pill
5.9:1), and no red/green distinction anywhere.
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pygame

from aufruf.config import Display, SiteConfig

from . import shaping
from .board import BoardModel, BoardEntry
from .texts import BoardTexts, closed_line

ASSETS = Path(__file__).resolve().parent / "assets"
FONT_REGULAR = ASSETS / "DejaVuSans.ttf"
FONT_BOLD = ASSETS / "DejaVuSans-Bold.ttf"

BG = (11, 26, 46)
PANEL = (22, 44, 76)
FG = (255, 255, 255)
MUTED = (184, 196, 214)
HIGHLIGHT = (255, 194, 10)
ON_HIGHLIGHT = (11, 26, 46)
OFFLINE_BG = (90, 101, 119)
LINE_HEIGHT = 1.17      # DejaVu's line height per point of size
TEXT_CACHE = 600


@dataclass
class BoardLayout:
    """Where each region of the board sits, computed from the surface size."""

    size: tuple[int, int]
    portrait: bool
    name: pygame.Rect
    date: pygame.Rect
    clock: pygame.Rect
    offline: pygame.Rect
    current: pygame.Rect
    history: pygame.Rect
    history_rows: list[pygame.Rect]
    waiting: pygame.Rect
    footer: pygame.Rect
    header: pygame.Rect
    main: pygame.Rect = field(default_factory=pygame.Rect)   # current + history + waiting


def make_layout(size: tuple[int, int], rows: int) -> BoardLayout:
    """The region rectangles for a screen of ``size`` with ``rows`` history lines."""
    w, h = size
    portrait = h > w
    pad = max(4, round(min(w, h) * 0.02))
    R = pygame.Rect
    if not portrait:
        hh = round(h * 0.11)
        header = R(0, 0, w, hh)
        name = R(pad, 0, round(w * 0.40), hh)
        offline = R(round(w * 0.43), round(hh * 0.22), round(w * 0.10), round(hh * 0.56))
        clock = R(w - pad - round(w * 0.14), 0, round(w * 0.14), hh)
        date = R(round(w * 0.55), 0, clock.left - round(w * 0.55) - pad, hh)
        fh = round(h * 0.08)
        footer = R(0, h - fh, w, fh)
        wh = round(h * 0.15)
        waiting = R(pad, footer.top - wh - pad, w - 2 * pad, wh)
        top = hh + pad
        main_h = waiting.top - pad - top
        current = R(pad, top, round(w * 0.60) - pad, main_h)
        history = R(current.right + pad, top, w - current.right - 2 * pad, main_h)
        title_h = round(main_h * 0.10)
        row_area = R(history.left, history.top + title_h, history.width, history.height - title_h)
        rows_rects = [R(row_area.left, row_area.top + i * row_area.height // max(rows, 1),
                        row_area.width, row_area.height // max(rows, 1)) for i in range(rows)]
    else:
        hh = round(h * 0.09)
        header = R(0, 0, w, hh)
        name = R(pad, 0, round(w * 0.62), round(hh * 0.55))
        clock = R(w - pad - round(w * 0.28), 0, round(w * 0.28), round(hh * 0.62))
        date = R(pad, name.bottom, round(w * 0.70), hh - name.bottom)
        offline = R(w - pad - round(w * 0.22), clock.bottom, round(w * 0.22), round(hh * 0.32))
        fh = round(h * 0.07)
        footer = R(0, h - fh, w, fh)
        wh = round(h * 0.16)
        waiting = R(pad, footer.top - wh - pad, w - 2 * pad, wh)
        top = hh + pad
        current = R(pad, top, w - 2 * pad, round(h * 0.30))
        history = R(pad, current.bottom + pad, w - 2 * pad, waiting.top - 2 * pad - current.bottom)
        title_h = round(history.height * 0.12)
        per_col = (rows + 1) // 2
        col_w = history.width // 2
        row_h = (history.height - title_h) // max(per_col, 1)
        rows_rects = [R(history.left + (i // per_col) * col_w, history.top + title_h + (i % per_col) * row_h,
                        col_w, row_h) for i in range(rows)]
    main = current.union(history).union(waiting)
    return BoardLayout((w, h), portrait, name, date, clock, offline, current, history, rows_rects,
                  waiting, footer, header, main)


class TextCache:
    """Rendered text surfaces by (text, height, max width, bold, colour, direction); fonts by (size, bold, rtl)."""

    def __init__(self, limit: int = TEXT_CACHE):
        if not pygame.font.get_init():
            pygame.font.init()
        self._fonts: dict[tuple[int, bool, bool], pygame.font.Font] = {}
        self._texts: OrderedDict[tuple, pygame.Surface] = OrderedDict()
        self.limit = limit
        self.renders = 0

    def font(self, size: int, bold: bool, rtl: bool = False) -> pygame.font.Font:
        key = (max(6, size), bold, rtl)
        f = self._fonts.get(key)
        if f is None:
            f = pygame.font.Font(str(FONT_BOLD if bold else FONT_REGULAR), key[0])
            if rtl:
                shaping.rtl_font(f)
            self._fonts[key] = f
        return f

    def text(self, text: str, height: int, color: tuple[int, int, int], *, bold: bool = False,
             max_w: int | None = None, base_rtl: bool = False) -> pygame.Surface:
        """``text`` in a line ``height`` pixels high, shrunk to fit ``max_w``; RTL runs shaped."""
        key = (text, height, max_w, bold, color, base_rtl)
        s = self._texts.get(key)
        if s is not None:
            self._texts.move_to_end(key)
            return s
        size = max(6, int(height / LINE_HEIGHT))

        def width(n: int) -> int:
            return shaping.line_width(text, lambda rtl: self.font(n, bold, rtl), base_rtl)
        if max_w is not None:
            tw = width(size)
            if tw > max_w:
                size = max(6, int(size * max_w / tw))
                while size > 6 and width(size) > max_w:
                    size -= 1
        s = shaping.render_line(text, lambda rtl: self.font(size, bold, rtl), color, base_rtl)
        self.renders += 1
        self._texts[key] = s
        while len(self._texts) > self.limit:
            self._texts.popitem(last=False)
        return s


def draw_arrow(surface: pygame.Surface, rect: pygame.Rect, color: tuple[int, int, int]) -> None:
    """A right-pointing arrow filling ``rect`` (fonts often lack the glyph)."""
    x, y, w, h = rect
    shaft = h * 0.30
    head_x = x + w * 0.52
    mid = y + h / 2
    points = [(x, mid - shaft / 2), (head_x, mid - shaft / 2), (head_x, y), (x + w, mid),
              (head_x, y + h), (head_x, mid + shaft / 2), (x, mid + shaft / 2)]
    pygame.draw.polygon(surface, color, points)


class Renderer:
    """Paints a :class:`BoardModel` onto one surface, region by region."""

    def __init__(self, cfg: SiteConfig, display: Display, surface: pygame.Surface):
        self.cfg = cfg
        self.display = display
        self.surface = surface
        self.texts = BoardTexts(cfg, display)
        self.langs = self.texts.langs
        self.lang = self.texts.first
        self.base_rtl = self.texts.rtl(self.lang)
        self._shown: tuple[str, ...] = (self.lang,)
        self.cache = TextCache()
        self.layout = make_layout(surface.get_size(), display.history)
        self._keys: dict[str, Any] = {}
        self.spots: dict[str, pygame.Rect] = {}     # where the number, arrow, ... were drawn (tests, demo)
        self.full_draws = 0
        self.turn_pending = False   # a language turn held back so that a call's frame went first

    def prerender(self, model: BoardModel, now: float) -> None:
        """Render the fixed phrases of every language turn once (the text cache keeps them).

        Draws the board once per secondary language, then forgets what is on the surface:
        the first language turn after start, and a call during it, find their texts rendered.
        """
        others = self.langs[1:] or (None,)
        if len(others) * 40 > self.cache.limit // 2:
            self.cache.limit = max(self.cache.limit, len(others) * 80)
        for second in others:
            self.draw(model, now, shown=(self.lang,) if second is None else (self.lang, second))
        self.invalidate()

    def invalidate(self) -> None:
        """Forget what is on the surface: the next draw paints everything."""
        self._keys.clear()

    # ------------------------------------------------------------ the frame

    def draw(self, model: BoardModel, now: float, shown: tuple[str, ...] | None = None) -> list[pygame.Rect]:
        """Repaint what changed since the last call; returns the changed rectangles.

        A new call that comes with a due language turn is drawn first in the languages already
        on the screen (only its panels change); the turn follows in the next frame
        (:attr:`turn_pending` says one is due).
        """
        L = self.layout
        local = dt.datetime.fromtimestamp(now, self.cfg.tz)
        closed = model.closed(now)
        if shown is None:
            shown = self.texts.shown(now)
            before = self._keys.get("current")
            if (shown != self._shown and before is not None and not closed
                    and (model.current_call(), model.highlighted(now)) != before[:2]):
                shown = self._shown             # the call's frame first, the language turn next
                self.turn_pending = True
            else:
                self.turn_pending = False
        self._shown = shown
        dirty: list[pygame.Rect] = []
        if self._keys.get("closed") != closed:
            self._keys = {"closed": closed}
            self.spots = {}
            self.surface.fill(BG)
            pygame.draw.rect(self.surface, PANEL, L.header)
            self.full_draws += 1
            dirty.append(self.surface.get_rect())
        regions: list[tuple[str, pygame.Rect, Any, Any]] = [
            ("name", L.name, self.cfg.name, self._name),
            ("date", L.date, local.date(), self._date),
            ("clock", L.clock, local.strftime("%H:%M"), self._clock),
            ("offline", L.offline, (model.offline(now), shown), self._offline),
            ("footer", L.footer, model.notice(now), self._footer),
        ]
        if closed:
            regions.append(("closed", L.main, shown, self._closed))
        else:
            cur = model.current_call()
            regions += [
                ("current", L.current, (cur, model.highlighted(now), shown), self._current),
                ("history", L.history, (tuple(model.history()), shown), self._history),
                ("waiting", L.waiting, (tuple(model.services()), shown), self._waiting),
            ]
        for name, rect, key, paint in regions:
            if name in self._keys and self._keys[name] == key:
                continue
            self._keys[name] = key
            paint(rect, key)
            if not dirty or dirty[0] != self.surface.get_rect():
                dirty.append(rect.copy())
        return dirty

    # ------------------------------------------------------------ helpers

    def _blit(self, s: pygame.Surface, rect: pygame.Rect, align: str = "left") -> pygame.Rect:
        r = s.get_rect()
        r.centery = rect.centery
        if align == "left":
            r.left = rect.left
        elif align == "right":
            r.right = rect.right
        else:
            r.centerx = rect.centerx
        return self.surface.blit(s, r)

    def _t(self, text: str, h: int, color: tuple[int, int, int], bold: bool = False,
           max_w: int | None = None, lang: str | None = None) -> pygame.Surface:
        base = self.texts.rtl(lang) if lang is not None else self.base_rtl
        return self.cache.text(text, max(6, h), color, bold=bold, max_w=max_w, base_rtl=base)

    def _label(self, key: str, **kw: object) -> str:
        """A fixed phrase in the first and the current secondary language."""
        return self.texts.isolated(key, self._shown, **kw)

    def _desk_label(self, desk: str, lang: str) -> str:
        return self.texts.desk(desk, lang)

    # ------------------------------------------------------------ regions

    def _name(self, rect: pygame.Rect, _key: Any) -> None:
        self.surface.fill(PANEL, rect)
        self._blit(self._t(self.cfg.name, round(rect.height * 0.5), FG, True, rect.width), rect)

    def _date(self, rect: pygame.Rect, day: dt.date) -> None:
        self.surface.fill(PANEL, rect)
        align = "left" if self.layout.portrait else "right"
        share = 0.6 if self.layout.portrait else 0.36
        self._blit(self._t(self.texts.long_date(day, self.lang), round(rect.height * share), MUTED, False,
                           rect.width), rect, align)

    def _clock(self, rect: pygame.Rect, hhmm: str) -> None:
        self.surface.fill(PANEL, rect)
        self._blit(self._t(hhmm, round(rect.height * 0.62), FG, True, rect.width), rect, "right")

    def _offline(self, rect: pygame.Rect, key: tuple[bool, tuple[str, ...]]) -> None:
        offline = key[0]
        self.surface.fill(PANEL, rect)
        if not offline:
            return
        pygame.draw.rect(self.surface, OFFLINE_BG, rect, border_radius=rect.height // 2)
        inner = rect.inflate(-rect.height // 2, 0)
        dot = pygame.Rect(0, 0, rect.height // 3, rect.height // 3)
        dot.midleft = (inner.left, rect.centery)
        pygame.draw.circle(self.surface, FG, dot.center, dot.width // 2, max(1, dot.width // 5))
        pygame.draw.line(self.surface, FG, dot.bottomleft, dot.topright, max(1, dot.width // 5))
        txt = inner.copy()
        txt.left = dot.right + dot.width // 2
        txt.width = inner.right - txt.left
        self._blit(self._t(self.texts.text(self.lang, "offline"), round(rect.height * 0.6), FG, True, txt.width),
                   txt, "center")

    def _footer(self, rect: pygame.Rect, notice: tuple[str, str] | None) -> None:
        self.surface.fill(PANEL, rect)
        if notice is None:
            return
        lang, text = notice
        inner = rect.inflate(-2 * round(rect.height * 0.4), 0)
        tag = pygame.Rect(inner.left, 0, round(rect.height * 0.9), round(rect.height * 0.5))
        tag.centery = rect.centery
        pygame.draw.rect(self.surface, MUTED, tag, width=max(1, rect.height // 30), border_radius=tag.height // 4)
        self._blit(self._t(lang.upper(), round(tag.height * 0.8), MUTED, True, tag.width - 4), tag, "center")
        txt = pygame.Rect(tag.right + tag.width // 3, rect.top, inner.right - tag.right - tag.width // 3, rect.height)
        self._blit(self._t(text, round(rect.height * 0.5), FG, False, txt.width, lang=lang), txt)

    def _current(self, rect: pygame.Rect, key: tuple[BoardEntry | None, bool, tuple[str, ...]]) -> None:
        call, lit, _shown = key
        for k in ("current.number", "current.arrow", "current.desk"):
            self.spots.pop(k, None)
        self.surface.fill(BG, rect)
        fg, muted = (ON_HIGHLIGHT, ON_HIGHLIGHT) if lit else (FG, MUTED)
        radius = round(min(rect.size) * 0.04)
        pygame.draw.rect(self.surface, HIGHLIGHT if lit else PANEL, rect, border_radius=radius)
        inner = rect.inflate(-round(rect.width * 0.06), -round(rect.height * 0.06))
        title = pygame.Rect(inner.left, inner.top, inner.width, round(inner.height * 0.13))
        title_w = inner.width
        tags = [self._label(k) for k, on in (("priority", call and call.priority),
                                                          ("recall", call and call.recall)) if on]
        if tags:
            tag_h = round(title.height * 0.9)
            s = self._t(" · ".join(tags), round(tag_h * 0.75), HIGHLIGHT if not lit else FG, True)
            tag = pygame.Rect(0, 0, s.get_width() + tag_h, tag_h)
            tag.topright = (inner.right, title.top)
            pygame.draw.rect(self.surface, ON_HIGHLIGHT, tag, border_radius=tag_h // 3)
            self._blit(s, tag, "center")
            title_w = max(10, tag.left - inner.left - tag_h // 2)
        self._blit(self._t(self._label("call"), title.height, muted, False, title_w), title)
        if call is None:
            self._blit(self._t(self._label("none"), round(inner.height * 0.14), muted, False,
                               inner.width), inner, "center")
            return
        num = pygame.Rect(inner.left, title.bottom, inner.width, round(inner.height * 0.50))
        self.spots["current.number"] = self._blit(self._t(call.number, num.height, fg, True, inner.width), num,
                                                  "center")
        line = pygame.Rect(inner.left, num.bottom, inner.width, round(inner.height * 0.24))
        label = self._t(self._desk_label(call.desk, self.lang), round(line.height * 0.9), fg, True,
                        round(inner.width * 0.78))
        aw = round(line.height * 0.9)
        gap = aw // 3
        total = aw + gap + label.get_width()
        arrow = pygame.Rect(line.centerx - total // 2, 0, aw, round(line.height * 0.6))
        arrow.centery = line.centery
        draw_arrow(self.surface, arrow, fg)
        self.spots["current.arrow"] = arrow
        self.spots["current.desk"] = self.surface.blit(label, label.get_rect(midleft=(arrow.right + gap, line.centery)))
        second = self._shown[1] if len(self._shown) > 1 else None
        other = self._desk_label(call.desk, second) if second else None
        if other and other != self._desk_label(call.desk, self.lang):
            # the counter in the secondary language of the moment, in its own direction
            sub = pygame.Rect(inner.left, line.bottom, inner.width, inner.bottom - line.bottom)
            self.spots["current.desk2"] = self._blit(
                self._t(other, round(sub.height * 0.7), muted, False, inner.width, lang=second), sub, "center")

    def _history(self, rect: pygame.Rect, key: tuple[tuple[BoardEntry, ...], tuple[str, ...]]) -> None:
        calls = key[0]
        for k in [k for k in self.spots if k.startswith("history.recall.")]:
            del self.spots[k]
        self.surface.fill(BG, rect)
        L = self.layout
        title_h = L.history_rows[0].top - rect.top if L.history_rows else rect.height
        title = pygame.Rect(rect.left, rect.top, rect.width, title_h)
        self._blit(self._t(self._label("history"), round(title_h * 0.5), MUTED, False, rect.width),
                   title)
        for i, row in enumerate(L.history_rows):
            inner = row.inflate(-round(row.width * 0.03), -max(2, round(row.height * 0.12)))
            pygame.draw.rect(self.surface, PANEL, inner, border_radius=round(inner.height * 0.15))
            if i >= len(calls):
                continue
            c = calls[i]
            h = min(round(inner.height * 0.72), round(inner.width * 0.15))
            pad = round(h * 0.4)
            num_r = pygame.Rect(inner.left + pad, inner.top, round(inner.width * 0.34), inner.height)
            # a priority ticket's number stands out in the highlight colour
            self._blit(self._t(c.number, h, HIGHLIGHT if c.priority else FG, True, num_r.width), num_r)
            arrow = pygame.Rect(num_r.right + pad // 2, 0, round(h * 0.7), round(h * 0.45))
            arrow.centery = inner.centery
            draw_arrow(self.surface, arrow, MUTED)
            lab = pygame.Rect(arrow.right + pad // 2, inner.top, inner.right - arrow.right - pad, inner.height)
            if c.recall:        # a recall keeps its mark in the list: the counter, then the word
                mark = self._t(self.texts.text(self.lang, "recall"), round(h * 0.6), HIGHLIGHT, True,
                               round(lab.width * 0.45))
                spot = self._blit(mark, lab, "right")
                self.spots[f"history.recall.{i}"] = spot
                lab.width = max(10, spot.left - lab.left - pad // 2) if not self.base_rtl else lab.width
            self._blit(self._t(self._desk_label(c.desk, self.lang), round(h * 0.85), FG, False, lab.width), lab)

    def _waiting(self, rect: pygame.Rect, key: tuple) -> None:
        lines = key[0]
        self.surface.fill(BG, rect)
        if not lines:
            return
        n = len(lines)
        gap = round(rect.height * 0.08)
        if self.layout.portrait:
            cards = [pygame.Rect(rect.left, rect.top + i * (rect.height + gap) // n, rect.width,
                                 (rect.height - (n - 1) * gap) // n) for i in range(n)]
        else:
            cards = [pygame.Rect(rect.left + i * (rect.width + gap) // n, rect.top,
                                 (rect.width - (n - 1) * gap) // n, rect.height) for i in range(n)]
        for card, line in zip(cards, lines):
            pygame.draw.rect(self.surface, PANEL, card, border_radius=round(card.height * 0.12))
            inner = card.inflate(-round(card.height * 0.24), -round(card.height * 0.24))
            badge = pygame.Rect(inner.left, inner.top, inner.height, inner.height)
            pygame.draw.rect(self.surface, FG, badge, border_radius=round(badge.height * 0.15))
            self._blit(self._t(line.key, round(badge.height * 0.95), BG, True), badge, "center")
            service = self.cfg.service(line.key)
            name = service.name(self.lang) if service else line.key
            count_w = round(inner.width * 0.22)
            text = pygame.Rect(badge.right + inner.height // 3, inner.top,
                               inner.right - count_w - badge.right - inner.height // 3, inner.height)
            top = pygame.Rect(text.left, text.top, text.width, text.height // 2)
            bottom = pygame.Rect(text.left, top.bottom, text.width, text.height - top.height)
            self._blit(self._t(name, round(top.height * 0.85), FG, True, text.width), top)
            if line.closed:
                sub = closed_line(self.langs, line.closed, line.note, self.cfg.issuing.reasons)
            elif not line.open:
                sub = self._label("service_closed")
            elif line.eta_min is not None and line.waiting > 0:
                sub = self._label("eta", m=line.eta_min)
            else:       # nothing to estimate: the service's name in the secondary language of the moment
                sub = " · ".join(n for n in dict.fromkeys(service.name(lang) for lang in self._shown[1:])
                                 if n != name) if service else ""
            if sub:
                self._blit(self._t(sub, round(bottom.height * 0.75), MUTED, False, text.width), bottom)
            count = pygame.Rect(inner.right - count_w, inner.top, count_w, inner.height)
            num_r = pygame.Rect(count.left, count.top, count.width, round(count.height * 0.68))
            self._blit(self._t(str(line.waiting), num_r.height, FG, True, count.width), num_r, "right")
            lab_r = pygame.Rect(count.left, num_r.bottom, count.width, count.height - num_r.height)
            self._blit(self._t(self._label("waiting"), round(lab_r.height * 0.9), MUTED, False,
                               count.width), lab_r, "right")

    def _closed(self, rect: pygame.Rect, _key: Any) -> None:
        self.surface.fill(BG, rect)
        self.spots["closed"] = rect.copy()
        h = rect.height
        y = rect.top + round(h * 0.12)
        big = self._t(self._label("closed"), round(h * 0.16), FG, True, round(rect.width * 0.9))
        self.surface.blit(big, big.get_rect(midtop=(rect.centerx, y)))
        y += big.get_height() + round(h * 0.06)
        sub = self._t(self._label("hours"), round(h * 0.06), MUTED, False, round(rect.width * 0.9))
        self.surface.blit(sub, sub.get_rect(midtop=(rect.centerx, y)))
        y += sub.get_height() + round(h * 0.03)
        for line in self.texts.opening_lines(self.cfg.opening_hours, self.lang):
            s = self._t(line, round(h * 0.07), FG, False, round(rect.width * 0.9))
            self.surface.blit(s, s.get_rect(midtop=(rect.centerx, y)))
            y += s.get_height() + round(h * 0.01)
