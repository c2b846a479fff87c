"""The public pages in the site's languages, in a real Chromium: phrases from the text catalogues
(and an office's own in ``site.lang_dir``), Arabic and Farsi right to left with the numbers still
left to right, the language switch, the choice remembered, and live events in the chosen language."""

import re
from pathlib import Path

import pytest
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from aufruf import texts
from office import Office
from webservers import MULTILINGUAL as LANGS, WebSite, multilingual

REPO = Path(__file__).resolve().parents[2]
OWN_NO_CALLS = "Bitte warten Sie, Ihre Nummer erscheint hier"
ARABIC = re.compile("[\u0600-\u06ff]")


@pytest.fixture
def web_site(tmp_path):
    """Replaces the suite's site (the ``desk`` and ``web`` fixtures build on this one)."""
    own = tmp_path / "lang"
    own.mkdir()
    (own / "de.toml").write_text(f'[web]\nno_calls = "{OWN_NO_CALLS}"\n', encoding="utf-8")
    s = WebSite(tmp_path, edit=lambda text: multilingual(text, "lang"))
    yield s
    s.stop()


@pytest.fixture
def cat(web_site):
    return texts.for_site(web_site.cfg)


def phrase(cat, lang: str, key: str, **kw) -> str:
    return cat.text(lang, f"web.{key}", **kw)


def wait_text(browser, css: str, wanted: str, timeout: float = 10.0) -> None:
    WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: wanted in b.find_element(By.CSS_SELECTOR, css).text, f"{css} never showed {wanted!r}")


def html_attrs(browser) -> tuple[str, str]:
    h = browser.find_element(By.TAG_NAME, "html")
    return h.get_attribute("lang"), h.get_attribute("dir")


def glyph_lefts(browser, element) -> list[float]:
    """Where each character of the element's text is drawn, in DOM order (x of its left edge)."""
    return browser.execute_script("""
        const t = arguments[0].firstChild, xs = [];
        for (let i = 0; i < t.length; i++) {
          const r = document.createRange(); r.setStart(t, i); r.setEnd(t, i + 1);
          xs.push(r.getBoundingClientRect().left);
        }
        return xs;""", element)


def wait_lang(browser, lang: str, direction: str) -> None:
    """The page (after a click or the remembered language's redirect) is in ``lang``."""
    WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: html_attrs(b) == (lang, direction), f"the page never came in {lang}")


def reads_left_to_right(browser, element, number: str) -> None:
    assert element.text == number
    assert browser.execute_script("return getComputedStyle(arguments[0]).direction", element) == "ltr"
    xs = glyph_lefts(browser, element)
    assert len(xs) == len(number) and xs == sorted(xs) and len(set(xs)) == len(xs), xs


def row_order(browser) -> list[str]:
    """The parts of the first line of "last calls", from the left edge of the screen to the right."""
    parts = browser.find_elements(By.CSS_SELECTOR, "#calls .call:first-child > span")
    return [p.get_attribute("class") for p in sorted(parts, key=lambda p: p.rect["x"])]


def day(site, ticket: dict) -> str:
    return site.cfg.service_day(ticket["issued_at"])


def test_the_board_in_arabic_is_right_to_left_with_numbers_in_order(web_site, web, browser, cat):
    office = Office(web_site)
    office.issue("K")
    office.issue("K")
    office.command("3", "next")
    browser.get(web_site.url + "/?lang=ar")
    wait_text(browser, "#now", "K001")
    assert html_attrs(browser) == ("ar", "rtl")
    heading = phrase(cat, "ar", "now_calling")
    assert ARABIC.search(heading) and browser.find_element(By.ID, "now-h").text == heading
    assert browser.find_element(By.ID, "last-h").text == phrase(cat, "ar", "last_calls")
    wait_text(browser, "#services", phrase(cat, "ar", "waiting_n", n=1))
    assert "معاملات قصيرة" in browser.find_element(By.ID, "services").text
    assert browser.title.startswith(phrase(cat, "ar", "board_title"))
    nav = browser.find_element(By.CSS_SELECTOR, "nav.langs")
    assert nav.get_attribute("aria-label") == phrase(cat, "ar", "language")
    browser.execute_script("window.stillTheSamePage = true")
    office.command("4", "next")                               # a live call, in Arabic
    wait_text(browser, "#now", "K002")
    num = browser.find_element(By.CSS_SELECTOR, "#now .num")
    desk = browser.find_element(By.CSS_SELECTOR, "#now .desk")
    reads_left_to_right(browser, num, "K002")
    assert desk.text == "الشباك 4"
    assert browser.find_element(By.CSS_SELECTOR, "#now .arrow").text == "←"
    # mirrored: the number on the right, the counter to its left; the site's name at the right edge
    wait_text(browser, "#calls", "K001")
    assert row_order(browser) == ["num", "arrow", "desk"][::-1]
    h1 = browser.find_element(By.TAG_NAME, "h1")
    assert h1.rect["x"] + h1.rect["width"] > browser.execute_script("return innerWidth") - 40
    assert browser.find_element(By.CSS_SELECTOR, "section.now").rect["x"] > \
        browser.find_element(By.CSS_SELECTOR, "section.last").rect["x"]
    reads_left_to_right(browser, browser.find_element(By.CSS_SELECTOR, "#calls .num"), "K001")
    assert browser.execute_script("return window.stillTheSamePage") is True
    # and the German page beside it stays left to right
    browser.get(web_site.url + "/?lang=de")
    wait_text(browser, "#now", "K002")
    assert html_attrs(browser) == ("de", "ltr")
    assert browser.find_element(By.CSS_SELECTOR, "#now .arrow").text == "→"
    wait_text(browser, "#calls", "K001")
    assert row_order(browser) == ["num", "arrow", "desk"]


def test_the_language_switch_lists_the_site_languages_in_their_own_names(web_site, web, browser, cat):
    browser.get(web_site.url + "/")
    links = browser.find_elements(By.CSS_SELECTOR, "nav.langs a")
    assert [a.get_attribute("data-lang") for a in links] == list(LANGS)      # site.languages order
    assert [a.text for a in links] == ["Deutsch", "English", "العربية", "فارسی"]
    assert [a.get_attribute("dir") for a in links] == ["ltr", "ltr", "rtl", "rtl"]
    assert html_attrs(browser) == ("de", "ltr")                               # the first is the default
    browser.find_element(By.CSS_SELECTOR, 'nav.langs a[data-lang="fa"]').click()
    wait_lang(browser, "fa", "rtl")
    assert browser.find_element(By.ID, "now-h").text == phrase(cat, "fa", "now_calling")
    assert browser.find_element(By.CSS_SELECTOR, 'nav.langs a[aria-current="true"]').text == "فارسی"


def test_the_ticket_page_switches_language_remembers_it_and_is_called_in_it(web_site, web, browser, cat):
    office = Office(web_site)
    office.issue("K")
    t = office.issue("K")
    url = web_site.ticket_url(t["number"], day(web_site, t))       # what the QR code opens: no ?lang
    browser.get(url)
    wait_text(browser, "#status", "Vor Ihnen: 1")
    assert html_attrs(browser) == ("de", "ltr")
    browser.find_element(By.CSS_SELECTOR, 'nav.langs a[data-lang="ar"]').click()
    wait_lang(browser, "ar", "rtl")
    wait_text(browser, "#status", phrase(cat, "ar", "ahead", n=1))
    assert browser.find_element(By.ID, "label").text == phrase(cat, "ar", "ticket_title")
    assert browser.find_element(By.ID, "leave").text == phrase(cat, "ar", "leave")
    reads_left_to_right(browser, browser.find_element(By.ID, "number"), "K002")
    # the same address again (the QR scanned once more): the page comes back in Arabic
    browser.get(url)
    wait_lang(browser, "ar", "rtl")
    assert browser.current_url.endswith("?lang=ar")
    wait_text(browser, "#status", phrase(cat, "ar", "ahead", n=1))
    browser.execute_script("window.stillTheSamePage = true")
    office.command("3", "next")                                     # K001
    wait_text(browser, "#status", phrase(cat, "ar", "ahead_0"))
    office.command("4", "next")                                     # K002, called: pushed, in Arabic
    WebDriverWait(browser, 10).until(
        lambda b: "state-called" in b.find_element(By.ID, "card").get_attribute("class"))
    assert browser.find_element(By.ID, "label").text == phrase(cat, "ar", "called")
    assert browser.find_element(By.CSS_SELECTOR, "#service .desk").text == "الشباك 4"
    assert browser.find_element(By.CSS_SELECTOR, "#service .arrow").text == "←"
    assert browser.title == "\u2066K002\u2069 ← \u2068الشباك 4\u2069"   # isolates keep the digits in order
    assert browser.execute_script("return window.stillTheSamePage") is True
    # an explicit choice wins over the remembered one, and is remembered in turn
    browser.get(url + "?lang=en")
    wait_text(browser, "#label", "Please go now to")
    browser.get(url)
    wait_lang(browser, "en", "ltr")
    assert browser.title == "K002 → Counter 4"


def test_an_office_catalogue_changes_a_web_phrase(web_site, web, browser, cat):
    browser.get(web_site.url + "/")
    wait_text(browser, "#now", OWN_NO_CALLS)                    # the office's word, from site.lang_dir
    assert browser.find_element(By.ID, "last-h").get_attribute("textContent") == "Letzte Aufrufe"  # the rest: shipped
    browser.get(web_site.url + "/?lang=en")
    wait_text(browser, "#now", "No calls yet")                  # other languages untouched


def test_every_phrase_the_scripts_use_is_in_the_catalogue():
    keys = {k.split(".", 1)[1] for k in texts.Catalogue(("de",)).language("de").phrases if k.startswith("web.")}
    used = set()
    for name in ("common.js", "board.js", "ticket.js"):
        js = (REPO / "web" / "static" / name).read_text(encoding="utf-8")
        used |= set(re.findall(r"\bT\.([a-z_0-9]+)", js))
        used |= {f"state_{s}" for s in ("done", "noshow", "void", "expired")} if 'T["state_"' in js else set()
    templates = "".join(p.read_text(encoding="utf-8") for p in (REPO / "web" / "templates").glob("*.html"))
    used |= set(re.findall(r"\$t_([a-z_0-9]+)", templates))
    assert used and used <= keys, sorted(used - keys)
