"""The board page and a ticket's page in a real Chromium, fed by the real controller through a
real Mosquitto and ``aufruf web``."""

import sqlite3
import urllib.error
import urllib.request

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from office import Office


def text(browser, css: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, css).text


def wait_text(browser, css: str, wanted: str, timeout: float = 10.0) -> None:
    WebDriverWait(browser, timeout, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: wanted in b.find_element(By.CSS_SELECTOR, css).text,
        f"{css} never showed {wanted!r}")


def day_of(site, ticket: dict) -> str:
    return site.cfg.service_day(ticket["issued_at"])


def get(url: str, **headers) -> tuple[int, bytes, dict]:
    req = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, r.read(), dict(r.headers)
    except urllib.error.HTTPError as e:
        return e.code, e.read(), dict(e.headers)


def test_board_shows_a_call_without_reload(web_site, web, browser):
    office = Office(web_site)
    browser.get(web_site.url + "/")
    wait_text(browser, "#now", "Noch keine Aufrufe")
    browser.execute_script("window.stillTheSamePage = true")
    browser.find_element(By.ID, "sound").click()          # allows the gong (a browser plays sound after a click)
    WebDriverWait(browser, 5).until(lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-gongs") == "1")
    office.issue("K")
    office.issue("N")
    wait_text(browser, "#services", "1 wartend")
    office.command("3", "next")
    wait_text(browser, "#now", "K001")
    assert "Schalter 3" in text(browser, "#now")
    office.command("1", "next")
    wait_text(browser, "#now", "N001")
    wait_text(browser, "#calls", "K001")
    assert browser.execute_script("return window.stillTheSamePage") is True  # pushed, not reloaded
    WebDriverWait(browser, 5).until(lambda b: b.find_element(By.TAG_NAME, "body").get_attribute("data-gongs") == "3")
    assert browser.find_element(By.ID, "offline").get_attribute("hidden") is not None
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "de"


def test_board_in_english(web_site, web, browser):
    browser.get(web_site.url + "/?lang=en")
    wait_text(browser, "#now", "No calls yet")
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert "Short matters" in text(browser, "#services")


def test_ticket_page_follows_a_ticket_from_waiting_to_called_to_done(web_site, web, browser):
    office = Office(web_site)
    office.issue("K")
    t = office.issue("K")
    assert t["key"] == web_site.key(t["number"], day_of(web_site, t))  # the kiosk prints this key
    browser.get(web_site.ticket_url(t["number"], day_of(web_site, t)))
    wait_text(browser, "#number", "K002")
    wait_text(browser, "#status", "Vor Ihnen: 1")
    assert "Kurzanliegen" in text(browser, "#service")
    office.command("3", "next")                      # K001 goes to desk 3
    wait_text(browser, "#status", "Sie sind als Nächstes dran")
    office.command("4", "next")                      # K002 goes to desk 4
    wait_text(browser, "#service", "Schalter 4")
    assert "state-called" in browser.find_element(By.ID, "card").get_attribute("class")
    assert browser.title == "K002 → Schalter 4"
    office.command("4", "done")
    wait_text(browser, "#status", "Erledigt")
    assert not browser.find_element(By.ID, "leave").is_displayed()


def test_a_wrong_key_shows_nothing_of_the_ticket(web_site, web, browser):
    office = Office(web_site)
    t = office.issue("K")
    good = web_site.ticket_url(t["number"], day_of(web_site, t))
    wrong = good[:-3] + ("aaa" if not good.endswith("aaa") else "bbb")
    browser.get(wrong)
    assert "gibt es nicht" in text(browser, "#missing")
    assert "Kurzanliegen" not in browser.page_source and "Vor Ihnen" not in browser.page_source
    # the same answer as a number that does not exist, byte for byte
    missing = f"{web_site.url}/t/K123-{web_site.key('K123', day_of(web_site, t))}"
    s1, b1, h1 = get(wrong)
    s2, b2, h2 = get(missing)
    assert (s1, b1) == (s2, b2) and s1 == 404
    assert {k: v for k, v in h1.items() if k != "Date"} == {k: v for k, v in h2.items() if k != "Date"}
    # and its event stream and "leave" say the same
    assert get(wrong + "/events")[:2] == get(missing + "/events")[:2]


def test_leave_the_queue_voids_exactly_that_ticket(web_site, web, browser):
    office = Office(web_site)
    tickets = [office.issue("K") for _ in range(3)]
    k2 = tickets[1]
    browser.get(web_site.ticket_url(k2["number"], day_of(web_site, k2)))
    wait_text(browser, "#status", "Vor Ihnen: 1")
    browser.find_element(By.ID, "leave").click()
    alert = WebDriverWait(browser, 5).until(lambda b: b.switch_to.alert)
    assert "zurückgeben" in alert.text
    alert.accept()
    wait_text(browser, "#result", "zurückgegeben")
    wait_text(browser, "#status", "nicht mehr gültig")
    con = sqlite3.connect(web_site.data / "ledger.db")
    try:
        rows = dict(con.execute("SELECT number, state FROM tickets"))
    finally:
        con.close()
    assert rows == {"K001": "waiting", "K002": "void", "K003": "waiting"}
    # the board's count and the next ticket's place follow
    queue = office.probe.wait_for("queue", lambda q: q["services"]["K"]["waiting"] == 2)
    assert queue["services"]["K"]["waiting"] == 2
    browser.get(web_site.ticket_url("K003", day_of(web_site, tickets[2])))
    wait_text(browser, "#status", "Vor Ihnen: 1")
