"""The ticket's ESC/POS bytes (python-escpos Dummy): big native number, code page for umlauts and €, cut, size."""

import dataclasses

import pytest
from escpos.printer import Dummy

from aufruf import config
from aufruf.protocol import TicketInfo
from kiosk import ticket_layout as tl

CFG = config.load(config.EXAMPLE_SITE)
KIOSK = CFG.kiosks[0]
TICKET = tl.TicketData(service="K", number="K017", issued_at_ms=1_764_088_200_000, ahead=4, eta_min=12)  # 17:30 Berlin


def printed(data=TICKET, kiosk=KIOSK, profile=None, cfg=CFG) -> bytes:
    layout = tl.build(cfg, kiosk, data, tl.load_profile(profile))
    d = Dummy(profile=profile)
    tl.to_escpos(layout, d)
    return d.output


def test_number_is_printed_in_the_printers_large_font_then_back_to_normal():
    out = printed()
    # GS ! n: character size; 0x66 = width 7, height 7 (the largest that keeps the ticket within 70 mm)
    assert b"\x1d!\x66\x1bE\x01\x1ba\x01K017\n\x1bJ\x08\x1b!\x00" in out
    assert b"K017" in out and out.count(b"K017") == 1
    assert b"\x1bv" not in out and b"\x1d(L" not in out and b"\x1dv0" not in out   # no raster image


def test_code_page_cp858_selected_and_umlauts_euro_encoded():
    cfg = dataclasses.replace(CFG, name="Bürgeramt Süd, Gebühren in €")
    k = dataclasses.replace(KIOSK, footer={"de": "Grüße: ÄÖÜ äöü ß €", "en": "Fees in €"})
    out = printed(cfg=cfg, kiosk=k)
    assert out.startswith(b"\x1b@\x1bt\x13")                     # ESC @ then ESC t 19 = CP858
    assert "Grüße: ÄÖÜ äöü ß €".encode("cp858") == b"Gr\x81\xe1e: \x8e\x99\x9a \x84\x94\x81 \xe1 \xd5"
    assert b"Gr\x81\xe1e: \x8e\x99\x9a \x84\x94\x81 \xe1 \xd5\n" in out
    assert b"Fees in \xd5\n" in out
    assert b"B\x81rgeramt S\x81d, Geb\x81hren in \xd5\n" in out
    assert b"?" not in out and out.count(b"\x1bt") == 1


def test_a_character_outside_cp858_switches_to_a_page_that_has_it():
    cfg = dataclasses.replace(CFG, name="Süd – Nord")          # the en dash is not in CP858
    out = printed(cfg=cfg)
    assert out.startswith(b"\x1b@\x1bt\x13")                       # CP858 first
    assert b"S\x81d \x1bt\x10\x96 Nord\n" in out                  # then ESC t 16 = CP1252 for the dash
    assert b"?" not in out


def test_ticket_ends_with_feed_and_cut():
    assert printed().endswith(b"\x1dVB\x00")                     # GS V 66 0: feed to the cutter and cut


def test_printer_without_cutter_feeds_to_tear_off():
    out = printed(profile="POS-5890")
    assert b"\x1dV" not in out and out.endswith(b"\x1bd\x04")


def test_ahead_and_wait_in_every_language_and_left_out_when_unknown():
    out = printed()
    assert "Vor Ihnen: 4 · Wartezeit ca. 12 Min.".encode("cp858") in out
    assert "Ahead of you: 4 · Wait about 12 min".encode("cp858") in out
    unknown = printed(dataclasses.replace(TICKET, ahead=None, eta_min=None))
    assert b"Vor Ihnen" not in unknown and b"Ahead" not in unknown and b"Wartezeit" not in unknown
    only_ahead = printed(dataclasses.replace(TICKET, eta_min=None))
    assert b"Ahead of you: 4\n" in only_ahead and b"Wait" not in only_ahead


def test_office_services_date_footer_in_order():
    out = printed()
    order = [b"Jobcenter Mitte", b"Kurzanliegen", b"Short matters", b"K017", b"25.11.2025  17:30",
             b"Bitte halten Sie Ihre Wartenummer bereit.", b"Please keep your ticket ready.", b"\x1dVB\x00"]
    positions = [out.index(x) for x in order]
    assert positions == sorted(positions)


def test_qr_code_native_with_url_and_ticket_stays_within_70_mm():
    k = dataclasses.replace(KIOSK, qr_url="https://jobcenter-mitte.example.org/wartenummer/{number}")
    layout = tl.build(CFG, k, TICKET, tl.load_profile(None))
    out = printed(kiosk=k)
    assert b"\x1d(k" in out and b"1P0https://jobcenter-mitte.example.org/wartenummer/K017" in out
    assert tl.paper_mm(layout) <= tl.MAX_PAPER_MM
    assert layout.number_line.height >= 3


def test_every_model_ticket_fits_70_mm_and_the_number_is_as_large_as_that_allows():
    for svc in CFG.services:
        layout = tl.build(CFG, KIOSK, dataclasses.replace(TICKET, service=svc.key, number=f"{svc.key}999"),
                          tl.load_profile(None))
        assert tl.paper_mm(layout) <= tl.MAX_PAPER_MM
        bigger = dataclasses.replace(layout, elements=tuple(
            dataclasses.replace(e, width=e.width + 1, height=e.height + 1) if e is layout.number_line else e
            for e in layout.elements))
        assert tl.paper_mm(bigger) > tl.MAX_PAPER_MM


def test_test_print_has_no_number_and_shows_the_charset():
    out = printed(dataclasses.replace(TICKET, number=None, ahead=None, eta_min=None))
    assert b"TESTDRUCK / TEST PRINT" in out and b"TEST\n" in out
    assert not any(f"K{n:03d}".encode() in out for n in range(1000))
    assert "ÄÖÜ äöü ß €".encode("cp858") in out


def test_priority_ticket_carries_a_marker_in_double_size_and_stays_within_70_mm():
    prio = dataclasses.replace(TICKET, priority=True)
    out = printed(prio)
    assert b"VORRANG / PRIORITY\n" in out
    assert out.index(b"VORRANG / PRIORITY") < out.index(b"K017")   # above the number
    assert b"VORRANG" not in printed()
    assert tl.paper_mm(tl.build(CFG, KIOSK, prio, tl.load_profile(None))) <= tl.MAX_PAPER_MM
    assert tl.TicketData.from_reply(TicketInfo("K017", "K", 1, priority=True)).priority


def test_paper_length_is_estimated_at_the_printers_dpi():
    """A TM-T88 prints 180 dots per inch: its font-A lines and gaps are longer than at 203 dpi,
    so a smaller number keeps the ticket within MAX_PAPER_MM; the site file can say the dpi."""
    t20 = tl.build(CFG, KIOSK, TICKET, tl.load_profile("TM-T20II"))
    t88 = tl.build(CFG, KIOSK, TICKET, tl.load_profile("TM-T88V"))
    assert (t20.dpi, t88.dpi) == (203, 180)
    assert tl.element_mm(tl.Gap(180), 180) == 25.4 and tl.element_mm(tl.Gap(203), 203) == 25.4
    assert tl.paper_mm(t20) <= tl.MAX_PAPER_MM and tl.paper_mm(t88) <= tl.MAX_PAPER_MM
    assert t88.number_line.height < t20.number_line.height
    # the same layout measured at 180 dpi is longer than at 203
    assert tl.paper_mm(dataclasses.replace(t20, dpi=180)) > tl.paper_mm(t20)
    k = dataclasses.replace(KIOSK, printer=dataclasses.replace(KIOSK.printer, dpi=180))
    assert tl.build(CFG, k, TICKET, tl.load_profile("TM-T20II")).dpi == 180      # [printer] dpi wins


def test_the_first_customer_is_told_they_are_next_not_zero_ahead():
    out = printed(dataclasses.replace(TICKET, ahead=0, eta_min=0))
    assert "Sie sind als Nächstes dran".encode("cp858") in out and b"You are next" in out
    assert b"Ahead of you: 0" not in out and b"about 0 min" not in out


@pytest.mark.parametrize("length", [1, 17, 18, 32, 33, 53, 54, 78, 200])
def test_the_measured_qr_is_as_large_as_the_printed_one(length):
    # lengths around the first versions' limits (error correction L, byte mode: 17, 32, 53, 78)
    import qrcode
    data = ("https://aufruf.example/t/K017-" + "x" * 200)[:length]
    q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_L, border=0)
    q.add_data(data)
    q.make(fit=True)
    assert tl.qr_modules(data) == q.modules_count
