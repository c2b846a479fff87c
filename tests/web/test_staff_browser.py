"""The counter panel and the office view in a real Chromium, against a real Mosquitto with the
provisioned passwd and ACL, the real desk controller and ``aufruf web``.

``AUFRUF_SCREENSHOTS=docs/img pytest tests/web/test_staff_browser.py`` writes the pictures of
both staff pages that the README and docs/web.md show."""

import os
import sqlite3
import time
from pathlib import Path

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from aufruf.link import now_ms
from aufruf.protocol import Status
from office import Office

SCREENSHOTS = os.environ.get("AUFRUF_SCREENSHOTS")  # docs/img: refresh the pictures in the docs


def text(browser, css: str) -> str:
    return browser.find_element(By.CSS_SELECTOR, css).text


def wait_text(browser, css: str, wanted: str, timeout: float = 10.0) -> None:
    WebDriverWait(browser, timeout, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda b: wanted in b.find_element(By.CSS_SELECTOR, css).text,
        f"{css} never showed {wanted!r}")


def sign_in(browser, site, path: str, password: str, desk: str | None = None) -> None:
    browser.get(site.url + path)
    browser.delete_all_cookies()          # of 127.0.0.1: an earlier test's server had the same host
    browser.get_log("browser")            # and its console messages are not this page's
    browser.get(site.url + path)
    if desk is not None:
        Select(browser.find_element(By.ID, "desk")).select_by_value(desk)
    browser.find_element(By.ID, "password").send_keys(password)
    browser.find_element(By.ID, "signin").click()


def ledger(site) -> dict:
    con = sqlite3.connect(site.data / "ledger.db")
    try:
        return {n: (s, d) for n, s, d in con.execute("SELECT number, state, desk FROM tickets")}
    finally:
        con.close()


def shot(browser, tmp_path: Path, name: str) -> None:
    """A picture for the docs, and not one script error or CSP violation on the page."""
    browser.save_screenshot(str(Path(SCREENSHOTS or tmp_path) / name))
    assert [e["message"] for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_sign_in_for_counter_2_and_next_reaches_board_and_ledger(web_site, web, browser, tmp_path):
    office = Office(web_site)
    for service in "KNKK":               # K001, N001, K002, K003
        office.issue(service)
    display = web_site.probe("display-hall", subscriptions=("board",))
    browser.set_window_size(1280, 720)
    sign_in(browser, web_site, "/desk", web_site.password("panel-2"), desk="2")
    wait_text(browser, "#label", "Schalter 2")
    wait_text(browser, "#services", "Als Nächstes: K001 K002 K003")
    assert "3 wartend" in text(browser, "#services") and "Als Nächstes: N001" in text(browser, "#services")
    assert web_site.password("panel-2") not in browser.page_source
    cookie = browser.get_cookie("aufruf-staff")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert browser.execute_script("return document.cookie") == ""       # not readable by scripts
    browser.find_element(By.ID, "b-next").click()
    wait_text(browser, "#ticket", "K001")
    wait_text(browser, "#result", "OK: Nächste K001")
    wait_text(browser, "#since", "bedient seit")
    board = display.wait_for("board", lambda b: b["calls"] and b["calls"][0]["number"] == "K001")
    assert board["calls"][0]["desk"] == "2"
    assert ledger(web_site)["K001"] == ("called", "2")
    shot(browser, tmp_path, "web-desk.png")
    # the public board page shows the call
    browser.switch_to.new_window("tab")
    browser.get(web_site.url + "/")
    wait_text(browser, "#now", "K001")
    assert "Schalter 2" in text(browser, "#now")
    browser.close()
    browser.switch_to.window(browser.window_handles[0])
    # the keypad's keys: digits + Enter calls that number, "/" done, a refusal in words
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys("3", Keys.ENTER)
    wait_text(browser, "#ticket", "K003")
    body.send_keys("/")
    wait_text(browser, "#result", "OK: Erledigt")
    body.send_keys("/")
    wait_text(browser, "#result", "no current ticket")
    assert "refused" in browser.find_element(By.ID, "result").get_attribute("class")
    assert ledger(web_site)["K003"][0] == "done"


def test_wrong_password_is_refused_and_slowed(web_site, web, browser):
    sign_in(browser, web_site, "/desk", "falsch-falsch", desk="2")
    wait_text(browser, "#message", "Falsches Passwort")
    assert browser.get_cookie("aufruf-staff") is None
    browser.find_element(By.ID, "password").send_keys(web_site.password("panel-2"))
    browser.find_element(By.ID, "signin").click()                 # the right one, but too soon
    wait_text(browser, "#message", "warten")
    assert browser.get_cookie("aufruf-staff") is None
    assert "falsch-falsch" not in browser.page_source


def test_counter_3_session_cannot_act_for_counter_1(web_site, web, browser):
    Office(web_site).issue("K")
    sign_in(browser, web_site, "/desk", web_site.password("panel-3"), desk="3")
    wait_text(browser, "#label", "Schalter 3")
    # a hand-made request from inside the signed-in page, with its valid session and CSRF token
    out = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        const data = JSON.parse(document.getElementById("data").textContent);
        fetch("/desk/command", {method: "POST", credentials: "same-origin",
          headers: {"Content-Type": "application/json", "X-CSRF-Token": data.csrf, "X-Requested-With": "aufruf"},
          body: JSON.stringify({action: "next", desk: "1"})})
          .then(r => r.json().then(b => done([r.status, b])));
    """)
    assert out[0] == 403 and out[1]["error"] == "not allowed: this sign-in (panel-3) may not command desk 1"
    assert ledger(web_site)["K001"] == ("waiting", None)
    browser.find_element(By.ID, "b-next").click()                 # its own counter: fine
    wait_text(browser, "#ticket", "K001")
    assert ledger(web_site)["K001"] == ("called", "3")


def test_a_second_tab_and_another_pc_stay_in_step(web_site, web, browser):
    from staffclient import Browserless
    sign_in(browser, web_site, "/desk", web_site.password("panel-1"), desk="1")
    wait_text(browser, "#label", "Schalter 1")
    first = browser.current_window_handle
    browser.switch_to.new_window("tab")
    browser.get(web_site.url + "/desk")                            # same browser: same session, no sign-in
    wait_text(browser, "#label", "Schalter 1")
    second = browser.current_window_handle
    browser.switch_to.window(first)
    browser.find_element(By.TAG_NAME, "body").send_keys("*")       # pause
    wait_text(browser, "#since", "Pause seit")
    browser.switch_to.window(second)
    wait_text(browser, "#since", "Pause seit")
    wait_text(browser, "#b-pause", "Weiter")
    # another PC signed in for the same counter (its own session and broker login) resumes
    pc = Browserless(web_site.url)
    assert pc.sign_in("desk", web_site.password("panel-1"), desk="1")[0] == 303
    status, out = pc.command(pc.page_data("/desk")["csrf"], action="resume")
    assert status == 200 and out["ok"], out
    wait_text(browser, "#since", "frei seit")
    browser.switch_to.window(first)
    wait_text(browser, "#since", "frei seit")
    # the idle timeout: both tabs of the session go back to the sign-in form and say why
    from web.staff import STAFF
    staff = web.server.runner.app[STAFF]
    [s] = [x for x in web.run(lambda: list(staff.sessions)) if x.csrf in browser.page_source]
    web.run(lambda: setattr(s, "last_used", s.last_used - staff.sessions.idle_s - 1))
    wait_text(browser, "#message", "abgemeldet")
    browser.switch_to.window(second)
    wait_text(browser, "#message", "abgemeldet")
    browser.close()
    browser.switch_to.window(first)


def test_office_view_shows_a_kiosks_paper_out(web_site, web, browser, tmp_path):
    office = Office(web_site)
    for _ in range(3):
        office.issue("K")
    office.command("3", "next")
    display = web_site.probe("display-hall", subscriptions=())    # every device of the site is there
    display.wait_ack(display.publish("status/display/hall", Status(True, now_ms()).to_dict(), retain=True))
    kiosk = web_site.probe("kiosk-entrance", subscriptions=())
    kiosk.wait_ack(kiosk.publish("status/kiosk/entrance", Status(True, now_ms(), "ok").to_dict(), retain=True))
    sign_in(browser, web_site, "/office", web_site.password("supervisor"))
    wait_text(browser, "#desks", "K001")
    wait_text(browser, "#devices", "kiosk entrance")
    assert "bedient seit" in text(browser, "#desks") and "Pause" not in text(browser, "#desks")
    wait_text(browser, "#services", "Kurzanliegen")
    wait_text(browser, "#alerts", "Keine Meldungen")
    t0 = time.monotonic()
    kiosk.publish("status/kiosk/entrance", Status(True, now_ms(), "paper_out").to_dict(), retain=True)
    wait_text(browser, "#alerts", "kiosk entrance: Drucker hat kein Papier mehr")
    print(f"paper-out shown {1000 * (time.monotonic() - t0):.0f} ms after the status message")
    assert "Papier leer" in text(browser, "#devices")
    shot(browser, tmp_path, "web-office.png")
    # the supervisor commands nothing: the page has no buttons for it and the broker would refuse
    assert browser.find_elements(By.CSS_SELECTOR, "button[data-action]") == []
