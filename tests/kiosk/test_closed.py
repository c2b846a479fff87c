"""A closed service at the kiosk: the real controller (injected clock), a real Mosquitto, mock pins, Dummy printer."""

from __future__ import annotations

import datetime as dt
import sqlite3
from zoneinfo import ZoneInfo

import pytest
from printers import StatusDummy
from probe import wait_until

from aufruf import config
from kiosk import panel

BUTTON_K, BUTTON_N, LED = 17, 18, 27
BERLIN = ZoneInfo("Europe/Berlin")
SLIP = "Für heute keine Wartemarken mehr - bitte kommen Sie morgen ab 8 Uhr wieder"


class Clock:
    def __init__(self, ms: int):
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def at(h: int, mi: int = 0, day: int = 25) -> int:
    return int(dt.datetime(2026, 11, day, h, mi, tzinfo=BERLIN).timestamp() * 1000)   # Wednesday 25th, 08-18


def rules_cfg(site, slip: bool) -> config.SiteConfig:
    """The test site's file with issuing rules (the same users and broker)."""
    extra = "\n[issuing]\nwithin_hours = true\n" + (f'closed_slip = {{ de = "{SLIP}" }}\n' if slip else "")
    site.write_config(site.config_path.read_text(encoding="utf-8") + extra)
    return site.cfg


@pytest.fixture
def controller(site, desk_service):
    return lambda cfg, clock: desk_service(site, clock=clock)


def tickets(site) -> list:
    con = sqlite3.connect(site.data / "ledger.db")
    try:
        return con.execute("SELECT number FROM tickets").fetchall()
    finally:
        con.close()


def test_a_press_outside_hours_prints_nothing_and_the_led_shows_closed(site, controller, make_kiosk, pins):
    cfg = rules_cfg(site, slip=False)
    clock = Clock(at(19, day=24))
    controller(cfg, clock)
    printer = StatusDummy()
    k = make_kiosk(printer, cfg=cfg)
    wait_until(lambda: k.led_mode == panel.CLOSED, 5, "the LED showing closed (from the retained queue)")
    pins.pin(BUTTON_K).drive_low()
    pins.pin(BUTTON_K).drive_high()
    wait_until(lambda: k.closed_presses == 1, 5, "the controller's 'closed' answer")
    wait_until(lambda: k.led_mode == panel.CLOSED, 5, "the LED showing closed after the press")
    assert printer.tickets == [] and k.printed_count == 0 and tickets(site) == []
    assert k.closed == {"K": "hours", "N": "hours"}
    led = pins.pin(LED)
    wait_until(lambda: led.state, 10, "the LED's short flash")
    # the next morning: the controller publishes the open queue by itself; the LED is ready again
    clock.ms = at(8, 1)
    wait_until(lambda: k.led_mode == panel.READY, 10, "the LED ready again")


def test_a_configured_slip_is_printed_instead_of_a_ticket(site, controller, make_kiosk, pins):
    cfg = rules_cfg(site, slip=True)
    controller(cfg, Clock(at(19)))
    printer = StatusDummy()
    k = make_kiosk(printer, cfg=cfg)
    wait_until(lambda: k.led_mode == panel.CLOSED, 5, "the LED showing closed")
    pins.pin(BUTTON_N).drive_low()
    pins.pin(BUTTON_N).drive_high()
    wait_until(lambda: printer.tickets, 5, "the slip")
    out = printer.output
    assert b"heute keine Wartemarken mehr" in out and b"N001" not in out and tickets(site) == []
    assert k.closed_presses == 1 and k.printed_count == 0
