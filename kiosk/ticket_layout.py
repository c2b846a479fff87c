"""The ticket layout: what a ticket says, as printer-neutral elements.

A ticket is built once as a :class:`Layout` (a tuple of lines, gaps, a QR code
and a cut) and then interpreted twice: :func:`to_escpos` sends it to any
python-escpos printer object (the real one, or ``Dummy`` for the exact bytes),
and ``kiosk.render`` draws it as a paper-like PNG preview. Both read the same
elements, so the preview shows what the printer prints.

The number is printed in the printer's own large font (``GS !`` character
size, not a bitmap), in the largest size that keeps the ticket within
:data:`MAX_PAPER_MM` of paper. Text goes out in a code page that has German
umlauts, ß and € (CP858 where the printer profile has it), set through
python-escpos's encoding support.

The ticket's languages are ``kiosks.ticket_languages`` (default: the site's),
its phrases come from the text catalogues (:mod:`aufruf.texts`). A line the
code pages cannot hold (Arabic and Farsi: no shaping, no right to left;
Cyrillic beside Latin; a Romanian ț no page has) is marked ``image``: it is drawn with DejaVu Sans (shaped and in
bidi order through Pillow's raqm layout) and printed as a raster image
(``GS v 0`` through python-escpos ``image()``), never as unmappable bytes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import textwrap
import unicodedata
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Union
from zoneinfo import ZoneInfo

from aufruf.config import Kiosk, Printer, SiteConfig
from aufruf.protocol import TicketInfo
from aufruf.texts import Catalogue, for_site

if TYPE_CHECKING:
    from .printer import PrinterPort

MAX_PAPER_MM = 70.0
LINE_MM = 25.4 / 6          # the printers' default line spacing (ESC 2): 1/6 inch
CHAR_H_MM = 3.0             # font A: 24 dots at 203 dpi
DOTS_PER_MM = 8.0           # 203 dpi (the preview's scale)
DEFAULT_DPI = 203           # most 80 mm printers (TM-T20); a TM-T88 has 180: from its profile or [printer] dpi
FONT_A_DOTS = 24            # font A's height in dots, whatever the dpi
CUTTER_MM = 12.0            # print head to cutter: the blank top of every ticket
TEAR_FEED_LINES = 4         # printers without a cutter: feed this much to tear off
QR_MODULE_DOTS = 3
NUMBER_SIZES = (8, 7, 6, 5, 4, 3)
# code pages with ä ö ü ß and €, in order of preference
PREFERRED_CODEPAGES = ("CP858", "CP1252", "ISO_8859-15")
CHARSET_SAMPLE = "ÄÖÜ äöü ß €"
IMAGE_LINE_DOTS = 34            # a raster line: as tall as a text line (1/6 inch), room for harakat
FONT_DIR = "/usr/share/fonts/truetype/dejavu"       # Debian's fonts-dejavu-core


@dataclass(frozen=True)
class TicketData:
    """What the controller told us about one ticket (``number=None`` for a test print)."""

    service: str
    number: str | None
    issued_at_ms: int
    ahead: int | None = None
    eta_min: int | None = None
    priority: bool = False
    key: str | None = None  # the ticket page's key, for the QR (docs/web.md)

    @classmethod
    def from_reply(cls, ticket: TicketInfo) -> "TicketData":
        """From the ticket of a ``kiosk/<id>/ticket`` reply."""
        return cls(service=ticket.service, number=ticket.number, issued_at_ms=ticket.issued_at,
                   ahead=ticket.ahead, eta_min=ticket.eta_min, priority=ticket.priority, key=ticket.key)


@dataclass(frozen=True)
class Line:
    """One line of text; ``width``/``height`` are the printer's character size multipliers (1..8)."""

    text: str
    align: str = "center"
    bold: bool = False
    width: int = 1
    height: int = 1
    image: bool = False     # printed as a raster image (a script the code page lacks)
    rtl: bool = False       # its language reads right to left


@dataclass(frozen=True)
class Gap:
    """Blank paper, in printer dots (ESC J)."""

    dots: int


@dataclass(frozen=True)
class Qr:
    """A QR code the printer draws itself (module size in dots)."""

    data: str
    module: int = QR_MODULE_DOTS


@dataclass(frozen=True)
class Cut:
    """Feed to the cutter and cut (or feed to tear off on printers without a cutter)."""

    has_cutter: bool = True


Element = Union[Line, Gap, Qr, Cut]


@dataclass(frozen=True)
class Layout:
    """A whole ticket: its elements, its width in characters and its code page."""

    elements: tuple[Element, ...]
    width_chars: int
    codepage: str | None
    dpi: int = DEFAULT_DPI      # the printer's dots per inch: dot-sized things (gaps, QR) in mm

    @property
    def number_line(self) -> Line | None:
        return next((e for e in self.elements if isinstance(e, Line) and e.height > 1), None)


# ---------------------------------------------------------------- building

class _Phrases:
    """``texts(lang)["ahead"]``: the ticket phrases of one language from a catalogue."""

    def __init__(self, cat: Catalogue, lang: str):
        self.cat, self.lang = cat, lang

    def __getitem__(self, key: str) -> str:
        return self.cat.text(self.lang, f"ticket.{key}")


def texts(lang: str, cat: Catalogue | None = None) -> _Phrases:
    return _Phrases(cat or Catalogue((lang,)), lang)


def printable_as_text(text: str, profile: Any) -> bool:
    """Whether the printer can print ``text`` from its code pages: Latin letters only (python-escpos
    switches pages for a Turkish ş or a Polish ą), never Arabic (no shaping, no right to left) nor
    another script mixed with Latin; and every character in one of the profile's code pages."""
    from escpos.magicencode import Encoder
    encoder = Encoder(profile.get_code_pages())
    for ch in set(text):
        if ch.isascii():
            continue
        if ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN"):
            return False
        if unicodedata.bidirectional(ch) in ("R", "AL") or encoder.find_suitable_encoding(ch) is None:
            return False
    return True


def _as_images(elements: list[Element], profile: Any) -> list[Element]:
    """Mark the lines the printer's code pages cannot print as raster images."""
    return [replace(e, image=True) if isinstance(e, Line) and not printable_as_text(e.text, profile) else e
            for e in elements]


def choose_codepage(profile: Any) -> str | None:
    """The first code page with umlauts and € that the printer profile has (None: let python-escpos pick)."""
    pages = profile.get_code_pages()
    return next((p for p in PREFERRED_CODEPAGES if p in pages), None)


def printer_dpi(printer: Printer, profile: Any) -> int:
    """The printer's resolution: ``[printer] dpi`` of the site file, else its python-escpos profile's, else 203."""
    if printer.dpi:
        return printer.dpi
    dpi = ((getattr(profile, "profile_data", None) or {}).get("media") or {}).get("dpi")
    return dpi if isinstance(dpi, int) and 100 <= dpi <= 600 else DEFAULT_DPI


def has_cutter(profile: Any) -> bool:
    return bool(profile.supports("paperFullCut") or profile.supports("paperPartCut"))


def _wrap(text: str, width: int, **kw: Any) -> list[Line]:
    return [Line(t, **kw) for t in (textwrap.wrap(text, width) or [""])]


def wait_line(lang: str, ahead: int | None, eta_min: int | None, cat: Catalogue | None = None) -> str | None:
    """"Ahead of you: 4 · Wait about 12 min" in one language; parts that are unknown are left out.

    Nobody ahead: "You are next" (not "Ahead of you: 0 · Wait about 0 min").
    """
    t = texts(lang, cat)
    if ahead == 0:
        return t["next"]
    parts = []
    if ahead is not None:
        parts.append(t["ahead"].format(n=ahead))
    if eta_min is not None:
        parts.append(t["eta"].format(m=eta_min))
    return " · ".join(parts) if parts else None


def build(cfg: SiteConfig, kiosk: Kiosk, data: TicketData, profile: Any) -> Layout:
    """The layout of one ticket (or of a test print when ``data.number`` is None)."""
    width = kiosk.printer.width_chars
    langs = kiosk.ticket_languages or cfg.languages
    cat = for_site(cfg)
    tz = ZoneInfo(cfg.timezone)
    when = dt.datetime.fromtimestamp(data.issued_at_ms / 1000, tz)
    first = texts(langs[0], cat)
    codepage = choose_codepage(profile)

    def say(lang: str) -> _Phrases:
        return texts(lang, cat)

    def wrap(text: str, lang: str | None = None, **kw: Any) -> list[Line]:
        return _wrap(text, width, rtl=bool(lang and cat.rtl(lang)), **kw)
    service = cfg.service(data.service)
    cutter = has_cutter(profile)

    head: list[Element] = [*wrap(cfg.name, bold=True)]
    if data.number is None:
        head += [Line(" / ".join(dict.fromkeys(say(lang)["test"] for lang in langs)), bold=True)]
    if service is not None:
        for i, lang in enumerate(langs):
            name = service.names.get(lang)
            if name and (i == 0 or name != service.name(langs[0])):
                head += wrap(name, lang, bold=(i == 0))
    if data.priority:   # the info desk's priority ticket: called before the others of its service
        head.append(Line(" / ".join(dict.fromkeys(say(lang)["priority"] for lang in langs)), bold=True,
                         width=2, height=2))
    head.append(Gap(8))

    tail: list[Element] = [Gap(8), Line(when.strftime(first["date"]))]
    wait_lines: list[Element] = []      # the secondary languages' lines: the first to go when paper is short
    footer_lines: list[Element] = []
    first_footer: list[Element] = []
    if data.number is None:
        tail += [Line(f"{first['kiosk']} {kiosk.id}"), Line(CHARSET_SAMPLE)]
        for lang in langs:
            tail += wrap(say(lang)["test_note"], lang)
    else:
        for i, lang in enumerate(langs):
            wl = wait_line(lang, data.ahead, data.eta_min, cat)
            if wl:
                (tail if i == 0 else wait_lines).extend(wrap(wl, lang))
        for i, lang in enumerate(langs):
            if kiosk.footer.get(lang):
                (first_footer if i == 0 else footer_lines).extend(wrap(kiosk.footer[lang], lang))
    end: list[Element] = []
    url = qr_url(kiosk.qr_url, data) if data.number is not None else None
    if url:
        end.append(Qr(url))
        if "{key}" in (kiosk.qr_url or ""):  # the ticket page: its address for people who type
            end += wrap(url.split("://", 1)[-1])
    end.append(Cut(cutter))

    # the largest number that fits MAX_PAPER_MM; with many languages the secondary footers go first,
    # then the secondary wait lines, before the number shrinks below size 5
    big = data.number if data.number is not None else "TEST"
    contents = [(wait_lines, footer_lines), (wait_lines, []), ([], [])]
    chosen: Layout | None = None
    for sizes in (NUMBER_SIZES[:4], NUMBER_SIZES[4:]):
        for waits, footers in contents:
            for size in sizes:
                w = min(size, max(1, width // len(big)))
                elements = _as_images([*head, Line(big, bold=True, width=w, height=size), *tail, *waits,
                                       *first_footer, *footers, *end], profile)
                layout = Layout(tuple(elements), width, codepage, printer_dpi(kiosk.printer, profile))
                if chosen is None or paper_mm(layout) < paper_mm(chosen):
                    chosen = layout
                if paper_mm(layout) <= MAX_PAPER_MM:
                    return layout
    assert chosen is not None
    return chosen


def qr_url(template: str | None, data: TicketData) -> str | None:
    """The QR's address: ``{number}`` and ``{key}`` filled in; None when the template needs a key
    the controller did not send (a QR that leads nowhere is worse than none)."""
    if not template or data.number is None:
        return None
    if "{key}" in template and not data.key:
        return None
    return template.replace("{number}", data.number).replace("{key}", data.key or "")


def closed_slip(cfg: SiteConfig, kiosk: Kiosk, profile: Any) -> Layout | None:
    """The short slip a press prints while its service is closed ([issuing] closed_slip), or None."""
    slip = cfg.issuing.closed_slip
    if not slip:
        return None
    width = kiosk.printer.width_chars
    body: list[Element] = [*_wrap(cfg.name, width, bold=True), Gap(8)]
    for lang in cfg.languages:
        if slip.get(lang):
            body += _wrap(slip[lang], width)
    return Layout((*body, Cut(has_cutter(profile))), width, choose_codepage(profile))

# ---------------------------------------------------------------- measuring

def qr_modules(data: str) -> int:
    """How many modules a side the QR code of ``data`` has (error correction L, as printed).

    The size follows from the version that fits the data alone: ``best_fit`` finds it without
    building the matrix and trying its eight masks, which cost a slow core a quarter of a second
    for every layout the ticket tries.
    """
    import qrcode
    q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=0)
    q.add_data(data)
    return q.best_fit() * 4 + 17


def element_mm(e: Element, dpi: int = DEFAULT_DPI) -> float:
    """Paper an element takes, in millimetres (estimated from the printer's dot geometry)."""
    dots_per_mm = dpi / 25.4
    if isinstance(e, Line):
        if e.image:
            return IMAGE_LINE_DOTS * e.height / dots_per_mm
        return max(LINE_MM, FONT_A_DOTS / dots_per_mm * e.height + 1.0)
    if isinstance(e, Gap):
        return e.dots / dots_per_mm
    if isinstance(e, Qr):
        return qr_modules(e.data) * e.module / dots_per_mm + 1.0
    if isinstance(e, Cut):
        return CUTTER_MM if e.has_cutter else TEAR_FEED_LINES * LINE_MM + CUTTER_MM
    raise TypeError(e)


def paper_mm(layout: Layout) -> float:
    """The length of paper one ticket uses, cutter margin included."""
    return sum(element_mm(e, layout.dpi) for e in layout.elements)


# ---------------------------------------------------------------- printing

def to_escpos(layout: Layout, p: Any) -> None:
    """Send a layout to a python-escpos printer object (``Dummy`` gives the exact bytes)."""
    p.hw("INIT")
    if layout.codepage:
        # select the page explicitly (ESC t), then let python-escpos switch pages
        # only for characters this page does not have (e.g. Turkish ş)
        p.charcode(layout.codepage)
        p.magic.disabled = False
    size = (1, 1)

    def text_size(w: int, h: int) -> None:
        nonlocal size
        if (w, h) != size:
            if w > 1 or h > 1:
                p.set(custom_size=True, width=w, height=h)
            else:
                p.set(normal_textsize=True)
            size = (w, h)

    for e in layout.elements:
        if isinstance(e, Line) and e.image:
            text_size(1, 1)
            p.set(align="left", bold=False)
            with contextlib.redirect_stdout(io.StringIO()):     # its note on profiles without a paper width
                p.image(line_bitmap(e, layout.width_chars * 12), impl="bitImageRaster", center=False)
        elif isinstance(e, Line):
            text_size(e.width, e.height)
            p.set(align=e.align, bold=e.bold)
            p.textln(e.text)
        elif isinstance(e, Gap):
            p._raw(b"\x1bJ" + bytes([max(0, min(255, e.dots))]))
        elif isinstance(e, Qr):
            text_size(1, 1)
            p.set(align="center")
            p.qr(e.data, size=e.module, native=bool(p.profile.supports("qrCode")), center=False)
        elif isinstance(e, Cut):
            text_size(1, 1)
            p.set(align="left", bold=False)
            if e.has_cutter:
                p.cut(feed=False)   # GS V B 0: feed to the cutter, then cut
            else:
                p.print_and_feed(TEAR_FEED_LINES)


def line_bitmap(line: Line, width_dots: int) -> Any:
    """A line as a 1-bit PIL image the printable width wide: shaped, in bidi order, aligned."""
    from PIL import Image, ImageDraw, ImageFont
    height = IMAGE_LINE_DOTS * line.height
    name = "DejaVuSans-Bold.ttf" if line.bold else "DejaVuSans.ttf"
    size = int(22 * line.height)
    layout_engine = ImageFont.Layout.RAQM if _has_raqm() else ImageFont.Layout.BASIC

    def font(n: int) -> Any:
        try:
            return ImageFont.truetype(f"{FONT_DIR}/{name}", n, layout_engine=layout_engine)
        except OSError:
            return ImageFont.load_default(n)
    direction = "rtl" if line.rtl else None
    f = font(size)
    kw: dict[str, Any] = {"direction": direction} if layout_engine == ImageFont.Layout.RAQM else {}
    while size > 10 and f.getlength(line.text, **kw) > width_dots:
        size -= 1
        f = font(size)
    img = Image.new("1", (width_dots, height), 1)
    d = ImageDraw.Draw(img)
    w = f.getlength(line.text, **kw)
    align = line.align if not line.rtl or line.align == "center" else ("left" if line.align == "right" else "right")
    x = {"left": 0, "center": (width_dots - w) / 2, "right": width_dots - w}[align]
    d.text((x, height / 2), line.text, font=f, fill=0, anchor="lm", **kw)
    return img


def _has_raqm() -> bool:
    from PIL import features
    return bool(features.check("raqm"))


def escpos_bytes(layout: Layout, profile_name: str | None) -> bytes:
    """The exact ESC/POS bytes of a layout for a printer profile."""
    from escpos.printer import Dummy
    d = Dummy(profile=profile_name)
    to_escpos(layout, d)
    return d.output


def load_profile(profile_name: str | None) -> Any:
    """The python-escpos capability profile of a printer (the default profile when None)."""
    from escpos.capabilities import get_profile
    return get_profile(profile_name)


def print_ticket(printer: "PrinterPort", cfg: SiteConfig, ticket: TicketInfo, kiosk: Kiosk | None = None) -> bytes:
    """Print one issued ticket on a :class:`kiosk.printer.PrinterPort`; return the bytes sent.

    The printer is checked first: paper out or offline raise
    :class:`kiosk.printer.PrintError` without printing. Without ``kiosk`` (the info
    desk) the footer and QR code of the site's first kiosk are used, so every ticket
    looks the same.
    """
    from .printer import CAN_PRINT, PrintError
    if kiosk is None:
        first = cfg.kiosks[0] if cfg.kiosks else None
        spec = printer.spec if printer.spec is not None else Printer()
        kiosk = Kiosk(id="info", buttons=(), printer=spec, footer=first.footer if first else {},
                      qr_url=first.qr_url if first else None)
    data = TicketData.from_reply(ticket)
    state = printer.check()
    if state not in CAN_PRINT:
        raise PrintError(f"printer {state}")
    layout = build(cfg, kiosk, data, load_profile(printer.profile_name))
    raw = escpos_bytes(layout, printer.profile_name)
    printer.print_bytes(raw)
    return raw
