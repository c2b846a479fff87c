"""`aufruf report` as a manager runs it, over a ledger filled by the known day (tests/known_day.py)."""

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from aufruf import config
from desk.ledger import Ledger
from known_day import DAY, play

REPO = Path(__file__).resolve().parents[2]
CFG = config.load(config.EXAMPLE_SITE)


def aufruf(*args, cwd=REPO):
    return subprocess.run([sys.executable, "-m", "aufrufcli", "report", *args], cwd=cwd,
                          env=dict(os.environ, PYTHONPATH=str(REPO)), capture_output=True, text=True, timeout=60)


@pytest.fixture
def data(tmp_path):
    d = tmp_path / "data"
    led = Ledger(d)
    play(CFG, led)
    led.close()
    return d


def test_text_report_shows_the_known_figures(data):
    r = aufruf("--config", str(config.EXAMPLE_SITE), "--data", str(data), "--date", DAY)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "Jobcenter Mitte (jc-mitte): 2026-11-25 (Wed)"
    row = {ln.split()[0] + (ln.split()[1] if ln.startswith(("K ", "N ")) else ""): ln for ln in lines if ln.strip()}
    # service  issued served no-show void expired transf. open | wait med p90 max | service med | estimate err
    assert row["KKurzanliegen"].split() == ["K", "Kurzanliegen", "6", "4", "1", "1", "0", "0", "0", "|",
                                            "5.0", "54.0", "54.0", "|", "6.0", "|", "5.0"]
    assert row["NNeumeldung"].split() == ["N", "Neumeldung", "2", "1", "0", "0", "1", "1", "0", "|",
                                          "12.0", "12.0", "12.0", "|", "-", "|", "12.0"]
    assert row["all"].split()[1:8] == ["8", "5", "1", "1", "1", "1", "0"]
    assert [ln for ln in lines if ln.startswith("Schalter 3")][0].split() == ["Schalter", "3", "3", "3", "0", "0",
                                                                             "|", "5.0"]
    assert "08:00-09:00 |          4      5.0 |          1     12.0 |     5" in lines
    assert "busiest hour: 08:00-09:00 with 5 arrivals" in lines


def test_csv_and_png(data, tmp_path):
    out_csv, out_png = tmp_path / "r.csv", tmp_path / "r.png"
    r = aufruf("--config", str(config.EXAMPLE_SITE), "--data", str(data), "--date", DAY, "--csv", str(out_csv),
               "--png", str(out_png))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    k = next(x for x in rows if x["section"] == "service" and x["key"] == "K")
    assert (k["from"], k["to"], k["issued"], k["served"], k["wait_median_min"], k["wait_p90_min"],
            k["service_median_min"], k["estimate_error_median_min"]) == (DAY, DAY, "6", "4", "5.00", "54.00", "6.00",
                                                                    "5.00")
    d4 = next(x for x in rows if x["section"] == "counter" and x["key"] == "4")
    assert (d4["name"], d4["called"], d4["served"], d4["noshow"]) == ("Schalter 4", "2", "1", "1")
    h9k = next(x for x in rows if x["section"] == "hour" and x["hour"] == "09" and x["key"] == "K")
    assert (h9k["issued"], h9k["wait_median_min"]) == ("2", "3.00")
    img = Image.open(out_png)
    assert img.format == "PNG" and img.size == (1200, 800)
    # not blank: many colours, and both service colours of the lines are there
    colours = img.convert("RGB").getcolors(1_000_000)
    assert len(colours) > 50
    px = {c for _, c in colours}
    assert (0x1f, 0x6f, 0xb4) in px and (0xe0, 0x73, 0x1c) in px


def test_range_report_adds_days(data):
    led = Ledger(data)
    play(CFG, led, day="2026-11-26")
    led.close()
    r = aufruf("--config", str(config.EXAMPLE_SITE), "--data", str(data), "--from", DAY, "--to", "2026-11-27",
               "--csv", "-")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("from,to,section,")            # the CSV alone: it can be piped
    k = next(x for x in csv.DictReader(io.StringIO(r.stdout))
             if x["section"] == "service" and x["key"] == "K")
    assert (k["from"], k["to"]) == (DAY, "2026-11-27")
    assert (k["issued"], k["served"], k["wait_median_min"], k["wait_max_min"]) == ("12", "8", "5.00", "54.00")


def test_bad_input_is_answered(data, tmp_path):
    base = ("--config", str(config.EXAMPLE_SITE), "--data", str(data))
    r = aufruf(*base, "--date", "25.11.2026")
    assert r.returncode == 2 and "is not a day like 2026-11-25" in r.stderr
    r = aufruf(*base, "--from", "2026-11-26", "--to", "2026-11-25")
    assert r.returncode == 2 and "before --from" in r.stderr
    r = aufruf("--config", str(config.EXAMPLE_SITE), "--data", str(tmp_path / "nowhere"))
    assert r.returncode == 1 and "no ledger at" in r.stderr
    r = aufruf("--data", str(data))                 # the default site file, as every command has
    assert r.returncode == 1 and "/etc/aufruf/site.toml" in r.stderr


def test_report_reads_while_the_controller_holds_the_ledger(data):
    led = Ledger(data)                       # the controller's connection, open
    try:
        with led.db.atomic():                # even mid-transaction (WAL: readers do not wait)
            led.db.execute("UPDATE meta SET value=value WHERE key='day'")
            r = aufruf("--config", str(config.EXAMPLE_SITE), "--data", str(data), "--date", DAY)
        assert r.returncode == 0, r.stderr
    finally:
        led.close()
    assert "busiest hour: 08:00-09:00 with 5 arrivals" in r.stdout


def test_empty_day(data):
    r = aufruf("--config", str(config.EXAMPLE_SITE), "--data", str(data), "--date", "2026-01-01")
    assert r.returncode == 0 and "no tickets in this period" in r.stdout


def test_the_chart_of_today_does_not_draw_hours_that_have_not_happened_as_zero(data):
    from desk import chart, history
    from desk.report import load_figures
    db = history.open_readonly(data)
    try:
        figures = load_figures(db, CFG, [DAY])
    finally:
        db.close()
    hours = list(range(8, 18))
    done = chart.hour_series(figures, ["K", "N"], hours, "arrivals")
    today = chart.hour_series(figures, ["K", "N"], hours, "arrivals", until_hour=10)
    assert done["K"][:3] == today["K"][:3] and done["K"][5] == 0.0      # a quiet past hour is a real 0
    assert today["K"][3:] == [None] * 7 and today["N"][3:] == [None] * 7  # 11:00 onwards: not yet
