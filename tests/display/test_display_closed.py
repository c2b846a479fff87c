"""A service closed for today on the board: the real controller, a real Mosquitto, the display app."""

import pygame

from aufruf import config
from display import texts
from test_display_app import Running

REASONS = '\n[issuing]\nreasons = { fault = { de = "Technische Störung", en = "Technical fault" } }\n'


def test_the_closed_line_says_why_in_the_sites_languages():
    reasons = {"fault": {"de": "Technische Störung", "en": "Technical fault"}}
    assert texts.closed_line(("de", "en"), "staff", "fault", reasons) == \
        "heute keine Wartemarken mehr (Technische Störung) · no more tickets today (Technical fault)"
    assert texts.closed_line(("de", "en"), "quota", None, reasons) == \
        "heute keine Wartemarken mehr · no more tickets today"
    assert texts.closed_line(("de", "en"), "hours", None, reasons) == "geschlossen · closed"


def test_a_service_closed_by_staff_shows_on_the_board_with_its_reason(site_factory, desk_service):
    site = site_factory(config.EXAMPLE_SITE.read_text(encoding="utf-8") + REASONS)
    desk_service(site)
    r = None
    try:
        r = Running(site)
        r.until(lambda: r.app.model.queue, what="the retained queue")
        r.app.step(0)
        card = r.app.renderer.layout.waiting
        before = pygame.image.tobytes(r.surface.subsurface(card), "RGB")
        staff = site.probe("staff-info", ("staff/info/reply",))
        reply = staff.request("staff/info/command", "staff/info/reply",
                              {"v": 1, "id": "s1", "action": "close_service", "service": "N", "reason": "fault"})
        assert reply["ok"]
        r.until(lambda: r.app.model.services()[1].closed == "staff", what="N closed on the board")
        line = r.app.model.services()[1]
        assert (line.open, line.note) == (False, "fault") and r.app.model.services()[0].closed is None
        r.app.step(0)
        assert pygame.image.tobytes(r.surface.subsurface(card), "RGB") != before
    finally:
        if r is not None:
            r.close()
