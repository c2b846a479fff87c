"""stats/today: retained on the site broker by the controller; read for many sites by `aufruf report --central`."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from aufruf import provision
from sites import MOSQUITTO, free_port, wait_port
from probe import Probe

REPO = Path(__file__).resolve().parents[2]


def report(*args):
    return subprocess.run([sys.executable, "-m", "aufrufcli", "report", "--central", *args], cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, timeout=60)


@pytest.fixture
def central(tmp_path):
    """A central broker with one login, `central` (password in a file), no anonymous access."""
    port = free_port()
    d = tmp_path / "central"
    d.mkdir()
    (d / "passwd").write_text(f"central:{provision.mosquitto_hash('s3cret')}\n")
    (d / "pw").write_text("s3cret\n")
    (d / "mosquitto.conf").write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {d / 'passwd'}\n"
        + ("user root\n" if os.geteuid() == 0 else "") + "log_dest stderr\n")
    proc = subprocess.Popen([MOSQUITTO, "-c", str(d / "mosquitto.conf")], stdout=subprocess.DEVNULL,
                            stderr=open(d / "log", "wb"))
    wait_port(port)
    yield port, d / "pw"
    proc.terminate()
    proc.wait(10)


def test_controller_keeps_a_retained_summary_of_the_day(site, desk_service):
    svc = desk_service(site, start=False)
    svc.controller.today.every_ms = 0          # the 10 s limit would make this test slow; the rule is the same
    svc.start()
    try:
        p = site.probe()
        for i, svc_key in enumerate("KKN"):
            r = p.request("kiosk/entrance/request", "kiosk/entrance/ticket", {"v": 1, "id": f"r{i}", "service": svc_key})
            assert r["ok"]
        assert p.request("desk/3/command", "desk/3/reply", {"v": 1, "id": "c1", "action": "next"})["ticket"] == "K001"
        assert p.request("desk/3/command", "desk/3/reply", {"v": 1, "id": "c2", "action": "done"})["ok"]
        s = p.wait_for("stats/today", lambda b: b["services"]["K"]["served"] == 1, timeout=10)
        assert s["site"] == "jc-mitte" and s["name"] == "Jobcenter Mitte"
        assert s["services"]["K"] == {"issued": 2, "served": 1, "noshow": 0, "waiting": 1,
                                      "median_wait_min": s["services"]["K"]["median_wait_min"]}
        assert s["services"]["N"]["issued"] == 1 and s["services"]["N"]["waiting"] == 1
        assert 0 <= s["services"]["K"]["median_wait_min"] < 1      # called within the test's second
        # a monitor that connects later gets it retained
        late = site.probe("controller-main", ("stats/today",))
        late.wait_for("stats/today", lambda b: b["services"]["K"]["served"] == 1)
        assert all(retained for t, _, retained in late.messages if t == "stats/today")
    finally:
        svc.stop()


def test_central_report_prints_one_line_per_site(central):
    port, pwfile = central
    pub = Probe(port, "x", "central", "s3cret", ())
    assert pub.wait_connected()
    for site, name, k in (("jc-mitte", "Jobcenter Mitte", 40), ("jc-nord", "Jobcenter Nord", 7)):
        mid = pub.publish(f"aufruf/{site}/stats/today", {
            "v": 1, "site": site, "name": name, "day": "2026-11-25", "median_wait_min": 4.5,
            "services": {"K": {"issued": k, "served": k - 5, "noshow": 1, "waiting": 4, "median_wait_min": 6.25}},
            "updated_at": 1_795_600_000_000}, retain=True)
        assert pub.wait_ack(mid)[0]
    assert pub.wait_ack(pub.publish("aufruf/broken/stats/today", b"not json", retain=True, raw=True))[0]
    pub.close()
    r = report("--broker", f"127.0.0.1:{port}", "--user", "central", "--password-file", str(pwfile),
               "--csv", str(pwfile.parent / "sites.csv"))
    assert r.returncode == 0, r.stderr
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("jc-") and " issued, " in ln]
    assert len(lines) == 2
    assert lines[0].startswith("jc-mitte  Jobcenter Mitte  2026-11-25  K: 40 issued, 35 served, 1 no-show, "
                               "4 waiting, wait 6.2 min (updated ")
    assert lines[1].startswith("jc-nord   Jobcenter Nord   2026-11-25  K: 7 issued, 2 served")
    assert "STALE" in lines[0]                                       # 2026-11-25 is long ago for this clock
    assert "jc-nord,Jobcenter Nord,2026-11-25,K,7,2,1,4,6.25,1795600000000" in (pwfile.parent / "sites.csv").read_text()
    assert "broken" not in r.stdout


def test_central_report_answers_a_wrong_password_and_a_dead_broker(central):
    port, _ = central
    r = report("--broker", f"127.0.0.1:{port}", "--user", "central", "--password", "wrong")
    assert r.returncode == 3 and "refused the login" in r.stderr
    r = report("--broker", f"127.0.0.1:{free_port()}", "--timeout", "2")
    assert r.returncode == 3 and "cannot reach the central broker" in r.stderr
    r = report("--broker", "nohost:abc")
    assert r.returncode == 2 and "port must be a number" in r.stderr


def test_a_bridged_site_shows_up_in_the_central_report(site, central, desk_service):
    """The documented bridge: the site broker forwards stats/today to the central broker."""
    port, pwfile = central
    conf = site.brokerdir / "mosquitto.conf"
    conf.write_text(conf.read_text() + "\n".join([
        "", "connection central", f"address 127.0.0.1:{port}", "remote_username central",
        "remote_password s3cret", "cleansession false", "notifications false",
        f"topic aufruf/{site.site_id}/stats/today out 1", ""]))
    site.stop()
    site.start()
    svc = desk_service(site, start=False)
    svc.controller.today.every_ms = 0
    svc.start()
    try:
        p = site.probe()
        assert p.request("kiosk/entrance/request", "kiosk/entrance/ticket", {"v": 1, "id": "r1", "service": "N"})["ok"]
        watcher = Probe(port, site.site_id, "central", "s3cret", (f"aufruf/{site.site_id}/stats/today",))
        assert watcher.wait_connected()
        watcher.wait_for("stats/today", lambda b: b["services"]["N"]["issued"] == 1, timeout=10)
        watcher.close()
        r = report("--broker", f"127.0.0.1:{port}", "--user", "central", "--password-file", str(pwfile))
        assert r.returncode == 0, r.stderr
        line = next(ln for ln in r.stdout.splitlines() if ln.startswith(site.site_id))
        assert "Jobcenter Mitte" in line and "N: 1 issued, 0 served, 0 no-show, 1 waiting, wait - min" in line
        assert "STALE" not in line
    finally:
        svc.stop()
