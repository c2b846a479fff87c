"""`aufruf issue`, `aufruf call`, `aufruf status` as a user runs them, against a running controller."""

import os
import subprocess
import sys
import time
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
    assert r.stdout.strip() == "K001: you are next" and r.stderr == ""     # quiet: no log lines
    assert aufruf(site, "issue", "--service", "n").stdout.startswith("N001: you are next")
    r = aufruf(site, "call", "--desk", "3", "next")
    assert r.returncode == 0 and r.stdout.strip() == "Schalter 3: next K001"
    r = aufruf(site, "call", "--desk", "4", "next")
    assert r.returncode == 1 and "refused: queue empty" in r.stderr
    r = aufruf(site, "status")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    assert "K Kurzanliegen: 0" in out and "N Neumeldung: 1" in out
    assert "3 Schalter 3: serving K001 since" in out and "CONTROLLER IS" not in out
    assert "controller main: online" in out
    assert "kiosk entrance: unknown (never seen)" in out
    assert aufruf(site, "issue", "--service", "N").stdout.startswith("N002: 1 ahead, about")


def test_call_transfer_needs_a_service_and_unknown_desk_is_refused(site, desk):
    assert aufruf(site, "call", "--desk", "3", "transfer").returncode == 2
    r = aufruf(site, "call", "--desk", "9", "next")
    assert r.returncode == 2 and "no desk '9'" in r.stderr and "desks: 1, 2, 3, 4" in r.stderr
    r = aufruf(site, "call", "--desk", "3", "transfer", "X")
    assert r.returncode == 2 and "services: K (Kurzanliegen), N (Neumeldung)" in r.stderr
    r = aufruf(site, "issue", "--service", "Q")
    assert r.returncode == 2 and "no service 'Q'" in r.stderr and "K (Kurzanliegen)" in r.stderr


def test_help_names_exit_codes_and_examples(site):
    for cmd in ("call", "issue", "status"):
        r = subprocess.run([sys.executable, "-m", "aufrufcli", cmd, "--help"], cwd=REPO, capture_output=True,
                           text=True, env=dict(os.environ, PYTHONPATH=str(REPO)))
        assert r.returncode == 0 and "examples:" in r.stdout and "exit codes:" in r.stdout
        assert "3  the broker or the desk controller cannot be reached" in r.stdout
        assert "default /etc/aufruf/site.toml" in r.stdout


def test_controller_down_gives_a_clear_answer(site):
    r = aufruf(site, "call", "--desk", "3", "next", "--timeout", "1")
    assert r.returncode == 3 and "no answer from the desk controller" in r.stderr and "not carried out" in r.stderr
    r = aufruf(site, "status", "--timeout", "1")
    assert r.returncode == 3 and "the desk controller is unknown (never seen)" in r.stderr
    site.stop()
    started = time.monotonic()
    r = aufruf(site, "status", "--timeout", "5")
    assert r.returncode == 3 and "connection refused - is Mosquitto running?" in r.stderr
    assert time.monotonic() - started < 4          # at once, not after the timeout


def test_commands_sent_while_the_controller_is_down_never_run_later(site, desk_service):
    """The controller's broker session outlives it; what staff sent meanwhile is not carried out on return."""
    svc = desk_service(site)
    assert aufruf(site, "issue", "--service", "K").returncode == 0
    svc.stop()                                   # its persistent session keeps desk/+/command queued
    r = aufruf(site, "call", "--desk", "3", "next")
    assert r.returncode == 3
    assert "the desk controller is offline" in r.stderr and "will not run when the controller comes back" in r.stderr
    r = aufruf(site, "issue", "--service", "K")
    assert r.returncode == 3 and "not carried out" in r.stderr
    watcher = site.probe("controller-main", ("desk/3/state", "desk/3/reply", "call", "queue"))
    start = watcher.mark()
    desk_service(site)
    st = watcher.wait_for("queue", start=start, timeout=10)
    assert st["services"]["K"]["waiting"] == 1            # K001 only: the issue was not replayed
    r = aufruf(site, "call", "--desk", "3", "next")        # round trip: anything replayed came before this
    assert r.returncode == 0 and r.stdout.strip() == "Schalter 3: next K001"
    assert watcher.all("call") and all(c["number"] == "K001" for c in watcher.all("call"))
    assert len(watcher.all("desk/3/reply")) == 1          # the answer to that one call, to nothing else


def test_a_command_older_than_its_expiry_is_answered_and_not_carried_out(site, desk):
    """Where no MQTT 5 expiry helps (MQTT 3.1.1, a slow path), the controller checks sent_at itself."""
    from aufruf import link, protocol
    assert aufruf(site, "issue", "--service", "K").returncode == 0
    staff = site.probe("staff-info", ("desk/3/reply", "desk/3/state"))
    old = link.now_ms() - protocol.COMMAND_MAX_AGE_MS - 2000
    reply = staff.request("desk/3/command", "desk/3/reply", {"v": 1, "id": "late-1", "action": "next",
                                                             "sent_at": old})
    assert reply["ok"] is False and reply["error"].startswith("expired: sent 7.")
    again = staff.request("desk/3/command", "desk/3/reply", {"v": 1, "id": "late-1", "action": "next",
                                                             "sent_at": old})
    assert again == reply                                   # the same id, the same answer
    fresh = staff.request("desk/3/command", "desk/3/reply", {"v": 1, "id": "now-1", "action": "next",
                                                             "sent_at": link.now_ms()})
    assert fresh["ok"] is True and fresh["ticket"] == "K001"


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
        assert r.stdout.startswith("K002 (priority): you are next")
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
