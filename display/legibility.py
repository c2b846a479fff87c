"""Can the waiting room read the board? Contrast after DIN 32975 and the number's height for a distance.

DIN 32975 (barrier-free visual information in public spaces) measures contrast
as K = (L1 - L2) / (L1 + L2) with the luminances of the brighter (L1) and the
darker (L2) colour, and asks K >= 0.7 for information that must be read
(0.8 for warnings); the relative luminances of the sRGB colours stand in for
measured ones. :data:`PAIRS` lists every text/background pair the board uses.

The called number's height: DIN 1450's rule for signs gives a letter height
of the reading distance / 250 for normal sight; for readers with low vision
(visus 0.4) the size is multiplied by 1.75, so the number must be at least
7 mm high per metre of distance to the farthest seat (56 mm at 8 m).
:func:`number_check` renders the number as the board does and measures its
digits on a screen of ``displays.diagonal_in`` inches.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from aufruf.config import Display

from . import render

DIN_32975_MIN = 0.7
MM_PER_M = 1000 / 250 * 1.75        # 7 mm of digit height per metre of viewing distance
DEFAULT_SIZE = (1920, 1080)

# (what, text colour, background colour) for every text the board draws
PAIRS = (
    ("text on the background", render.FG, render.BG),
    ("text on a panel", render.FG, render.PANEL),
    ("secondary text on the background", render.MUTED, render.BG),
    ("secondary text on a panel", render.MUTED, render.PANEL),
    ("the fresh call on amber", render.ON_HIGHLIGHT, render.HIGHLIGHT),
    ("a priority or recall tag", render.HIGHLIGHT, render.ON_HIGHLIGHT),
    ("a recall mark or priority number in the list", render.HIGHLIGHT, render.PANEL),
    ("a service letter on its badge", render.BG, render.FG),
    ("the offline mark", render.FG, render.OFFLINE_BG),
)


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """sRGB colour -> relative luminance 0..1 (IEC 61966-2-1, as WCAG uses it)."""
    def lin(c: int) -> float:
        x = c / 255
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def din_contrast(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """DIN 32975's K = (L1 - L2) / (L1 + L2), L1 the brighter."""
    l1, l2 = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (l1 - l2) / (l1 + l2) if l1 + l2 else 0.0


@dataclass(frozen=True)
class NumberCheck:
    display: str
    size_px: tuple[int, int]
    digit_px: int
    digit_mm: float | None        # None without diagonal_in
    needed_mm: float | None       # None without viewing_distance_m

    @property
    def ok(self) -> bool:
        return self.digit_mm is None or self.needed_mm is None or self.digit_mm >= self.needed_mm

    def describe(self) -> str:
        w, h = self.size_px
        if self.needed_mm is None:
            return f"display {self.display}: no viewing_distance_m set: the number's height is not checked"
        if self.digit_mm is None:
            return (f"display {self.display}: {self.needed_mm:.0f} mm digits needed for "
                    f"{self.needed_mm / MM_PER_M:g} m; set diagonal_in to check the screen")
        verdict = "ok" if self.ok else "TOO SMALL"
        line = (f"display {self.display}: the called number is {self.digit_mm:.0f} mm high "
                f"({self.digit_px} px of {h} at {w}x{h}); {self.needed_mm / MM_PER_M:g} m needs "
                f"{self.needed_mm:.0f} mm: {verdict}")
        if not self.ok:
            line += (f"; use a screen of at least {math.ceil(self.diagonal_needed())} inches, or seat "
                     f"nobody farther than {self.digit_mm / MM_PER_M:.1f} m")
        return line

    def diagonal_needed(self) -> float:
        assert self.digit_mm and self.needed_mm
        return self._diagonal * self.needed_mm / self.digit_mm

    _diagonal: float = 0.0


def screen_size(display: Display) -> tuple[int, int]:
    if display.size:
        return display.size
    return DEFAULT_SIZE[::-1] if display.orientation == "portrait" else DEFAULT_SIZE


def number_check(display: Display, sample: str = "K017") -> NumberCheck:
    """Render the called number as the board does and compare its digits' height with the distance."""
    import pygame
    size = screen_size(display)
    layout = render.make_layout(size, display.history)
    cur = layout.current
    inner = cur.inflate(-round(cur.width * 0.06), -round(cur.height * 0.06))
    num_h = round(inner.height * 0.50)
    if not pygame.font.get_init():
        pygame.font.init()
    surf = render.TextCache().text(sample, num_h, render.FG, bold=True, max_w=inner.width)
    digit_px = surf.get_bounding_rect().height
    digit_mm = None
    if display.diagonal_in:
        w, h = size
        screen_h_mm = display.diagonal_in * 25.4 * h / math.hypot(w, h)
        digit_mm = digit_px * screen_h_mm / h
    needed = display.viewing_distance_m * MM_PER_M if display.viewing_distance_m else None
    return NumberCheck(display.id, size, digit_px, digit_mm, needed, display.diagonal_in or 0.0)
