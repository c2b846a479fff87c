"""Hostile HTTP: malformed paths, huge headers, a thousand bogus keys, slow clients, too many
clients. No crash, no change of state, nothing leaked; too many clients get a clean 503."""

import http.client
import socket
import sqlite3
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from desk.app import DeskService
from office import Office
from probe import wait_until
from webservers import WebSite, WebThread


def status(port: int, method: str, path: str, headers: dict | None = None, body: bytes | None = None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.read(), dict(r.getheaders())
    finally:
        c.close()


def ledger(site) -> list:
    con = sqlite3.connect(site.data / "ledger.db")
    try:
        return con.execute("SELECT number, state FROM tickets ORDER BY number").fetchall()
    finally:
        con.close()


def test_malformed_paths_and_headers_change_nothing(web_site, web):
    Office(web_site).issue("K")
    before = ledger(web_site)
    port = web_site.web_port
    for path in ("/t/../../etc/passwd", "/static/../app.py", "/static/%2e%2e/app.py", "/t/%00", "/t/K001",
                 "/t/K001-", "/t/k001-aaaaaaaaaa", "/t/K001-AAAAAAAAAA", "/t/" + "K" * 3000, "/%ff%fe",
                 "/t/K001-aaaaaaaaaa/../../", "/events/../t"):
        code, body, _ = status(port, "GET", path)
        assert code in (400, 404), (path, code)
        assert b"Traceback" not in body and b"/work" not in body
    code, _, _ = status(port, "GET", "/", {"X-Big": "x" * 10000})
    assert code in (400, 431)
    code, _, _ = status(port, "GET", "/", {f"X-H{i}": "1" for i in range(200)})
    assert code in (400, 431)
    code, _, _ = status(port, "GET", "/" + "a" * 10000)
    assert code in (400, 414)
    code, _, _ = status(port, "POST", "/t/K001-aaaaaaaaaa/leave", {"X-Requested-With": "aufruf"}, b"x" * 100000)
    assert code == 413
    # every answer carried the safe headers, and the server lives on
    code, _, h = status(port, "GET", "/")
    assert code == 200 and "script-src 'self'" in h["Content-Security-Policy"]
    assert "Access-Control-Allow-Origin" not in h and "aiohttp" not in h.get("Server", "")
    assert ledger(web_site) == before


def test_a_thousand_bogus_keys_find_nothing_and_cancel_nothing(web_site, web):
    office = Office(web_site)
    t = office.issue("K")
    day = web_site.cfg.service_day(t["issued_at"])
    good = web_site.key("K001", day)
    c = http.client.HTTPConnection("127.0.0.1", web_site.web_port, timeout=5)
    answers = set()
    try:
        for i in range(1000):
            key = f"{i:010d}".translate(str.maketrans("0123456789", "abcdefghij"))
            assert key != good
            c.request("POST" if i % 2 else "GET", f"/t/K001-{key}{'/leave' if i % 2 else ''}",
                      headers={"X-Requested-With": "aufruf"})
            r = c.getresponse()
            answers.add((r.status, r.read()))
    finally:
        c.close()
    assert len(answers) == 1 and next(iter(answers))[0] == 404
    assert b"K001" not in next(iter(answers))[1]
    assert ledger(web_site) == [("K001", "waiting")]


def test_leave_needs_the_pages_own_header_and_origin(web_site, web):
    t = Office(web_site).issue("K")
    path = "/t/" + web_site.ticket_url(t["number"], web_site.cfg.service_day(t["issued_at"])).split("/t/")[1]
    assert status(web_site.web_port, "POST", path + "/leave")[0] == 403        # a cross-site form
    assert status(web_site.web_port, "POST", path + "/leave",
                  {"X-Requested-With": "aufruf", "Origin": "http://evil.example"})[0] == 403
    assert ledger(web_site) == [("K001", "waiting")]
    code, body, _ = status(web_site.web_port, "POST", path + "/leave", {"X-Requested-With": "aufruf"})
    assert code == 200 and b'"ok": true' in body
    assert ledger(web_site) == [("K001", "void")]


def test_slow_clients_do_not_stop_the_others(web_site, web):
    slow = []
    try:
        for _ in range(50):   # each sends half a request line and then nothing
            s = socket.create_connection(("127.0.0.1", web_site.web_port), timeout=5)
            s.sendall(b"GET /t/K0")
            slow.append(s)
        started = time.monotonic()
        code, _, _ = status(web_site.web_port, "GET", "/")
        assert code == 200 and time.monotonic() - started < 2
    finally:
        for s in slow:
            s.close()


@pytest.fixture
def small_web(tmp_path):
    site = WebSite(tmp_path, extra="max_clients = 3\n")
    desk = DeskService(site.cfg, "main", str(site.data), keypads=False)
    desk.start()
    w = WebThread(site)
    yield site, w
    w.stop()
    desk.stop()
    site.stop()


def test_too_many_clients_get_a_clean_503_and_the_server_lives_on(small_web):
    site, w = small_web
    streams = []
    try:
        for _ in range(3):
            c = http.client.HTTPConnection("127.0.0.1", site.web_port, timeout=5)
            c.request("GET", "/events")
            r = c.getresponse()
            assert r.status == 200 and r.getheader("Content-Type").startswith("text/event-stream")
            streams.append((c, r))
        wait_until(lambda: w.run(lambda: w.server.hub.pages) == 3, 5, "three pages connected")
        code, body, h = status(site.web_port, "GET", "/events")
        assert code == 503 and h.get("Retry-After") == "10" and "Verbindungen" in body.decode()
        assert status(site.web_port, "GET", "/")[0] == 503
        assert status(site.web_port, "GET", "/static/style.css")[0] == 200
        streams.pop()[0].close()
        wait_until(lambda: w.run(lambda: w.server.hub.pages) == 2, 5, "a page left")
        assert status(site.web_port, "GET", "/")[0] == 200
    finally:
        for c, _ in streams:
            c.close()


def test_markup_in_the_site_file_is_shown_as_text(tmp_path, browser):
    evil = '</script><script>window.owned = 1</script><img src=x onerror="window.owned = 2">'
    site = WebSite(tmp_path, edit=lambda t: t.replace('name = "Jobcenter Mitte"', f"name = '{evil}'")
                   .replace('label = { de = "Schalter 3", en = "Counter 3" }', f"label = '{evil}'"))
    desk = DeskService(site.cfg, "main", str(site.data), keypads=False)
    desk.start()
    w = WebThread(site)
    try:
        office = Office(site)
        office.issue("K")
        office.command("3", "next")
        browser.get(site.url + "/")
        WebDriverWait(browser, 10).until(lambda b: "K001" in b.find_element(By.ID, "now").text)
        assert browser.find_element(By.TAG_NAME, "h1").text == evil
        assert evil in browser.find_element(By.ID, "now").text
        assert browser.execute_script("return window.owned === undefined")
    finally:
        w.stop()
        desk.stop()
        site.stop()
