"""The report chart: arrivals and median wait per hour, one line per service, drawn with Pillow.

Two panels share the hour axis (local time of the site). Drawn at twice the
size and scaled down, which smooths the lines (Pillow draws without
anti-aliasing). DejaVu Sans when installed (Debian's fonts-dejavu-core), else
Pillow's bundled font.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from aufruf.config import WEEKDAYS, SiteConfig

from .stats import Figures

SIZE = (1200, 800)
SCALE = 2
COLOURS = ["#1f6fb4", "#e0731c", "#2a9d4b", "#c0392b", "#7b4fa8", "#8c564b", "#d6559f", "#6b6b6b"]
INK, GREY, GRID, BG = "#222222", "#6b6b6b", "#e3e3e3", "#ffffff"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = FONT_DIR / ("DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf")
    try:
        return ImageFont.truetype(str(path), size * SCALE)
    except OSError:
        return ImageFont.load_default(size * SCALE)


def nice_step(top: float, ticks: int = 5) -> float:
    """A round tick step (1, 2, 2.5 or 5 x 10^k) giving about ``ticks`` ticks up to ``top``."""
    if top <= 0:
        return 1.0
    raw = top / ticks
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return max(1.0, m * mag) if top >= 5 else m * mag
    return 10 * mag


def hour_series(figures: Figures, keys: list[str], hours: list[int], metric: str,
                until_hour: int | None = None) -> dict[str, list[float | None]]:
    """Per service, one value per hour: arrivals (0 for a quiet hour) or the median wait (None: no one).

    Hours after ``until_hour`` (a report of today: they have not happened) are None, never 0.
    """
    out = {}
    for k in keys:
        vals: list[float | None] = []
        for h in hours:
            g = figures.hours.get(h, {}).get(k)
            if until_hour is not None and h > until_hour:
                vals.append(None)
            elif metric == "arrivals":
                vals.append(float(g["issued"]) if g else 0.0)
            else:
                vals.append(g.wait.median() if g else None)
        out[k] = vals
    return out


def render(cfg: SiteConfig, figures: Figures, period: str, path: str | Path, size: tuple[int, int] = SIZE,
           until_hour: int | None = None) -> None:
    """Draw the chart of ``figures`` and save it as PNG at ``path``.

    ``until_hour``: the last hour that has begun (a report of today); later hours stay empty.
    """
    W, H = size[0] * SCALE, size[1] * SCALE
    s = SCALE
    img = Image.new("RGB", (W, H), BG)
    d = ImageDraw.Draw(img)
    lang = cfg.languages[0]
    keys = [x.key for x in cfg.services] + sorted(k for k in figures.services if cfg.service(k) is None)
    keys = [k for k in keys if k in figures.services] or keys
    names = {k: (f"{k}  {cfg.service(k).name(lang)}" if cfg.service(k) else k) for k in keys}
    colours = {k: COLOURS[i % len(COLOURS)] for i, k in enumerate(keys)}

    # title and the day's headline figures
    d.text((40 * s, 24 * s), f"{cfg.name}: {period}", font=_font(28, True), fill=INK)
    total = figures.total()
    busiest = figures.busiest_hour()
    med = total.wait.median()
    parts = [f"{total['issued']} tickets", f"{total['served']} served"]
    if med is not None:
        parts.append(f"median wait {med:.0f} min" if med >= 10 else f"median wait {med:.1f} min")
    if busiest:
        parts.append(f"busiest hour {busiest[0]:02d}-{busiest[0] + 1:02d} h ({busiest[1]} arrivals)")
    d.text((40 * s, 64 * s), "  ·  ".join(parts), font=_font(17), fill=GREY)

    # legend, top right
    lf = _font(16)
    x = W - 40 * s
    for k in reversed(keys):
        tw = d.textlength(names[k], font=lf)
        x -= tw
        d.text((x, 30 * s), names[k], font=lf, fill=INK)
        x -= 44 * s
        d.line([(x, 41 * s), (x + 32 * s, 41 * s)], fill=colours[k], width=4 * s)
        d.ellipse([x + 11 * s, 36 * s, x + 21 * s, 46 * s], fill=colours[k])
        x -= 28 * s

    hours = sorted(figures.hours)
    if not hours:
        d.text((W // 2, H // 2), "no tickets in this period", font=_font(24), fill=GREY, anchor="mm")
        img.resize(size, Image.LANCZOS).save(path, "PNG")
        return
    first, last = hours[0], hours[-1]
    for span in _opening_hours(cfg, figures.days):  # show the whole opening time, not only the busy hours
        first, last = min(first, span[0]), max(last, span[1])
    hours = list(range(first, last + 1))

    def series(metric: str) -> dict[str, list[float | None]]:
        return hour_series(figures, keys, hours, metric, until_hour)

    left, right = 110 * s, W - 40 * s
    top1, bottom1 = 120 * s, 410 * s
    top2, bottom2 = 470 * s, 720 * s
    _panel(d, "Arrivals per hour", "tickets", series("arrivals"), hours, colours,
           (left, top1, right, bottom1), integer=True, labels=True)
    _panel(d, "Median wait per hour of arrival", "minutes", series("wait"), hours, colours,
           (left, top2, right, bottom2), integer=False, labels=True)
    # hour axis under the lower panel
    step = (right - left) / len(hours)
    f = _font(14)
    for i, h in enumerate(hours):
        cx = left + step * (i + 0.5)
        for bottom in (bottom1, bottom2):
            d.text((cx, bottom + 8 * s), f"{h:02d}-{(h + 1) % 24:02d}", font=f, fill=GREY, anchor="ma")
    d.text(((left + right) / 2, bottom2 + 34 * s), f"hour of arrival ({cfg.timezone})", font=_font(15), fill=GREY,
           anchor="ma")
    img.resize(size, Image.LANCZOS).save(path, "PNG")


def _opening_hours(cfg: SiteConfig, days: list[str]) -> list[tuple[int, int]]:
    """(first hour, last hour) the office is open on each of ``days`` (from [site.opening_hours])."""
    if not cfg.opening_hours:
        return []
    out = []
    for d in days[:31]:
        spans = cfg.opening_hours.get(WEEKDAYS[dt.date.fromisoformat(d).weekday()], ())
        for a, b in spans:
            end = b.hour - (1 if b.minute == 0 else 0)
            out.append((a.hour, max(a.hour, end)))
    return out


def _panel(d: ImageDraw.ImageDraw, title: str, unit: str, data: dict[str, list[float | None]], hours: list[int],
           colours: dict[str, str], box: tuple[float, float, float, float], integer: bool, labels: bool) -> None:
    s = SCALE
    left, top, right, bottom = box
    vals = [v for vs in data.values() for v in vs if v is not None]
    vmax = max(vals) if vals else 0.0
    step = nice_step(vmax * 1.1 if vmax else 1)
    if integer:
        step = max(1.0, math.ceil(step))
    ymax = step * max(1, math.ceil(vmax * 1.1 / step)) if vmax else step * 4
    d.text((left, top - 34 * s), title, font=_font(18, True), fill=INK)
    d.text((left - 14 * s, top - 10 * s), unit, font=_font(13), fill=GREY, anchor="rs")
    # grid and y ticks
    f = _font(13)
    y = 0.0
    while y <= ymax + 1e-9:
        py = bottom - (bottom - top) * y / ymax
        d.line([(left, py), (right, py)], fill=GRID if y else GREY, width=s)
        txt = f"{y:.0f}" if y == int(y) else f"{y:.1f}"
        d.text((left - 10 * s, py), txt, font=f, fill=GREY, anchor="rm")
        y += step
    slot = (right - left) / len(hours)
    for i in range(len(hours) + 1):
        px = left + slot * i
        d.line([(px, bottom), (px, bottom + 5 * s)], fill=GREY, width=s)

    def pos(i: int, v: float) -> tuple[float, float]:
        return left + slot * (i + 0.5), bottom - (bottom - top) * v / ymax
    lf = _font(12, True)
    for k, vs in data.items():
        c = colours[k]
        run: list[tuple[float, float]] = []
        for i, v in enumerate(vs + [None]):
            if v is None:
                if len(run) > 1:
                    d.line(run, fill=c, width=4 * s, joint="curve")
                run = []
                continue
            run.append(pos(i, v))
    for i in range(len(hours)):
        # the points of one hour, highest first; a label that would collide with the one above goes beside
        pts = sorted(((vs[i], k) for k, vs in data.items() if vs[i] is not None), key=lambda p: -p[0])
        above_y = None
        for v, k in pts:
            x, y = pos(i, v)
            r = 6 * s
            d.ellipse([x - r, y - r, x + r, y + r], fill=colours[k], outline=BG, width=2 * s)
            if not labels or v <= 0:
                continue
            txt = f"{v:.0f}" if integer or v >= 10 else f"{v:.1f}"
            if above_y is not None and y - above_y < 26 * s:
                d.text((x + 10 * s, y + 2 * s), txt, font=lf, fill=colours[k], anchor="lm")  # beside the point
            else:
                d.text((x, y - 10 * s), txt, font=lf, fill=colours[k], anchor="md")
                above_y = y
