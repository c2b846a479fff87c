"""Appointments: the pure rules (windows, priority against walk-ins, codes) and the CSV import."""

from __future__ import annotations

import dataclasses

import pytest

from appointment_site import CSV_OK, site_text
from aufruf import config
from desk import appointment_book as book
from desk import appointments as ap
from desk.ledger import Ledger

DAY = "2026-12-02"
MIN = 60_000


@pytest.fixture(scope="module")
def cfg():
    return config.parse(site_text())


def appt(cfg, time="10:00", **kw):
    a = ap.make(cfg, DAY, time, "AB12CD", "r214", "B")
    return dataclasses.replace(a, **kw)


# ---------------------------------------------------------------- windows

def test_windows_early_on_time_late(cfg):
    a = appt(cfg)
    rules = cfg.appointments
    early = ap.decide(a, DAY, a.at - 31 * MIN, rules, cfg)
    assert early.kind == ap.EARLY and early.from_ms == a.at - 30 * MIN and "09:30" in early.message
    assert ap.decide(a, DAY, a.at - 30 * MIN, rules, cfg).kind == ap.CHECKED_IN
    assert ap.decide(a, DAY, a.at + 10 * MIN, rules, cfg).kind == ap.CHECKED_IN
    late = ap.decide(a, DAY, a.at + 10 * MIN + 1, rules, cfg)
    assert late.kind == ap.LATE and not late.ticket


def test_late_gives_a_ticket_only_where_the_site_allows_it(cfg):
    rules = dataclasses.replace(cfg.appointments, late_service="K", early_min=5, late_min=0)
    a = appt(cfg)
    assert ap.decide(a, DAY, a.at + 1, rules, cfg).ticket
    assert ap.decide(a, DAY, a.at - 6 * MIN, rules, cfg).kind == ap.EARLY


def test_refusals_are_the_same_answer_every_time(cfg):
    rules = cfg.appointments
    a = appt(cfg)
    for _ in range(2):
        assert ap.decide(None, DAY, a.at, rules, cfg).reason == ap.UNKNOWN
        assert ap.decide(dataclasses.replace(a, state=ap.CANCELLED), DAY, a.at, rules, cfg).reason == ap.CANCELLED
        used = dataclasses.replace(a, state=ap.CHECKED_IN, number="T001", checked_in_at=a.at - MIN)
        d = ap.decide(used, DAY, a.at, rules, cfg)
        assert d.reason == ap.USED and "T001" in d.message
        other = ap.decide(dataclasses.replace(a, day="2026-12-03"), DAY, a.at, rules, cfg)
        assert other.reason == ap.OTHER_DAY and "2026-12-03" in other.message


# ---------------------------------------------------------------- priority against walk-ins

def test_due_appointment_goes_before_walk_ins():
    now = 1_000 * MIN
    cands = [(now + 5 * MIN, "T002"), (now - MIN, "T001")]
    assert ap.pick_next(cands, now, walkins_waiting=True, prefer=True) == "T001"


def test_early_appointment_waits_while_walk_ins_wait():
    now = 1_000 * MIN
    cands = [(now + 5 * MIN, "T002")]
    assert ap.pick_next(cands, now, walkins_waiting=True, prefer=True) is None
    assert ap.pick_next(cands, now, walkins_waiting=False, prefer=True) == "T002"


def test_without_preference_walk_ins_first():
    now = 1_000 * MIN
    cands = [(now - 20 * MIN, "T001")]
    assert ap.pick_next(cands, now, walkins_waiting=True, prefer=False) is None
    assert ap.pick_next(cands, now, walkins_waiting=False, prefer=False) == "T001"
    assert ap.pick_next([], now, walkins_waiting=False, prefer=True) is None


# ---------------------------------------------------------------- codes

@pytest.mark.parametrize("raw,reason", [
    ("AB\x1b[2J12", "control characters"),
    ("AB12\x00", "control characters"),
    ("A" * 10_240, "10240 characters"),
    ("", "empty"),
    ("ab", "not a code"),
    ("ÄÖÜ-123", "not a code"),
    ("AB 12 CD", "not a code"),
])
def test_bad_codes_are_refused_with_the_reason(raw, reason):
    with pytest.raises(ap.BadCode, match=reason):
        ap.normalize_code(raw)


def test_codes_are_trimmed_and_upper_case():
    assert ap.normalize_code("  ab12cd \n".strip("\n")) == "AB12CD"


# ---------------------------------------------------------------- CSV

def test_csv_is_parsed(cfg):
    rows = ap.parse_csv(cfg, CSV_OK, DAY)
    assert [(a.time, a.code, a.desk, a.service, a.note) for a in rows] == [
        ("10:00", "AB12CD", "r214", "B", "bring documents"), ("10:30", "XY99ZZ", "r214", "B", ""),
        ("11:00", "QQ11QQ", "1", "N", "")]
    assert rows[0].at == ap.at_ms(cfg, DAY, "10:00")


def test_csv_without_note_column_is_fine(cfg):
    assert len(ap.parse_csv(cfg, b"time,code,desk,service\n09:00,ZZ00ZZ,2,K\n", DAY)) == 1


@pytest.mark.parametrize("data,expected", [
    (b"time,code,desk,service,note,name\n", ["line 1: column 'name' is not allowed"]),
    (b"time,code,service,note\n", ["line 1: column 'desk' is missing"]),
    (b"", ["line 1: the file is empty"]),
    (b"time,code,desk,service,note\n25:00,AB12CD,r214,B,\n", ["line 2: time '25:00' is not a time"]),
    (b"time,code,desk,service,note\n9:5,AB12CD,r214,B,\n", ["line 2: time '9:5' is not a time"]),
    (b"time,code,desk,service,note\n10:00,AB12CD,r9,B,\n", ["line 2: unknown desk 'r9'; allowed: 1, 2, 3, 4, r214"]),
    (b"time,code,desk,service,note\n10:00,AB12CD,r214,X,\n", ["line 2: unknown service 'X'"]),
    (b"time,code,desk,service,note\n10:00,A\x07B12CD,r214,B,\n", ["line 2: the code contains control characters"]),
    (b"time,code,desk,service,note\n10:00,AB12CD,r214,B\n", ["line 2: 4 fields; allowed: 5"]),
    (b"time,code,desk,service,note\n10:00,AB12CD,r214,B,\n10:30,ab12cd,r214,B,\n",
     ["line 3: code AB12CD is already on line 2"]),
    (b"time,code,desk,service,note\n10:00,AB12CD,r214,B,\xff\n", ["the file is not UTF-8"]),
    (b"time,code,desk,service,note\n10:00,AB12CD,r214,B," + b"x" * 300 + b"\n", ["line 2: the note is 300"]),
])
def test_every_kind_of_bad_row_is_reported_with_its_line(cfg, data, expected):
    with pytest.raises(ap.ImportRefused) as e:
        ap.parse_csv(cfg, data, DAY, "day.csv")
    assert len(e.value.problems) == len(expected)
    for got, want in zip(e.value.problems, expected):
        assert got.startswith(want) or want in got, got


def test_all_bad_rows_are_reported_at_once(cfg):
    data = (b"time,code,desk,service,note\n10:00,AB12CD,r214,B,\n"
            b"99:99,XY99ZZ,r214,B,\n10:00,QQ11QQ,nope,B,\n11:00,AB12CD,r214,B,\n")
    with pytest.raises(ap.ImportRefused) as e:
        ap.parse_csv(cfg, data, DAY)
    assert [p.split(":")[0] for p in e.value.problems] == ["line 3", "line 4", "line 5"]


# ---------------------------------------------------------------- the book (real SQLite)

@pytest.fixture
def ledger(tmp_path):
    led = Ledger(tmp_path)
    yield led
    led.close()


def test_import_is_idempotent_and_a_bad_file_changes_nothing(cfg, ledger):
    db = ledger.db
    plan = book.parse_and_import(db, cfg, CSV_OK, DAY, 1, "day.csv")
    assert (len(plan.added), len(plan.updated), len(plan.unchanged)) == (3, 0, 0)
    plan = book.parse_and_import(db, cfg, CSV_OK, DAY, 2, "day.csv")
    assert (len(plan.added), len(plan.updated), len(plan.unchanged)) == (0, 0, 3)
    before = db.execute("SELECT * FROM appointments ORDER BY code").fetchall()
    bad = CSV_OK + b"12:00,NEW001,r214,B,\n12:00,BAD,r214,B,\n"
    with pytest.raises(ap.ImportRefused):
        book.parse_and_import(db, cfg, bad, DAY, 3, "day.csv")
    assert db.execute("SELECT * FROM appointments ORDER BY code").fetchall() == before


def test_import_moves_an_expected_appointment_but_not_a_checked_in_one(cfg, ledger):
    db = ledger.db
    book.parse_and_import(db, cfg, CSV_OK, DAY, 1, "day.csv")
    moved = CSV_OK.replace(b"10:30,XY99ZZ", b"10:45,XY99ZZ")
    plan = book.parse_and_import(db, cfg, moved, DAY, 2, "day.csv")
    assert [a.code for a in plan.updated] == ["XY99ZZ"]
    assert book.find(db, "XY99ZZ", DAY).time == "10:45"
    a = book.find(db, "AB12CD", DAY)
    sql, params = book.checkin_statement(a, ap.CHECKED_IN, "T001", 5)
    db.execute(sql, params)
    with pytest.raises(ap.ImportRefused, match="AB12CD: is already checked in"):
        book.parse_and_import(db, cfg, CSV_OK.replace(b"10:00,AB12CD", b"09:00,AB12CD"), DAY, 3, "day.csv")


def test_add_and_cancel_by_hand(cfg, ledger):
    db = ledger.db
    a = ap.make(cfg, DAY, "14:00", "hand01", "2", "K")
    book.add(db, a, 1)
    with pytest.raises(book.BookError, match="already"):
        book.add(db, a, 2)
    assert book.cancel(db, DAY, "HAND01", 3).state == ap.CANCELLED
    assert book.cancel(db, DAY, "HAND01", 4).state == ap.CANCELLED   # twice: the same
    with pytest.raises(book.BookError, match="no appointment"):
        book.cancel(db, DAY, "NOPE99", 5)
    with pytest.raises(ValueError, match="unknown desk"):
        ap.make(cfg, DAY, "14:00", "hand02", "99", "K")


def test_an_old_ledger_gains_the_table(tmp_path):
    import sqlite3
    from desk.ledger import SCHEMA_VERSION
    led = Ledger(tmp_path)
    led.db.execute("DROP TABLE appointments")
    led.db.execute("UPDATE meta SET value='2' WHERE key='schema_version'")
    led.close()
    led = Ledger(tmp_path)
    assert "appointments" in led.db.table_names()
    led.close()
    assert sqlite3.connect(tmp_path / "ledger.db").execute(
        "SELECT value FROM meta WHERE key='schema_version'").fetchone()[0] == str(SCHEMA_VERSION)


# ---------------------------------------------------------------- figures for aufruf report

def test_figures_punctuality_noshow_rate_and_wait_after_checkin(cfg):
    rules = cfg.appointments
    base = appt(cfg)
    f = ap.Figures()
    on_time = dataclasses.replace(base, state=ap.CHECKED_IN, number="T001", checked_in_at=base.at - 10 * MIN)
    f.add(on_time, "done", base.at + 5 * MIN, base.at + 60 * MIN, rules)         # waited 15 min
    called_gone = dataclasses.replace(base, code="X2", state=ap.CHECKED_IN, number="T002",
                                      checked_in_at=base.at + 4 * MIN)
    f.add(called_gone, "noshow", base.at + 9 * MIN, base.at + 60 * MIN, rules)   # waited 5 min, then gone
    f.add(dataclasses.replace(base, code="X3"), None, None, base.at + 60 * MIN, rules)   # never came
    f.add(dataclasses.replace(base, code="X4", at=base.at + 120 * MIN), None, None, base.at + 60 * MIN, rules)
    f.add(dataclasses.replace(base, code="X5", state=ap.CANCELLED), None, None, base.at + 60 * MIN, rules)
    f.add(dataclasses.replace(base, code="X6", state=ap.LATE, number="K001", checked_in_at=base.at + 30 * MIN),
          "done", None, base.at + 60 * MIN, rules)
    got = {k: v for k, _, v in f.rows()}
    assert got["booked"] == "5" and got["cancelled"] == "1" and got["pending"] == "1"
    assert got["noshow"] == "2" and got["noshow_rate_pct"] == "50.0"           # 2 of the 4 decided
    assert got["on_time_pct"] == "66.7" and got["checkin_offset_median_min"] == "-3.0"
    assert got["wait_after_checkin_median_min"] == "10.0" and got["served"] == "1"


def test_report_lists_the_appointment_figures_in_text_and_csv(cfg, tmp_path):
    import csv
    import io
    import subprocess
    import sys
    from pathlib import Path
    site = tmp_path / "site.toml"
    site.write_text(site_text(), encoding="utf-8")
    led = Ledger(tmp_path / "data")
    book.parse_and_import(led.db, cfg, CSV_OK, "2026-11-30", 1, "day.csv")
    led.close()
    repo = Path(__file__).resolve().parents[2]
    r = subprocess.run([sys.executable, "-m", "aufrufcli", "report", "--config", str(site), "--data",
                        str(tmp_path / "data"), "--date", "2026-11-30", "--csv", "-"], cwd=repo,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert len({len(row) for row in csv.reader(io.StringIO(r.stdout))}) == 1      # every row as wide as the header
    rows = {x["key"]: x["value"] for x in csv.DictReader(io.StringIO(r.stdout)) if x["section"] == "appointments"}
    assert rows["booked"] == "3" and rows["noshow"] == "3" and rows["noshow_rate_pct"] == "100.0"
    r = subprocess.run([sys.executable, "-m", "aufrufcli", "report", "--config", str(site), "--data",
                        str(tmp_path / "data"), "--date", "2026-11-30"], cwd=repo, capture_output=True, text=True,
                       timeout=60)
    assert "no-show rate %: 100.0" in r.stdout


# ---------------------------------------------------------------- the drop directory

def test_drop_directory_imports_good_files_and_sets_bad_ones_aside(tmp_path):
    from desk.drop_dir import DropDir
    drop = tmp_path / "drop"
    drop.mkdir()
    cfg = config.parse(site_text(f'drop_dir = "{drop}"\n'))
    led = Ledger(tmp_path / "data")
    try:
        (drop / "2026-12-03-calendar.csv").write_bytes(CSV_OK)
        (drop / "broken.csv").write_bytes(b"time,code,desk,service,note,name\n10:00,AB12CD,r214,B,,Meier\n")
        (drop / "notes.txt").write_text("not a csv")
        out = {h.file: (h.ok, h.result) for h in DropDir().poll(cfg, led, DAY, 1, force=True)}
        assert out["2026-12-03-calendar.csv"] == (True, "3 added, 0 changed, 0 unchanged")
        assert out["broken.csv"][0] is False and "line 1: column 'name' is not allowed" in out["broken.csv"][1]
        assert [a.code for a in book.day(led.db, "2026-12-03")] == ["AB12CD", "XY99ZZ", "QQ11QQ"]
        assert book.day(led.db, DAY) == []                       # nothing of the refused file
        assert (drop / "notes.txt").exists() and not (drop / "broken.csv").exists()
        [why] = (drop / "refused").glob("*.txt")
        assert "column 'name' is not allowed" in why.read_text()
        assert len(list((drop / "done").glob("*.csv"))) == 1
        assert DropDir().poll(cfg, led, DAY, 2, force=True) == []   # nothing left to do
    finally:
        led.close()


def test_appointment_rows_follow_the_retention(cfg, ledger):
    from desk import retention
    db = ledger.db
    book.parse_and_import(db, cfg, CSV_OK, "2026-10-01", 1, "old.csv")
    book.parse_and_import(db, cfg, CSV_OK, DAY, 1, "new.csv")
    p = retention.purge(db, cfg, DAY, ap.at_ms(cfg, DAY, "03:00"))
    assert p.appointments == 3
    assert {a.day for a in book.day(db, "2026-10-01")} == set() and len(book.day(db, DAY)) == 3


def test_a_checkin_commit_fails_whole_if_the_appointment_was_cancelled_meanwhile(cfg, ledger):
    from desk.dispatch import Office
    from desk.ledger import RowChanged
    db = ledger.db
    book.parse_and_import(db, cfg, CSV_OK, DAY, 1, "day.csv")
    a = book.find(db, "AB12CD", DAY)                 # the controller read it: expected
    book.cancel(db, DAY, "AB12CD", 2)                 # the info desk cancels it before the commit
    office = Office(cfg, DAY)
    out = office.admit("T", a.at, "entrance", "r1")
    with pytest.raises(RowChanged, match="changed meanwhile"):
        ledger.commit_many(DAY, a.at, [out], statements=[book.checkin_statement(a, ap.CHECKED_IN, "T001", a.at)])
    assert ledger.tickets(DAY) == [] and book.find(db, "AB12CD", DAY).state == ap.CANCELLED


def test_a_missing_drop_directory_is_reported_once(tmp_path):
    from desk.drop_dir import DropDir
    cfg = config.parse(site_text(f'drop_dir = "{tmp_path / "nowhere"}"\n'))
    led = Ledger(tmp_path / "data")
    try:
        d = DropDir()
        [h] = d.poll(cfg, led, DAY, 1, force=True)
        assert not h.ok and "does not exist" in h.result
        assert d.poll(cfg, led, DAY, 2, force=True) == []
        (tmp_path / "nowhere").mkdir()
        (tmp_path / "nowhere" / "a.csv").write_bytes(CSV_OK)
        assert [x.ok for x in d.poll(cfg, led, DAY, 3, force=True)] == [True]
    finally:
        led.close()


# ---------------------------------------------------------------- anything at all

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_as_csv_are_imported_or_refused_with_reasons_never_a_crash(data):
    cfg_ = config.parse(site_text())
    try:
        rows = ap.parse_csv(cfg_, b"time,code,desk,service,note\n" + data, DAY)
    except ap.ImportRefused as e:
        assert e.problems and all(isinstance(p, str) and p for p in e.problems)
        return
    for a in rows:
        assert ap.CODE_RE.match(a.code) and a.desk in {d.id for d in cfg_.desks}


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_text_as_a_code_is_a_clean_code_or_refused(raw):
    try:
        code = ap.normalize_code(raw)
    except ap.BadCode as e:
        assert "allowed" in str(e)
        return
    assert ap.CODE_RE.match(code)
