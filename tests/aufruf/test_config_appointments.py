"""The site file's appointment keys: [appointments], desk floor/room, kiosk scanner, code keypad and button."""

from __future__ import annotations

import pytest

from appointment_site import site_text
from aufruf import config
from aufruf.errors import ConfigError


def test_defaults_and_the_new_keys():
    cfg = config.parse(site_text())
    a = cfg.appointments
    assert (a.series, a.early_min, a.late_min, a.late_service, a.prefer, a.drop_dir) == ("T", 30, 10, None, True, None)
    assert (cfg.desk("r214").floor, cfg.desk("r214").room) == ("2", "2.14")
    assert cfg.desk("1").room is None and cfg.kiosks[0].scanner is None
    assert config.parse(config.EXAMPLE_SITE.read_text(encoding="utf-8")).appointments is None
    assert "appointments: numbers T001.., check-in 30 min early to 10 min late" in config.summary(cfg)


def test_every_problem_is_named_with_what_is_allowed():
    text = site_text('late_service = "Q"\nprefer = "yes"\nearly = 5\n').replace('series = "T"', 'series = "K"')
    text = text.replace('room = "2.14"', 'room = "2.14 is a very long room label"')
    text = text.replace('id = "entrance"\n', 'id = "entrance"\nappointment_pin = 17\nscanner = 5\n', 1)
    with pytest.raises(ConfigError) as e:
        config.parse(text, "site.toml")
    msg = str(e.value)
    for part in ("desks[4].room: got '2.14 is a very long room label'; allowed: a short label",
                 "appointments.early: unknown key (did you mean 'early_min'?)",
                 "appointments.series: 'K' is already a service key",
                 "appointments.late_service: unknown service 'Q'; allowed: K, N, B",
                 "appointments.prefer: got a string 'yes'",
                 "kiosks[0].appointment_pin: GPIO 17 is already used by kiosks[0].buttons[0].pin",
                 "kiosks[0].scanner: got an integer 5"):
        assert part in msg, msg
