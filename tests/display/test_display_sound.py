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


def test_sound_comes_back_when_a_device_appears_and_after_it_went_away(cfg, monkeypatch, caplog):
    from probe import wait_until
    pygame.mixer.quit()
    monkeypatch.setenv("SDL_AUDIODRIVER", "no-such-driver")          # the TV carrying the sound is off
    p = SoundPlayer(cfg, cfg.displays[0], wait_played=False, retry_s=0.1)
    try:
        with caplog.at_level(logging.INFO, logger="display.sound"):
            p.start()
            assert p.state == "silent"
            monkeypatch.setenv("SDL_AUDIODRIVER", "dummy")            # ... switched on
            wait_until(lambda: p.state == "ok", 5, "the audio device to be opened again")
            p.announce(BoardEntry("K017", "3"))
            assert p.wait_idle(20)
            assert ("chime", "K017") in p.log
            p.device_lost()                                           # SDL: AUDIODEVICEREMOVED
            wait_until(lambda: p.opens == 2, 5, "the audio device to be reopened")
            assert p.state == "ok"
        msgs = [r.getMessage() for r in caplog.records]
        assert len([m for m in msgs if "no audio device" in m]) == 1
        assert any("trying again every 0.1 s" in m for m in msgs)
        assert [m for m in msgs if m.startswith("sound on the default device")][-1].endswith("again")
    finally:
        p.close()
        pygame.mixer.quit()


def test_the_site_file_chooses_the_alsa_device():
    from display.sound import alsa_device, device_candidates
    assert alsa_device("hdmi") == "hdmi:CARD=vc4hdmi0,DEV=0"
    assert alsa_device("jack") == "plughw:CARD=Headphones,DEV=0"
    assert alsa_device("plughw:CARD=Device,DEV=0") == "plughw:CARD=Device,DEV=0"
    assert device_candidates("hdmi2", {}) == ["hdmi:CARD=vc4hdmi1,DEV=0"]
    assert device_candidates(None, {"AUDIODEV": "hw:1,0"}) == ["hw:1,0"]
    # no choice: ALSA's default, then the card's own default (PipeWire's default needs a user session)
    assert device_candidates(None, {}) == [None, "sysdefault"]


def test_a_chosen_device_is_opened_through_alsa_directly(cfg, monkeypatch, caplog):
    import dataclasses
    pygame.mixer.quit()
    monkeypatch.delenv("SDL_AUDIODRIVER", raising=False)
    monkeypatch.delenv("AUDIODEV", raising=False)
    display = dataclasses.replace(cfg.displays[0], audio_device="plughw:CARD=NoSuchCard,DEV=0")
    p = SoundPlayer(cfg, display, wait_played=False, retry_s=60)
    try:
        with caplog.at_level(logging.WARNING, logger="display.sound"):
            p.start()
        assert p.state == "silent"
        warned = [r.getMessage() for r in caplog.records if "no audio device" in r.getMessage()]
        assert "plughw:CARD=NoSuchCard,DEV=0" in warned[0] and "SDL audio driver alsa" in warned[0]
        import os
        assert "SDL_AUDIODRIVER" not in os.environ and "AUDIODEV" not in os.environ    # put back
    finally:
        p.close()
        pygame.mixer.quit()


def test_audio_device_in_the_site_file_is_checked(tmp_path):
    from aufruf import config
    from aufruf.errors import ConfigError
    from sites import EXAMPLE
    text = EXAMPLE.read_text()
    assert "[[displays]]" in text
    good = tmp_path / "good.toml"
    good.write_text(text.replace("[[displays]]\n", '[[displays]]\naudio_device = "hdmi"\n', 1))
    assert config.load(good).displays[0].audio_device == "hdmi"
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("[[displays]]\n", '[[displays]]\naudio_device = "HDMI 1"\n', 1))
    with pytest.raises(ConfigError) as e:
        config.load(bad)
    assert "displays[0].audio_device" in str(e.value) and "aplay -L" in str(e.value)
