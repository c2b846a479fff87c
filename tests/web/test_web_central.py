"""Many sites on one ``aufruf web --central``: two sites' brokers bridge to a central broker
(broker_config/bridge.conf.example, central.conf.example, central.acl.example, all real
Mosquittos), each site has its real controller, and one real ``aufruf web --central`` process
serves both under /s/<site>/, in a real Chromium."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "broker"))
from brokers import BridgedSite, Central, bridge_conf  # noqa: E402

from aufruf import config, ticketkey  # noqa: E402
from desk.app import DeskService  # noqa: E402
from office import Office  # noqa: E402
from probe import wait_until  # noqa: E402
from sites import EXAMPLE, REPO, free_port, wait_port  # noqa: E402
from test_pages import get, wait_text  # noqa: E402

LOGINS = {"jc-mitte": "mitte-secret-1", "jc-nord": "nord-secret-2", "web-central": "central-web-3"}


class CentralOffice:
    """Central broker, two bridged sites with controllers, and the central web as a process."""

    def __init__(self, root: Path):
        self.root = root
        self.central = Central(root, LOGINS)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.sites: dict[str, BridgedSite] = {}
        self.desks: list[DeskService] = []
        creds = root / "central-credentials"
        creds.mkdir()
        (creds / "web-central").write_text(LOGINS["web-central"] + "\n")
        text = EXAMPLE.read_text(encoding="utf-8")
        for sid in ("jc-mitte", "jc-nord"):
            (root / sid).mkdir()
            site_text = text.replace('id = "jc-mitte"', f'id = "{sid}"', 1) + (
                f'\n[[webs]]\nid = "central"\ncentral = true\npublic_url = "{self.url}/s/{sid}"\n')
            bridge = bridge_conf(sid, "127.0.0.1", self.central.port, LOGINS[sid], self.central.ca_file)
            site = self.sites[sid] = BridgedSite(root / sid, site_text, bridge)
            (creds / sid).mkdir()
            shutil.copy(ticketkey.secret_path(site.creds), ticketkey.secret_path(creds / sid))
            desk = DeskService(site.cfg, "main", str(site.data), keypads=False)
            desk.start()
            assert desk.link.wait_connected(5)
            self.desks.append(desk)
        self.file = root / "central.toml"
        self.file.write_text(
            f'[web]\nid = "central"\nlisten = "127.0.0.1:{self.port}"\npublic_url = "{self.url}"\n\n'
            f'[broker]\nhost = "127.0.0.1"\nport = {self.central.port}\ntls = true\n'
            f'ca_file = "{self.central.ca_file}"\ncredentials_dir = "{creds}"\n\n'
            + "".join(f'[[sites]]\nconfig = "{sid}/site.toml"\n\n' for sid in self.sites), encoding="utf-8")
        self.log = root / "web-central.log"
        with open(self.log, "ab") as f:
            self.proc = subprocess.Popen([sys.executable, "-m", "aufrufcli", "web", "--central", str(self.file)],
                                         stdout=f, stderr=f, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
        wait_port(self.port)
        deadline = time.monotonic() + 15
        while get(self.url + "/healthz")[0] != 200:  # both sites' connections up at the central broker
            assert self.proc.poll() is None and time.monotonic() < deadline, self.log.read_text()[-3000:]
            time.sleep(0.05)

    def ticket_url(self, sid: str, t: dict) -> str:
        return f"{self.url}/s/{sid}/t/{t['number']}-{t['key']}"

    def known(self, sid: str, t: dict) -> str:
        """The ticket's page URL once the central server has its state (tens of ms after the
        site's reply: the state crosses the bridge; a printed QR is scanned seconds later)."""
        url = self.ticket_url(sid, t)
        wait_until(lambda: get(url)[0] == 200, timeout=10, what=f"{t['number']} known at the central server")
        return url

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        for d in self.desks:
            d.stop()
        for s in self.sites.values():
            s.stop()
        self.central.stop()


@pytest.fixture
def central_office(tmp_path):
    o = CentralOffice(tmp_path)
    yield o
    o.close()


def ledger(site: BridgedSite) -> dict:
    con = sqlite3.connect(site.data / "ledger.db")
    try:
        return dict(con.execute("SELECT number, state FROM tickets"))
    finally:
        con.close()


def test_one_central_server_shows_each_site_its_own_calls_and_tickets(central_office, browser):
    o = central_office
    mitte, nord = Office(o.sites["jc-mitte"]), Office(o.sites["jc-nord"])
    status, body, _ = get(o.url + "/")
    assert status == 200 and b'href="/s/jc-mitte/"' in body and b'href="/s/jc-nord/"' in body
    assert get(o.url + "/s/jc-mitte")[0] == 200              # redirected to the board (its links are relative)
    assert get(o.url + "/s/jc-west/")[0] == 404

    browser.get(o.url + "/s/jc-nord/")
    wait_text(browser, "#now", "Noch keine Aufrufe")
    browser.execute_script("window.stillTheSamePage = true")
    mitte.issue("K")
    mitte.command("3", "next")                               # a call at jc-mitte only
    nord.issue("N")
    nord.issue("N")
    wait_text(browser, "#services", "2 wartend")             # jc-nord's own line, pushed over the bridge
    assert "K001" not in browser.find_element(By.ID, "now").text
    nord.command("1", "next")
    wait_text(browser, "#now", "N001")
    assert browser.execute_script("return window.stillTheSamePage") is True

    browser.get(o.url + "/s/jc-mitte/")
    wait_text(browser, "#now", "K001")
    assert "Schalter 3" in browser.find_element(By.ID, "now").text

    # a ticket's page at its own site; the same number and key under the other site is unknown,
    # and answers exactly as a number that does not exist there
    t = mitte.issue("K")
    assert t["number"] == "K002"
    assert t["key"] == ticketkey.ticket_key(ticketkey.read_secret(o.sites["jc-mitte"].creds), "jc-mitte",
                                            o.sites["jc-mitte"].cfg.service_day(t["issued_at"]), "K002")
    browser.get(o.known("jc-mitte", t))
    wait_text(browser, "#number", "K002")
    wait_text(browser, "#status", "Sie sind als Nächstes dran")
    elsewhere = get(o.ticket_url("jc-nord", t))
    unknown = get(f"{o.url}/s/jc-nord/t/K123-{t['key']}")
    assert elsewhere[0] == 404 and elsewhere[:2] == unknown[:2]
    assert b"K002" not in elsewhere[1]

    # jc-nord's line to the centre breaks (its broker dies): its board says "offline" (what the
    # central broker still holds of it is old), jc-mitte's stays online
    browser.get(o.url + "/s/jc-nord/")
    wait_text(browser, "#now", "N001")
    offline = browser.find_element(By.ID, "offline")
    assert offline.get_attribute("hidden") is not None
    o.sites["jc-nord"].kill()
    WebDriverWait(browser, 10).until(lambda b: b.find_element(By.ID, "offline").get_attribute("hidden") is None,
                                     "jc-nord's board never said offline")
    browser.get(o.url + "/s/jc-mitte/")
    wait_text(browser, "#now", "K001")
    assert browser.find_element(By.ID, "offline").get_attribute("hidden") is not None
    assert get(o.url + "/healthz")[0] == 200   # the server's own connections are all up


def test_leave_the_queue_on_the_central_page_voids_that_ticket_at_its_site(central_office, browser):
    o = central_office
    mitte, nord = Office(o.sites["jc-mitte"]), Office(o.sites["jc-nord"])
    tickets = [mitte.issue("K") for _ in range(3)]
    nord.issue("K")
    nord.issue("K")                                          # jc-nord has a K002 too
    browser.get(o.known("jc-mitte", tickets[1]))
    wait_text(browser, "#status", "Vor Ihnen: 1")
    browser.find_element(By.ID, "leave").click()
    WebDriverWait(browser, 5).until(lambda b: b.switch_to.alert).accept()
    wait_text(browser, "#result", "zurückgegeben")           # the controller's reply came back over the bridge
    wait_text(browser, "#status", "nicht mehr gültig")
    assert ledger(o.sites["jc-mitte"]) == {"K001": "waiting", "K002": "void", "K003": "waiting"}
    assert ledger(o.sites["jc-nord"]) == {"K001": "waiting", "K002": "waiting"}


def test_the_central_file_names_a_site_that_does_not_point_here(tmp_path):
    site = tmp_path / "jc-mitte.toml"
    site.write_text(EXAMPLE.read_text(encoding="utf-8"), encoding="utf-8")     # no [[webs]] central
    central = tmp_path / "central.toml"
    central.write_text('[web]\nid = "central"\nlisten = "127.0.0.1:8080"\npublic_url = "https://warten.example.org"\n'
                       '[[sites]]\nconfig = "jc-mitte.toml"\n[[sites]]\nconfig = "nowhere.toml"\n'
                       '[[sites]]\nconfg = "x"\n', encoding="utf-8")
    with pytest.raises(config.ConfigError) as e:
        config.load_central(central)
    text = "\n".join(e.value.problems)
    assert 'sites[0].config: ' in text and 'needs [[webs]] id = "central", central = true, ' \
        'public_url = "https://warten.example.org/s/jc-mitte"' in text
    assert "sites[1].config: " in text and "cannot read the file" in text
    assert "sites[2].confg: unknown key (did you mean 'config'?)" in text
    r = subprocess.run([sys.executable, "-m", "aufrufcli", "web", "--central", str(central)],
                       capture_output=True, text=True, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert r.returncode == 1 and "sites[0].config" in r.stderr


def test_a_site_web_served_centrally_is_not_started_at_the_site(tmp_path):
    text = EXAMPLE.read_text(encoding="utf-8") + (
        '\n[[webs]]\nid = "central"\ncentral = true\npublic_url = "https://warten.example.org/s/jc-mitte"\n')
    site = tmp_path / "site.toml"
    site.write_text(text, encoding="utf-8")
    cfg = config.load(site)
    assert cfg.kiosks[0].qr_url == "https://warten.example.org/s/jc-mitte/t/{number}-{key}"
    from aufruf import provision
    assert "web-central" not in [u.name for u in provision.users(cfg)]
    r = subprocess.run([sys.executable, "-m", "aufrufcli", "web", "--config", str(site), "--id", "central"],
                       capture_output=True, text=True, cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)))
    assert r.returncode == 1 and "aufruf web --central" in r.stderr
    with pytest.raises(config.ConfigError) as e:
        config.parse(text.replace("central = true\n", 'central = true\nlisten = "0.0.0.0:8080"\n'), "site.toml")
    assert any(p.startswith("webs[0].central: a web served centrally") for p in e.value.problems)
