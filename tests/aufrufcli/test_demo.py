"""`aufruf demo --headless`: the scripted morning runs with Mosquitto and with the embedded broker;
its summary matches the ledger and its screenshots show the calls the ledger recorded."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]


def boards(out):
    return {p.name: Image.open(p).convert("RGB").tobytes() for p in sorted(out.glob("board-*.png"))}


@pytest.mark.parametrize("broker", ["mosquitto", "embedded"])
def test_headless_busy_morning(tmp_path, broker):
    out, work = tmp_path / "out", tmp_path / "work"
    argv = [sys.executable, "-m", "aufrufcli", "demo", "--headless", "--scenario", "busy-morning",
            "--out", str(out), "--data", str(work), "--broker", broker]
    env = dict(os.environ, PYTHONPATH=str(REPO))
    earlier = None
    if broker == "mosquitto":
        # a first run into the same --data and --out: the second must neither continue its ledger nor keep
        # its pictures, and must draw the very same boards (the same seed, the same morning)
        r = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, r.stderr[-3000:]
        earlier = (boards(out), json.loads((out / "summary.json").read_text()))
    r = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=180)
    assert r.returncode == 0, r.stderr[-3000:]
    assert " INFO " not in r.stderr                 # headless prints the summary, not ~700 log lines
    summary = json.loads((out / "summary.json").read_text())
    if earlier is not None:
        assert [(s["current"], s["calls"]) for s in summary["screenshots"]] == \
            [(s["current"], s["calls"]) for s in earlier[1]["screenshots"]]
        now = boards(out)
        assert now.keys() == earlier[0].keys() and all(now[k] == earlier[0][k] for k in now), \
            "the same seed drew different boards"
    assert summary["broker"].startswith(broker)
    assert summary["tickets_issued"] == {"K": 68, "N": 22}
    assert summary["tickets_printed"] == 90
    assert summary["noshows"] > 0 and summary["transfers"] > 0 and summary["pauses"] == 1
    assert sum(summary["calls_per_desk"].values()) == summary["calls"]
    assert "tickets issued: K 68, N 22" in r.stdout
    con = sqlite3.connect(work / "data" / "ledger.db")
    calls = con.execute("SELECT number, desk, at FROM events WHERE kind IN ('call', 'recall') "
                        "ORDER BY seq").fetchall()
    states = dict(con.execute("SELECT state, COUNT(*) FROM tickets GROUP BY state").fetchall())
    con.close()
    assert states == summary["final_states"] and sum(states.values()) == 90
    recorded = {(n, d) for n, d, _ in calls}
    assert len(summary["screenshots"]) == 5
    previous = None
    for shot in summary["screenshots"]:
        img = Image.open(out / shot["file"])
        assert img.size == (1920, 1080)
        # every call on the screenshot is a call of the ledger (the display may hold back the order of
        # calls made in the same second until each had its turn on the big panel)
        shown = [(c["number"], c["desk"]) for c in shot["calls"]]
        assert shown and set(shown) <= recorded
        assert shot["current"] and (shot["current"]["number"], shot["current"]["desk"]) in recorded
        pixels = img.convert("RGB").tobytes()
        assert pixels != previous, "two screenshots look the same"
        previous = pixels
    # the last screenshot shows the last call of the morning
    assert calls[-1][:2] in shown
    tickets = sorted(p.name for p in (out / "tickets").glob("*.png"))
    assert len(tickets) == 90 and tickets[0] == "K001.png"


def test_the_window_demo_runs_on_a_clock_inside_opening_hours():
    import datetime as dt

    from aufruf import config
    from aufrufcli.demo import office_clock
    cfg = config.load(config.EXAMPLE_SITE)
    sunday = dt.datetime(2026, 11, 29, 20, 15, tzinfo=cfg.tz)
    shift, why = office_clock(cfg, sunday)
    moved = sunday + dt.timedelta(milliseconds=shift)
    assert cfg.is_open(moved) and moved.strftime("%a %H:%M") == "Fri 09:00"
    assert "outside the model office's opening hours (Sun 20:15 here)" in why
    tuesday = dt.datetime(2026, 11, 24, 10, 0, tzinfo=cfg.tz)
    assert office_clock(cfg, tuesday) == (0, None)
