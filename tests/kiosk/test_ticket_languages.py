"""Tickets in more than Latin letters: what the code page lacks goes out as a raster image (python-escpos Dummy)."""

import dataclasses
from pathlib import Path

from escpos.printer import Dummy

from aufruf import config
from kiosk import render
from kiosk import ticket_layout as tl

MULTI = config.load(Path(__file__).resolve().parents[2] / "examples" / "site-languages.toml")
KIOSK = MULTI.kiosks[0]
TICKET = tl.TicketData(service="K", number="K017", issued_at_ms=1_764_088_200_000, ahead=4, eta_min=12)


def without_images(out: bytes) -> bytes:
    """The byte stream with each GS v 0 raster image (header and dots) cut out."""
    while (i := out.find(b"\x1dv0")) >= 0:
        xl, xh, yl, yh = out[i + 4:i + 8]
        out = out[:i] + out[i + 8 + (xl + 256 * xh) * (yl + 256 * yh):]
    return out


def build(kiosk=KIOSK, data=TICKET):
    layout = tl.build(MULTI, kiosk, data, tl.load_profile(None))
    d = Dummy()
    tl.to_escpos(layout, d)
    return layout, d.output


def test_an_arabic_line_is_printed_as_a_raster_image_and_never_as_unmappable_bytes():
    layout, out = build()
    assert KIOSK.ticket_languages == ("de", "tr", "ar")
    images = [e for e in layout.elements if isinstance(e, tl.Line) and e.image]
    texts_ = [e for e in layout.elements if isinstance(e, tl.Line) and not e.image]
    assert any("قصيرة" in e.text for e in images) and all(e.rtl for e in images if "قصيرة" in e.text)
    assert any(e.text == "Kurzanliegen" for e in texts_)        # German stays printer text
    assert any(e.text == "Kısa işlemler" for e in texts_)       # Turkish too: python-escpos switches to CP857
    assert out.count(b"\x1dv0") == len(images)                  # GS v 0: one raster image per such line
    assert b"Kurzanliegen\n" in out and b"K017" in out
    rest = without_images(out)
    assert b"?" not in rest                                     # nothing replaced by the code page's '?'
    assert rest.endswith(b"\x1dVB\x00")                        # and the images were whole: the cut is last
    for e in images:
        for enc in ("utf-8", "cp864", "cp1256"):
            try:
                assert e.text.encode(enc) not in out
            except UnicodeEncodeError:
                pass
    assert tl.paper_mm(layout) <= tl.MAX_PAPER_MM


def test_cyrillic_and_a_letter_no_code_page_has_are_images_too():
    profile = tl.load_profile(None)
    assert not tl.printable_as_text("Короткі питання", profile)
    assert not tl.printable_as_text("Solicitări țintă", profile)                # no page has ț
    assert tl.printable_as_text("Grüße, Kısa işlemler, Krótkie sprawy – €", profile)


def test_the_raster_line_is_the_printable_width_and_has_ink_in_reading_order():
    layout, _ = build()
    line = next(e for e in layout.elements if isinstance(e, tl.Line) and e.image and "قبلك" in e.text)
    img = tl.line_bitmap(line, layout.width_chars * 12)
    assert img.size == (layout.width_chars * 12, tl.IMAGE_LINE_DOTS)
    assert img.mode == "1" and img.getbbox() is not None
    # the preview draws the very same bitmap
    preview = render.render_image(layout)
    assert preview.width == layout.width_chars * 12 + 2 * render.MARGIN


def test_which_languages_go_on_the_ticket_is_configurable():
    only_de = dataclasses.replace(KIOSK, ticket_languages=("de",))
    layout, out = build(only_de)
    assert b"\x1dv0" not in out
    assert not [e for e in layout.elements if isinstance(e, tl.Line) and e.image]
    assert layout.number_line.height >= 6


def test_with_many_languages_the_secondary_lines_go_before_the_number_shrinks():
    many = dataclasses.replace(KIOSK, ticket_languages=("de", "tr", "ar", "uk", "ru", "fa"))
    layout, _ = build(many)
    assert tl.paper_mm(layout) <= tl.MAX_PAPER_MM
    assert layout.number_line.height >= 4                       # still 12 mm high digits
    lines = [e.text for e in layout.elements if isinstance(e, tl.Line)]
    assert any("Vor Ihnen" in x for x in lines)                  # the first language's wait line stays
    assert not any("Önünüzde" in x for x in lines)               # the secondary ones made room
    assert "Короткі питання" in lines                            # every language's service name stays
