"""Spoken calls in every shipped language: espeak-ng for real, per-display languages, order and repeats."""

import re
import unicodedata
import wave
from pathlib import Path

import pygame
import pytest

from aufruf import config, texts
from display.board import BoardEntry
from display.sound import SoundPlayer, Speaker, announcement_texts

MULTI = Path(__file__).resolve().parents[2] / "examples" / "site-languages.toml"
LANGS = texts.shipped_languages()


@pytest.fixture(scope="module")
def multi():
    return config.load(MULTI)


def with_display(cfg_text: str, **keys) -> config.SiteConfig:
    lines = cfg_text.splitlines()
    i = lines.index('id = "hall"')
    extra = [f"{k} = {config._toml_value(v)}" for k, v in keys.items()]
    kept = [x for x in lines if not any(x.startswith(f"{k} =") for k in keys)]
    j = kept.index('id = "hall"')
    assert i >= 0
    return config.parse("\n".join(kept[:j + 1] + extra + kept[j + 1:]), str(MULTI))


@pytest.mark.parametrize("lang", LANGS)
def test_a_call_is_spoken_in_each_language_to_a_wav_of_sensible_length(lang, multi, tmp_path):
    cfg = with_display(MULTI.read_text(encoding="utf-8"), speech_languages=[lang])
    [(said_lang, text)] = announcement_texts(cfg, BoardEntry("K017", "3"), cfg.displays[0])
    assert said_lang == lang
    cat = texts.for_site(cfg)
    out = tmp_path / f"{lang}.wav"
    cmd = Speaker().render(cat.voice(lang), text, out)
    assert cmd[2] == cat.voice(lang)
    with wave.open(str(out)) as w:
        seconds = w.getnframes() / w.getframerate()
    # the number and the counter said in full, and over well before the next call may come
    assert 1.5 < seconds < 10.0, (lang, text, seconds)


def test_the_number_is_read_letter_by_letter_and_digit_by_digit(multi):
    said = dict(announcement_texts(multi, BoardEntry("K017", "3"), multi.displays[0]))
    assert said["de"] == "Nummer K 0 1 7, bitte zu Schalter 3."
    assert said["tr"] == "Numara K 0 1 7: gişe 3."
    cat = texts.for_site(multi)
    assert cat.spoken_number("K017", "uk") == "ка 0 1 7"


def test_arabic_is_fully_vocalised_and_has_no_latin_left(multi):
    said = dict(announcement_texts(multi, BoardEntry("K017", "3"), multi.displays[0]))
    ar = said["ar"]
    assert not re.search(r"[A-Za-z0-9]", ar), ar          # the number and counter are Arabic words
    words = [w for w in re.split(r"[\s،.:]+", ar) if any(unicodedata.bidirectional(c) == "AL" for c in w)]
    bare = [w for w in words if not any(unicodedata.category(c) == "Mn" for c in w)]
    assert words and not bare, f"words without harakat: {bare}"
    assert "كِيه صِفْر وَاحِد سَبْعَة" in ar and "ثَلَاثَة" in ar


def test_each_display_says_its_languages_in_its_order_and_repeats(multi):
    pygame.mixer.quit()
    cfg = with_display(MULTI.read_text(encoding="utf-8"), speech_languages=["ar", "de"], repeat=2)
    p = SoundPlayer(cfg, cfg.displays[0], wait_played=False)
    try:
        p.start()
        p.announce(BoardEntry("K017", "3"))
        p.announce(BoardEntry("N005", "1"))
        assert p.wait_idle(30)
        assert [e[:2] for e in p.log] == [("chime", "K017"), ("speech", "ar"), ("speech", "de"),
                                          ("speech", "ar"), ("speech", "de"),
                                          ("chime", "N005"), ("speech", "ar"), ("speech", "de"),
                                          ("speech", "ar"), ("speech", "de")]
        assert [c[2] for c in p.commands] == ["ar", "de", "ar", "de"]     # rendered once, played twice
    finally:
        p.close()
        pygame.mixer.quit()
