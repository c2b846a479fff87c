"""The ledger under real faults: a held write lock, a second controller, an empty file, a full disk.

Each test runs the real ``aufruf desk`` (or the controller in-process where the
moment of a batch matters) against a real Mosquitto and a real SQLite file.
"""

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "deploy"))

from audit import audit  # noqa: E402
from test_unit_processes import NotifySocket  # noqa: E402 - systemd's notify socket, as the unit tests use it
from processes import REPO, start_process  # noqa: E402
from probe import wait_until  # noqa: E402

from aufruf import config  # noqa: E402
from aufrufcli.staff import format_status  # noqa: E402
from desk.dispatch import Office, Outcome  # noqa: E402
from desk.ledger import Ledger, LedgerConflict  # noqa: E402

REQ, TICKET = "kiosk/entrance/request", "kiosk/entrance/ticket"
STATUS = "status/controller/main"
CANNOT = "the ledger cannot be written"


def desk(site, processes, data: Path, *extra):
    proc = start_process(site, "desk", "--data", str(data), "--no-keypads", *extra)
    processes.append(proc)
    return proc


def desk_under_systemd(site, processes, notify):
    """`aufruf desk` with NOTIFY_SOCKET set, as systemd starts it (Type=notify, WatchdogSec)."""
    log = open(site.root / "desk.log", "ab")
    proc = subprocess.Popen([sys.executable, "-m", "aufrufcli", "desk", "--config", str(site.config_path),
                             "--data", str(site.data), "--no-keypads"], cwd=REPO, stdout=log, stderr=log,
                            env=dict(os.environ, PYTHONPATH=str(REPO), NOTIFY_SOCKET=notify.path))
    processes.append(proc)
    notify.proc = proc
    return proc


def run_desk(site, data: Path, *extra, timeout=20):
    """`aufruf desk` that is expected to refuse and exit at once."""
    try:
        return subprocess.run([sys.executable, "-m", "aufrufcli", "desk", "--config", str(site.config_path),
                               "--data", str(data), "--no-keypads", *extra], cwd=REPO, capture_output=True,
                              text=True, timeout=timeout, env=dict(os.environ, PYTHONPATH=str(REPO)))
    except subprocess.TimeoutExpired as e:
        raise AssertionError(f"aufruf desk --data {data} did not refuse, it kept running") from e


def request(p, rid, service="K", timeout=20.0):
    return p.request(REQ, TICKET, {"v": 1, "id": rid, "service": service}, timeout=timeout)


def online(p, pred=lambda b: True, timeout=20.0, start=0):
    return p.wait_for(STATUS, lambda b: isinstance(b, dict) and b.get("online") and pred(b), timeout, start)


# ---------------------------------------------------------------- 1, 4: a write lock held by another process

def test_ledger_locked_while_idle_worker_survives_says_so_and_recovers(site, processes, tmp_path):
    notify = NotifySocket(tmp_path / "notify", site.root / "desk.log")
    p = site.probe()
    desk_under_systemd(site, processes, notify)
    notify.wait_for("READY=1", 30)
    online(p)
    assert request(p, "r1")["ticket"]["number"] == "K001"
    # the reply's outbox row is deleted when the worker is next idle: hold the write lock before that
    admin = sqlite3.connect(site.data / "ledger.db", isolation_level=None)
    admin.execute("BEGIN IMMEDIATE")                  # an admin's sqlite3 shell in a transaction
    try:
        mark = p.mark()
        st = online(p, lambda b: b.get("ledger") == "error", start=mark)
        assert "locked" in st["ledger_error"]
        assert "LEDGER CANNOT BE WRITTEN: the ledger is locked" in format_status(site.cfg, {STATUS: st}, now=st["at"])
        r2 = request(p, "r2")                         # answered at once, promising nothing
        assert r2["ok"] is False and r2["error"].startswith(CANNOT) and "locked" in r2["error"]
        # systemd's status line says why; the worker is alive and turning, so the watchdog is still fed
        notify.wait_for(f"STATUS=site {site.site_id}; {CANNOT}: {st['ledger_error']}", 15)
        t1 = notify.wait_for("WATCHDOG=1", 15)
        assert notify.wait_for("WATCHDOG=1", 15) > t1
    finally:
        admin.execute("ROLLBACK")
        admin.close()
        notify.close()
    # the worker retries on its own: the status recovers and the next request gets a number
    online(p, lambda b: b.get("ledger") == "ok", start=p.mark())
    r3 = request(p, "r3")
    assert r3["ok"] and r3["ticket"]["number"] == "K002"
    r2 = request(p, "r2")                             # the refused id was not stored: it gets a number now
    assert r2["ok"] and r2["ticket"]["number"] == "K003"
    audit(site.data, answers={"r1": "K001", "r3": "K002", "r2": "K003"})


# ---------------------------------------------------------------- 2: two controllers on one data directory

def test_second_controller_on_the_same_data_directory_refuses_at_once(site, processes):
    p = site.probe()
    desk(site, processes, site.data)
    online(p)
    r = run_desk(site, site.data)
    assert r.returncode == 1
    assert "another 'aufruf desk'" in r.stderr and str(site.data) in r.stderr, r.stderr
    assert request(p, "r1")["ticket"]["number"] == "K001"     # the first one was not disturbed
    assert request(p, "r2")["ticket"]["number"] == "K002"


def test_ledger_never_overwrites_an_issued_ticket(tmp_path):
    cfg = config.load(config.EXAMPLE_SITE)
    day, now = "2026-11-25", 1_795_600_000_000
    a, b = Ledger(tmp_path), Ledger(tmp_path)         # two writers that each believe they own the ledger
    try:
        mine, theirs = Office(cfg, day), Office(cfg, day)
        a.commit_many(day, now, [mine.issue("K", now, "entrance", "r-a")])
        with pytest.raises(LedgerConflict, match="K001 .*already in the ledger"):
            b.commit_many(day, now + 5, [theirs.issue("K", now + 5, "entrance", "r-b")])
        rows = a.db.execute("SELECT number, request_id FROM tickets").fetchall()
        assert rows == [("K001", "r-a")]
        # a ticket's own later changes are still written
        t = mine.tickets["K001"]
        t.state = "called"
        a.commit_many(day, now + 9, [Outcome(tickets=[t])])
        assert a.db.execute("SELECT state FROM tickets WHERE number='K001'").fetchone() == ("called",)
    finally:
        a.close()
        b.close()


# ---------------------------------------------------------------- 3: an empty or schema-less ledger file

def test_empty_or_schemaless_ledger_is_refused_until_a_new_one_is_asked_for(site, processes):
    p = site.probe()
    proc = desk(site, processes, site.data)
    online(p)
    assert request(p, "r1")["ticket"]["number"] == "K001"
    proc.terminate()
    assert proc.wait(15) == 0
    led = site.data / "ledger.db"
    led.write_bytes(b"")                              # `: > ledger.db`: the SD card lost the contents
    r = run_desk(site, site.data)
    assert r.returncode == 1
    assert "is empty" in r.stderr and "backup" in r.stderr and "--new-ledger" in r.stderr, r.stderr
    assert led.stat().st_size == 0                    # nothing was written
    rep = subprocess.run([sys.executable, "-m", "aufrufcli", "report", "--config", str(site.config_path), "--data",
                          str(site.data)], cwd=REPO, capture_output=True, text=True, timeout=30)
    assert rep.returncode == 1 and "is empty" in rep.stderr, rep.stderr   # the report does not take it either
    con = sqlite3.connect(led)
    con.execute("CREATE TABLE notes (a)")
    con.commit()
    con.close()
    r = run_desk(site, site.data)
    assert r.returncode == 1 and "no aufruf ledger schema" in r.stderr and "--new-ledger" in r.stderr, r.stderr
    moved = site.data / "kept.db"
    led.rename(moved)                                 # the file gone altogether from a directory in use
    r = run_desk(site, site.data)
    assert r.returncode == 1 and "is missing" in r.stderr and "--new-ledger" in r.stderr, r.stderr
    assert not led.exists()
    moved.rename(led)
    # a deliberate fresh start: the unusable file is kept aside, numbering starts again
    desk(site, processes, site.data, "--new-ledger")
    online(p, start=p.mark())
    assert request(p, "r2")["ticket"]["number"] == "K001"
    assert [f.name for f in site.data.glob("ledger.db.unusable-*")], "the old file was not kept"


def test_new_ledger_option_never_replaces_a_valid_ledger(site, processes):
    Ledger(site.data).close()
    r = run_desk(site, site.data, "--new-ledger")
    assert r.returncode == 1 and "valid ledger" in r.stderr, r.stderr


# ---------------------------------------------------------------- 4: a full disk

@contextlib.contextmanager
def tiny_disk(path: Path, size="2m"):
    path.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if r.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(path: Path) -> Path:
    filler = path / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        with contextlib.suppress(OSError):            # ENOSPC: the file system is full
            while True:
                os.write(fd, b"\0" * 4096)
    finally:
        os.close(fd)
    return filler


def test_full_disk_is_said_as_such_and_recovers_when_space_is_freed(site, processes, tmp_path):
    with tiny_disk(tmp_path / "sd") as sd:
        data = sd / "data"
        p = site.probe()
        proc = desk(site, processes, data)
        online(p)
        assert request(p, "r1")["ticket"]["number"] == "K001"
        filler = fill(sd)
        r2 = request(p, "r2")
        assert r2["ok"] is False and r2["error"].startswith(CANNOT) and "disk full" in r2["error"], r2
        st = online(p, lambda b: b.get("ledger") == "error")
        assert "disk full" in st["ledger_error"]
        filler.unlink()
        online(p, lambda b: b.get("ledger") == "ok", start=p.mark())
        assert request(p, "r3")["ticket"]["number"] == "K002"
        proc.terminate()
        assert proc.wait(15) == 0
        filler = fill(sd)                             # starting on a full disk
        r = run_desk(site, data)
        assert r.returncode == 1 and "disk full" in r.stderr, r.stderr
        filler.unlink()
        audit(data, answers={"r1": "K001", "r3": "K002"})


# ---------------------------------------------------------------- 5: each event its own time and line

def test_each_event_carries_the_time_and_line_of_its_own_call(site):
    from desk.controller import Controller
    ticks = [1_795_600_000_000]

    def clock():                                      # every reading of the clock is a millisecond later
        ticks[0] += 1
        return ticks[0]
    ledger = Ledger(site.data)
    ctl = Controller(site.cfg, ledger, clock=clock)
    topics = ctl.topics
    for i in range(3):
        ctl.on_message(topics.request("entrance"), b'{"v":1,"id":"r%d","service":"K"}' % i, False)
    ctl.on_message(topics.command("1"), b'{"v":1,"id":"c1","action":"next"}', False)
    ctl.on_message(topics.command("1"), b'{"v":1,"id":"c2","action":"transfer","service":"N"}', False)
    ctl.on_message(topics.command("2"), b'{"v":1,"id":"c3","action":"next"}', False)
    ctl.start()                                       # all six are waiting: one batch, one commit
    try:
        wait_until(lambda: ctl.handled == 6, 10, "the batch")
    finally:
        ctl.stop()
    con = sqlite3.connect(site.data / "ledger.db")
    try:
        events = con.execute("SELECT kind, number, desk, service, at FROM events ORDER BY seq").fetchall()
        tickets = {n: (i, c) for n, i, c in con.execute("SELECT number, issued_at, called_at FROM tickets")}
        calls = [json.loads(r[0]) for r in con.execute(
            "SELECT payload FROM outbox WHERE topic=? ORDER BY seq", [topics.call])]
    finally:
        con.close()
        ledger.close()
    kinds = [(k, n, d, s) for k, n, d, s, _ in events]
    assert kinds == [("issue", "K001", None, "K"), ("issue", "K002", None, "K"), ("issue", "K003", None, "K"),
                     ("call", "K001", "1", "K"),           # called from K, although transferred right after
                     ("transfer", "K001", "1", "N"),
                     ("call", "K001", "2", "N")]           # it keeps its place in N: called again, now from N
    at = {(k, n, d): a for k, n, d, _, a in events}
    for n in ("K001", "K002", "K003"):
        assert at[("issue", n, None)] == tickets[n][0]
    assert at[("call", "K001", "2")] == tickets["K001"][1]
    published = {(c["number"], c["desk"]): c["at"] for c in calls}
    assert at[("call", "K001", "1")] == published[("K001", "1")]
    assert at[("call", "K001", "2")] == published[("K001", "2")]
    assert len(set(at.values())) == len(at), "events of one batch share the commit's time"


# ---------------------------------------------------------------- 6: priority off

def test_priority_request_when_priority_is_off_says_so(site, processes):
    assert site.cfg.info_desk.priority is False
    p = site.probe()
    desk(site, processes, site.data)
    online(p)
    r = p.request("kiosk/info/request", "kiosk/info/ticket", {"v": 1, "id": "p1", "service": "K", "priority": True},
                  timeout=20)
    assert r["ok"] is False and "priority tickets are off" in r["error"] and "[info_desk] priority" in r["error"]


# ---------------------------------------------------------------- the SD card failed: a restore during the day

def test_restore_from_last_nights_backup_continues_after_the_numbers_given(site, processes, tmp_path):
    p = site.probe()
    proc = desk(site, processes, site.data)
    online(p)
    backup = tmp_path / "backup.db"                   # last night's `sqlite3 ledger.db ".backup ..."`
    src = sqlite3.connect(site.data / "ledger.db")
    dst = sqlite3.connect(backup)
    src.backup(dst)
    src.close()
    yesterday = site.cfg.service_day(int(time.time() * 1000) - 86_400_000)
    dst.execute("UPDATE meta SET value=? WHERE key='day'", [yesterday])  # made at 22:00, the day before
    dst.commit()
    dst.close()
    assert [request(p, f"r{i}")["ticket"]["number"] for i in range(3)] == ["K001", "K002", "K003"]
    proc.terminate()
    assert proc.wait(15) == 0
    for f in site.data.glob("ledger.db*"):             # the SD card died; a new card, the backup restored
        f.unlink()
    (site.data / "ledger.db").write_bytes(backup.read_bytes())
    r = run_desk(site, site.data, "--numbers-after", "X=3")
    assert r.returncode == 1 and "unknown service X" in r.stderr, r.stderr
    desk(site, processes, site.data, "--numbers-after", "K=3,N=0")
    online(p, start=p.mark())
    assert request(p, "after-1")["ticket"]["number"] == "K004"   # K001..K003 are in customers' hands
    assert request(p, "after-2", service="N")["ticket"]["number"] == "N001"
    con = sqlite3.connect(site.data / "ledger.db")
    try:                                              # kept in the ledger: a restart the same day keeps it
        assert con.execute("SELECT count(*) FROM meta WHERE key LIKE 'numbers_after/%'").fetchone() == (1,)
    finally:
        con.close()
