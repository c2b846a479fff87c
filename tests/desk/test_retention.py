"""Data retention: per-ticket rows older than the retention go, daily aggregates stay."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from aufruf import config, protocol
from aufruf.errors import LedgerError
from desk import history, report, retention
from desk.controller import Controller
from desk.ledger import Ledger
from known_day import at, play

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = config.EXAMPLE_SITE.read_text(encoding="utf-8")
DAYS = ["2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25"]


def site_with_retention(tmp_path, days: int) -> Path:
    p = tmp_path / "site.toml"
    p.write_text(EXAMPLE + f"\n[ledger]\nretention_days = {days}\n", encoding="utf-8")
    return p


def days_in(db_path, table):
    con = sqlite3.connect(db_path)
    try:
        return [r[0] for r in con.execute(f"SELECT DISTINCT day FROM {table} ORDER BY day")]
    finally:
        con.close()


@pytest.fixture
def filled(tmp_path):
    """Five known days; idempotency records at 08:00 of each."""
    led = Ledger(tmp_path / "data")
    cfg = config.load(site_with_retention(tmp_path, 2))
    for d in DAYS:
        play(cfg, led, day=d)
        led.commit(d, at("08:00", d), None, (), ("kiosk/entrance", f"req-{d}", protocol.Refusal(f"req-{d}", "closed")))
    yield cfg, led
    led.close()


def test_purge_deletes_exactly_the_days_older_than_the_retention_and_keeps_aggregates(filled):
    cfg, led = filled
    p = retention.purge(led.db, cfg, "2026-11-25", at("03:00", "2026-11-25"))
    # retention 2 days before 2026-11-25: 23, 24 and 25 stay
    assert p.days == ["2026-11-21", "2026-11-22"]
    # a known day: 8 tickets; 25 events (8 issue, 1 void, 7 call, 1 recall, 1 noshow, 1 transfer, 5 done, 1 expire)
    assert (p.tickets, p.events) == (2 * 8, 2 * 25)
    assert days_in(led.path, "tickets") == DAYS[2:]
    assert days_in(led.path, "events") == DAYS[2:]
    reqs = [r[0] for r in led.db.execute("SELECT id FROM requests ORDER BY id")]
    assert reqs == ["req-2026-11-23", "req-2026-11-24", "req-2026-11-25"]
    assert days_in(led.path, "daily") == DAYS[:2]          # aggregated before deleting
    # the report of a deleted day comes from its aggregate, to the minute
    f = report.load_figures(led.db, cfg, ["2026-11-21"])
    assert f.from_aggregates == ["2026-11-21"]
    k = f.services["K"]
    assert (k["issued"], k["served"], k["noshow"], k["void"]) == (6, 4, 1, 1)
    assert (k.wait.median(), k.wait.max()) == (5.5, 54)    # waits 1, 4, 5, 5, 54 min; bins count as mid-minute
    # a range mixing aggregate days and row days adds up
    both = report.load_figures(led.db, cfg, DAYS)
    assert both.total()["issued"] == 5 * 8 and both.from_aggregates == DAYS[:2]
    # purging again changes nothing
    assert retention.purge(led.db, cfg, "2026-11-25", at("03:00", "2026-11-25")).days == []


def test_the_controller_aggregates_the_old_day_and_applies_the_retention_at_the_boundary(tmp_path):
    cfg = config.load(site_with_retention(tmp_path, 1))
    led = Ledger(tmp_path / "data")
    try:
        play(cfg, led, day="2026-11-21")
        play(cfg, led, day="2026-11-22")
        play(cfg, led, day="2026-11-23", roll_over=False)   # the controller is still on the 23rd
        now = [at("10:00", "2026-11-24")]
        ctl = Controller(cfg, led, clock=lambda: now[0])
        assert ctl.office.day == "2026-11-23"
        ctl._check_day()                                     # what the worker does when idle
        assert ctl.office.day == "2026-11-24"
        assert days_in(led.path, "tickets") == ["2026-11-23"]  # retention 1 day: 21 and 22 deleted
        assert days_in(led.path, "daily") == ["2026-11-21", "2026-11-22", "2026-11-23"]
        agg = history.aggregate(led.db, "2026-11-23")
        assert agg["services"]["N"]["counts"]["expired"] == 1   # N002 expired at the boundary, then aggregated
        today = ctl.today.summarize(now[0])                      # stats/today now counts the new, empty day
        assert today.day == "2026-11-24" and today.services["N"].issued == 0
    finally:
        led.close()


def run_report(*args):
    return subprocess.run([sys.executable, "-m", "aufrufcli", "report", *args], cwd=REPO,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, timeout=60)


def test_erase_before_asks_first_then_deletes_rows_and_optionally_aggregates(filled, tmp_path):
    cfg, led = filled
    data = str(led.dir)
    base = ("--config", cfg.path, "--data", data)
    r = run_report(*base, "--erase-before", "2026-11-24")
    assert r.returncode == 0 and "would delete the per-ticket rows of 3 days" in r.stdout and "--yes" in r.stdout
    assert days_in(led.path, "tickets") == DAYS
    r = run_report(*base, "--erase-before", "2026-11-24", "--yes")
    assert r.returncode == 0, r.stderr
    assert "deleted 24 tickets, 75 events, 3 request records before 2026-11-24 (daily aggregates kept)" in r.stdout
    assert days_in(led.path, "tickets") == DAYS[3:]
    r = run_report(*base, "--date", "2026-11-22")
    assert "from daily aggregates" in r.stdout and "busiest hour: 08:00-09:00 with 5 arrivals" in r.stdout
    r = run_report(*base, "--erase-before", "2026-11-23", "--with-aggregates", "--yes")
    assert r.returncode == 0 and "2 daily aggregates" in r.stdout
    assert days_in(led.path, "daily") == ["2026-11-23"]
    led.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = b"".join(Path(str(led.path) + sfx).read_bytes() for sfx in ("", "-wal") if Path(str(led.path) + sfx).exists())
    assert b"2026-11-21" not in raw and b"2026-11-22" not in raw   # overwritten (secure_delete), not just unlinked
    r = run_report(*base, "--erase-before", "2099-01-01", "--yes")
    assert r.returncode == 2 and "after today" in r.stderr


def test_schema_1_ledger_is_migrated_and_keeps_its_rows(tmp_path):
    led = Ledger(tmp_path)
    play(config.load(config.EXAMPLE_SITE), led)
    led.db.execute("DROP TABLE daily")
    led.db.execute("UPDATE meta SET value='1' WHERE key='schema_version'")
    led.db.conn.commit()
    led.close()
    led = Ledger(tmp_path)
    try:
        assert led.get_meta("schema_version") == "2"
        assert "daily" in led.db.table_names()
        assert len(led.tickets("2026-11-25")) == 8
    finally:
        led.close()
    con = sqlite3.connect(tmp_path / "ledger.db")
    con.execute("UPDATE meta SET value='3' WHERE key='schema_version'")
    con.commit()
    con.close()
    with pytest.raises(LedgerError, match="schema version 3"):
        Ledger(tmp_path)


def test_ledger_holds_ticket_numbers_and_times_never_a_person(tmp_path):
    """If this fails, a column was added: say in docs/privacy.md what it holds before changing the list."""
    led = Ledger(tmp_path)
    try:
        cols = {t: [c.name for c in led.db[t].columns] for t in led.db.table_names() if t != "sqlite_sequence"}
    finally:
        led.close()
    assert cols == {
        "meta": ["key", "value"],
        "tickets": ["day", "number", "service", "queue", "seq", "issued_at", "state", "desk", "called_at",
                    "finished_at", "priority", "kiosk", "request_id", "ahead", "eta_min", "recalls", "transfers"],
        "desks": ["id", "status", "ticket", "since"],
        "requests": ["scope", "id", "reply", "at"],
        "outbox": ["seq", "topic", "payload", "retain"],
        "events": ["seq", "at", "day", "kind", "number", "desk", "service", "call_id"],
        "daily": ["day", "figures", "computed_at"],
    }
