"""Right-to-left text for pygame-ce: the Unicode bidi algorithm first, then each run in its own direction.

pygame-ce's SDL_ttf shapes Arabic (``Font.set_script("Arab")``,
``set_direction(DIRECTION_RTL)``) but does not reorder mixed text: "K017"
inside an Arabic line would come out as "710K". :func:`visual_runs` runs
python-bidi's algorithm over the line, cuts the visual order into runs of
right-to-left letters and of everything else, and turns each RTL run back
into logical order, so that SDL_ttf shapes it (joined letters, harakat) and
lays it out right to left, while numbers and Latin letters stay left to right.
:func:`render_line` blits the runs side by side.
"""

from __future__ import annotations

import unicodedata
from typing import Callable

import pygame
from bidi import get_display

RTL_CLASSES = ("R", "AL")
LTR_STRONG = ("L", "EN", "AN")


def has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(ch) in RTL_CLASSES for ch in text)


def plain(text: str) -> str:
    """``text`` without format characters (bidi isolates), for a line with no right-to-left letters."""
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf") if not text.isascii() else text


def visual_runs(text: str, base_rtl: bool | None = None) -> list[tuple[str, bool]]:
    """``text`` as (run, rtl) pairs from left to right; an RTL run is in logical order (for shaping)."""
    if not has_rtl(text):
        text = plain(text)
        return [(text, False)] if text else []
    if base_rtl is None:
        base_rtl = True
    # bidi isolates and marks steer the algorithm, then leave: SDL_ttf would draw them as boxes
    visual = "".join(ch for ch in get_display(text, base_dir="R" if base_rtl else "L")
                     if unicodedata.category(ch) != "Cf")
    classes = [unicodedata.bidirectional(ch) for ch in visual]
    # strong direction per character; marks follow their letter, neutrals between two RTL letters are RTL
    strong: list[bool | None] = []
    for i, c in enumerate(classes):
        if c in RTL_CLASSES:
            strong.append(True)
        elif c in LTR_STRONG:
            strong.append(False)
        else:
            strong.append(None)
    n = len(visual)
    rtl = [False] * n
    for i in range(n):
        if strong[i] is not None:
            rtl[i] = strong[i]
            continue
        if classes[i] == "NSM":     # a haraka: in visual order it stands left of... either side; take a letter's
            left = next((strong[j] for j in range(i - 1, -1, -1) if strong[j] is not None), None)
            right = next((strong[j] for j in range(i + 1, n) if strong[j] is not None), None)
            rtl[i] = bool(left or right)
            continue
        left = next((strong[j] for j in range(i - 1, -1, -1) if strong[j] is not None), None)
        right = next((strong[j] for j in range(i + 1, n) if strong[j] is not None), None)
        rtl[i] = bool(left and right)
    runs: list[tuple[str, bool]] = []
    start = 0
    for i in range(1, n + 1):
        if i == n or rtl[i] != rtl[start]:
            chunk = visual[start:i]
            runs.append((chunk[::-1] if rtl[start] else chunk, rtl[start]))
            start = i
    return runs


def render_line(text: str, font_for: Callable[[bool], pygame.font.Font], color: tuple[int, int, int],
                base_rtl: bool | None = None) -> pygame.Surface:
    """One line: LTR text as SDL renders it, mixed/RTL text run by run, in visual order."""
    runs = visual_runs(text, base_rtl)
    if len(runs) <= 1 and not (runs and runs[0][1]):
        return font_for(False).render(runs[0][0] if runs else " ", True, color)
    parts = [font_for(rtl).render(run, True, color) for run, rtl in runs if run]
    w = sum(p.get_width() for p in parts)
    h = max(p.get_height() for p in parts)
    out = pygame.Surface((max(1, w), max(1, h)), pygame.SRCALPHA)
    x = 0
    for p in parts:
        out.blit(p, (x, (h - p.get_height()) // 2))
        x += p.get_width()
    return out


def line_width(text: str, font_for: Callable[[bool], pygame.font.Font], base_rtl: bool | None = None) -> int:
    """The width :func:`render_line` will give ``text``."""
    return sum(font_for(rtl).size(run)[0] for run, rtl in visual_runs(text, base_rtl) if run) or \
        font_for(False).size(" ")[0]


def rtl_font(font: pygame.font.Font) -> pygame.font.Font:
    """Set a font up to shape Arabic script right to left."""
    font.set_script("Arab")
    font.set_direction(pygame.DIRECTION_RTL)
    return font


def missing_glyphs(font: pygame.font.Font, text: str) -> list[str]:
    """The characters of ``text`` that ``font`` would draw as a box (its .notdef glyph)."""
    def image(ch: str) -> tuple:
        s = font.render(ch, False, (255, 255, 255), (0, 0, 0))
        return s.get_size(), pygame.image.tobytes(s, "RGB")
    tofu = image("\U0010FFFD")
    out = []
    for ch in dict.fromkeys(text):
        if ch.isspace() or unicodedata.category(ch) in ("Mn", "Cf"):
            continue        # spaces, harakat and format marks have no box of their own
        if image(ch) == tofu:
            out.append(ch)
    return out
