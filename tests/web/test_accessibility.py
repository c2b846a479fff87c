"""Readable for everyone: colour pairs of the pages at 7:1 or more, no sideways scrolling at
200 % zoom (half the CSS width), real text with a language, assets only from the server."""

import re
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from office import Office

CSS = (Path(__file__).resolve().parents[2] / "web" / "static" / "style.css").read_text()


def luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def test_every_text_colour_on_every_background_is_7_to_1():
    var = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", CSS))
    texts = [var["fg"], var["muted"], var["accent"]]
    for bg in (var["bg"], var["panel"]):
        for fg in texts:
            assert contrast(fg, bg) >= 7, (fg, bg, contrast(fg, bg))
    assert contrast(var["alert-fg"], var["alert-bg"]) >= 7


def no_sideways_scroll(browser) -> bool:
    return browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def test_pages_at_200_percent_zoom(web_site, web, browser):
    office = Office(web_site)
    t = office.issue("K")
    office.issue("N")
    office.command("3", "next")
    browser.set_window_size(683, 700)       # 1366 px at 200 %: half the CSS pixels
    browser.get(web_site.url + "/")
    WebDriverWait(browser, 10).until(lambda b: "K001" in b.find_element(By.ID, "now").text)
    assert no_sideways_scroll(browser)
    assert browser.find_element(By.TAG_NAME, "h1").text == "Jobcenter Mitte"
    t2 = office.issue("K")
    browser.get(web_site.ticket_url(t2["number"], web_site.cfg.service_day(t["issued_at"])))
    WebDriverWait(browser, 10).until(lambda b: "als Nächstes dran" in b.find_element(By.ID, "status").text)
    assert no_sideways_scroll(browser)
    # every script, style and sound comes from the server itself
    srcs = browser.execute_script(
        "return [...document.querySelectorAll('script[src],link[href],img[src],audio[src]')]"
        ".map(e => e.src || e.href)")
    assert srcs and all(s.startswith(web_site.url + "/static/") for s in srcs), srcs
