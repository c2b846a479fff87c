"""``aufruf appointments``: import, add, cancel and list on a real ledger; bad input changes nothing."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from appointment_site import CSV_OK, site_text
from aufruf import config

REPO = Path(__file__).resolve().parents[2]
DAY = "2026-12-02"


def aufruf(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    r = subprocess.run([sys.executable, "-m", "aufrufcli", *args], cwd=REPO, capture_output=True, input=stdin,
                       timeout=60)
    return subprocess.CompletedProcess(r.args, r.returncode, r.stdout.decode(), r.stderr.decode())


@pytest.fixture
def where(tmp_path):
    site = tmp_path / "site.toml"
    site.write_text(site_text(), encoding="utf-8")
    return ["--config", str(site), "--data", str(tmp_path / "data"), "--date", DAY], tmp_path


def table(tmp_path):
    con = sqlite3.connect(tmp_path / "data" / "ledger.db")
    try:
        return con.execute("SELECT day, code, time, desk, service, note, state FROM appointments ORDER BY code").fetchall()
    finally:
        con.close()


def test_import_twice_then_a_bad_file_changes_nothing(where):
    opts, tmp = where
    (tmp / "day.csv").write_bytes(CSV_OK)
    r = aufruf("appointments", "import", str(tmp / "day.csv"), *opts)
    assert r.returncode == 0 and "day.csv for 2026-12-02: 3 added, 0 changed, 0 unchanged" in r.stdout
    r = aufruf("appointments", "import", "-", *opts, stdin=CSV_OK)
    assert r.returncode == 0 and "0 added, 0 changed, 3 unchanged" in r.stdout
    before = table(tmp)
    bad = (b"time,code,desk,service,note\n10:00,AB12CD,r214,B,\n24:00,NEW001,r214,B,\n"
           b"12:00,NEW002,upstairs,B,\n12:00,NEW003,r214,B,\x01\n12:30,NEW004,r214,B,\n12:30,NEW004,2,K,\n")
    (tmp / "bad.csv").write_bytes(bad)
    r = aufruf("appointments", "import", str(tmp / "bad.csv"), *opts)
    assert r.returncode == 1
    for line in ("line 3: time '24:00'", "line 4: unknown desk 'upstairs'", "line 5: the note contains control",
                 "line 7: code NEW004 is already on line 6"):
        assert line in r.stderr, r.stderr
    assert "nothing imported" in r.stderr and table(tmp) == before


def test_add_cancel_list_and_refusals(where):
    opts, tmp = where
    assert aufruf("appointments", "add", "--time", "09:15", "--code", "abcd-1234", "--desk", "r214", "--service",
                  "B", "--note", "Dolmetscher", *opts).returncode == 0
    r = aufruf("appointments", "add", "--time", "9:15", "--code", "x\x1b[2J", "--desk", "9", "--service", "B", *opts)
    assert r.returncode == 1 and "time" in r.stderr and "control characters" in r.stderr and "unknown desk" in r.stderr
    r = aufruf("appointments", "add", "--time", "10:00", "--code", "ABCD-1234", "--desk", "r214", "--service", "B",
               *opts)
    assert r.returncode == 1 and "already an appointment" in r.stderr
    assert aufruf("appointments", "cancel", "abcd-1234", *opts).returncode == 0
    r = aufruf("appointments", "cancel", "NOPE1234", *opts)
    assert r.returncode == 1 and "no appointment NOPE1234" in r.stderr
    r = aufruf("appointments", "list", *opts)
    assert r.returncode == 0 and "1 cancelled" in r.stdout and "ABCD-1234" in r.stdout and "Dolmetscher" in r.stdout
    assert table(tmp) == [(DAY, "ABCD-1234", "09:15", "r214", "B", "Dolmetscher", "cancelled")]


def test_a_site_without_appointments_says_so(tmp_path):
    r = aufruf("appointments", "list", "--config", str(config.EXAMPLE_SITE), "--data", str(tmp_path))
    assert r.returncode == 2 and "no [appointments] table" in r.stderr


def test_info_desk_checkin_prints_the_slip(site_factory, tmp_path, desk_service):
    import datetime as dt
    paper = tmp_path / "lp0"
    paper.write_bytes(b"")
    text = site_text() + f'\n[info_desk]\nprinter = {{ connection = "file", path = "{paper}" }}\n'
    s = site_factory(text, "info")
    now = dt.datetime.now(s.cfg.tz)
    if not dt.time(3, 40) <= now.time() <= dt.time(23, 20):
        pytest.skip("appointments of 'today' need a local time away from the day boundary")
    (tmp_path / "day.csv").write_text(f"time,code,desk,service\n{now:%H:%M},AB12CD,r214,B\n", encoding="utf-8")
    opts = ["--config", str(s.config_path), "--data", str(s.data)]
    assert aufruf("appointments", "import", str(tmp_path / "day.csv"), *opts).returncode == 0
    svc = desk_service(s)
    try:
        r = aufruf("appointments", "checkin", "ab12cd", "--print", "--config", str(s.config_path))
        assert r.returncode == 0 and "checked in: T001" in r.stdout, r.stdout + r.stderr
        out = paper.read_bytes()
        assert b"T001" in out and b"Raum 2.14." in out
        r = aufruf("appointments", "checkin", "AB\x1b12", "--print", "--config", str(s.config_path))
        assert r.returncode == 1 and "refused (invalid)" in r.stdout
        assert paper.read_bytes() == out                     # nothing printed for a code nobody could read
    finally:
        svc.stop()
