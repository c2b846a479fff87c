"""Chime and speech: the synthesised gong, espeak-ng for real, the mixer on SDL's dummy audio driver."""

import io
import logging
import math
import struct
import wave

import pygame
import pytest

from display.board import BoardEntry
from display.sound import RATE, SoundPlayer, Speaker, announcement_texts, gong_wav


def level(samples, rate, freq):
    """Goertzel: the strength of ``freq`` in ``samples``."""
    k = 2 * math.cos(2 * math.pi * freq / rate)
    s1 = s2 = 0.0
    for x in samples:
        s1, s2 = x + k * s1 - s2, s1
    return math.sqrt(max(0.0, s1 * s1 + s2 * s2 - k * s1 * s2)) / len(samples)


def test_gong_is_a_two_tone_wav():
    with wave.open(io.BytesIO(gong_wav())) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, RATE)
        n = w.getnframes()
        pcm = struct.unpack(f"<{n}h", w.readframes(n))
    assert n / RATE == pytest.approx(2.2, abs=0.05)
    assert max(abs(x) for x in pcm) > 16000                   # loud enough, not clipped (0.7 of full scale)
    first = pcm[int(0.05 * RATE):int(0.5 * RATE)]
    second = pcm[int(0.7 * RATE):int(1.2 * RATE)]
    assert level(first, RATE, 659.25) > 3 * level(first, RATE, 523.25)     # ding (E5) ...
    assert level(second, RATE, 523.25) > level(second, RATE, 440.0) * 3   # ... dong (C5) present
    assert level(second, RATE, 523.25) > 0.5 * level(second, RATE, 659.25)


def test_announcement_uses_the_config_templates_with_the_number_spoken_clearly(cfg):
    said = announcement_texts(cfg, BoardEntry("K017", "3"))
    assert said == [("de", "Nummer K 0 1 7, bitte zu Schalter 3."),
                    ("en", "Number K 0 1 7, please go to Counter 3.")]


def test_espeak_renders_a_wav(tmp_path):
    sp = Speaker()
    assert sp.available, "espeak-ng is installed in Debian's espeak-ng package"
    out = tmp_path / "de.wav"
    cmd = sp.render("de", "Nummer K 17, bitte zu Schalter 3.", out)
    assert cmd[:3] == [sp.binary, "-v", "de"] and cmd[-1] == "Nummer K 17, bitte zu Schalter 3."
    with wave.open(str(out)) as w:
        assert w.getnframes() / w.getframerate() > 1.0


@pytest.fixture
def player(cfg):
    pygame.mixer.quit()
    p = SoundPlayer(cfg, cfg.displays[0], wait_played=False)
    yield p
    p.close()
    pygame.mixer.quit()


def test_each_call_chimes_then_speaks_every_language(player):
    player.start()
    assert player.state == "ok"
    player.announce(BoardEntry("K017", "3"))
    player.announce(BoardEntry("N005", "1", recall=True))
    assert player.wait_idle(20)
    assert [e[:2] for e in player.log] == [("chime", "K017"), ("speech", "de"), ("speech", "en"),
                                           ("chime", "N005"), ("speech", "de"), ("speech", "en")]
    assert player.log[5] == ("speech", "en", "Number N 0 0 5, please go to Counter 1.")
    assert [c[1:3] for c in player.commands] == [["-v", "de"], ["-v", "en-gb"]] * 2


def test_missing_espeak_is_logged_once_and_the_chime_still_plays(cfg, caplog):
    pygame.mixer.quit()
    p = SoundPlayer(cfg, cfg.displays[0], Speaker(binary="/nonexistent/espeak-ng"), wait_played=False)
    try:
        p.start()
        with caplog.at_level(logging.WARNING, logger="display.sound"):
            p.announce(BoardEntry("K017", "3"))
            p.announce(BoardEntry("K018", "4"))
            assert p.wait_idle(10)
        assert [e for e in p.log if e[0] == "chime"] == [("chime", "K017"), ("chime", "K018")]
        assert not [e for e in p.log if e[0] == "speech"]
        assert len([r for r in caplog.records if "speech in 'de' failed" in r.getMessage()]) == 1
    finally:
        p.close()
        pygame.mixer.quit()


def test_no_audio_device_is_logged_once_and_nothing_breaks(cfg, monkeypatch, caplog):
    pygame.mixer.quit()
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-driver")
    p = SoundPlayer(cfg, cfg.displays[0], wait_played=False)
    try:
        with caplog.at_level(logging.WARNING, logger="display.sound"):
            p.start()
            p.announce(BoardEntry("K017", "3"))
            assert p.wait_idle(5)
        assert p.state == "silent" and p.log == []
        assert len([r for r in caplog.records if "no audio device" in r.getMessage()]) == 1
    finally:
        p.close()
        pygame.mixer.quit()
