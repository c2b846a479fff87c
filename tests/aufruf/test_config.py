"""The site config: the example is valid; a broken file lists every problem, naming file and key."""

import subprocess
import sys
from pathlib import Path

import pytest

from aufruf import config
from aufruf.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = (REPO / "examples" / "site.toml").read_text()


def problems(text):
    with pytest.raises(ConfigError) as e:
        config.parse(text, "site.toml")
    return e.value.problems


def test_example_site_is_the_model_site():
    cfg = config.parse(EXAMPLE)
    assert [s.key for s in cfg.services] == ["K", "N"]
    assert {d.id: d.services for d in cfg.desks} == {"1": ("K", "N"), "2": ("K", "N"), "3": ("K",), "4": ("K",)}
    assert cfg.languages == ("de", "en")
    assert cfg.desk("3").label("de") == "Schalter 3" and cfg.desk("3").label("en") == "Counter 3"
    assert [(b.service, b.pin) for b in cfg.kiosks[0].buttons] == [("K", 17), ("N", 18)]


def test_every_problem_is_reported_at_once():
    text = EXAMPLE.replace('id = "jc-mitte"', 'id = "JC Mitte"') \
                  .replace("languages = [", "langauges = [") \
                  .replace('key = "N"', 'key = "K"') \
                  .replace('services = ["K"]', 'services = ["X"]', 1) \
                  .replace("pin = 18", "pin = 17") \
                  .replace('connection = "dummy"', 'connection = "bluetooth"')
    p = problems(text)
    assert any(x.startswith("site.id:") and "not a valid id" in x for x in p)
    assert any(x.startswith("site.langauges: unknown key (did you mean 'languages'?)") for x in p)
    assert any("services[1].key: duplicate service key 'K'" in x for x in p)
    assert any(x.startswith("desks[2].services[0]: unknown service 'X'; allowed: K") for x in p)
    assert any("kiosks[0].buttons[1].pin: GPIO 17 is already used" in x for x in p)
    assert any(x.startswith("kiosks[0].printer.connection:") and "usb | serial | network | file | dummy" in x
               for x in p)
    assert len(p) >= 6


def test_missing_required_keys_and_wrong_types():
    p = problems('[site]\nid = "x"\nname = 5\n')
    assert any(x.startswith("site.name: got an integer 5; allowed:") for x in p)
    assert "services: is required; allowed: one or more [[services]] tables" in p
    assert "desks: is required; allowed: one or more [[desks]] tables" in p


def test_duplicate_desk_ids_and_bad_keypad_desk():
    text = EXAMPLE.replace('id = "4"', 'id = "3"').replace('desk = "1"', 'desk = "7"')
    p = problems(text)
    assert any("desks[3].id: duplicate id '3'" in x for x in p)
    assert any("keypads[0].desk: unknown desk '7'" in x for x in p)


def test_printer_connection_needs_its_keys():
    text = EXAMPLE.replace('connection = "dummy"', 'connection = "network"')
    assert "kiosks[0].printer.host: is required for connection = 'network'" in problems(text)


def test_not_toml_is_one_clear_problem():
    p = problems("[site\nid=")
    assert len(p) == 1 and p[0].startswith("not valid TOML")


def test_service_day_uses_the_boundary_in_local_time():
    cfg = config.parse(EXAMPLE)
    # day_starts = 03:00 Berlin: 02:59 still belongs to the 24th, 03:00 starts the 25th
    import datetime as dt
    berlin = cfg.tz
    at = lambda h, m: int(dt.datetime(2026, 11, 25, h, m, tzinfo=berlin).timestamp() * 1000)
    assert cfg.service_day(at(2, 59)) == "2026-11-24"
    assert cfg.service_day(at(3, 0)) == "2026-11-25"


def test_check_config_command(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "aufrufcli", "check-config", str(REPO / "examples" / "site.toml")],
                        cwd=REPO, capture_output=True, text=True, timeout=30)
    assert ok.returncode == 0 and "desk 3: Schalter 3 serves K" in ok.stdout
    bad = tmp_path / "typo.toml"
    bad.write_text(EXAMPLE.replace("[[desks]]", "[[desk]]", 1))
    r = subprocess.run([sys.executable, "-m", "aufrufcli", "check-config", str(bad)],
                       cwd=REPO, capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert str(bad) in r.stderr and "desk: unknown key (did you mean 'desks'?)" in r.stderr


def test_one_typo_is_one_problem_and_the_readme_example_is_what_check_config_prints(tmp_path):
    assert problems(EXAMPLE.replace("languages = [", "langauges = [")) == [
        "site.langauges: unknown key (did you mean 'languages'?); allowed: id, name, languages, timezone, "
        "day_starts, opening_hours, closed_days, lang_dir"]
    # the README's three mistakes give exactly the README's three lines
    text = EXAMPLE.replace("languages = [", "langauges = [").replace('services = ["K"]', 'services = ["X"]', 1) \
                  .replace("pin = 18", "pin = 17")
    bad = tmp_path / "site.toml"
    bad.write_text(text)
    r = subprocess.run([sys.executable, "-m", "aufrufcli", "check-config", str(bad)], cwd=REPO,
                       capture_output=True, text=True, timeout=30)
    readme = (REPO / "README.md").read_text()
    shown = readme.split("site.toml: 3 problem(s) in the site config:\n")[1].split("```")[0].rstrip().splitlines()
    assert r.returncode == 1
    assert r.stderr.splitlines()[1:] == [ln.rstrip() for ln in shown]
    assert r.stderr.splitlines()[0] == f"{bad}: 3 problem(s) in the site config:"


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    f = tmp_path / "site.toml"
    f.write_bytes("\ufeff".encode() + EXAMPLE.encode())
    assert config.load(f).site_id == "jc-mitte"
