"""The kiosk speaks and can be felt: speaker (SDL dummy audio, espeak-ng for real), info button, buzzer, LED."""

from __future__ import annotations

import time
from pathlib import Path

import pygame
import pytest
from printers import StatusDummy
from probe import wait_until

from kiosk import panel
from kiosk.kiosk import TicketKiosk
from kiosk.printer import PrinterPort
from kiosk.voice import Voice

MULTI = Path(__file__).resolve().parents[2] / "examples" / "site-languages.toml"
BUTTON_K, LED, BUZZER, INFO = 17, 27, 22, 23


@pytest.fixture
def voiced(site_factory, pins):
    """A kiosk of the multilingual site with speaker and info button, on the test broker."""
    pygame.mixer.quit()
    site = site_factory(MULTI.read_text(encoding="utf-8"), "voiced")
    cfg = site.cfg
    kcfg = cfg.kiosk("entrance")
    assert kcfg.speaker and kcfg.info_pin == INFO
    voice = Voice(cfg, kcfg, wait_played=False)
    k = TicketKiosk(cfg, "entrance", printer=PrinterPort.of(StatusDummy(), reports_status=True), pin_factory=pins,
                    voice=voice)
    k.start()
    assert k.link.wait_connected(5) and k.wait_ready(5)
    yield site, k, voice
    k.stop()
    pygame.mixer.quit()


def buzzes(pins) -> int:
    """How often the buzzer pin went on since the last clear."""
    return sum(1 for s in pins.pin(BUZZER).states if s.state is True)


def test_the_drawn_number_is_said_when_the_ticket_prints(voiced, pins):
    site, k, voice = voiced
    probe = site.probe()
    pins.pin(BUZZER).clear_states()
    pins.pin(BUTTON_K).drive_low()
    req = probe.wait_for("kiosk/entrance/request")
    probe.publish("kiosk/entrance/ticket", {"v": 1, "id": req["id"], "ok": True, "ticket": {
        "number": "K017", "service": "K", "issued_at": int(time.time() * 1000), "ahead": 4, "eta_min": 12}})
    probe.wait_for("kiosk/entrance/printed")
    pins.pin(BUTTON_K).drive_high()
    wait_until(lambda: voice.log, timeout=10, what="the number spoken")
    assert voice.wait_idle(10)
    assert voice.log == [("de", "Kurzanliegen. Ihre Nummer: K 0 1 7.")]
    assert buzzes(pins) >= 1                                   # the press was felt/heard at once


def test_the_info_button_says_the_latest_calls_with_their_counters(voiced, pins):
    site, k, voice = voiced
    probe = site.probe()
    probe.publish("board", {"v": 1, "calls": [{"number": "K016", "desk": "3", "at": 1_764_000_000_000},
                                              {"number": "N004", "desk": "1", "at": 1_763_999_990_000}],
                            "waiting": {"K": 3, "N": 1}, "updated_at": 1_764_000_000_000}, retain=True)
    wait_until(lambda: k.latest_calls, timeout=5, what="the board at the kiosk")
    pins.pin(BUZZER).clear_states()
    pins.pin(INFO).drive_low()
    wait_until(lambda: k.info_presses == 1, what="the info press")
    wait_until(lambda: k.led_mode == panel.BUSY, what="the LED answering the press")
    pins.pin(INFO).drive_high()
    assert voice.wait_idle(10)
    assert voice.log == [("de", "Zuletzt aufgerufen: K 0 1 6 zu Schalter 3, N 0 0 4 zu Schalter 1.")]
    assert buzzes(pins) >= 1
    wait_until(lambda: k.led_mode == panel.READY, timeout=5, what="the LED back to ready")


def test_sentences_queue_and_are_never_cut_off(site_factory):
    pygame.mixer.quit()
    site = site_factory(MULTI.read_text(encoding="utf-8"), "queued")
    cfg = site.cfg
    v = Voice(cfg, cfg.kiosk("entrance"))                      # waits for each sound to end
    try:
        v.start()
        t0 = time.monotonic()
        v.say(v.ticket_sentences("K", "K017"))
        v.say(v.ticket_sentences("N", "N005"))
        assert v.busy
        assert v.wait_idle(30)
        took = time.monotonic() - t0
        assert [t for _, t in v.log] == ["Kurzanliegen. Ihre Nummer: K 0 1 7.", "Neumeldung. Ihre Nummer: N 0 0 5."]
        assert took > 3.0           # both played to their end, one after the other (each is ~2 s of speech)
    finally:
        v.close()
        pygame.mixer.quit()
