"""The text catalogues: shipped languages, an office's own directory, fallback, check-config's notes."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from aufruf import config, texts
from aufruf.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
MULTI = REPO / "examples" / "site-languages.toml"
SHIPPED = ("ar", "bg", "de", "en", "fa", "fr", "pl", "ro", "ru", "tr", "uk")


def test_eleven_languages_are_shipped_complete():
    assert texts.shipped_languages() == SHIPPED
    cat = texts.Catalogue(SHIPPED)
    assert cat.missing() == {}
    assert cat.rtl("ar") and cat.rtl("fa") and not cat.rtl("uk")
    assert cat.text("tr", "board.desk", desk="3") == "Gişe 3"
    assert cat.voice("en") == "en-gb" and cat.voice("fr") == "fr-fr"


def placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{(\w*)\}", text))


def test_every_shipped_catalogue_has_every_web_phrase_with_its_placeholders():
    ref = texts.Catalogue(("de",)).language("de").phrases
    web = {k: v for k, v in ref.items() if k.startswith("web.")}
    assert len(web) >= 30 and "web.now_calling" in web and "web.ticket_title" in web
    for code in SHIPPED:
        phrases = texts.Catalogue((code,)).language(code).phrases
        own = {k: v for k, v in phrases.items() if k.startswith("web.")}
        assert set(own) == set(web), (code, sorted(set(web) ^ set(own)))
        for key, value in own.items():
            assert value.strip(), (code, key)
            assert placeholders(value) == placeholders(web[key]), (code, key, value)
        if code != "de":   # translated, not copied: at most the odd word alike ("Bekleyen", "JavaScript")
            alike = [k for k in web if own[k] == web[k]]
            assert len(alike) <= 2, (code, alike)
    rtl = texts.Catalogue(SHIPPED)
    for code in ("ar", "fa"):   # in their own script
        assert rtl.rtl(code) and re.search("[\u0600-\u06ff]", rtl.text(code, "web.now_calling"))


def site_text(langs: str, lang_dir: str | None = None) -> str:
    text = (REPO / "examples" / "site.toml").read_text(encoding="utf-8")
    text = text.replace('languages = ["de", "en"]', f"languages = {langs}")
    if lang_dir:
        text = text.replace('timezone = "Europe/Berlin"', f'timezone = "Europe/Berlin"\nlang_dir = "{lang_dir}"')
    return text


def test_an_office_overrides_a_phrase_and_adds_a_language_without_code(tmp_path):
    own = tmp_path / "lang"
    own.mkdir()
    (own / "de.toml").write_text('[board]\ncall = "Jetzt bitte"\n', encoding="utf-8")
    (own / "sq.toml").write_text('[meta]\nname = "Shqip"\nvoice = "sq"\n[board]\ncall = "Thirrje"\n'
                                 'desk = "Sporteli {desk}"\n[speech]\ncall = "Numri {number}, {desk}."\n',
                                 encoding="utf-8")
    site = tmp_path / "site.toml"
    site.write_text(site_text('["de", "en", "sq"]', "lang"), encoding="utf-8")
    cfg = config.load(site)
    cat = texts.for_site(cfg)
    assert cat.text("de", "board.call") == "Jetzt bitte"            # the office's word
    assert cat.text("de", "board.history") == "Zuletzt aufgerufen"   # the rest still shipped
    assert cat.text("sq", "board.call") == "Thirrje"
    assert cat.text("sq", "board.waiting") == "Wartende"             # missing: the first language
    assert "board.waiting" in cat.missing()["sq"] and "sq" not in texts.shipped_languages()
    out = subprocess.run([sys.executable, "-m", "aufrufcli", "check-config", str(site)],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    note = next(x for x in out.stdout.splitlines() if "language sq:" in x)
    assert "shown in de" in note and "board.waiting" in note and "board.call," not in note
    assert "web.now_calling" in note and "web.ahead" in note          # the web pages' phrases too
    assert "services[0].name: no text for sq" in out.stdout


def test_a_language_without_a_catalogue_is_a_config_problem(tmp_path):
    with pytest.raises(ConfigError) as e:
        config.parse(site_text('["de", "xx"]'), "site.toml")
    want = "site.languages[1]: no text catalogue for 'xx'; allowed: ar, bg, de"
    assert any(p.startswith(want) for p in e.value.problems)


def test_a_broken_catalogue_names_its_file(tmp_path):
    own = tmp_path / "lang"
    own.mkdir()
    (own / "de.toml").write_text("[board\ncall = 1\n", encoding="utf-8")
    cat = texts.Catalogue(("de",), own)
    with pytest.raises(ConfigError) as e:
        cat.text("de", "board.call")
    assert str(own / "de.toml") in str(e.value)


def test_a_wrong_phrase_type_in_an_office_catalogue_is_a_site_problem(tmp_path):
    own = tmp_path / "lang"
    own.mkdir()
    (own / "de.toml").write_text('[board]\nweekdays = ["Mo"]\ncall = 3\n', encoding="utf-8")
    site = tmp_path / "site.toml"
    site.write_text(site_text('["de", "en"]', "lang"), encoding="utf-8")
    with pytest.raises(ConfigError) as e:
        config.load(site)
    assert any("de.toml: board.weekdays: got ['Mo']; allowed: a list of 7 texts" in p for p in e.value.problems)
    assert any("de.toml: board.call: got 3; allowed: a text" in p for p in e.value.problems)


def test_display_and_kiosk_language_lists_must_be_site_languages():
    text = MULTI.read_text(encoding="utf-8").replace('speech_languages = ["de", "tr", "ar"]',
                                                     'speech_languages = ["de", "zz"]')
    with pytest.raises(ConfigError) as e:
        config.parse(text, "site.toml")
    assert any(p.startswith("displays[0].speech_languages[1]: 'zz' is not in site.languages") for p in e.value.problems)


def test_check_config_says_when_the_screen_is_too_small_for_the_distance(tmp_path):
    text = MULTI.read_text(encoding="utf-8").replace("viewing_distance_m = 8", "viewing_distance_m = 20") \
        .replace("diagonal_in = 55", "diagonal_in = 32")
    site = tmp_path / "site.toml"
    site.write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "aufrufcli", "check-config", str(site)],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 1
    line = next(x for x in out.stdout.splitlines() if "display hall" in x and "called number" in x)
    assert "20 m needs 140 mm: TOO SMALL" in line and "use a screen of at least" in line
    ok = subprocess.run([sys.executable, "-m", "aufrufcli", "check-config", str(MULTI)],
                        capture_output=True, text=True, cwd=REPO)
    assert ok.returncode == 0 and "8 m needs 56 mm: ok" in ok.stdout


def test_letters_said_alike_are_named_by_check_config(tmp_path):
    # an office whose Russian table says K and N with one word: "K017" and "N017" are one call
    # to the ear, so the site check names the pair for the languages that are spoken
    own = tmp_path / "lang"
    own.mkdir()
    (own / "ru.toml").write_text('[speech.letters]\nK = "ка"\nN = "ка"\n', encoding="utf-8")
    site = tmp_path / "site.toml"
    site.write_text(site_text('["de", "en", "ru"]', "lang"), encoding="utf-8")
    cat = texts.for_site(config.load(site))
    assert cat.sound_alike(["K", "N"], "ru") == [("K", "N")]
    assert cat.sound_alike(["K", "N"], "en") == []
    out = subprocess.run([sys.executable, "-m", "aufrufcli", "check-config", str(site)],
                         capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr
    note = next(x for x in out.stdout.splitlines() if "spoken the same" in x)
    assert note.split("language ", 1)[1].startswith("ru: the numbers K.. and N.. are spoken the same")
    assert "speech.letters" in note and "ru.toml" in note


def test_no_shipped_language_says_two_letters_alike():
    cat = texts.Catalogue(SHIPPED)
    letters = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    assert {lang: cat.sound_alike(letters, lang) for lang in SHIPPED} == {lang: [] for lang in SHIPPED}
