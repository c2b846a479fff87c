"""`aufruf issue`, `aufruf call`, `aufruf status` as a user runs them, against a running controller."""

import os
import subprocess
import sys
from pathlib import Path

import pytest


REPO = Path(__file__).resolve().parents[2]


def aufruf(site, *args):
    return subprocess.run([sys.executable, "-m", "aufrufcli", *args, "--config", str(site.config_path)],
                          cwd=REPO, env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True,
                          timeout=30)


@pytest.fixture
def desk(site, desk_service):
    svc = desk_service(site)
    yield svc
    svc.stop()


def test_issue_call_and_status(site, desk):
    r = aufruf(site, "issue", "--service", "K")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("K001: 0 ahead, about 0 min")
    assert aufruf(site, "issue", "--service", "n").stdout.startswith("N001: 0 ahead")
    r = aufruf(site, "call", "--desk", "3", "next")
    assert r.returncode == 0 and r.stdout.strip() == "Schalter 3: next K001"
    r = aufruf(site, "call", "--desk", "4", "next")
    assert r.returncode == 1 and "refused: queue empty" in r.stderr
    r = aufruf(site, "status")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "K Kurzanliegen: 0" in out and "N Neumeldung: 1" in out
    assert "3 Schalter 3: serving K001 since" in out
    assert "controller main: online" in out
    assert "kiosk entrance: unknown (never seen)" in out


def test_call_transfer_needs_a_service_and_unknown_desk_is_refused(site, desk):
    assert aufruf(site, "call", "--desk", "3", "transfer").returncode == 2
    r = aufruf(site, "call", "--desk", "9", "next")
    assert r.returncode == 1 and "unknown desk 9" in r.stderr


def test_controller_down_gives_a_clear_answer(site):
    r = aufruf(site, "call", "--desk", "3", "next", "--timeout", "1")
    assert r.returncode == 3 and "no answer from the desk controller" in r.stderr
    site.stop()
    r = aufruf(site, "status", "--timeout", "1")
    assert r.returncode == 3 and "cannot reach the broker" in r.stderr


def info_desk_site(site_factory, tmp_path, path):
    from sites import EXAMPLE
    text = EXAMPLE.read_text() + f'\n[info_desk]\npriority = true\nprinter = {{ connection = "file", path = "{path}" }}\n'
    return site_factory(text, "info")


def test_info_desk_prints_a_priority_ticket_that_is_called_first(site_factory, tmp_path, desk_service):
    paper = tmp_path / "lp0"
    paper.write_bytes(b"")
    s = info_desk_site(site_factory, tmp_path, paper)
    svc = desk_service(s)
    try:
        assert aufruf(s, "issue", "--service", "K").stdout.startswith("K001")
        r = aufruf(s, "issue", "--service", "K", "--priority", "--print")
        assert r.returncode == 0, r.stderr
        assert r.stdout.startswith("K002 (priority): 0 ahead")
        out = paper.read_bytes()
        assert b"K002" in out and b"VORRANG / PRIORITY" in out and out.startswith(b"\x1b@")
        watcher = s.probe("display-hall", ("call", "board"))
        assert aufruf(s, "call", "--desk", "3", "next").stdout.strip() == "Schalter 3: next K002"
        assert watcher.wait_for("call")["priority"] is True
        assert watcher.wait_for("board", lambda b: b["calls"])["calls"][0] == {
            "number": "K002", "desk": "3", "at": watcher.wait_for("call")["at"], "priority": True}
    finally:
        svc.stop()


def test_info_desk_print_failure_voids_the_ticket(site_factory, tmp_path, desk_service):
    s = info_desk_site(site_factory, tmp_path, tmp_path / "no-such-dir" / "lp0")
    svc = desk_service(s)
    try:
        r = aufruf(s, "issue", "--service", "K", "--print")
        assert r.returncode == 1 and "ticket K001 was voided" in r.stderr
        watcher = s.probe()
        watcher.wait_for("queue", lambda q: q["services"]["K"]["waiting"] == 0)
        assert aufruf(s, "call", "--desk", "3", "next").returncode == 1   # nobody waits: K001 is void
    finally:
        svc.stop()
