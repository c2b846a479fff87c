"""``aufruf web`` for tests: the model site with a ``[[webs]]`` table, the real server on its
own event-loop thread (or as a real ``aufruf web`` process), a real Chromium through Selenium."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from aufruf import ticketkey
from web import app
from sites import EXAMPLE, Site, free_port, wait_port

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


def web_site_text(port: int, web_id: str = "lobby", extra: str = "") -> str:
    return EXAMPLE.read_text(encoding="utf-8") + (
        f'\n[[webs]]\nid = "{web_id}"\nlisten = "127.0.0.1:{port}"\n'
        f'public_url = "http://127.0.0.1:{port}"\n{extra}')


MULTILINGUAL = ("de", "en", "ar", "fa")


def multilingual(text: str, lang_dir: str | None = None) -> str:
    """The model site in de, en, ar and fa, with Arabic service names and counter labels
    (and an office's catalogue directory ``lang_dir`` beside the site file)."""
    text = text.replace('languages = ["de", "en"]', "languages = [" + ", ".join(f'"{x}"' for x in MULTILINGUAL) + "]")
    if lang_dir:
        text = text.replace('timezone = "Europe/Berlin"', f'timezone = "Europe/Berlin"\nlang_dir = "{lang_dir}"')
    text = text.replace('name = { de = "Kurzanliegen", en = "Short matters" }',
                        'name = { de = "Kurzanliegen", en = "Short matters", ar = "معاملات قصيرة" }')
    text = text.replace('name = { de = "Neumeldung", en = "New registration" }',
                        'name = { de = "Neumeldung", en = "New registration", ar = "تسجيل جديد" }')
    for n in "1234":
        text = text.replace(f'label = {{ de = "Schalter {n}", en = "Counter {n}" }}',
                            f'label = {{ de = "Schalter {n}", en = "Counter {n}", ar = "الشباك {n}" }}')
    assert "الشباك 4" in text and "تسجيل" in text and (lang_dir is None or "lang_dir" in text)
    return text


class WebSite(Site):
    """The model site whose site file also has one ``[[webs]]`` (id ``lobby``) on a free port."""

    def __init__(self, root: Path, extra: str = "", edit=lambda text: text):
        self.web_port = free_port()
        super().__init__(root, edit(web_site_text(self.web_port, extra=extra)))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    @property
    def secret(self) -> bytes:
        return ticketkey.read_secret(self.creds)

    def key(self, number: str, day: str) -> str:
        return ticketkey.ticket_key(self.secret, self.site_id, day, number)

    def ticket_url(self, number: str, day: str) -> str:
        return f"{self.url}/t/{number}-{self.key(number, day)}"


class WebThread(app.WebThread):
    """``aufruf web``'s server on its own event-loop thread, connected to the site's broker."""

    def __init__(self, site: WebSite, **kw):
        super().__init__(site.cfg, "lobby", port=site.web_port, **kw)
        self.start()
        assert self.server.bridge.link.wait_connected(5)


class WebProcess:
    """A real ``aufruf web`` process (for restarts and the watchdog)."""

    def __init__(self, site: WebSite, log: Path, env: dict | None = None):
        self.site, self.log, self.env = site, log, env
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "ab") as f:
            self.proc = subprocess.Popen([sys.executable, "-m", "aufrufcli", "web", "--config",
                                          str(self.site.config_path), "--id", "lobby"],
                                         stdout=f, stderr=f, env={**os.environ, **(self.env or {})})
        wait_port(self.site.web_port)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


def chrome(width: int = 1366, height: int = 768):
    """Debian's chromium, headless, driven by Debian's chromedriver."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              f"--window-size={width},{height}", "--autoplay-policy=no-user-gesture-required",
              "--lang=de-DE", "--hide-scrollbars"):
        opts.add_argument(a)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
