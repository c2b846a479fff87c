"""A real ``aufruf web`` process: the page says "offline" when the server goes, and recovers by itself."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from office import Office
from webservers import WebProcess


def offline_shown(browser) -> bool:
    return browser.find_element(By.ID, "offline").get_attribute("hidden") is None


def test_the_board_goes_offline_and_back_when_the_server_restarts(web_site, desk, browser, tmp_path):
    proc = WebProcess(web_site, tmp_path / "web.log")
    proc.start()
    try:
        office = Office(web_site)
        browser.get(web_site.url + "/")
        WebDriverWait(browser, 10).until(lambda b: "Noch keine Aufrufe" in b.find_element(By.ID, "now").text)
        browser.execute_script("window.stillTheSamePage = true")
        assert not offline_shown(browser)
        proc.stop()
        WebDriverWait(browser, 20).until(offline_shown, "no 'offline' after the server went away")
        assert "Keine Verbindung" in browser.find_element(By.ID, "offline").text
        office.issue("K")
        office.command("3", "next")      # called while the server was away
        proc.start()
        WebDriverWait(browser, 20).until(lambda b: not offline_shown(b), "still 'offline' after the restart")
        WebDriverWait(browser, 10).until(lambda b: "K001" in b.find_element(By.ID, "now").text)
        assert browser.execute_script("return window.stillTheSamePage") is True
    finally:
        proc.stop()
