"""Statistics of a known day (tests/known_day.py) played through the real queue rules and ledger."""

import pytest

from aufruf import config
from desk import history, stats
from desk.ledger import Ledger
from known_day import DAY, TZ, play

CFG = config.load(config.EXAMPLE_SITE)


@pytest.fixture
def ledger(tmp_path):
    led = Ledger(tmp_path)
    yield led
    led.close()


@pytest.fixture
def figures(ledger):
    play(CFG, ledger)
    return stats.day_figures(DAY, *history.day_rows(ledger.db, DAY), TZ)


def test_counts_per_service_use_the_service_the_ticket_was_issued_for(figures):
    k, n = figures.services["K"], figures.services["N"]
    # K001 K003 K005 K006 done, K002 no-show, K004 void
    assert {c: k[c] for c in stats.SERVICE_COUNTS} == {
        "issued": 6, "served": 4, "noshow": 1, "void": 1, "expired": 0, "transferred": 0, "open": 0}
    # N001 done (at desk 3, after its transfer to K), N002 expired at the day boundary
    assert {c: n[c] for c in stats.SERVICE_COUNTS} == {
        "issued": 2, "served": 1, "noshow": 0, "void": 0, "expired": 1, "transferred": 1, "open": 0}


def test_waits_run_from_issue_to_the_first_call(figures):
    k, n = figures.services["K"], figures.services["N"]
    assert sorted(k.wait.exact) == [1, 4, 5, 5, 54]
    assert (k.wait.median(), k.wait.percentile(90), k.wait.max()) == (5, 54, 54)
    assert n.wait.exact == [12]                       # first call 08:15, not the second one at 08:25
    total = figures.total()
    assert (total.wait.median(), total.wait.percentile(90), total.wait.max()) == (5, 54, 54)
    assert total.wait.percentile(50) == 5 and total.wait.count == 6


def test_service_times_count_for_the_service_and_desk_that_served(figures):
    # K001 4, N001 6 (served from the K line), K005 9, K003 8, K006 5
    assert sorted(figures.services["K"].service.exact) == [4, 5, 6, 8, 9]
    assert figures.services["K"].service.median() == 6
    assert figures.services.get("N", stats.Group()).service.count == 0
    d = figures.desks
    assert {k: (g["called"], g["served"], g["noshow"], g["transferred"]) for k, g in d.items()} == {
        "1": (1, 0, 0, 1), "2": (1, 1, 0, 0), "3": (3, 3, 0, 0), "4": (2, 1, 1, 0)}
    assert (d["2"].service.median(), d["3"].service.median(), d["4"].service.median()) == (8, 5, 9)


def test_hours_and_busiest_hour_in_local_time(figures):
    h = figures.hours
    assert sorted(h) == [8, 9]
    assert (h[8]["K"]["issued"], h[8]["N"]["issued"], h[9]["K"]["issued"], h[9]["N"]["issued"]) == (4, 1, 2, 1)
    assert (h[8]["K"].wait.median(), h[8]["N"].wait.median(), h[9]["K"].wait.median()) == (5, 12, 3)
    assert h[9]["N"].wait.median() is None            # N002 was never called
    assert figures.busiest_hour() == (8, 5)


def test_estimate_error_compares_the_printed_minutes_with_the_real_wait(ledger):
    etas = play(CFG, ledger)
    # K has 3 desks' worth (desks 1 and 2 split with N) at 4 min by default: ceil(ahead * 4 / 3);
    # K006 comes after >= 3 real service times
    assert etas == {"K001": 0, "K002": 2, "N001": 0, "K003": 0, "K004": 2, "K005": 0, "N002": 0, "K006": 0}
    f = stats.day_figures(DAY, *history.day_rows(ledger.db, DAY), TZ)
    # |eta - wait|: K001 |0-5|, K002 |2-4|, K003 |0-54|, K005 |0-1|, K006 |0-5|
    assert sorted(f.services["K"].eta_error.exact) == [1, 2, 5, 5, 54]
    assert f.services["K"].eta_error.median() == 5
    assert f.services["N"].eta_error.exact == [12]


def test_aggregate_round_trip_keeps_counts_and_waits_to_the_minute(figures):
    import json
    back = stats.Figures.from_aggregate(json.loads(json.dumps(figures.to_aggregate())))
    assert back.from_aggregates == [DAY]
    for key in ("K", "N"):
        assert back.services[key].counts == figures.services[key].counts
    # waits 1, 4, 5, 5, 54 are whole minutes: each bin counts as the middle of its minute
    assert back.services["K"].wait.values() == [1.5, 4.5, 5.5, 5.5, 54.5]
    assert back.services["K"].wait.max() == 54
    assert back.busiest_hour() == (8, 5)
    assert back.desks["3"]["served"] == 3


def test_aggregate_has_no_ticket_numbers_and_no_moments(figures):
    import json
    text = json.dumps(figures.to_aggregate())
    assert "K00" not in text and "N00" not in text
    assert "1795" not in text                         # no millisecond timestamps of this day


def test_today_summary_is_small_and_counts_the_day_so_far(figures):
    from aufruf import protocol
    raw = stats.today_summary("jc-mitte", "Jobcenter Mitte", figures, {"K": 0, "N": 3}, ["K", "N"], 42).to_json()
    assert len(raw) < protocol.MAX_PAYLOAD
    payload = protocol.StatsToday.from_json(raw).to_dict()      # what a central monitor reads back
    assert payload["services"]["K"] == {"issued": 6, "served": 4, "noshow": 1, "waiting": 0, "median_wait_min": 5}
    assert payload["services"]["N"] == {"issued": 2, "served": 1, "noshow": 0, "waiting": 3, "median_wait_min": 12}
    assert payload["median_wait_min"] == 5 and payload["day"] == DAY and payload["updated_at"] == 42


def test_today_figures_count_and_wait_as_the_day_report_does(ledger, figures):
    # stats/today reads only numbers, states and first calls; its figures are the report's
    today = stats.today_figures(DAY, *history.today_rows(ledger.db, DAY))
    for key in ("K", "N"):
        for c in ("issued", "served", "noshow", "void", "expired", "called"):
            assert today.services[key][c] == figures.services[key][c], (key, c)
        assert sorted(today.services[key].wait.exact) == sorted(figures.services[key].wait.exact)
    assert today.services["N"].wait.exact == [12]     # the first call, not the one after the transfer
    assert stats.today_summary("jc-mitte", "Jobcenter Mitte", today, {"K": 0, "N": 3}, ["K", "N"], 42) == \
        stats.today_summary("jc-mitte", "Jobcenter Mitte", figures, {"K": 0, "N": 3}, ["K", "N"], 42)


def test_percentile_is_nearest_rank():
    d = stats.Dist()
    for v in range(1, 11):                            # 1..10
        d.add(float(v))
    assert (d.percentile(90), d.percentile(50), d.percentile(100), d.median()) == (9, 5, 10, 5.5)
    assert stats.Dist().median() is None and stats.Dist().percentile(90) is None
