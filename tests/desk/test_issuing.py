"""The issuing rules of a real day, pure: an injected clock, no broker, no database."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from aufruf import config
from aufruf.errors import ConfigError
from desk import issuing
from desk.dispatch import Office, Refused, ServiceClosed

BERLIN = ZoneInfo("Europe/Berlin")
RULES = """
[issuing]
within_hours = true
closed_slip = { de = "Für heute keine Wartemarken mehr - bitte kommen Sie morgen ab 8 Uhr wieder" }
reasons = { fault = { de = "Technische Störung", en = "Technical fault" } }
"""


def site(services_extra: dict[str, str] | None = None, extra: str = RULES) -> config.SiteConfig:
    text = config.EXAMPLE_SITE.read_text(encoding="utf-8")
    text = text.replace('day_starts = "03:00"', 'day_starts = "03:00"\nclosed_days = [2026-12-24, "2026-12-25"]')
    for key, lines in (services_extra or {}).items():
        text = text.replace(f'key = "{key}"\n', f'key = "{key}"\n{lines}\n')
    return config.parse(text + extra)


def at(y, mo, d, h, mi=0) -> int:
    return int(dt.datetime(y, mo, d, h, mi, tzinfo=BERLIN).timestamp() * 1000)


WED = (2026, 11, 25)      # a Wednesday: open 08:00-18:00


def test_outside_opening_hours_and_on_a_closing_day_no_ticket():
    o = Office(site(), "2026-11-25")
    with pytest.raises(ServiceClosed) as e:
        o.issue("K", at(*WED, 7, 59))
    assert e.value.closed.reason == issuing.HOURS
    assert o.issue("K", at(*WED, 8, 0)).ticket.number == "K001"
    with pytest.raises(ServiceClosed) as e:
        o.issue("K", at(*WED, 18, 0))
    assert e.value.closed.reason == issuing.HOURS
    with pytest.raises(ServiceClosed, match="closed"):
        o.issue("K", at(2026, 11, 29, 10))                     # a Sunday: no hours at all
    for day in ((2026, 12, 24), (2026, 12, 25)):             # Thursday and Friday, but closing days
        with pytest.raises(ServiceClosed) as e:
            Office(site(), "x").issue("N", at(*day, 10))
        assert e.value.closed.reason == issuing.CLOSED_DAY
    assert isinstance(e.value, Refused) and o.waiting("K") == 1  # a refusal changes nothing


def test_without_within_hours_the_office_issues_at_any_time():
    o = Office(site(extra=""), "2026-11-29")
    assert o.issue("K", at(2026, 11, 29, 23)).ticket.number == "K001"


def test_last_ticket_time_stops_one_service_only():
    o = Office(site({"K": 'last_ticket = "17:30"'}), "2026-11-25")
    o.issue("K", at(*WED, 17, 29))
    with pytest.raises(ServiceClosed) as e:
        o.issue("K", at(*WED, 17, 30))
    assert e.value.closed.reason == issuing.LAST_TICKET
    assert o.issue("N", at(*WED, 17, 45)).ticket.number == "N001"
    q = o.queue_state(at(*WED, 17, 45)).services
    assert q["K"].open is False and q["K"].closed == "last_ticket" and q["N"].closed is None


def test_daily_quota_counts_issued_tickets_but_not_voided_ones():
    o = Office(site({"N": "quota = 2"}), "2026-11-25")
    first = o.issue("N", at(*WED, 9)).ticket
    o.issue("N", at(*WED, 9, 1))
    with pytest.raises(ServiceClosed) as e:
        o.issue("N", at(*WED, 9, 2))
    assert e.value.closed.reason == issuing.QUOTA
    o.printed(first.number, False, at(*WED, 9, 3))             # paper out: that number never reached anyone
    assert o.issue("N", at(*WED, 9, 4)).ticket.number == "N003"
    with pytest.raises(ServiceClosed):
        o.issue("N", at(*WED, 9, 5))


def test_capacity_stop_when_the_open_desks_cannot_serve_the_waiting_before_closing():
    # N: 12 min default, desks 1 and 2 serve K and N (half a desk each): 12 min per person in the line
    o = Office(site({"N": "capacity_stop = true"}), "2026-11-25")
    o.issue("N", at(*WED, 16, 0))
    o.issue("N", at(*WED, 16, 0))
    assert o.eta_min("N", 2) == 24
    o.issue("N", at(*WED, 17, 30))                             # served from 17:54: fits before 18:00
    with pytest.raises(ServiceClosed) as e:
        o.issue("N", at(*WED, 17, 30))                         # would be served from 18:06
    assert e.value.closed.reason == issuing.CAPACITY
    assert o.queue_state(at(*WED, 17, 30)).services["N"].closed == "capacity"
    o.command("1", "next", at(*WED, 17, 31))                   # the line shrinks: 2 waiting, 24 min
    assert o.closed("N", at(*WED, 17, 31)) is None
    assert o.closed("N", at(*WED, 17, 40)) is not None         # ... but 17:40 + 24 min is too late again
    for d in ("1", "2"):
        o.command(d, "pause", at(*WED, 17, 35))
    assert o.eta_min("N", 0) is None and o.closed("N", at(*WED, 17, 36)) is None  # no estimate: no stop


def test_staff_close_and_reopen_for_the_rest_of_the_day():
    cfg = site({"K": 'last_ticket = "12:00"'})
    o = Office(cfg, "2026-11-25")
    out = o.set_override("N", issuing.CLOSE, "fault", at(*WED, 9))
    assert out.overrides == [("N", issuing.Override("closed", "fault", at(*WED, 9)))]
    with pytest.raises(ServiceClosed) as e:
        o.issue("N", at(*WED, 9, 5))
    assert (e.value.closed.reason, e.value.closed.note) == (issuing.STAFF, "fault")
    q = o.queue_state(at(*WED, 9, 5)).services["N"]
    assert (q.open, q.closed, q.note) == (False, "staff", "fault")
    o.set_override("N", issuing.REOPEN, "", at(*WED, 10))
    assert o.issue("N", at(*WED, 10, 1)).ticket.number == "N001"
    # a reopen also lifts the automatic stops of the day, never the opening hours
    o.set_override("K", issuing.REOPEN, "", at(*WED, 12, 30))
    assert o.issue("K", at(*WED, 12, 31)).ticket.number == "K001"
    with pytest.raises(ServiceClosed):
        o.issue("K", at(*WED, 18, 30))
    o.roll_over("2026-11-26", at(2026, 11, 26, 3))             # the next day starts with the rules alone
    assert o.overrides == {}
    with pytest.raises(Refused, match="unknown service"):
        o.set_override("X", issuing.CLOSE, "", 0)


def test_the_info_desk_can_force_a_ticket_and_it_is_logged():
    o = Office(site(), "2026-11-25")
    out = o.issue("K", at(*WED, 19), kiosk="info", force=True)
    assert out.ticket.number == "K001" and ("forced", "K001", None) in out.events
    assert ("forced", "K002", None) not in o.issue("K", at(*WED, 10), force=True).events  # open: nothing to log


def test_bad_rule_keys_are_named():
    with pytest.raises(ConfigError) as e:
        site({"K": 'last_ticket = "25:00"\nquota = 0'}, extra="[issuing]\nwithin_hour = true\n"
             "[alarm]\nhold_s = 0.2\n")
    text = str(e.value)
    for part in ("services[0].last_ticket", "services[0].quota", "issuing.within_hour: unknown key "
                 "(did you mean 'within_hours'?)", "alarm.hold_s"):
        assert part in text
