"""The pages as people see them, at a PC's, a phone's and a called ticket's size, and in Arabic
(right to left): screenshots, and not one script error or Content-Security-Policy violation in
the browser's console.

``AUFRUF_SCREENSHOTS=docs/img pytest tests/web/test_screenshots.py`` writes the pictures
the README and docs/web.md show."""

import os
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from desk.app import DeskService
from office import Office
from webservers import WebSite, WebThread, multilingual


def problems(browser) -> list[str]:
    return [e["message"] for e in browser.get_log("browser")
            if e["level"] == "SEVERE" and "vibrate" not in e["message"]]   # vibrate needs a real tap


def test_screenshots_and_a_clean_console(web_site, web, browser, tmp_path):
    out = Path(os.environ.get("AUFRUF_SCREENSHOTS") or tmp_path)
    office = Office(web_site)
    tickets = [office.issue("K") for _ in range(9)] + [office.issue("N") for _ in range(4)]
    for desk in ("1", "3", "4", "2", "3", "1", "4"):
        office.command(desk, "next")
    browser.get_log("browser")
    browser.get(web_site.url + "/")
    WebDriverWait(browser, 10).until(lambda b: "K007" in b.find_element(By.ID, "now").text)
    WebDriverWait(browser, 10).until(lambda b: "4 wartend" in b.find_element(By.ID, "services").text)
    browser.save_screenshot(str(out / "web-board.png"))
    browser.set_window_size(412, 915)
    browser.get(web_site.url + "/")
    WebDriverWait(browser, 10).until(lambda b: "K006" in b.find_element(By.ID, "calls").text)
    browser.save_screenshot(str(out / "web-board-phone.png"))
    day = web_site.cfg.service_day(tickets[8]["issued_at"])
    browser.get(web_site.ticket_url("K009", day))
    WebDriverWait(browser, 10).until(lambda b: "Vor Ihnen: 1" in b.find_element(By.ID, "status").text)
    browser.save_screenshot(str(out / "web-ticket-waiting.png"))
    office.command("2", "next")
    office.command("3", "next")
    WebDriverWait(browser, 10).until(lambda b: "state-called" in b.find_element(By.ID, "card").get_attribute("class"))
    browser.save_screenshot(str(out / "web-ticket-called.png"))
    assert problems(browser) == []
    for name in ("web-board", "web-board-phone", "web-ticket-waiting", "web-ticket-called"):
        assert (out / f"{name}.png").stat().st_size > 10_000


@pytest.fixture
def arabic_site(tmp_path):
    """A second site, in de, en, ar, fa, with its own broker, controller and web server."""
    site = WebSite(tmp_path / "ar", edit=multilingual)
    desk = web = None
    try:
        desk = DeskService(site.cfg, "main", str(site.data), keypads=False)
        desk.start()
        assert desk.link.wait_connected(5)
        web = WebThread(site)
        yield site
    finally:
        for part in (web, desk, site):
            if part is not None:
                part.stop()


def test_screenshots_in_arabic(arabic_site, browser, tmp_path):
    out = Path(os.environ.get("AUFRUF_SCREENSHOTS") or tmp_path)
    office = Office(arabic_site)
    tickets = [office.issue("K") for _ in range(6)] + [office.issue("N") for _ in range(3)]
    last = [office.command(desk, "next")["ticket"] for desk in ("1", "3", "4", "2")][-1]
    browser.get_log("browser")
    browser.get(arabic_site.url + "/?lang=ar")
    WebDriverWait(browser, 10).until(lambda b: last in b.find_element(By.ID, "now").text)
    browser.save_screenshot(str(out / "web-board-ar.png"))
    browser.set_window_size(412, 915)
    day = arabic_site.cfg.service_day(tickets[4]["issued_at"])
    browser.get(arabic_site.ticket_url("K005", day) + "?lang=ar")
    WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "status").text)
    while office.command("3", "next")["ticket"] != "K005":
        pass
    WebDriverWait(browser, 10).until(lambda b: "state-called" in b.find_element(By.ID, "card").get_attribute("class"))
    browser.save_screenshot(str(out / "web-ticket-called-ar.png"))
    assert problems(browser) == []
    for name in ("web-board-ar", "web-ticket-called-ar"):
        assert (out / f"{name}.png").stat().st_size > 10_000
