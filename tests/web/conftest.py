"""Web fixtures: the model site with [[webs]], the desk controller, ``aufruf web`` and a real Chromium."""

import os

import pytest

from desk.app import DeskService
from webservers import CHROMEDRIVER, CHROMIUM, WebSite, WebThread, chrome


@pytest.fixture
def web_site(tmp_path):
    s = WebSite(tmp_path)
    yield s
    s.stop()


@pytest.fixture
def desk(web_site):
    svc = DeskService(web_site.cfg, "main", str(web_site.data), keypads=False)
    svc.start()
    assert svc.link.wait_connected(5)
    yield svc
    svc.stop()


@pytest.fixture
def web(web_site, desk):
    w = WebThread(web_site)
    yield w
    w.stop()


@pytest.fixture(scope="session")
def _chromium():
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.fail("the browser tests need Debian's chromium and chromium-driver: "
                    "apt-get install -y chromium chromium-driver")
    b = chrome()
    yield b
    b.quit()


@pytest.fixture
def browser(_chromium):
    """One Chromium for the web tests (starting one takes seconds), on a blank page for each test."""
    _chromium.set_window_size(1366, 768)
    yield _chromium
    # a language a page remembered (local storage of the server's origin) is not the next test's
    _chromium.execute_script("try { localStorage.clear(); } catch (e) {}")
    _chromium.get("about:blank")
