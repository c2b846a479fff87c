"""The appointment slip: what it says for each answer of the controller (never a name)."""

from __future__ import annotations

import pytest

from appointment_site import site_text
from aufruf import config, protocol
from kiosk import slip
from kiosk import ticket_layout as tl

NOW = 1_764_669_600_000


@pytest.fixture(scope="module")
def cfg():
    return config.parse(site_text())


def lines(cfg, reply):
    reply = protocol.CheckinReply.from_json(reply.to_json())     # as the kiosk receives it
    layout = slip.build(cfg, cfg.kiosks[0], reply, tl.load_profile(None), NOW)
    return layout, [e.text for e in layout.elements if isinstance(e, tl.Line)]


def test_checked_in_upstairs_shows_number_time_and_the_room(cfg):
    layout, text = lines(cfg, protocol.CheckinReply("r1", "checked_in", "10:00", number="T017", desk="r214",
                                                    floor="2", room="2.14"))
    assert layout.number_line.text == "T017" and layout.number_line.height > 1
    assert "Termin um 10:00 Uhr" in text and "Appointment at 10:00" in text
    assert "Raum 2.14." in text and "Please go to floor 2, room 2.14." in text
    assert tl.paper_mm(layout) <= tl.MAX_PAPER_MM


def test_checked_in_at_a_counter_says_wait(cfg):
    _, text = lines(cfg, protocol.CheckinReply("r1", "checked_in", "10:00", number="T001", desk="2"))
    assert "Bitte warten Sie, Sie werden aufgerufen." in text and "Please wait, you will be called." in text


def test_early_says_from_when(cfg):
    layout, text = lines(cfg, protocol.CheckinReply("r1", "early", "11:00", opens="10:30", desk="1"))
    assert layout.number_line is None and "Sie können ab 10:30 Uhr einchecken." in text


@pytest.mark.parametrize("refusal,words", [("unknown", "nicht bekannt"), ("cancelled", "abgesagt"),
                                           ("used", "bereits eingecheckt"), ("other_day", "anderen Tag")])
def test_refusals_say_why_and_where_to_ask(cfg, refusal, words):
    layout, text = lines(cfg, protocol.CheckinReply.refused("r1", refusal, "whatever the controller said"))
    joined = " ".join(text)
    assert words in joined and "Information" in joined and layout.number_line is None
